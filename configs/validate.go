package configs

import (
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ExternalEnv is the env.id of an environment served by child processes (env.external).
const ExternalEnv = "external"

// Validate checks ranges, enumerated values and cross-field constraints, returning the first
// problem found. Whether env.id and env.params names exist is left to the env registry.
func (c *Config) Validate() error {
	if err := checkLeaves(reflect.ValueOf(c).Elem(), ""); err != nil {
		return err
	}
	var ch checker
	ch.intGT("total_timesteps", c.TotalTimesteps, 0)

	e := &c.Env
	if e.ID == "" {
		ch.fail("env.id", "must not be empty")
	}
	ch.intGE("env.num_envs", e.NumEnvs, 1)
	ch.gt("env.clip_obs", e.ClipObs, 0)
	ch.gt("env.clip_reward", e.ClipReward, 0)
	ch.intGE("env.max_episode_steps", e.MaxEpisodeSteps, 0)
	if x := &e.External; e.ID == ExternalEnv && len(x.Command) == 0 {
		ch.fail("env.external.command", "must name the program serving the environment when env.id is %s", ExternalEnv)
	} else if e.ID != ExternalEnv && len(x.Command) > 0 {
		ch.fail("env.external.command", "is set but env.id is %s; set env.id to %s to use it", e.ID, ExternalEnv)
	}
	ch.intGE("env.external.processes", e.External.Processes, 1)
	if e.External.Processes > e.NumEnvs && e.NumEnvs >= 1 {
		ch.fail("env.external.processes", "must be <= env.num_envs = %d, got %d", e.NumEnvs, e.External.Processes)
	}
	ch.gt("env.external.timeout", e.External.Timeout, 0)

	p := &c.Policy
	if len(p.Hidden) == 0 {
		ch.fail("policy.hidden", "must list at least one layer width")
	}
	for i, h := range p.Hidden {
		ch.intGE("policy.hidden["+strconv.Itoa(i)+"]", h, 1)
	}

	o := &c.PPO
	ch.intGE("ppo.rollout_steps", o.RolloutSteps, 1)
	ch.intGE("ppo.epochs", o.Epochs, 1)
	ch.intGE("ppo.minibatch_size", o.MinibatchSize, 1)
	if o.Shards < 1 || o.Shards > 8 || o.Shards > max(o.MinibatchSize, 1) {
		ch.fail("ppo.shards", "must be in 1..8 and <= ppo.minibatch_size, got %d", o.Shards)
	}
	ch.unit("ppo.gamma", o.Gamma)
	ch.unit("ppo.gae_lambda", o.GAELambda)
	ch.gt("ppo.learning_rate", o.LearningRate, 0)
	ch.gt("ppo.clip_range", o.ClipRange, 0)
	ch.ge("ppo.value_clip", o.ValueClip, 0)
	ch.ge("ppo.value_coef", o.ValueCoef, 0)
	ch.ge("ppo.entropy_coef", o.EntropyCoef, 0)
	ch.ge("ppo.max_grad_norm", o.MaxGradNorm, 0)
	ch.ge("ppo.target_kl", o.TargetKL, 0)
	ch.gt("ppo.target_kl_factor", o.TargetKLFactor, 0)
	ch.gt("ppo.adam_epsilon", o.AdamEpsilon, 0)

	ch.controller("kl.controller", false, c.KL.Controller, c.KL.Controller, Default().KL.Controller)
	r := &c.KL.Reference
	ch.controller("kl.reference.controller", true, r.Controller, c.KL.ReferenceController(), Default().KL.Reference.Controller)
	if k := r.Controller.Kind; k != ControllerFixed && r.Checkpoint == "" {
		ch.fail("kl.reference.controller.kind", "%s needs kl.reference.checkpoint (no reference policy to adapt to)", k)
	}
	if r.Placement == PlacementReward && r.Checkpoint == "" {
		ch.fail("kl.reference.placement", "reward needs kl.reference.checkpoint (no reference policy to penalise the KL to)")
	}
	if r.Estimator == "k1" {
		if r.Placement != PlacementReward {
			ch.fail("kl.reference.estimator", "k1 is a per-step reward term: it needs kl.reference.placement: reward")
		} else if d := c.KL.ReferenceDirection(); d != "new_old" {
			ch.fail("kl.reference.estimator", "k1 estimates KL(current || ref) from the current policy's actions: it needs kl.reference.direction: new_old, got %s", d)
		}
	}
	ch.checkEffect(c)
	if c.Init.FreezeObsStats && (c.Init.Checkpoint == "" || !c.Env.NormalizeObs) {
		ch.fail("init.freeze_obs_stats", "needs init.checkpoint and env.normalize_obs: true (statistics to freeze)")
	}

	ch.intGE("log.every", c.Log.Every, 1)
	ch.intGE("log.checkpoint_every", c.Log.CheckpointEvery, 0)
	ch.intGE("log.keep_checkpoints", c.Log.KeepCheckpoints, 0)
	ch.intGE("eval.every", c.Eval.Every, 0)
	ch.intGE("eval.episodes", c.Eval.Episodes, 1)
	seen := map[string]bool{}
	for i, t := range c.Eval.Tasks {
		p := "eval.tasks[" + strconv.Itoa(i) + "].name"
		switch {
		case t.Name == "":
			ch.fail(p, "must not be empty")
		case strings.IndexFunc(t.Name, func(r rune) bool { return !validTaskRune(r) }) >= 0:
			ch.fail(p, "must hold only letters, digits, '_', '.' and '-', got %q", t.Name)
		case seen[t.Name]:
			ch.fail(p, "duplicate task name %q", t.Name)
		}
		seen[t.Name] = true
	}
	if _, _, err := c.Resources.MaxMemoryBytes(); err != nil && ch.err == nil {
		ch.err = err
	}

	if ch.err == nil {
		if e.NumEnvs > math.MaxInt/o.RolloutSteps {
			ch.fail("ppo.rollout_steps", "env.num_envs*ppo.rollout_steps overflows (%d*%d)", e.NumEnvs, o.RolloutSteps)
		} else if b := c.BatchSize(); o.MinibatchSize > b {
			ch.fail("ppo.minibatch_size", "must be <= env.num_envs*ppo.rollout_steps = %d, got %d", b, o.MinibatchSize)
		} else if c.TotalTimesteps < b {
			ch.fail("total_timesteps", "must be at least one batch, env.num_envs*ppo.rollout_steps = %d, got %d", b, c.TotalTimesteps)
		}
	}
	return ch.err
}

// controller checks the controller section at path: k as written, resolved with its clamp
// filled in (they differ only for the reference, whose min_beta and max_beta of 0 take
// kl.controller's), def its defaults.
func (ch *checker) controller(path string, reference bool, k, resolved, def ControllerConfig) {
	if reference && k.Kind == ControllerFixed {
		ch.ge(path+".init_beta", k.InitBeta, 0) // 0 keeps kl_ref logged without penalising it
	} else {
		ch.gt(path+".init_beta", k.InitBeta, 0)
	}
	ch.gt(path+".target", k.Target, 0)
	ch.gt(path+".high_mult", k.HighMult, 1)
	ch.openUnit(path+".low_mult", k.LowMult)
	ch.gt(path+".up_factor", k.UpFactor, 1)
	ch.openUnit(path+".down_factor", k.DownFactor)
	if reference {
		ch.ge(path+".min_beta", k.MinBeta, 0)
		ch.ge(path+".max_beta", k.MaxBeta, 0)
	} else {
		ch.gt(path+".min_beta", k.MinBeta, 0)
	}
	lo, hi := resolved.MinBeta, resolved.MaxBeta
	if ch.err == nil && !(hi > lo) {
		ch.fail(path+".max_beta", "must be > %s.min_beta (%s), got %s", path, fmtFloat(lo), fmtFloat(hi))
	}
	ch.gt(path+".horizon", k.Horizon, 0)
	if high, low, up, down, ok := presetFactors(k.Preset); ok {
		for _, f := range []struct {
			name           string
			v, def, preset float64
		}{
			{"high_mult", k.HighMult, def.HighMult, high},
			{"low_mult", k.LowMult, def.LowMult, low},
			{"up_factor", k.UpFactor, def.UpFactor, up},
			{"down_factor", k.DownFactor, def.DownFactor, down},
		} {
			if f.v != f.def && f.v != f.preset {
				ch.fail(path+"."+f.name, "set only with preset: custom (preset %s fixes it at %s), got %s",
					k.Preset, fmtFloat(f.preset), fmtFloat(f.v))
			}
		}
	}
	if k.Kind != ControllerFixed && (k.InitBeta < lo || k.InitBeta > hi) {
		ch.fail(path+".init_beta", "must be in [%s.min_beta, %s.max_beta] = [%s, %s], got %s",
			path, path, fmtFloat(lo), fmtFloat(hi), fmtFloat(k.InitBeta))
	}
}

// validTaskRune says whether r may appear in a task name, which becomes part of metric
// and CSV column names.
func validTaskRune(r rune) bool {
	return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == '-')
}

// checker keeps the first failure so the checks read as a flat list.
type checker struct{ err error }

func (ch *checker) fail(path, format string, args ...any) {
	if ch.err == nil {
		ch.err = errorf(path, format, args...)
	}
}

func (ch *checker) gt(path string, x, lo float64) {
	if !(x > lo) {
		ch.fail(path, "must be > %s, got %s", fmtFloat(lo), fmtFloat(x))
	}
}

func (ch *checker) ge(path string, x, lo float64) {
	if !(x >= lo) {
		ch.fail(path, "must be >= %s, got %s", fmtFloat(lo), fmtFloat(x))
	}
}

func (ch *checker) unit(path string, x float64) {
	if !(x >= 0 && x <= 1) {
		ch.fail(path, "must be in [0, 1], got %s", fmtFloat(x))
	}
}

func (ch *checker) openUnit(path string, x float64) {
	if !(x > 0 && x < 1) {
		ch.fail(path, "must be in (0, 1), got %s", fmtFloat(x))
	}
}

func (ch *checker) intGE(path string, x, lo int) {
	if x < lo {
		ch.fail(path, "must be >= %d, got %d", lo, x)
	}
}

func (ch *checker) intGT(path string, x, lo int) {
	if x <= lo {
		ch.fail(path, "must be > %d, got %d", lo, x)
	}
}

// checkLeaves refuses non-finite numbers anywhere and strings outside their enum tag.
func checkLeaves(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			p := join(path, yamlName(f))
			if enum := f.Tag.Get("enum"); enum != "" {
				if err := checkEnum(p, v.Field(i).String(), strings.Split(enum, "|")); err != nil {
					return err
				}
				continue
			}
			if err := checkLeaves(v.Field(i), p); err != nil {
				return err
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if err := checkLeaves(v.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "" {
				return errorf(path, "empty key")
			}
			if strings.IndexFunc(k, unicode.IsControl) >= 0 || !utf8.ValidString(k) {
				return errorf(path, "invalid key %q", k)
			}
			if err := checkLeaves(v.MapIndex(reflect.ValueOf(k)), join(path, k)); err != nil {
				return err
			}
		}
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return errorf(path, "must be valid UTF-8, got %q", v.String())
		}
		if strings.IndexFunc(v.String(), unicode.IsControl) >= 0 {
			return errorf(path, "must not contain control characters, got %q", v.String())
		}
	case reflect.Float64:
		if x := v.Float(); math.IsNaN(x) || math.IsInf(x, 0) {
			return errorf(path, "must be a finite number, got %s", fmtFloat(x))
		}
	}
	return nil
}

func checkEnum(path, s string, allowed []string) error {
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	want := strings.Join(allowed[:len(allowed)-1], ", ") + " or " + allowed[len(allowed)-1]
	return errorf(path, "unknown value %q (want %s)", s, want)
}

// fmtFloat formats x so that reading it back as YAML gives x exactly, with exponents
// written as 1e-5 rather than Go's 1e-05.
func fmtFloat(x float64) string {
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		mant, exp := s[:i], s[i+1:]
		sign := ""
		if exp[0] == '-' || exp[0] == '+' {
			if exp[0] == '-' {
				sign = "-"
			}
			exp = exp[1:]
		}
		exp = strings.TrimLeft(exp, "0")
		s = mant + "e" + sign + exp
	}
	return s
}
