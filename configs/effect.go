package configs

import (
	"fmt"
	"strconv"
	"strings"
)

// A configured value either takes effect or is answered: refused when what
// it needs is missing (checkEffect, from Validate), or noted when another
// value makes it moot (Moot), so that a run never silently does other
// than it was asked.

// checkEffect refuses values that cannot take effect for want of what they
// need: a kl.reference setting without kl.reference.checkpoint (the
// penalty would be dropped without a word), and env.external settings for
// an env that is not external.
func (ch *checker) checkEffect(c *Config) {
	if c.KL.Reference.Checkpoint == "" {
		if path, v, ok := firstSet(c, func(d *Config) { d.KL.Reference = c.KL.Reference }, "kl.reference."); ok {
			ch.fail(path, "is %s but kl.reference.checkpoint is empty: there is no reference policy for it to act on; set kl.reference.checkpoint, or leave %s at its default", v, path)
		}
	}
	if c.Env.ID != ExternalEnv {
		if path, v, ok := firstSet(c, func(d *Config) {
			d.Env.External.Processes, d.Env.External.Timeout, d.Env.External.Dir = c.Env.External.Processes, c.Env.External.Timeout, c.Env.External.Dir
		}, "env.external."); ok {
			ch.fail(path, "is %s but env.id is %s: only an external env has child processes; set env.id to %s or remove %s", v, c.Env.ID, ExternalEnv, path)
		}
	}
}

// firstSet copies part of c (by copy) into a default config and returns the
// first field under prefix that differs from its default, with c's value.
func firstSet(c *Config, copy func(d *Config), prefix string) (path, value string, ok bool) {
	d := Default()
	copy(d)
	for _, diff := range Diff(d, Default()) { // "path (A vs B)"
		p, rest, _ := strings.Cut(diff, " (")
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		v, _, _ := strings.Cut(rest, " vs ")
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		return p, v, true
	}
	return "", "", false
}

// Moot lists the values of c that another value makes moot, one line each
// naming both fields: they are accepted (a sweep may vary one while
// another switches it off, as the forgetting study's β = 0 rows do on
// purpose) and the train and sweep commands print each once. Only values
// other than their defaults are listed.
func (c *Config) Moot() []string {
	def := Default()
	var out []string
	note := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	r, dr := &c.KL.Reference, &def.KL.Reference
	if r.Checkpoint != "" && r.Controller.Kind == ControllerFixed && r.Controller.InitBeta == 0 {
		for _, f := range []struct {
			path    string
			v, dflt string
		}{
			{"kl.reference.placement", r.Placement, dr.Placement},
			{"kl.reference.estimator", r.Estimator, dr.Estimator},
		} {
			if f.v != f.dflt {
				note("%s is %s but kl.reference.controller.init_beta is 0 with a fixed controller: there is no reference penalty to place or estimate (kl_ref is still measured)", f.path, f.v)
			}
		}
	}
	if !c.PPO.Objective.Penalised() {
		if p, v, ok := firstSet(c, func(d *Config) { d.KL.Controller = c.KL.Controller; d.KL.Estimator = c.KL.Estimator }, "kl."); ok {
			note("%s is %s but ppo.objective %s has no KL penalty: it changes nothing (the KL is still measured and logged)", p, v, c.PPO.Objective)
		}
	}
	if c.KL.Controller.Kind != ControllerProportional && c.KL.Controller.Horizon != def.KL.Controller.Horizon && c.PPO.Objective.Penalised() {
		note("kl.controller.horizon is %s but kl.controller.kind is %s: only the proportional controller has a horizon", fmtFloat(c.KL.Controller.Horizon), c.KL.Controller.Kind)
	}
	if c.PPO.TargetKL == 0 {
		if c.PPO.TargetKLFactor != def.PPO.TargetKLFactor {
			note("ppo.target_kl_factor is %s but ppo.target_kl is 0: there is no early stopping to scale", fmtFloat(c.PPO.TargetKLFactor))
		}
		if c.PPO.TargetKLEstimator != def.PPO.TargetKLEstimator {
			note("ppo.target_kl_estimator is %s but ppo.target_kl is 0: there is no early stopping to estimate the KL for", c.PPO.TargetKLEstimator)
		}
	}
	if c.PPO.EntropyCoef == 0 && c.PPO.EntropyCoefSchedule != def.PPO.EntropyCoefSchedule {
		note("ppo.entropy_coef_schedule is %s but ppo.entropy_coef is 0: there is no entropy bonus to schedule", c.PPO.EntropyCoefSchedule)
	}
	if !c.Env.NormalizeObs && c.Env.ClipObs != def.Env.ClipObs {
		note("env.clip_obs is %s but env.normalize_obs is false: only normalised observations are clipped", fmtFloat(c.Env.ClipObs))
	}
	if !c.Env.NormalizeReward && c.Env.ClipReward != def.Env.ClipReward {
		note("env.clip_reward is %s but env.normalize_reward is false: only normalised rewards are clipped", fmtFloat(c.Env.ClipReward))
	}
	if c.Log.CheckpointEvery == 0 && c.Log.KeepCheckpoints != def.Log.KeepCheckpoints {
		note("log.keep_checkpoints is %d but log.checkpoint_every is 0: there are no periodic checkpoints to keep", c.Log.KeepCheckpoints)
	}
	if b := c.BatchSize(); c.Eval.Every > 0 && b > 0 && c.Eval.Every >= c.TotalTimesteps/b {
		note("eval.every is %d but the run has %d updates: no evaluation comes before the final one", c.Eval.Every, c.TotalTimesteps/b)
	}
	return out
}
