package agent

import (
	"fmt"
	"math"
	"ppo/dist"
	"ppo/env"
	"ppo/kl"
	"time"
)

// normalize applies the running observation normalisation, if enabled, to
// n rows of raw observations, writing into dst; discrete observations are
// one-hot encoded instead (normalisation is refused for them).
func (t *Trainer) normalize(dst, raw []float64, n int) error {
	if len(t.pol.Spec.ObsCards) > 0 {
		if err := t.pol.Spec.Encode(dst, raw, n); err != nil {
			return envErr(err)
		}
		return nil
	}
	if t.obsStats == nil {
		copy(dst, raw)
		return nil
	}
	t.obsStats.Normalize(dst, raw, n, t.cfg.Env.ClipObs)
	return nil
}

// mask stores the envs' current action masks as biases for step s of the
// rollout and adds them to the behaviour (and reference) heads, so masked
// actions have probability exactly 0 when acting and in the stored logits
// the loss and measurements start from.
func (t *Trainer) mask(s int, head []float64) {
	b, n := t.buf, t.cfg.Env.NumEnvs
	allowed := make([]bool, b.actDim)
	bias := b.maskBias[s*n*b.actDim : (s+1)*n*b.actDim]
	for i, m := range t.maskers {
		m.ActionMask(allowed)
		for j, ok := range allowed {
			v := 0.0
			if !ok {
				v = kl.MaskBias
			}
			bias[i*b.actDim+j] = v
		}
	}
	b.addMask(head, s*n, nil)
	if t.ref != nil {
		b.addMask(b.refHead[s*n*b.actDim:(s+1)*n*b.actDim], s*n, nil)
	}
}

// collect steps the vector env for one rollout, acting with the plain-Go
// forward pass on the network's own weights.
func (t *Trainer) collect() error {
	if t.Phases != nil {
		defer t.Phases.add(&t.Phases.Collect, time.Now())
	}
	b, n := t.buf, t.cfg.Env.NumEnvs
	pi := t.pol.Dist()
	envAct := make([]float64, n*b.actW)
	coef := t.refCoef()
	frozen := t.cfg.Init.FreezeObsStats
	if t.obsStats != nil && t.timesteps == 0 && !frozen {
		t.obsStats.Update(t.lastObs, n)
	}
	for s := 0; s < b.steps; s++ {
		o := b.obs[s*n*b.obsDim : (s+1)*n*b.obsDim]
		if err := t.normalize(o, t.lastObs, n); err != nil {
			return err
		}
		head := b.head[s*n*b.actDim : (s+1)*n*b.actDim]
		t.fwd.Forward(o, n, head, b.values[s*n:(s+1)*n])
		if t.ref != nil {
			t.ref.heads(b.refHead[s*n*b.actDim:(s+1)*n*b.actDim], t.lastObs, n)
		}
		if t.maskers != nil {
			t.mask(s, head)
		}
		for i := 0; i < n; i++ {
			k := s*n + i
			h := head[i*b.actDim : (i+1)*b.actDim]
			a := b.actions[k*b.actW : (k+1)*b.actW]
			pi.Sample(h, t.actRNG, a)
			copy(envAct[i*b.actW:], a)
			if t.box != nil {
				// The sampled action is kept for the log-probability; the env
				// gets it clipped to the box, as SB3 does.
				for j, v := range a {
					envAct[i*b.actW+j] = math.Max(t.box.Low[j], math.Min(t.box.High[j], v))
				}
			}
			b.logp[k] = pi.LogProb(h, a)
		}
		var t0 time.Time
		if t.Phases != nil {
			t0 = time.Now()
		}
		st, err := t.vec.Step(envAct)
		if t.Phases != nil {
			t.Phases.add(&t.Phases.Env, t0)
		}
		if err != nil {
			return envErr(err)
		}
		t.checkBounds(st.FinalObs, n)
		t.timesteps += n
		if t.obsStats != nil && !frozen {
			t.obsStats.Update(st.Obs, n)
		}
		rew := b.rewards[s*n : (s+1)*n]
		copy(rew, st.Reward)
		for i := 0; i < n; i++ {
			k := s*n + i
			b.ended[k] = st.Terminated[i] || st.Truncated[i]
		}
		if t.shaping != nil {
			// On the raw rewards: the normaliser below sees the shaped ones.
			t.shape(s, rew, b.ended[s*n:(s+1)*n], coef)
		}
		for i := 0; i < n; i++ {
			k := s*n + i
			b.nextValue[k] = 0
			if st.Truncated[i] && !st.Terminated[i] {
				// Bootstrap the cut-off episode from V(final observation).
				fo := b.scratch[:b.obsDim]
				raw := t.pol.Spec.RawObsDim()
				if err := t.normalize(fo, st.FinalObs[i*raw:(i+1)*raw], 1); err != nil {
					return err
				}
				t.fwd.Forward(fo, 1, nil, b.nextValue[k:k+1])
			}
		}
		if t.rewScale != nil {
			t.rewScale.Scale(rew, b.ended[s*n:(s+1)*n])
		}
		for _, e := range st.Episodes {
			t.window = append(t.window, e)
		}
		if len(t.window) > episodeWindow {
			t.window = append(t.window[:0], t.window[len(t.window)-episodeWindow:]...)
		}
		t.lastObs = append(t.lastObs[:0], st.Obs...)
	}
	o := b.scratch[:n*b.obsDim]
	if err := t.normalize(o, t.lastObs, n); err != nil {
		return err
	}
	t.fwd.Forward(o, n, nil, b.last)
	if ls := dist.LogStd(pi); ls != nil {
		b.logStd = append(b.logStd[:0], ls...)
	}
	return nil
}

// checkBounds warns, once a run, when an observation falls outside the
// Box the env declares: the env's bounds are wrong, or its dynamics are,
// and normalisation or clipping built on them would mislead. obs holds n
// rows (each copy's observation after its step).
func (t *Trainer) checkBounds(obs []float64, n int) {
	box, ok := t.vec.ObservationSpace().(env.Box)
	if !ok || t.outOfBox || t.Warn == nil {
		return
	}
	d := len(box.Low)
	for i := 0; i < n; i++ {
		for j, v := range obs[i*d : (i+1)*d] {
			if v < box.Low[j] || v > box.High[j] {
				t.outOfBox = true
				t.Warn(fmt.Sprintf("update %d: env %s copy %d: observation[%d] = %.6g is outside its declared Box [%.6g, %.6g] (warned once)",
					t.update, t.cfg.Env.ID, i, j, v, box.Low[j], box.High[j]))
				return
			}
		}
	}
}
