package agent

import (
	"fmt"
	"ppo/configs"
	"ppo/env"
	"ppo/kl"
	"ppo/policy"
	"slices"
)

func policySpec(cfg *configs.Config, obs, act env.Space) (policy.Spec, error) {
	s := policy.Spec{
		ObsDim:     obs.Dim(),
		Hidden:     cfg.Policy.Hidden,
		Activation: cfg.Policy.Activation,
		Shared:     cfg.Policy.Shared,
		Float64:    cfg.Policy.DType == configs.DTypeFloat64,
		InitLogStd: cfg.Policy.InitLogStd,
	}
	if cards, ok := env.Cardinalities(obs); ok {
		// Discrete observations are one-hot encoded (policy.Spec.Encode).
		s.ObsCards, s.ObsDim = cards, 0
		for _, n := range cards {
			s.ObsDim += n
		}
		if cfg.Env.NormalizeObs {
			return s, fmt.Errorf("env.normalize_obs: the observations of %s are discrete (%v, one-hot encoded); set it false", cfg.Env.ID, obs)
		}
	}
	switch a := act.(type) {
	case env.Discrete:
		s.Discrete, s.ActDim = true, a.N
	case env.MultiDiscrete:
		// One categorical per component (dist.MultiCategorical).
		s.Discrete, s.ActNvec = true, append([]int(nil), a.Nvec...)
		for _, n := range a.Nvec {
			s.ActDim += n
		}
	case env.Box:
		s.ActDim = a.Dim()
	default:
		return s, fmt.Errorf("env: unsupported action space %s", act)
	}
	return s, s.Validate()
}

// fits refuses spaces the policy of spec cannot act in: another
// observation size (or encoding) or another action space.
func fits(spec policy.Spec, obs, act env.Space) error {
	s, err := policySpec(&configs.Config{Policy: configs.PolicyConfig{Hidden: spec.Hidden, Activation: spec.Activation}}, obs, act)
	if err != nil {
		return err
	}
	if s.ObsDim != spec.ObsDim || !slices.Equal(s.ObsCards, spec.ObsCards) || s.Discrete != spec.Discrete ||
		s.ActDim != spec.ActDim || !slices.Equal(s.ActNvec, spec.ActNvec) {
		return fmt.Errorf("observations %s and actions %s do not fit the policy (observation size %d, %d %s actions)",
			obs, act, spec.ObsDim, spec.ActDim, map[bool]string{true: "discrete", false: "continuous"}[spec.Discrete])
	}
	return nil
}

// envOptions are the env options of cfg's environments (seeds aside).
func envOptions(c configs.EnvConfig) []env.Option {
	var opts []env.Option
	if len(c.Params) > 0 {
		opts = append(opts, env.WithParams(c.Params))
	}
	if len(c.TextParams) > 0 {
		opts = append(opts, env.WithTextParams(c.TextParams))
	}
	if c.MaxEpisodeSteps > 0 {
		opts = append(opts, env.WithMaxEpisodeSteps(c.MaxEpisodeSteps))
	}
	return opts
}

func lossConfig(cfg *configs.Config) (LossConfig, error) {
	dir, err := kl.ParseDirection(cfg.KL.Direction)
	if err != nil {
		return LossConfig{}, err
	}
	est, err := kl.ParseEstimator(cfg.KL.Estimator)
	if err != nil {
		return LossConfig{}, err
	}
	refDir, err := kl.ParseDirection(cfg.KL.ReferenceDirection())
	if err != nil {
		return LossConfig{}, err
	}
	return LossConfig{
		Objective: cfg.PPO.Objective,
		Direction: dir,
		Estimator: est,
		ValueClip: cfg.PPO.ValueClip,
		Reference: cfg.KL.Reference.Checkpoint != "" && cfg.KL.Reference.Placement == configs.PlacementLoss,

		RefDirection: refDir,
	}, nil
}

// checkTasks refuses eval.tasks whose environment does not exist, has no such
// parameter, or has other spaces than the run's, so that every task can be played.
func checkTasks(cfg *configs.Config, spec policy.Spec) error {
	for i, task := range cfg.Eval.Tasks {
		var opts []env.Option
		if len(task.Params) > 0 {
			opts = append(opts, env.WithParams(task.Params))
		}
		e, err := env.Make(task.EnvID(cfg), opts...)
		if err != nil {
			return fmt.Errorf("eval.tasks[%d] (%s): %w", i, task.Name, err)
		}
		s, err := policySpec(cfg, e.ObservationSpace(), e.ActionSpace())
		if err != nil {
			return fmt.Errorf("eval.tasks[%d] (%s): %w", i, task.Name, err)
		}
		if s.ObsDim != spec.ObsDim || s.Discrete != spec.Discrete || s.ActDim != spec.ActDim {
			return fmt.Errorf("eval.tasks[%d] (%s): %s has other spaces than %s (observation size %d, %d actions; the run has %d, %d)",
				i, task.Name, task.EnvID(cfg), cfg.Env.ID, s.ObsDim, s.ActDim, spec.ObsDim, spec.ActDim)
		}
	}
	return nil
}

// newController builds the controller c describes: kl.controller, or the reference's
// from KLConfig.ReferenceController (its clamp resolved).
func newController(c configs.ControllerConfig) (kl.Controller, error) {
	switch c.Kind {
	case configs.ControllerFixed:
		return kl.NewFixed(c.InitBeta)
	case configs.ControllerProportional:
		return kl.NewProportional(c.Target, c.Horizon, c.InitBeta, c.MinBeta, c.MaxBeta)
	case configs.ControllerAdaptive:
		high, low, up, down := c.Resolved()
		return kl.NewAdaptive(kl.AdaptiveParams{
			Target: c.Target, HighMult: high, LowMult: low, UpFactor: up, DownFactor: down,
			MinBeta: c.MinBeta, MaxBeta: c.MaxBeta,
		}, c.InitBeta)
	}
	return nil, fmt.Errorf("unknown controller kind %q", c.Kind)
}
