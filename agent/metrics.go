package agent

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
)

// Metrics is one row of a run's log, written after every policy update.
type Metrics struct {
	Update    int `json:"update"`
	Timesteps int `json:"timesteps"`
	// KL is the mean exact KL(old||new) over the batch after the update;
	// KLMax its largest per-state value; KLReverse the mean KL(new||old).
	KL        float64 `json:"kl"`
	KLMax     float64 `json:"kl_max"`
	KLReverse float64 `json:"kl_reverse"`
	// Beta is the penalty coefficient used in this update's loss.
	Beta float64 `json:"beta"`
	// ApproxKL is the k3 estimate of KL(old||new) from the batch's actions
	// (the same number as KLK3, under the name SB3 and CleanRL log).
	ApproxKL float64 `json:"approx_kl"`
	// ClipFraction is the share of samples with |ratio-1| > clip_range,
	// averaged over the minibatches.
	ClipFraction      float64  `json:"clip_fraction"`
	Entropy           float64  `json:"entropy"`
	PolicyLoss        float64  `json:"policy_loss"`
	ValueLoss         float64  `json:"value_loss"`
	ExplainedVariance float64  `json:"explained_variance"`
	GradNorm          float64  `json:"grad_norm"`
	EpisodeReturnMean *float64 `json:"episode_return_mean"`
	EpisodeLengthMean *float64 `json:"episode_length_mean"`
	LearningRate      float64  `json:"learning_rate"`
	// Epochs is how many epochs ran before any early stop.
	Epochs       int  `json:"epochs"`
	Minibatches  int  `json:"minibatches"`
	EarlyStopped bool `json:"early_stopped"`
	// KLRef is the mean exact KL to the reference policy (when one is set),
	// and RefCoef its coefficient in this update's loss.
	KLRef   *float64 `json:"kl_ref,omitempty"`
	RefCoef *float64 `json:"ref_coef,omitempty"`
	// With kl.reference.placement reward: RewardKL is the mean KL_t the
	// rewards were shaped with over the rollout, ShapedReturnMean the mean
	// shaped return (raw return − coefficient·ΣKL_t) of the recent training
	// episodes; EpisodeReturnMean stays the env's return.
	RewardKL         *float64 `json:"reward_kl,omitempty"`
	ShapedReturnMean *float64 `json:"shaped_return_mean,omitempty"`
	// EvalReturnMean is set on updates where an evaluation ran.
	EvalReturnMean *float64 `json:"eval_return_mean,omitempty"`
	// Tasks holds, on updates where an evaluation ran, each of eval.tasks's
	// results by name.
	Tasks       map[string]TaskMetrics `json:"tasks,omitempty"`
	SPS         float64                `json:"sps"`
	WallSeconds float64                `json:"wall_seconds"`
	// KLK1, KLK2 and KLK3 are the batch means of the sample estimators of
	// KL(old||new) after the update, with logr = log π_new(a)/π_old(a) on
	// the batch's own actions (a ~ π_old): k1 = −logr, k2 = ½·logr²,
	// k3 = (e^logr − 1) − logr (kl.Estimate). KL is what they estimate.
	KLK1 float64 `json:"kl_k1"`
	KLK2 float64 `json:"kl_k2"`
	KLK3 float64 `json:"kl_k3"`
	// ClipRange, EntropyCoef and KLTarget are this update's values of
	// ppo.clip_range, ppo.entropy_coef and kl.controller.target after
	// their schedules.
	ClipRange   float64 `json:"clip_range"`
	EntropyCoef float64 `json:"entropy_coef"`
	KLTarget    float64 `json:"kl_target"`
	// KLPerEpoch, with log.kl_per_epoch, is the mean exact KL(old||new)
	// over the batch after each epoch (the last equals KL).
	KLPerEpoch []float64 `json:"kl_per_epoch,omitempty"`

	klRef float64
}

// TaskMetrics is an evaluation on one of eval.tasks: the mean return and, when the run
// has a reference policy, the mean exact KL to it (in kl.reference.direction) over the
// states the evaluation episodes visited.
type TaskMetrics struct {
	Return float64  `json:"return"`
	KLRef  *float64 `json:"kl_ref,omitempty"`
}

// check refuses a row with a non-finite quantity, naming it.
func (m *Metrics) check() error {
	for _, q := range []struct {
		name string
		v    float64
	}{{"kl", m.KL}, {"kl_max", m.KLMax}, {"kl_reverse", m.KLReverse}, {"beta", m.Beta}, {"approx_kl", m.ApproxKL},
		{"kl_k1", m.KLK1}, {"kl_k2", m.KLK2},
		{"entropy", m.Entropy}, {"policy_loss", m.PolicyLoss}, {"value_loss", m.ValueLoss}, {"kl_ref", m.klRef}} {
		if math.IsNaN(q.v) || math.IsInf(q.v, 0) {
			return fmt.Errorf("update %d: %s is %v", m.Update, q.name, q.v)
		}
	}
	if m.RewardKL != nil && !finite(*m.RewardKL) {
		return fmt.Errorf("update %d: reward_kl is %v", m.Update, *m.RewardKL)
	}
	return nil
}

func scalarOf(v G.Value) float64 {
	switch x := v.Data().(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

// valuesOf copies a float32 or float64 tensor's data as float64s.
func valuesOf(v interface{ Data() interface{} }) []float64 {
	switch d := v.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return d
	}
	return nil
}
