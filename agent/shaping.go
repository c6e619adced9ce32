package agent

import (
	"math"

	"ppo/configs"
	"ppo/dist"
	"ppo/kl"
)

// shaping puts the reference penalty into the reward (kl.reference.placement: reward), as
// RLHF trainers do: each step's raw reward becomes
//
//	r'_t = r_t − c·KL_t
//
// before any reward normalisation and before GAE, where c is the reference coefficient of
// the update and KL_t is, by kl.reference.estimator, the exact KL between π_old(·|s_t) and
// π_ref(·|s_t) in kl.reference.direction, or k1, the sampled log-ratio
// log π_old(a_t|s_t) − log π_ref(a_t|s_t), whose mean over a_t ~ π_old is KL(π_old ‖ π_ref).
// The episodes' returns under r' are kept apart from the env's returns.
type shaping struct {
	estimator kl.Estimator
	direction kl.Direction
	acc       []float64 // shaped return so far of each env's episode
	window    []float64 // shaped returns of the last episodeWindow finished episodes
	klSum     float64   // Σ KL_t over the current rollout
	klN       int
	refStd    []float64 // the reference's standard deviations, nil for categorical heads
}

func newShaping(cfg *configs.Config) (*shaping, error) {
	est, err := kl.ParseEstimator(cfg.KL.Reference.Estimator)
	if err != nil {
		return nil, err
	}
	dir, err := kl.ParseDirection(cfg.KL.ReferenceDirection())
	if err != nil {
		return nil, err
	}
	return &shaping{estimator: est, direction: dir, acc: make([]float64, cfg.Env.NumEnvs)}, nil
}

// stepKL is KL_t of the rollout row k: head and logp are π_old's, refHead π_ref's;
// std is π_old's standard deviations (dist.Std; nil for categorical heads).
func (t *Trainer) stepKL(k int, std []float64) float64 {
	b, sh := t.buf, t.shaping
	pi := t.pol.Dist()
	if sh.estimator == kl.K1 {
		a := b.actions[k*b.actW : (k+1)*b.actW]
		return b.logp[k] - t.ref.Policy.Dist().LogProb(b.refHead[k*b.actDim:(k+1)*b.actDim], a)
	}
	// The reference plays the old policy: old_new is KL(π_ref ‖ π_old),
	// new_old KL(π_old ‖ π_ref).
	ref := dist.Params{Head: b.refHead[k*b.actDim : (k+1)*b.actDim], Std: sh.refStd}
	cur := dist.Params{Head: b.head[k*b.actDim : (k+1)*b.actDim], Std: std}
	return pi.KL(sh.direction, ref, cur)
}

// shape subtracts coef·KL_t from the raw rewards rew of rollout step s (one per env) and
// adds them to the episodes' shaped returns, ended saying which episodes end there.
func (t *Trainer) shape(s int, rew []float64, ended []bool, coef float64) {
	sh := t.shaping
	n := len(rew)
	std := dist.Std(t.pol.Dist()) // once a step, not once a row
	for i := range rew {
		d := t.stepKL(s*n+i, std)
		sh.klSum += d
		sh.klN++
		rew[i] -= coef * d
		sh.acc[i] += rew[i]
		if ended[i] {
			sh.window = append(sh.window, sh.acc[i])
			sh.acc[i] = 0
		}
	}
	if len(sh.window) > episodeWindow {
		sh.window = append(sh.window[:0], sh.window[len(sh.window)-episodeWindow:]...)
	}
}

// stats fills the row's shaping fields and starts the next rollout's KL mean.
func (sh *shaping) stats(m *Metrics) {
	if sh.klN > 0 {
		d := sh.klSum / float64(sh.klN)
		m.RewardKL = &d
	}
	sh.klSum, sh.klN = 0, 0
	if len(sh.window) > 0 {
		r := 0.0
		for _, x := range sh.window {
			r += x
		}
		r /= float64(len(sh.window))
		m.ShapedReturnMean = &r
	}
}

// finite reports whether x is a number, for the row check.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
