package agent

import (
	"fmt"
	"math"
	"ppo/detmath"
	"ppo/dist"
	"ppo/kl"
)

// measure evaluates the updated policy on the whole batch: the exact KL to
// the behaviour policy in both directions, its k3 estimate, KL to the
// reference, and the critic's explained variance before the update.
func (t *Trainer) measure(m *Metrics) error {
	b := t.buf
	n := b.size()
	t.fwd.Forward(b.obs, n, b.newHead, nil)
	for i, v := range b.maskBias { // nil without masking
		b.newHead[i] += v
	}
	pi := t.pol.Dist()
	catKL := kl.CategoricalLogits
	if m, ok := pi.(dist.MultiCategorical); ok {
		catKL = m.KL
	}
	var newStd, oldStd, refStd []float64
	if !t.pol.Spec.Discrete {
		newStd = expAll(pi.(dist.DiagGaussian).LogStd)
		oldStd = expAll(b.logStd)
		if t.ref != nil {
			refStd = expAll(t.ref.logStd)
		}
	}
	var sum, sumRev, sumK1, sumK2, sumK3, sumRef, maxKL float64
	for k := 0; k < n; k++ {
		oh := b.head[k*b.actDim : (k+1)*b.actDim]
		nh := b.newHead[k*b.actDim : (k+1)*b.actDim]
		a := b.actions[k*b.actW : (k+1)*b.actW]
		var d, rev float64
		if t.pol.Spec.Discrete {
			d, rev = catKL(oh, nh), catKL(nh, oh)
		} else {
			d, rev = kl.DiagGaussian(oh, oldStd, nh, newStd), kl.DiagGaussian(nh, newStd, oh, oldStd)
		}
		sum += d
		sumRev += rev
		maxKL = max(maxKL, d)
		logr := pi.LogProb(nh, a) - b.logp[k]
		sumK1 += kl.Estimate(kl.K1, logr)
		sumK2 += kl.Estimate(kl.K2, logr)
		sumK3 += kl.Estimate(kl.K3, logr)
		if t.ref != nil {
			rh := b.refHead[k*b.actDim : (k+1)*b.actDim]
			var dr float64
			switch {
			case t.pol.Spec.Discrete && t.loss.RefDirection == kl.OldNew:
				dr = catKL(rh, nh)
			case t.pol.Spec.Discrete:
				dr = catKL(nh, rh)
			case t.loss.RefDirection == kl.OldNew:
				dr = kl.DiagGaussian(rh, refStd, nh, newStd)
			default:
				dr = kl.DiagGaussian(nh, newStd, rh, refStd)
			}
			sumRef += dr
		}
	}
	f := float64(n)
	m.KL, m.KLReverse, m.KLMax, m.ApproxKL = sum/f, sumRev/f, maxKL, sumK3/f
	m.KLK1, m.KLK2, m.KLK3 = sumK1/f, sumK2/f, m.ApproxKL
	m.klRef = sumRef / f
	m.ExplainedVariance = explainedVariance(b.values, b.ret)
	for _, prm := range t.pol.Params() {
		for _, v := range valuesOf(prm.T) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("update %d: parameter %s is not finite", t.update, prm.Name)
			}
		}
	}
	return nil
}

func expAll(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = detmath.Exp(v)
	}
	return y
}

// explainedVariance is 1 - Var(ret - v)/Var(ret): 1 is a perfect critic,
// 0 no better than a constant; NaN-free: 0 when the returns are constant.
func explainedVariance(v, ret []float64) float64 {
	n := float64(len(ret))
	var mr, md float64
	for i := range ret {
		mr += ret[i]
		md += ret[i] - v[i]
	}
	mr /= n
	md /= n
	var vr, vd float64
	for i := range ret {
		vr += (ret[i] - mr) * (ret[i] - mr)
		d := ret[i] - v[i] - md
		vd += d * d
	}
	if vr == 0 {
		return 0
	}
	return 1 - vd/vr
}
