package agent

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"ppo/configs"
	"ppo/dist"
	"ppo/env"
	"ppo/internal/normalize"
	"ppo/kl"
	"ppo/policy"
)

// EvalResult summarises evaluation episodes.
type EvalResult struct {
	MeanReturn float64   `json:"mean_return"`
	StdReturn  float64   `json:"std_return"`
	Episodes   int       `json:"episodes"`
	MeanLength float64   `json:"mean_length"`
	Returns    []float64 `json:"returns"`
	// KLRef is the mean exact KL between the policy and the reference over
	// every state the episodes visited, when the Evaluator has a reference.
	KLRef *float64 `json:"kl_ref,omitempty"`
	// Cut counts the episodes stopped at EvalMaxSteps steps: an env with no
	// time limit (CliffWalking-v0, say) where the policy never ends one.
	Cut int `json:"cut_episodes,omitempty"`
	// Served is the id an external env's program declares (env.id is
	// external), so its runs are named by it; empty for a registered env.
	Served string `json:"served,omitempty"`
}

// EvalMaxSteps is the length at which an evaluation episode is stopped,
// counted as cut, when neither the env nor the policy has ended it: a
// deterministic policy can walk into a wall forever in an env without a
// time limit. Every time limit of the registered envs is far below it.
const EvalMaxSteps = 100_000

// Evaluator plays whole episodes with a fixed policy on a fresh env.
type Evaluator struct {
	Policy   *policy.Policy
	ObsStats *normalize.RunningStats // the training run's frozen normaliser; nil for none
	ClipObs  float64
	EnvID    string
	Params   map[string]float64
	// TextParams and MaxEpisodeSteps are the run's env.text_params and env.max_episode_steps.
	TextParams      map[string]string
	MaxEpisodeSteps int
	// Masking applies the env's action masks (the run's policy.action_masking).
	Masking bool
	// Ref, if set, is a reference policy whose exact KL to the policy, in
	// direction RefDirection, is measured on the visited states.
	Ref          *Reference
	RefDirection kl.Direction
	// External starts the env's child processes when EnvID is external.
	External configs.ExternalConfig
	// Check reports a non-finite observation or reward as an env.Fault
	// (the run's env.nan_check); a panic in the env always is one.
	Check bool
}

// Run plays episodes one after another on one env seeded with seed,
// acting with the distribution's mode when deterministic, otherwise
// sampling from a PCG stream derived from seed.
func (e *Evaluator) Run(episodes int, seed uint64, deterministic bool) (EvalResult, error) {
	return e.RunContext(context.Background(), episodes, seed, deterministic)
}

// RunContext is Run, stopped with ctx's error once ctx is done.
func (e *Evaluator) RunContext(ctx context.Context, episodes int, seed uint64, deterministic bool) (EvalResult, error) {
	opts := append([]env.Option{env.WithSeed(seed)},
		envOptions(configs.EnvConfig{Params: e.Params, TextParams: e.TextParams, MaxEpisodeSteps: e.MaxEpisodeSteps})...)
	en, served, err := makeEnvID(configs.EnvConfig{ID: e.EnvID, External: e.External}, opts...)
	if err != nil {
		return EvalResult{}, err
	}
	defer closeEnv(en)
	if err := fits(e.Policy.Spec, en.ObservationSpace(), en.ActionSpace()); err != nil {
		return EvalResult{}, fmt.Errorf("%s: %w", e.EnvID, err)
	}
	var (
		masker  env.Masker
		allowed []bool
	)
	if e.Masking {
		var ok bool
		if masker, ok = env.MaskerOf(en); !ok {
			return EvalResult{}, fmt.Errorf("%s supplies no action masks", e.EnvID)
		}
		allowed = make([]bool, en.ActionSpace().(env.Discrete).N)
	}
	fwd := policy.NewForwarder(e.Policy)
	pi := e.Policy.Dist()
	rng := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	spec := e.Policy.Spec
	head := make([]float64, spec.ActDim)
	act := make([]float64, en.ActionSpace().Dim())
	x := make([]float64, spec.ObsDim)
	box, isBox := en.ActionSpace().(env.Box)
	res := EvalResult{Episodes: episodes}
	if e.EnvID == configs.ExternalEnv {
		res.Served = served
	}
	var lengths, klSum float64
	var refHead, std, refStd []float64
	if e.Ref != nil {
		refHead = make([]float64, spec.ActDim)
		std, refStd = dist.Std(pi), dist.StdOf(e.Ref.logStd)
	}
	for ep := 0; ep < episodes; ep++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		obs, err := env.Reset(en, e.EnvID, e.Check)
		if err != nil {
			return res, err
		}
		ret, n := 0.0, 0
		for {
			switch {
			case e.ObsStats != nil:
				e.ObsStats.Normalize(x, obs, 1, e.ClipObs)
			default:
				if err := spec.Encode(x, obs, 1); err != nil {
					return res, err
				}
			}
			fwd.Forward(x, 1, head, nil)
			if masker != nil {
				masker.ActionMask(allowed)
				kl.MaskLogits(head, head, allowed)
			}
			if e.Ref != nil {
				e.Ref.heads(refHead, obs, 1)
				if masker != nil {
					kl.MaskLogits(refHead, refHead, allowed)
				}
				klSum += pi.KL(e.RefDirection, dist.Params{Head: refHead, Std: refStd}, dist.Params{Head: head, Std: std})
			}
			if deterministic {
				pi.Mode(head, act)
			} else {
				pi.Sample(head, rng, act)
			}
			if isBox {
				for j := range act {
					act[j] = math.Max(box.Low[j], math.Min(box.High[j], act[j]))
				}
			}
			st, err := env.Step(en, act, e.EnvID, n+1, e.Check)
			if err != nil {
				return res, envErr(err)
			}
			ret += st.Reward
			n++
			obs = st.Obs
			if st.Terminated || st.Truncated {
				break
			}
			if n == EvalMaxSteps {
				res.Cut++
				break
			}
			if n%4096 == 0 && ctx.Err() != nil {
				return res, ctx.Err()
			}
		}
		res.Returns = append(res.Returns, ret)
		lengths += float64(n)
	}
	for _, r := range res.Returns {
		res.MeanReturn += r
	}
	res.MeanReturn /= float64(episodes)
	for _, r := range res.Returns {
		res.StdReturn += (r - res.MeanReturn) * (r - res.MeanReturn)
	}
	// Population std, as numpy's default in SB3's evaluate_policy.
	res.StdReturn = math.Sqrt(res.StdReturn / float64(episodes))
	res.MeanLength = lengths / float64(episodes)
	if e.Ref != nil {
		d := klSum / lengths
		res.KLRef = &d
	}
	return res, nil
}
