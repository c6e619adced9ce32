package rundir

import (
	"ppo/agent"
	"strconv"
	"strings"
)

// CSVHeader lists the CSV columns; optional columns appear when asked for:
// the reference's, then extra (reward_kl, shaped_return_mean and
// TaskColumn names). Columns added after the first release go at the end,
// so positional readers of older files keep working.
func CSVHeader(withRef bool, extra ...string) []string {
	h := []string{"update", "timesteps", "kl", "kl_max", "kl_reverse", "beta", "approx_kl", "clip_fraction",
		"entropy", "policy_loss", "value_loss", "explained_variance", "grad_norm", "episode_return_mean",
		"episode_length_mean", "learning_rate", "epochs", "minibatches", "early_stopped"}
	if withRef {
		h = append(h, "kl_ref", "ref_coef")
	}
	h = append(h, extra...)
	return append(h, "eval_return_mean", "sps", "wall_seconds",
		"kl_k1", "kl_k2", "kl_k3", "clip_range", "entropy_coef", "kl_target", "kl_per_epoch")
}

// CSVRow formats m in CSVHeader's order; absent values are empty cells.
func CSVRow(m *agent.Metrics, withRef bool, extra ...string) []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return f(*v)
	}
	r := []string{strconv.Itoa(m.Update), strconv.Itoa(m.Timesteps), f(m.KL), f(m.KLMax), f(m.KLReverse), f(m.Beta),
		f(m.ApproxKL), f(m.ClipFraction), f(m.Entropy), f(m.PolicyLoss), f(m.ValueLoss), f(m.ExplainedVariance),
		f(m.GradNorm), opt(m.EpisodeReturnMean), opt(m.EpisodeLengthMean), f(m.LearningRate),
		strconv.Itoa(m.Epochs), strconv.Itoa(m.Minibatches), strconv.FormatBool(m.EarlyStopped)}
	if withRef {
		r = append(r, opt(m.KLRef), opt(m.RefCoef))
	}
	for _, col := range extra {
		r = append(r, opt(extraValue(m, col)))
	}
	perEpoch := make([]string, len(m.KLPerEpoch))
	for i, v := range m.KLPerEpoch {
		perEpoch[i] = f(v)
	}
	return append(r, opt(m.EvalReturnMean), f(m.SPS), f(m.WallSeconds),
		f(m.KLK1), f(m.KLK2), f(m.KLK3), f(m.ClipRange), f(m.EntropyCoef), f(m.KLTarget),
		strings.Join(perEpoch, ";")) // empty without log.kl_per_epoch
}

// extraValue is the value of an optional column of CSVHeader's extra in m, or nil.
func extraValue(m *agent.Metrics, col string) *float64 {
	switch col {
	case "reward_kl":
		return m.RewardKL
	case "shaped_return_mean":
		return m.ShapedReturnMean
	}
	for name, tm := range m.Tasks {
		switch col {
		case TaskColumn(name, "return"):
			return &tm.Return
		case TaskColumn(name, "kl_ref"):
			return tm.KLRef
		}
	}
	return nil
}
