package agent

import (
	"ppo/configs"
	"ppo/dist"
	"ppo/kl"
)

// scheduled holds the hyperparameters that follow a schedule, at one update.
type scheduled struct {
	clip, ent         float64 // ppo.clip_range, ppo.entropy_coef
	target, refTarget float64 // kl.controller.target, kl.reference.controller.target
}

// schedule evaluates the schedules at the current update (configs.Scheduled:
// the learning rate's rule).
func (t *Trainer) schedule() scheduled {
	p, c, r := t.cfg.PPO, t.cfg.KL.Controller, t.cfg.KL.Reference.Controller
	at := func(v float64, s string) float64 { return configs.Scheduled(v, s, t.update, t.updates) }
	return scheduled{
		clip:      at(p.ClipRange, p.ClipRangeSchedule),
		ent:       at(p.EntropyCoef, p.EntropyCoefSchedule),
		target:    at(c.Target, c.TargetSchedule),
		refTarget: at(r.Target, r.TargetSchedule),
	}
}

// targeted is a controller that steers towards a target KL that can move.
type targeted interface {
	SetTarget(target float64) error
}

// retarget gives c the target of this update; controllers without a target
// (fixed) ignore it.
func retarget(c kl.Controller, target float64) error {
	if tc, ok := c.(targeted); ok {
		return tc.SetTarget(target)
	}
	return nil
}

// exactKL is the mean exact KL(old||new) between the behaviour policy and
// the current weights over the batch rows idx (nil: the whole batch), as
// measure computes it (the masks' biases added, the head's own KL). It
// runs the network forward on those rows and changes no training state.
func (t *Trainer) exactKL(idx []int) float64 {
	b := t.buf
	n := b.size()
	obs, head := b.obs, b.newHead
	rows := func(k int) int { return k }
	if idx != nil {
		n = len(idx)
		if len(t.klObs) < n*b.obsDim {
			t.klObs = make([]float64, n*b.obsDim)
		}
		obs = t.klObs[:n*b.obsDim]
		for r, k := range idx {
			copy(obs[r*b.obsDim:(r+1)*b.obsDim], b.obs[k*b.obsDim:(k+1)*b.obsDim])
		}
		rows = func(k int) int { return idx[k] }
	}
	t.fwd.Forward(obs, n, head, nil)
	b.addMask(head[:n*b.actDim], 0, idx)
	pi := t.pol.Dist()
	newStd, oldStd := dist.Std(pi), dist.StdOf(b.logStd)
	sum := 0.0
	for r := 0; r < n; r++ {
		k := rows(r)
		old := dist.Params{Head: b.head[k*b.actDim : (k+1)*b.actDim], Std: oldStd}
		cur := dist.Params{Head: head[r*b.actDim : (r+1)*b.actDim], Std: newStd}
		sum += pi.KL(kl.OldNew, old, cur)
	}
	return sum / float64(n)
}
