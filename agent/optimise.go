package agent

import (
	"fmt"
	"math"
	"time"

	G "gorgonia.org/gorgonia"

	"ppo/configs"
	"ppo/internal/detmath"
	"ppo/kl"
	"ppo/policy"
)

// optimise runs the epochs of minibatch updates and returns the averaged
// loss diagnostics.
func (t *Trainer) optimise(lr, beta, refCoef float64) (Metrics, error) {
	var m Metrics
	size := t.buf.size()
	perm := make([]int, size)
	for i := range perm {
		perm[i] = i
	}
	var sum stepStats
	for epoch := 0; epoch < t.cfg.PPO.Epochs; epoch++ {
		m.Epochs = epoch + 1
		t.shufRNG.Shuffle(size, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for lo := 0; lo < size; lo += t.cfg.PPO.MinibatchSize {
			idx := perm[lo:min(lo+t.cfg.PPO.MinibatchSize, size)]
			st, err := t.step(idx, lr, beta, refCoef)
			if err != nil {
				return m, fmt.Errorf("update %d: %w", t.update, err)
			}
			if st.stopped {
				m.EarlyStopped = true
				break
			}
			sum.add(st)
			m.GradNorm = st.gradNorm
		}
		if t.cfg.Log.KLPerEpoch {
			m.KLPerEpoch = append(m.KLPerEpoch, t.exactKL(nil))
		}
		if m.EarlyStopped {
			break
		}
	}
	if n := float64(sum.steps); n > 0 {
		m.PolicyLoss, m.ValueLoss, m.Entropy, m.ClipFraction = sum.pg/n, sum.v/n, sum.ent/n, sum.clip/n
	}
	m.Minibatches = sum.steps
	return m, nil
}

// stepStats are the diagnostics of minibatch steps, summed.
type stepStats struct {
	steps            int
	pg, v, ent, clip float64
	gradNorm         float64
	stopped          bool
}

func (s *stepStats) add(o stepStats) {
	s.steps++
	s.pg += o.pg
	s.v += o.v
	s.ent += o.ent
	s.clip += o.clip
}

// step runs the loss graph on the minibatch rows idx with the run's
// runner and takes one Adam step, unless the early-stopping rule says to
// stop first.
func (t *Trainer) step(idx []int, lr, beta, refCoef float64) (stepStats, error) {
	if t.Phases != nil {
		defer t.Phases.add(&t.Phases.Learn, time.Now())
		t.Phases.Rows += len(idx)
	}
	var st stepStats
	p := t.cfg.PPO
	adv := t.advantages(idx)
	out, done, err := t.runner.run(t, idx, adv, beta, refCoef)
	if done != nil {
		defer done()
	}
	if err != nil {
		return st, err
	}
	logr, loss, pg, v, ent := out.logr, out.loss, out.pg, out.v, out.ent
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return st, fmt.Errorf("loss is %v", loss)
	}
	// Early stopping as SB3: the k3 estimate of KL(old||new) on this
	// minibatch, before its step, against target_kl × factor; or, with
	// target_kl_estimator exact, the minibatch's exact KL(old||new).
	approx, clipped := 0.0, 0
	for _, lr := range logr {
		approx += kl.Estimate(kl.K3, lr)
		if r := detmath.Exp(lr); math.Abs(r-1) > t.sched.clip {
			clipped++
		}
	}
	approx /= float64(len(logr))
	if p.TargetKL > 0 && p.TargetKLEstimator == configs.TargetKLExact {
		approx = t.exactKL(idx)
	}
	if p.TargetKL > 0 && approx > p.TargetKL*p.TargetKLFactor {
		st.stopped = true
		return st, nil
	}
	st.gradNorm = t.upd.clipGrads(p.MaxGradNorm)
	if math.IsNaN(st.gradNorm) || math.IsInf(st.gradNorm, 0) {
		return st, fmt.Errorf("gradient norm is %v", st.gradNorm)
	}
	if err := t.runner.step(t, lr); err != nil {
		return st, err
	}
	st.pg, st.v, st.ent = pg, v, ent
	st.clip = float64(clipped) / float64(len(logr))
	return st, nil
}

// graph returns the loss graph for minibatches of size n, built on first use.
func (t *Trainer) graph(n int) (*minibatch, error) {
	if mb, ok := t.graphs[n]; ok {
		return mb, nil
	}
	mb, err := t.newGraph(n, policy.Whole)
	if err != nil {
		return nil, err
	}
	t.graphs[n] = mb
	return mb, nil
}

// newGraph builds a loss graph, or a part of it, for n rows with the run's
// fixed coefficients.
func (t *Trainer) newGraph(n int, part policy.Part) (*minibatch, error) {
	mb, err := newMinibatch(t.pol, t.loss, n, t.cfg.PPO.ClipRange, part)
	if err != nil {
		return nil, err
	}
	if mb.vfCoef != nil {
		mb.setScalar(mb.vfCoef, t.cfg.PPO.ValueCoef)
	}
	if mb.entCoef != nil {
		mb.setScalar(mb.entCoef, t.cfg.PPO.EntropyCoef)
	}
	return mb, nil
}

// fill gathers the minibatch rows idx into the graph's input tensors, with
// their advantages adv (as t.advantages returns them).
func (t *Trainer) fill(mb *minibatch, idx []int, adv []float64, beta, refCoef float64) {
	b := t.buf
	n := len(idx)
	g := b.gather
	gather := func(nd *G.Node, src []float64, w int) {
		dst := g[:n*w]
		for r, k := range idx {
			copy(dst[r*w:(r+1)*w], src[k*w:(k+1)*w])
		}
		mb.set(nd, dst)
	}
	gather(mb.obs, b.obs, b.obsDim)
	if mb.part != policy.ActorPart {
		gather(mb.ret, b.ret, 1)
		gather(mb.oldV, b.values, 1)
	}
	if mb.part == policy.CriticPart {
		return
	}
	if nvec := t.pol.Spec.ActNvec; len(nvec) > 0 {
		// One one-hot segment per component.
		oh := g[:n*b.actDim]
		clear(oh)
		for r, k := range idx {
			off := r * b.actDim
			for c, w := range nvec {
				oh[off+int(b.actions[k*b.actW+c])] = 1
				off += w
			}
		}
		mb.set(mb.act, oh)
	} else if t.pol.Spec.Discrete {
		oh := g[:n*b.actDim]
		clear(oh)
		for r, k := range idx {
			oh[r*b.actDim+int(b.actions[k])] = 1 // actW is 1
		}
		mb.set(mb.act, oh)
	} else {
		gather(mb.act, b.actions, b.actW)
	}
	gather(mb.oldLogp, b.logp, 1)
	gather(mb.old.Head, b.head, b.actDim)
	if mb.maskBias != nil {
		gather(mb.maskBias, b.maskBias, b.actDim)
	}
	if mb.old.LogStd != nil {
		tile(g[:n*b.actDim], b.logStd, n)
		mb.set(mb.old.LogStd, g[:n*b.actDim])
	}
	if t.loss.Reference {
		gather(mb.ref.Head, b.refHead, b.actDim)
		if mb.ref.LogStd != nil {
			tile(g[:n*b.actDim], t.ref.logStd, n)
			mb.set(mb.ref.LogStd, g[:n*b.actDim])
		}
	}
	mb.set(mb.adv, adv)
	mb.beta, mb.refCoef = beta, refCoef
	// This update's clip range and entropy coefficient, after their schedules.
	mb.clipRange = t.sched.clip
	mb.setScalar(mb.entCoef, t.sched.ent)
}

// advantages returns the advantages of the minibatch rows idx,
// standardised over the minibatch if so configured, in a buffer reused by
// the next call.
func (t *Trainer) advantages(idx []int) []float64 {
	b := t.buf
	n := len(idx)
	if cap(t.advBuf) < n {
		t.advBuf = make([]float64, n)
	}
	adv := t.advBuf[:n]
	for r, k := range idx {
		adv[r] = b.adv[k]
	}
	if t.cfg.PPO.NormalizeAdvantages && n > 1 {
		// Per-minibatch standardisation with the unbiased std, as CleanRL and SB3.
		mean := 0.0
		for _, a := range adv {
			mean += a
		}
		mean /= float64(n)
		ss := 0.0
		for _, a := range adv {
			ss += (a - mean) * (a - mean)
		}
		sd := math.Sqrt(ss / float64(n-1))
		for r := range adv {
			adv[r] = (adv[r] - mean) / (sd + 1e-8)
		}
	}
	return adv
}

func tile(dst, row []float64, n int) {
	for r := 0; r < n; r++ {
		copy(dst[r*len(row):], row)
	}
}
