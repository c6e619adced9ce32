package agent

import (
	"fmt"
	"ppo/configs"
	"ppo/kl"
)

// watch notices a run going wrong slowly: beta pinned at a clamp, or the
// KL far over its target, for many updates in a row. Each streak is
// reported once, when it reaches its length.
type watch struct {
	atClamp, overTarget int
	// stepless says an update without a gradient step was reported.
	stepless bool
}

// noStep reports, once, an update that took no gradient step: the
// target_kl early stop fired before the first minibatch, so the policy
// did not move. ppo inspect counts every such update.
func (w *watch) noStep(update int, m Metrics, p configs.PPOConfig) []string {
	if m.Minibatches > 0 || w.stepless {
		return nil
	}
	w.stepless = true
	return []string{fmt.Sprintf("update %d took no gradient step: the ppo.target_kl early stop (%s estimate over %g × %g) fired before the first minibatch, so the policy did not move; later such updates are not reported here (ppo inspect counts them)",
		update, p.TargetKLEstimator, p.TargetKLFactor, p.TargetKL)}
}

// Streak lengths (updates) before a warning.
const (
	clampStreak = 10
	overStreak  = 5
)

// overFactor × target counts as far over: twice the widest preset's upper threshold.
var overFactor = func() float64 {
	widest := 0.0
	for _, name := range kl.PresetNames() {
		p, _ := kl.Preset(name)
		widest = max(widest, p.HighMult)
	}
	return 2 * widest
}()

func (w *watch) observe(update int, d, beta float64, c configs.ControllerConfig, penalised bool) []string {
	if !penalised || c.Kind == configs.ControllerFixed {
		return nil
	}
	var out []string
	if beta <= c.MinBeta || beta >= c.MaxBeta {
		w.atClamp++
	} else {
		w.atClamp = 0
	}
	if w.atClamp == clampStreak {
		out = append(out, fmt.Sprintf("update %d: beta has been at its clamp (%g) for %d updates; the KL target %g is out of reach of the penalty (see kl.controller.min_beta/max_beta, ppo.learning_rate)",
			update, beta, clampStreak, c.Target))
	}
	if d > overFactor*c.Target {
		w.overTarget++
	} else {
		w.overTarget = 0
	}
	if w.overTarget == overStreak {
		out = append(out, fmt.Sprintf("update %d: KL %.4g has been over %g× its target %g for %d updates", update, d, overFactor, c.Target, overStreak))
	}
	return out
}
