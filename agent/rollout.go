package agent

// rollout is the pre-allocated storage of one batch, time-major: row
// t*numEnvs+i holds step t of environment i.
type rollout struct {
	steps, envs, obsDim, actDim int
	// actW is the width of a stored action: 1 (the index) for discrete
	// actions, actDim for Box actions.
	actW int

	obs     []float64 // normalised observations the policy saw
	actions []float64 // sampled actions (discrete: the index), before any clipping
	head    []float64 // behaviour policy's logits or means
	logStd  []float64 // behaviour policy's log-std (Gaussian; state-independent)
	logp    []float64
	values  []float64
	rewards []float64 // possibly scaled
	ended   []bool
	// nextValue is V(final obs) at truncated steps and 0 elsewhere.
	nextValue []float64
	last      []float64 // V(s_T) per env
	adv, ret  []float64
	refHead   []float64 // reference policy's head, when a reference is set
	maskBias  []float64 // 0 or kl.MaskBias per action, with action masking; else nil
	newHead   []float64 // the updated policy's head, for measurements
	gather    []float64 // minibatch staging
	scratch   []float64
}

func newRollout(steps, envs, obsDim, actDim, actW int) *rollout {
	n := steps * envs
	return &rollout{
		steps: steps, envs: envs, obsDim: obsDim, actDim: actDim, actW: actW,
		obs: make([]float64, n*obsDim), actions: make([]float64, n*actW),
		head: make([]float64, n*actDim), logp: make([]float64, n), values: make([]float64, n),
		rewards: make([]float64, n), ended: make([]bool, n), nextValue: make([]float64, n),
		last: make([]float64, envs), adv: make([]float64, n), ret: make([]float64, n),
		refHead: make([]float64, n*actDim), newHead: make([]float64, n*actDim),
		gather:  make([]float64, n*max(obsDim, actDim)),
		scratch: make([]float64, envs*obsDim),
	}
}

func (r *rollout) size() int { return r.steps * r.envs }

func (r *rollout) advantages(gamma, lambda float64) {
	GAE(r.rewards, r.values, r.nextValue, r.ended, r.last, r.envs, gamma, lambda, r.adv, r.ret)
}

// addMask adds the action masks' biases (kl.MaskBias on a masked action, 0
// elsewhere) of the batch rows idx (nil: rows first, first+1, ...) to the heads of
// those rows in head, one row per entry: the one place a stored mask is
// applied, so every KL and log-probability of a masked head sees the
// distribution the rollout acted with. Without masking it does nothing.
func (b *rollout) addMask(head []float64, first int, idx []int) {
	if b.maskBias == nil {
		return
	}
	for r := 0; r*b.actDim < len(head); r++ {
		k := first + r
		if idx != nil {
			k = idx[r]
		}
		h := head[r*b.actDim : (r+1)*b.actDim]
		for j, v := range b.maskBias[k*b.actDim : (k+1)*b.actDim] {
			h[j] += v
		}
	}
}
