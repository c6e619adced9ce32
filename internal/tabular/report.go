package tabular

// Report is what ppo tabular --json prints: each run's exact figures and, for two or more runs,
// the KL between each pair's policies over every state. Returns are undiscounted.
type Report struct {
	Runs  []RunReport  `json:"runs"`
	Pairs []PairReport `json:"pairs,omitempty"`
}

// RunReport is one run's exact figures.
type RunReport struct {
	Run     string `json:"run"`
	Env     string `json:"env"`
	States  int    `json:"states"`
	Actions int    `json:"actions"`
	// Horizon is the time limit in steps, 0 for none.
	Horizon int  `json:"horizon"`
	Masking bool `json:"masking"`
	// Optimal is value iteration's optimum (with a horizon, of a policy that may depend on the
	// steps left); Policy the exact expected return sampling from the run's policy, Mode acting
	// with its mode (as eval.json with eval.deterministic), nil if the mode never ends an
	// episode of a task without a time limit.
	Optimal float64  `json:"optimal_return"`
	Policy  float64  `json:"policy_return"`
	Mode    *float64 `json:"mode_return"`
	// EvalReturn and EvalEpisodes are the run's eval.json, if it has one.
	EvalReturn   *float64 `json:"eval_mean_return,omitempty"`
	EvalEpisodes int      `json:"eval_episodes,omitempty"`
}

// PairReport is the KL between runs A and B (indices into Runs): AB is KL(A‖B) in each state,
// weighted by A's visits, BA is KL(B‖A) weighted by B's.
type PairReport struct {
	A  int     `json:"a"`
	B  int     `json:"b"`
	AB KLStats `json:"kl_ab"`
	BA KLStats `json:"kl_ba"`
}
