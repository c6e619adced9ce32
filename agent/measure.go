package agent

import (
	"fmt"
	"math"
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
	b.addMask(b.newHead, 0, nil)
	pi := t.pol.Dist()
	newStd, oldStd := dist.Std(pi), dist.StdOf(b.logStd)
	var refStd []float64
	if t.ref != nil {
		refStd = dist.StdOf(t.ref.logStd)
	}
	var sum, sumRev, sumK1, sumK2, sumK3, sumRef, maxKL float64
	for k := 0; k < n; k++ {
		old := dist.Params{Head: b.head[k*b.actDim : (k+1)*b.actDim], Std: oldStd}
		cur := dist.Params{Head: b.newHead[k*b.actDim : (k+1)*b.actDim], Std: newStd}
		a := b.actions[k*b.actW : (k+1)*b.actW]
		d, rev := pi.KL(kl.OldNew, old, cur), pi.KL(kl.NewOld, old, cur)
		sum += d
		sumRev += rev
		maxKL = max(maxKL, d)
		logr := pi.LogProb(cur.Head, a) - b.logp[k]
		sumK1 += kl.Estimate(kl.K1, logr)
		sumK2 += kl.Estimate(kl.K2, logr)
		sumK3 += kl.Estimate(kl.K3, logr)
		if t.ref != nil {
			ref := dist.Params{Head: b.refHead[k*b.actDim : (k+1)*b.actDim], Std: refStd}
			sumRef += pi.KL(t.loss.RefDirection, ref, cur)
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
