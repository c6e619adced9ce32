package agent

import "ppo/policy"

// Head writes the policy's head (logits or Gaussian means, Spec.ActDim values) for one raw
// observation into head, with the observation normalised or encoded as Run does; masks are not
// applied. It is for whole-state diagnostics, one state at a time.
func (e *Evaluator) Head(obs, head []float64) error {
	spec := e.Policy.Spec
	x := make([]float64, spec.ObsDim)
	if e.ObsStats != nil {
		e.ObsStats.Normalize(x, obs, 1, e.ClipObs)
	} else if err := spec.Encode(x, obs, 1); err != nil {
		return err
	}
	policy.NewForwarder(e.Policy).Forward(x, 1, head, nil)
	return nil
}
