package configs

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"ppo/kl"
)

// shippedConfigs returns every YAML file under this directory except testdata.
func shippedConfigs(t testing.TB) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func TestShippedConfigsLoad(t *testing.T) {
	paths := shippedConfigs(t)
	want := []string{
		"acrobot-adaptive-kl.yaml",
		"bench/cartpole-cleanrl.yaml",
		"bench/cartpole-zoo.yaml",
		"blackjack-adaptive-kl.yaml",
		"cartpole-adaptive-kl.yaml",
		"cartpole-clip.yaml",
		"cartpole-zoo-annealed.yaml",
		"cliffwalking-adaptive-kl.yaml",
		"frozenlake-adaptive-kl.yaml",
		"frozenlake8x8-adaptive-kl.yaml",
		"mountaincar-adaptive-kl.yaml",
		"mountaincarcontinuous-adaptive-kl.yaml",
		"pendulum-adaptive-kl.yaml",
		"taxi-adaptive-kl.yaml",
	}
	sort.Strings(paths)
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("shipped configs = %v, want %v", paths, want)
	}
	for _, p := range paths {
		c, err := Load(p)
		if err != nil {
			t.Errorf("Load(%s): %v", p, err)
			continue
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", p, err)
		}
		if base := strings.TrimSuffix(filepath.Base(p), ".yaml"); c.Name != base {
			t.Errorf("%s: name = %q, want the file's base name %q", p, c.Name, base)
		}
	}
}

// TestShippedValues checks the values the brief and the cited sources give for each file.
func TestShippedValues(t *testing.T) {
	type check struct {
		path string
		got  func(c *Config) any
		want any
	}
	envID := func(c *Config) any { return c.Env.ID }
	total := func(c *Config) any { return c.TotalTimesteps }
	numEnvs := func(c *Config) any { return c.Env.NumEnvs }
	steps := func(c *Config) any { return c.PPO.RolloutSteps }
	epochs := func(c *Config) any { return c.PPO.Epochs }
	mb := func(c *Config) any { return c.PPO.MinibatchSize }
	lr := func(c *Config) any { return c.PPO.LearningRate }
	sched := func(c *Config) any { return c.PPO.LRSchedule }
	obj := func(c *Config) any { return string(c.PPO.Objective) }
	clip := func(c *Config) any { return c.PPO.ClipRange }
	clipSched := func(c *Config) any { return c.PPO.ClipRangeSchedule }
	vclip := func(c *Config) any { return c.PPO.ValueClip }
	ent := func(c *Config) any { return c.PPO.EntropyCoef }
	vf := func(c *Config) any { return c.PPO.ValueCoef }
	mgn := func(c *Config) any { return c.PPO.MaxGradNorm }
	gamma := func(c *Config) any { return c.PPO.Gamma }
	lambda := func(c *Config) any { return c.PPO.GAELambda }
	hidden := func(c *Config) any { return c.Policy.Hidden }
	act := func(c *Config) any { return c.Policy.Activation }
	shared := func(c *Config) any { return c.Policy.Shared }
	eps := func(c *Config) any { return c.PPO.AdamEpsilon }
	normAdv := func(c *Config) any { return c.PPO.NormalizeAdvantages }
	normObs := func(c *Config) any { return c.Env.NormalizeObs }
	normRew := func(c *Config) any { return c.Env.NormalizeReward }
	logStd := func(c *Config) any { return c.Policy.InitLogStd }
	kind := func(c *Config) any { return c.KL.Controller.Kind }
	preset := func(c *Config) any { return c.KL.Controller.Preset }
	target := func(c *Config) any { return c.KL.Controller.Target }
	beta := func(c *Config) any { return c.KL.Controller.InitBeta }

	checks := map[string][]check{
		"cartpole-adaptive-kl.yaml": {
			{"env.id", envID, "CartPole-v1"}, {"env.num_envs", numEnvs, 8}, {"ppo.rollout_steps", steps, 32},
			{"ppo.epochs", epochs, 20}, {"ppo.minibatch_size", mb, 256}, {"ppo.learning_rate", lr, 1e-3},
			{"ppo.gamma", gamma, 0.98}, {"ppo.gae_lambda", lambda, 0.8},
			{"ppo.lr_schedule", sched, "linear"}, {"ppo.objective", obj, "kl_penalty"}, {"kl.controller.kind", kind, "adaptive"},
			{"kl.controller.preset", preset, "schulman2017"}, {"kl.controller.target", target, 0.01},
			{"kl.controller.init_beta", beta, 1.0}, {"ppo.entropy_coef", ent, 0.0}, {"total_timesteps", total, 100000},
		},
		"cartpole-clip.yaml": {
			{"env.id", envID, "CartPole-v1"}, {"ppo.objective", obj, "clip"}, {"ppo.clip_range", clip, 0.2},
			{"env.num_envs", numEnvs, 8}, {"ppo.rollout_steps", steps, 32}, {"ppo.learning_rate", lr, 1e-3},
			{"ppo.lr_schedule", sched, "linear"}, {"total_timesteps", total, 100000},
		},
		"acrobot-adaptive-kl.yaml": {
			{"env.id", envID, "Acrobot-v1"}, {"total_timesteps", total, 500000}, {"env.normalize_obs", normObs, true},
			{"env.num_envs", numEnvs, 16}, {"ppo.rollout_steps", steps, 256}, {"ppo.objective", obj, "kl_penalty"},
		},
		"mountaincar-adaptive-kl.yaml": {
			{"env.id", envID, "MountainCar-v0"}, {"total_timesteps", total, 1000000}, {"env.normalize_obs", normObs, true},
			{"env.num_envs", numEnvs, 16}, {"ppo.rollout_steps", steps, 16}, {"ppo.entropy_coef", ent, 0.0},
		},
		"mountaincarcontinuous-adaptive-kl.yaml": {
			{"env.id", envID, "MountainCarContinuous-v0"}, {"env.normalize_obs", normObs, true},
			{"env.normalize_reward", normRew, true}, {"policy.init_log_std", logStd, 0.0},
		},
		"pendulum-adaptive-kl.yaml": {
			{"env.id", envID, "Pendulum-v1"}, {"env.num_envs", numEnvs, 4}, {"env.normalize_obs", normObs, true},
			{"env.normalize_reward", normRew, true}, {"ppo.gamma", gamma, 0.9}, {"ppo.gae_lambda", lambda, 0.95},
			{"ppo.learning_rate", lr, 1e-3}, {"total_timesteps", total, 500000},
		},
		// vwxyzjn/cleanrl cleanrl/ppo.py parse_args defaults.
		"bench/cartpole-cleanrl.yaml": {
			{"env.id", envID, "CartPole-v1"}, {"env.num_envs", numEnvs, 4}, {"ppo.rollout_steps", steps, 128},
			{"ppo.epochs", epochs, 4}, {"ppo.minibatch_size", mb, 128}, {"ppo.learning_rate", lr, 2.5e-4},
			{"ppo.lr_schedule", sched, "linear"}, {"ppo.objective", obj, "clip"}, {"ppo.clip_range", clip, 0.2},
			{"ppo.value_clip", vclip, 0.2}, {"ppo.entropy_coef", ent, 0.01}, {"ppo.value_coef", vf, 0.5},
			{"ppo.max_grad_norm", mgn, 0.5}, {"ppo.gamma", gamma, 0.99}, {"ppo.gae_lambda", lambda, 0.95},
			{"policy.hidden", hidden, []int{64, 64}}, {"policy.activation", act, "tanh"}, {"policy.shared", shared, false},
			{"ppo.adam_epsilon", eps, 1e-5}, {"total_timesteps", total, 500000}, {"ppo.normalize_advantages", normAdv, true},
		},
		// DLR-RM/rl-baselines3-zoo hyperparams/ppo.yml CartPole-v1, SB3 defaults otherwise.
		"bench/cartpole-zoo.yaml": {
			{"env.id", envID, "CartPole-v1"}, {"env.num_envs", numEnvs, 8}, {"total_timesteps", total, 100000},
			{"ppo.rollout_steps", steps, 32}, {"ppo.minibatch_size", mb, 256}, {"ppo.gae_lambda", lambda, 0.8},
			{"ppo.gamma", gamma, 0.98}, {"ppo.epochs", epochs, 20}, {"ppo.entropy_coef", ent, 0.0},
			{"ppo.learning_rate", lr, 1e-3}, {"ppo.lr_schedule", sched, "linear"}, {"ppo.clip_range", clip, 0.2},
			{"ppo.value_coef", vf, 0.5}, {"ppo.max_grad_norm", mgn, 0.5}, {"policy.hidden", hidden, []int{64, 64}},
			{"policy.activation", act, "tanh"}, {"policy.shared", shared, false}, {"ppo.adam_epsilon", eps, 1e-5},
			{"ppo.value_clip", vclip, 0.0}, {"ppo.objective", obj, "clip"},
			{"ppo.clip_range_schedule", clipSched, "constant"},
		},
		// The same entry with its clip_range: lin_0.2 (TestAnnealedIsZoo: nothing else differs).
		"cartpole-zoo-annealed.yaml": {
			{"ppo.clip_range", clip, 0.2}, {"ppo.clip_range_schedule", clipSched, "linear"},
			{"ppo.lr_schedule", sched, "linear"}, {"total_timesteps", total, 100000},
		},
	}
	for file, cs := range checks {
		c, err := Load(file)
		if err != nil {
			t.Errorf("Load(%s): %v", file, err)
			continue
		}
		for _, ch := range cs {
			if got := ch.got(c); !reflect.DeepEqual(got, ch.want) {
				t.Errorf("%s: %s = %v, want %v", file, ch.path, got, ch.want)
			}
		}
	}
}

// TestAnnealedIsZoo: cartpole-zoo-annealed.yaml is the zoo benchmark with the
// clip range annealed, and nothing else changed.
func TestAnnealedIsZoo(t *testing.T) {
	zoo, err := Load("bench/cartpole-zoo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	annealed, err := Load("cartpole-zoo-annealed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	zoo.Name, zoo.PPO.ClipRangeSchedule = "cartpole-zoo-annealed", ScheduleLinear
	if !reflect.DeepEqual(zoo, annealed) {
		t.Errorf("cartpole-zoo-annealed.yaml differs from bench/cartpole-zoo.yaml beyond name and clip schedule:\n%+v\n%+v", zoo, annealed)
	}
}

// TestDefaultAndEmbedded: the embedded file is Default() with CartPole-tuned
// rollout and optimiser settings on top, and nothing else changed.
func TestDefaultAndEmbedded(t *testing.T) {
	e, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	d.PPO.RolloutSteps, d.PPO.Epochs, d.PPO.Gamma, d.PPO.GAELambda, d.PPO.LearningRate = 32, 20, 0.98, 0.8, 1e-3
	if !reflect.DeepEqual(d, e) {
		t.Errorf("Embedded() differs from Default() beyond the tuned fields:\n%+v\n%+v", d, e)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	// Default must hand out fresh values: mutating one must not reach the next.
	d = Default()
	d.Policy.Hidden[0] = 7
	d.Env.Params["x"] = 1
	if d2 := Default(); d2.Policy.Hidden[0] != 64 || len(d2.Env.Params) != 0 {
		t.Error("Default() shares slices or maps between calls")
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	configs := map[string]*Config{"default": Default()}
	for _, p := range shippedConfigs(t) {
		c, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		configs[p] = c
	}
	odd := Default()
	for _, s := range []string{
		`name="weird: name # not a comment"`, "seed=18446744073709551615", "env.params.length=0.7",
		"env.params.masspole=0.25", "kl.controller.preset=custom", "kl.controller.up_factor=3.5",
		"kl.controller.low_mult=0.1", "ppo.learning_rate=1.2345678901234567e-7", "policy.hidden=[3,1,4,1,5]",
		"kl.reference.checkpoint=runs/x/final.ckpt", "kl.reference.target=0.02", "policy.init_log_std=-0.5",
		"log.dir=true", "env.clip_obs=1e300", "init.checkpoint=runs/a/final.ckpt",
		"eval.tasks=[{name: long, params: {length: 1}}, {name: other, id: Acrobot-v1}, {name: plain}]",
		"kl.reference.placement=reward", "kl.reference.direction=new_old", "kl.reference.estimator=k1",
	} {
		if err := odd.Set(s); err != nil {
			t.Fatalf("Set(%q): %v", s, err)
		}
	}
	configs["odd"] = odd
	rllib := Default()
	rllib.KL.Controller.Preset = kl.PresetRLlib
	configs["rllib"] = rllib

	for name, c := range configs {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", name, err)
			continue
		}
		data, err := c.YAML()
		if err != nil {
			t.Errorf("%s: YAML: %v", name, err)
			continue
		}
		back, err := Parse(data)
		if err != nil {
			t.Errorf("%s: Parse(YAML()): %v\n%s", name, err, data)
			continue
		}
		if !reflect.DeepEqual(back, c) {
			t.Errorf("%s: Parse(YAML()) != c\n%s", name, data)
		}
		// Every leaf field is written out.
		var tree map[string]any
		if err := yaml.Unmarshal(data, &tree); err != nil {
			t.Fatal(err)
		}
		for _, f := range Fields() {
			v := any(tree)
			for _, k := range strings.Split(f.Path, ".") {
				m, _ := v.(map[string]any)
				v = m[k]
				if _, ok := m[k]; !ok {
					t.Errorf("%s: YAML() lacks %s", name, f.Path)
					break
				}
			}
		}
	}
}

func TestYAMLMarksPresetFields(t *testing.T) {
	c := Default()
	c.KL.Controller.Preset = kl.PresetRLlib
	data, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"high_mult: 1.5 # not used: preset rllib fixes it at 2",
		"low_mult: 0.6666666666666666 # not used: preset rllib fixes it at 0.5",
		"up_factor: 2 # not used: preset rllib fixes it at 1.5",
		"down_factor: 0.5 # from preset rllib",
	} {
		if !strings.Contains(string(data), line) {
			t.Errorf("YAML() lacks %q:\n%s", line, data)
		}
	}
}

func TestParseKeepsDefaultsForAbsentKeys(t *testing.T) {
	c, err := Parse([]byte("ppo:\n  epochs: 3\nenv:\npolicy: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.PPO.Epochs = 3
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		got  func(c *Config) any
		want any
	}{
		{"total_timesteps: 1e5", func(c *Config) any { return c.TotalTimesteps }, 100000}, // as zoo files write it
		{"total_timesteps: 1_000_000", func(c *Config) any { return c.TotalTimesteps }, 1000000},
		{"ppo: {epochs: 2.0}", func(c *Config) any { return c.PPO.Epochs }, 2},
		{"ppo: {learning_rate: 1}", func(c *Config) any { return c.PPO.LearningRate }, 1.0},
		{"ppo: {learning_rate: 3e-4}", func(c *Config) any { return c.PPO.LearningRate }, 3e-4},
		{"name: 2024", func(c *Config) any { return c.Name }, "2024"},
		{"seed: 18446744073709551615", func(c *Config) any { return c.Seed }, uint64(18446744073709551615)},
		{"env: {params: {length: 0.7, masscart: 2}}", func(c *Config) any { return c.Env.Params }, map[string]float64{"length": 0.7, "masscart": 2}},
		{"policy: {hidden: [8]}", func(c *Config) any { return c.Policy.Hidden }, []int{8}},
		{"eval: {tasks: [{name: long-pole, params: {length: 1}}, {name: x.2, id: Acrobot-v1}]}", func(c *Config) any { return c.Eval.Tasks },
			[]TaskConfig{{Name: "long-pole", Params: map[string]float64{"length": 1}}, {Name: "x.2", ID: "Acrobot-v1", Params: map[string]float64{}}}},
		{"kl: {direction: new_old, reference: {checkpoint: a.ckpt, placement: reward, estimator: k1}}", func(c *Config) any { return c.KL.ReferenceDirection() }, "new_old"},
		{"kl: {reference: {checkpoint: a.ckpt, direction: new_old}}", func(c *Config) any { return c.KL.ReferenceDirection() }, "new_old"},
		{"kl: {direction: new_old}", func(c *Config) any { return c.KL.ReferenceDirection() }, "new_old"},
		{"init: {checkpoint: a.ckpt, freeze_obs_stats: true}\nenv: {normalize_obs: true}", func(c *Config) any { return c.Init }, InitConfig{Checkpoint: "a.ckpt", FreezeObsStats: true}},
		{"resources: {max_memory: auto}", maxMemory, 0.0},
		{"resources: {max_memory: 16GiB}", maxMemory, 16.0 * (1 << 30)},
		{"resources: {max_memory: 1.5 TB}", maxMemory, 1.5e12},
		{"resources: {max_memory: 512mib}", maxMemory, 512.0 * (1 << 20)},
		{"resources: {max_memory: 100000B}", maxMemory, 1e5},
		{"resources: {max_memory: .5kB}", maxMemory, 500.0},
	} {
		c, err := Parse([]byte(tc.yaml))
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.yaml, err)
			continue
		}
		if got := tc.got(c); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q): got %v, want %v", tc.yaml, got, tc.want)
		}
	}
	// Anchors and aliases resolve.
	c, err := Parse([]byte("policy: {hidden: &h [32, 16]}\nkl: {controller: {preset: custom, up_factor: &u 3, high_mult: *u}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Policy.Hidden, []int{32, 16}) || c.KL.Controller.HighMult != 3 {
		t.Errorf("aliases: hidden %v high_mult %v", c.Policy.Hidden, c.KL.Controller.HighMult)
	}
}

// maxMemory is resources.max_memory in bytes, 0 for auto.
func maxMemory(c *Config) any {
	b, _, _ := c.Resources.MaxMemoryBytes()
	return b
}

// checkMessage asserts err is a one-line *Error with exactly the message want.
func checkMessage(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %q", what, want)
		return
	}
	msg := err.Error()
	if msg != want {
		t.Errorf("%s:\n got %q\nwant %q", what, msg, want)
	}
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("%s: message has a line break: %q", what, msg)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%s: %T is not a *Error", what, err)
	}
}

func sizeProblem(v string) string {
	return `config: resources.max_memory: must be auto or a size of at least 1 byte with a unit (B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB), such as 16GiB, got "` + v + `"`
}

func TestParseRefusals(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		// Document shape.
		{"", "config: empty document"},
		{"# only a comment\n", "config: empty document"},
		{"---\n", "config: empty document"},
		{"~", "config: empty document"},
		{"a: 1\n---\nb: 2\n", "config: multiple YAML documents; want exactly one"},
		{"- ppo\n", "config: top level must be a mapping of sections, got a list"},
		{"hello", `config: top level must be a mapping of sections, got "hello"`},
		{"ppo: [1,\n", "config: invalid YAML: line 1: did not find expected node content"},
		{"ppo:\n\tepochs: 3\n", "config: invalid YAML: line 2: found character that cannot start any token"},

		// Unknown keys, at every depth.
		{"epochs: 3", `config: epochs: unknown field "epochs"`},
		{"ppo:\n  epocs: 3\n", `config: ppo.epocs: unknown field "epocs" (did you mean "epochs"?)`},
		{"kl:\n  controller:\n    targt: 0.1\n", `config: kl.controller.targt: unknown field "targt" (did you mean "target"?)`},
		{"kl:\n  reference:\n    path: x\n", `config: kl.reference.path: unknown field "path"`},
		{"ppo:\n  epochs: 1\n  epochs: 2\n", "config: ppo.epochs: duplicate key"},
		{"env:\n  params: {a: 1, a: 2}\n", "config: env.params.a: duplicate key"},
		{"eval:\n  tasks: [{name: a, parms: {}}]\n", `config: eval.tasks[0].parms: unknown field "parms" (did you mean "params"?)`},

		// Fine-tuning, tasks and the reference penalty's placement.
		{"eval: {tasks: 3}", "config: eval.tasks: must be a list of mappings, got 3"},
		{"eval: {tasks: [{id: CartPole-v1}]}", "config: eval.tasks[0].name: must not be empty"},
		{"eval: {tasks: [{name: a b}]}", `config: eval.tasks[0].name: must hold only letters, digits, '_', '.' and '-', got "a b"`},
		{"eval: {tasks: [{name: a}, {name: a}]}", `config: eval.tasks[1].name: duplicate task name "a"`},
		{"eval: {tasks: [{name: a, params: {length: .nan}}]}", "config: eval.tasks[0].params.length: must be a finite number, got NaN"},
		{"kl: {reference: {placement: rewards}}", `config: kl.reference.placement: unknown value "rewards" (want loss or reward)`},
		{"kl: {reference: {placement: reward}}", "config: kl.reference.placement: reward needs kl.reference.checkpoint (no reference policy to penalise the KL to)"},
		// A reference setting without a reference would be dropped: refused.
		{"kl: {reference: {controller: {init_beta: 1}}}", "config: kl.reference.controller.init_beta: is 1 but kl.reference.checkpoint is empty: there is no reference policy for it to act on; set kl.reference.checkpoint, or leave kl.reference.controller.init_beta at its default"},
		{"kl: {reference: {direction: new_old}}", "config: kl.reference.direction: is new_old but kl.reference.checkpoint is empty: there is no reference policy for it to act on; set kl.reference.checkpoint, or leave kl.reference.direction at its default"},
		{"env: {external: {processes: 2}}", "config: env.external.processes: is 2 but env.id is CartPole-v1: only an external env has child processes; set env.id to external or remove env.external.processes"},
		{"kl: {reference: {checkpoint: a.ckpt, estimator: k1}}", "config: kl.reference.estimator: k1 is a per-step reward term: it needs kl.reference.placement: reward"},
		{"kl: {reference: {checkpoint: a.ckpt, placement: reward, estimator: k1}}", "config: kl.reference.estimator: k1 estimates KL(current || ref) from the current policy's actions: it needs kl.reference.direction: new_old, got old_new"},
		{"kl: {reference: {direction: both}}", `config: kl.reference.direction: unknown value "both" (want same, old_new or new_old)`},
		{"init: {freeze_obs_stats: true}", "config: init.freeze_obs_stats: needs init.checkpoint and env.normalize_obs: true (statistics to freeze)"},
		{"init: {checkpoint: a.ckpt, freeze_obs_stats: true}", "config: init.freeze_obs_stats: needs init.checkpoint and env.normalize_obs: true (statistics to freeze)"},
		{"ppo: {[1]: 2}", "config: ppo: keys must be names, got a list"},

		// Wrong types.
		{"ppo: 3", "config: ppo: must be a mapping of fields, got 3"},
		{"ppo:\n  epochs: abc\n", `config: ppo.epochs: must be an integer, got "abc"`},
		{"ppo:\n  epochs: 2.5\n", "config: ppo.epochs: must be an integer, got 2.5"},
		{"ppo:\n  epochs: true\n", "config: ppo.epochs: must be an integer, got true"},
		{"ppo:\n  epochs: [1]\n", "config: ppo.epochs: must be an integer, got a list"},
		{"ppo:\n  epochs:\n", "config: ppo.epochs: missing value"},
		{"ppo:\n  epochs: !!int 2.5\n", "config: ppo.epochs: must be an integer, got 2.5"},
		{"ppo:\n  epochs: .inf\n", "config: ppo.epochs: must be an integer, got .inf"},
		{"total_timesteps: 1e30", "config: total_timesteps: out of range, got 1e30"},
		{"seed: -1", "config: seed: must be >= 0, got -1"},
		{"seed: 1.5", "config: seed: must be an integer, got 1.5"},
		{"ppo:\n  learning_rate: fast\n", `config: ppo.learning_rate: must be a number, got "fast"`},
		{"ppo:\n  learning_rate: \"1e-3\"\n", `config: ppo.learning_rate: must be a number, got "1e-3"`},
		{"ppo:\n  normalize_advantages: yes\n", `config: ppo.normalize_advantages: must be true or false, got "yes"`},
		{"ppo:\n  normalize_advantages: 1\n", "config: ppo.normalize_advantages: must be true or false, got 1"},
		{"policy:\n  hidden: 64\n", "config: policy.hidden: must be a list of integers, got 64"},
		{"policy:\n  hidden: [64, 2.5]\n", "config: policy.hidden[1]: must be an integer, got 2.5"},
		{"env:\n  params: [1]\n", "config: env.params: must be a mapping of names to numbers, got a list"},
		{"env:\n  params: {length: long}\n", `config: env.params.length: must be a number, got "long"`},
		{"name: [a]", "config: name: must be a string, got a list"},
		{"log: {dir: \"a\\nb\"}", `config: log.dir: must not contain control characters, got "a\nb"`},
		{"\"a\\nb\": 1", `config: "a\nb": unknown field "a\nb"`},
		{"env: {params: {\"a\\tb\": 1}}", `config: env.params: invalid key "a\tb"`},

		// Ranges, one per constrained field.
		{"total_timesteps: 0", "config: total_timesteps: must be > 0, got 0"},
		{"env: {id: ''}", "config: env.id: must not be empty"},
		{"env: {num_envs: 0}", "config: env.num_envs: must be >= 1, got 0"},
		{"env: {params: {length: .nan}}", "config: env.params.length: must be a finite number, got NaN"},
		{"env: {clip_obs: 0}", "config: env.clip_obs: must be > 0, got 0"},
		{"env: {clip_reward: -1}", "config: env.clip_reward: must be > 0, got -1"},
		{"policy: {hidden: []}", "config: policy.hidden: must list at least one layer width"},
		{"policy: {hidden: [64, 0]}", "config: policy.hidden[1]: must be >= 1, got 0"},
		{"policy: {init_log_std: -.inf}", "config: policy.init_log_std: must be a finite number, got -Inf"},
		{"ppo: {rollout_steps: 0}", "config: ppo.rollout_steps: must be >= 1, got 0"},
		{"ppo: {epochs: 0}", "config: ppo.epochs: must be >= 1, got 0"},
		{"ppo: {minibatch_size: 0}", "config: ppo.minibatch_size: must be >= 1, got 0"},
		{"ppo: {gamma: 1.01}", "config: ppo.gamma: must be in [0, 1], got 1.01"},
		{"ppo: {gae_lambda: -0.1}", "config: ppo.gae_lambda: must be in [0, 1], got -0.1"},
		{"ppo: {learning_rate: -1}", "config: ppo.learning_rate: must be > 0, got -1"},
		{"ppo: {learning_rate: 0}", "config: ppo.learning_rate: must be > 0, got 0"},
		{"ppo: {clip_range: 0}", "config: ppo.clip_range: must be > 0, got 0"},
		{"ppo: {value_clip: -0.2}", "config: ppo.value_clip: must be >= 0, got -0.2"},
		{"ppo: {value_coef: -1}", "config: ppo.value_coef: must be >= 0, got -1"},
		{"ppo: {entropy_coef: -0.01}", "config: ppo.entropy_coef: must be >= 0, got -0.01"},
		{"ppo: {max_grad_norm: -1}", "config: ppo.max_grad_norm: must be >= 0, got -1"},
		{"ppo: {target_kl: -1}", "config: ppo.target_kl: must be >= 0, got -1"},
		{"ppo: {target_kl_factor: 0}", "config: ppo.target_kl_factor: must be > 0, got 0"},
		{"ppo: {adam_epsilon: 0}", "config: ppo.adam_epsilon: must be > 0, got 0"},
		{"ppo: {shards: 0}", "config: ppo.shards: must be in 1..8 and <= ppo.minibatch_size, got 0"},
		{"ppo: {shards: 9}", "config: ppo.shards: must be in 1..8 and <= ppo.minibatch_size, got 9"},
		{"kl: {controller: {init_beta: 0}}", "config: kl.controller.init_beta: must be > 0, got 0"},
		{"kl: {controller: {target: 0}}", "config: kl.controller.target: must be > 0, got 0"},
		{"kl: {controller: {preset: custom, high_mult: 1}}", "config: kl.controller.high_mult: must be > 1, got 1"},
		{"kl: {controller: {preset: custom, low_mult: 1}}", "config: kl.controller.low_mult: must be in (0, 1), got 1"},
		{"kl: {controller: {preset: custom, low_mult: 0}}", "config: kl.controller.low_mult: must be in (0, 1), got 0"},
		{"kl: {controller: {preset: custom, up_factor: 0.5}}", "config: kl.controller.up_factor: must be > 1, got 0.5"},
		{"kl: {controller: {preset: custom, down_factor: 1.5}}", "config: kl.controller.down_factor: must be in (0, 1), got 1.5"},
		{"kl: {controller: {min_beta: 0}}", "config: kl.controller.min_beta: must be > 0, got 0"},
		{"kl: {controller: {max_beta: 1e-4}}", "config: kl.controller.max_beta: must be > kl.controller.min_beta (0.0001), got 0.0001"},
		{"kl: {controller: {horizon: 0}}", "config: kl.controller.horizon: must be > 0, got 0"},
		{"kl: {controller: {init_beta: 1e5}}", "config: kl.controller.init_beta: must be in [kl.controller.min_beta, kl.controller.max_beta] = [0.0001, 10000], got 100000"},
		{"kl: {reference: {controller: {init_beta: -1}}}", "config: kl.reference.controller.init_beta: must be >= 0, got -1"},
		{"kl: {reference: {checkpoint: a.ckpt, controller: {kind: adaptive, init_beta: 0}}}", "config: kl.reference.controller.init_beta: must be > 0, got 0"},
		{"kl: {reference: {checkpoint: a.ckpt, controller: {kind: proportional, init_beta: 1e5}}}", "config: kl.reference.controller.init_beta: must be in [kl.reference.controller.min_beta, kl.reference.controller.max_beta] = [0.0001, 10000], got 100000"},
		{"kl: {controller: {max_beta: 10}, reference: {checkpoint: a.ckpt, controller: {kind: adaptive, init_beta: 20}}}", "config: kl.reference.controller.init_beta: must be in [kl.reference.controller.min_beta, kl.reference.controller.max_beta] = [0.0001, 10], got 20"},
		{"kl: {reference: {controller: {min_beta: -1}}}", "config: kl.reference.controller.min_beta: must be >= 0, got -1"},
		{"kl: {reference: {controller: {min_beta: 2e4}}}", "config: kl.reference.controller.max_beta: must be > kl.reference.controller.min_beta (20000), got 10000"},
		{"kl: {reference: {controller: {target: 0}}}", "config: kl.reference.controller.target: must be > 0, got 0"},
		{"kl: {reference: {controller: {up_factor: 3}}}", "config: kl.reference.controller.up_factor: set only with preset: custom (preset schulman2017 fixes it at 2), got 3"},
		{"kl: {reference: {controller: {kind: adaptive}}}", "config: kl.reference.controller.kind: adaptive needs kl.reference.checkpoint (no reference policy to adapt to)"},
		{"kl: {reference: {controller: {kind: pid}}}", `config: kl.reference.controller.kind: unknown value "pid" (want fixed, adaptive or proportional)`},
		// The keys kl.reference had before its controller section, refused as they were.
		{"kl: {reference: {coef: -1}}", "config: kl.reference.controller.init_beta: must be >= 0, got -1"},
		{"kl: {reference: {checkpoint: a.ckpt, target: -1}}", "config: kl.reference.controller.target: must be > 0, got -1"},
		{"kl: {reference: {target: 0.01}}", "config: kl.reference.controller.kind: adaptive needs kl.reference.checkpoint (no reference policy to adapt to)"},
		{"kl: {reference: {coef: x}}", `config: kl.reference.coef: must be a number, got "x"`},
		{"kl: {reference: {coef: 0.5, controller: {kind: fixed}}}", "config: kl.reference.coef: old spelling of kl.reference.controller.init_beta; give one or the other, not both"},
		{"kl: {reference: {controller: {}, target: 0.01}}", "config: kl.reference.target: old spelling of kl.reference.controller.kind, preset and target; give one or the other, not both"},
		{"kl: {reference: {coeff: 0.5}}", `config: kl.reference.coeff: unknown field "coeff"`},
		{"log: {every: 0}", "config: log.every: must be >= 1, got 0"},
		{"log: {checkpoint_every: -1}", "config: log.checkpoint_every: must be >= 0, got -1"},
		{"log: {keep_checkpoints: -2}", "config: log.keep_checkpoints: must be >= 0, got -2"},
		{"eval: {every: -1}", "config: eval.every: must be >= 0, got -1"},
		{"eval: {episodes: 0}", "config: eval.episodes: must be >= 1, got 0"},

		// Enumerations.
		{"ppo: {objective: trpo}", `config: ppo.objective: unknown value "trpo" (want kl_penalty, clip, clip_kl or none)`},
		{"ppo: {lr_schedule: cosine}", `config: ppo.lr_schedule: unknown value "cosine" (want constant or linear)`},
		{"policy: {activation: sigmoid}", `config: policy.activation: unknown value "sigmoid" (want tanh or relu)`},
		{"policy: {dtype: float16}", `config: policy.dtype: unknown value "float16" (want float32 or float64)`},
		{"kl: {direction: both}", `config: kl.direction: unknown value "both" (want old_new or new_old)`},
		{"kl: {estimator: k4}", `config: kl.estimator: unknown value "k4" (want exact, k1, k2 or k3)`},
		{"kl: {controller: {kind: pid}}", `config: kl.controller.kind: unknown value "pid" (want fixed, adaptive or proportional)`},
		{"kl: {controller: {preset: openai}}", `config: kl.controller.preset: unknown value "openai" (want schulman2017, modular_rl, rllib or custom)`},

		// Preset plus explicit factors.
		{"kl: {controller: {up_factor: 3}}", "config: kl.controller.up_factor: set only with preset: custom (preset schulman2017 fixes it at 2), got 3"},
		{"kl: {controller: {preset: rllib, high_mult: 3}}", "config: kl.controller.high_mult: set only with preset: custom (preset rllib fixes it at 2), got 3"},
		{"kl: {controller: {preset: modular_rl, low_mult: 0.5}}", "config: kl.controller.low_mult: set only with preset: custom (preset modular_rl fixes it at 0.7), got 0.5"},
		{"kl: {controller: {preset: modular_rl, down_factor: 0.25}}", "config: kl.controller.down_factor: set only with preset: custom (preset modular_rl fixes it at 0.6666666666666666), got 0.25"},

		// Cross-field.
		{"ppo: {minibatch_size: 4096}", "config: ppo.minibatch_size: must be <= env.num_envs*ppo.rollout_steps = 2048, got 4096"},
		{"env: {num_envs: 2}\nppo: {rollout_steps: 100, minibatch_size: 201}", "config: ppo.minibatch_size: must be <= env.num_envs*ppo.rollout_steps = 200, got 201"},
		// Sizes need a unit; a bare number could mean bytes or gigabytes.
		{"resources: {max_memory: 8}", sizeProblem("8")},
		{"resources: {max_memory: 0GiB}", sizeProblem("0GiB")},
		{"resources: {max_memory: 0.5B}", sizeProblem("0.5B")},
		{"resources: {max_memory: -1GiB}", sizeProblem("-1GiB")},
		{"resources: {max_memory: 1e3GB}", sizeProblem("1e3GB")},
		{"resources: {max_memory: 8 GiBs}", sizeProblem("8 GiBs")},
		{"resources: {max_memory: GiB}", sizeProblem("GiB")},
		{"resources: {max_memory: 1.2.3MB}", sizeProblem("1.2.3MB")},
		{"resources: {max_memory: \"\"}", sizeProblem("")},
		{"resources: {max_memory: 1e400PB}", sizeProblem("1e400PB")},
		{"resources: {max_memory: 16GiB, max_cpu: 2}", `config: resources.max_cpu: unknown field "max_cpu"`},
		{"env: {num_envs: 9223372036854775807}", "config: ppo.rollout_steps: env.num_envs*ppo.rollout_steps overflows (9223372036854775807*256)"},
	} {
		c, err := Parse([]byte(tc.yaml))
		if c != nil {
			t.Errorf("Parse(%q) returned a config with an error", tc.yaml)
		}
		checkMessage(t, "Parse("+tc.yaml+")", err, tc.want)
	}
}

func TestPresetAcceptsItsOwnValues(t *testing.T) {
	// Writing the preset's own value is not a conflict; Resolved gives the preset either way.
	c, err := Parse([]byte("kl: {controller: {preset: rllib, high_mult: 2, up_factor: 1.5}}"))
	if err != nil {
		t.Fatal(err)
	}
	if h, l, u, d := c.KL.Controller.Resolved(); h != 2 || l != 0.5 || u != 1.5 || d != 0.5 {
		t.Errorf("Resolved() = %v %v %v %v", h, l, u, d)
	}
}

func TestResolved(t *testing.T) {
	for _, tc := range []struct {
		preset                string
		high, low, up, down   float64
		customHigh, customLow float64
	}{
		// Schulman et al. 2017, section 4.
		{kl.PresetSchulman2017, 1.5, 1 / 1.5, 2, 0.5, 0, 0},
		// joschu/modular_rl modular_rl/ppo.py: kl > 1.3*target -> *1.5; kl < 0.7*target -> /1.5.
		{kl.PresetModularRL, 1.3, 0.7, 1.5, 1 / 1.5, 0, 0},
		// RLlib PPO update_kl: kl > 2*target -> *1.5; kl < 0.5*target -> *0.5.
		{kl.PresetRLlib, 2, 0.5, 1.5, 0.5, 0, 0},
		{PresetCustom, 1.2, 0.8, 1.1, 0.9, 1.2, 0.8},
	} {
		k := Default().KL.Controller
		k.Preset = tc.preset
		if tc.preset == PresetCustom {
			k.HighMult, k.LowMult, k.UpFactor, k.DownFactor = 1.2, 0.8, 1.1, 0.9
		}
		h, l, u, d := k.Resolved()
		if h != tc.high || l != tc.low || u != tc.up || d != tc.down {
			t.Errorf("%s: Resolved() = %v %v %v %v, want %v %v %v %v", tc.preset, h, l, u, d, tc.high, tc.low, tc.up, tc.down)
		}
	}
}

func TestBatchSize(t *testing.T) {
	c := Default()
	if got := c.BatchSize(); got != 8*256 {
		t.Errorf("BatchSize() = %d, want %d", got, 8*256)
	}
	c.Env.NumEnvs, c.PPO.RolloutSteps = 3, 7
	if got := c.BatchSize(); got != 21 {
		t.Errorf("BatchSize() = %d, want 21", got)
	}
}

func TestSet(t *testing.T) {
	for _, tc := range []struct {
		set  string
		got  func(c *Config) any
		want any
	}{
		{"ppo.learning_rate=1e-3", func(c *Config) any { return c.PPO.LearningRate }, 1e-3},
		{"policy.hidden=[128,128]", func(c *Config) any { return c.Policy.Hidden }, []int{128, 128}},
		{"policy.hidden=[32]", func(c *Config) any { return c.Policy.Hidden }, []int{32}},
		{"env.params.length=0.7", func(c *Config) any { return c.Env.Params }, map[string]float64{"length": 0.7}},
		{"env.params={length: 0.7, masspole: 1}", func(c *Config) any { return c.Env.Params }, map[string]float64{"length": 0.7, "masspole": 1}},
		{"ppo.epochs=3", func(c *Config) any { return c.PPO.Epochs }, 3},
		{" ppo.epochs =3", func(c *Config) any { return c.PPO.Epochs }, 3},
		{"ppo={epochs: 3, gamma: 0.5}", func(c *Config) any { return [2]any{c.PPO.Epochs, c.PPO.Gamma} }, [2]any{3, 0.5}},
		{"kl.controller.kind=fixed", func(c *Config) any { return c.KL.Controller.Kind }, "fixed"},
		{"kl.reference.checkpoint=runs/a=b/final.ckpt", func(c *Config) any { return c.KL.Reference.Checkpoint }, "runs/a=b/final.ckpt"},
		{"kl.reference.checkpoint=''", func(c *Config) any { return c.KL.Reference.Checkpoint }, ""},
		{"name=2024", func(c *Config) any { return c.Name }, "2024"},
		{"seed=42", func(c *Config) any { return c.Seed }, uint64(42)},
		{"env.normalize_obs=true", func(c *Config) any { return c.Env.NormalizeObs }, true},
		{"total_timesteps=2e5", func(c *Config) any { return c.TotalTimesteps }, 200000},
	} {
		c := Default()
		if err := c.Set(tc.set); err != nil {
			t.Errorf("Set(%q): %v", tc.set, err)
			continue
		}
		if got := tc.got(c); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Set(%q): got %v, want %v", tc.set, got, tc.want)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Set(%q): Validate: %v", tc.set, err)
		}
	}
}

func TestSetDoesNotValidate(t *testing.T) {
	// Overrides that are valid only together must be accepted one at a time.
	c := Default()
	for _, s := range []string{"ppo.minibatch_size=4096", "env.num_envs=16"} {
		if err := c.Set(s); err != nil {
			t.Fatalf("Set(%q): %v", s, err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate after both: %v", err)
	}
	c = Default()
	if err := c.Set("ppo.learning_rate=-1"); err != nil {
		t.Fatalf("Set checks types only, got %v", err)
	}
	checkMessage(t, "Validate", c.Validate(), "config: ppo.learning_rate: must be > 0, got -1")
}

func TestSetRefusals(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"ppo.epochs", `config: --set "ppo.epochs": missing '=' (want path=value)`},
		{"=3", `config: --set "=3": empty path (want path=value)`},
		{"ppo.epocs=3", `config: ppo.epocs: unknown field "epocs" (did you mean "epochs"?)`},
		{"foo=1", `config: foo: unknown field "foo"`},
		{"ppo..epochs=3", "config: ppo..epochs: empty element in path"},
		{"ppo.epochs.x=1", `config: ppo.epochs.x: unknown field "x" (ppo.epochs has no fields)`},
		{"env.params.length.x=1", "config: env.params.length.x: env.params.length is a number and has no fields"},
		{"ppo.epochs=abc", `config: ppo.epochs: must be an integer, got "abc"`},
		{"ppo.epochs=2.5", "config: ppo.epochs: must be an integer, got 2.5"},
		{"ppo.epochs=", `config: ppo.epochs: must be an integer, got ""`},
		{"ppo.learning_rate=fast", `config: ppo.learning_rate: must be a number, got "fast"`},
		{"policy.hidden=128", "config: policy.hidden: must be a list of integers, got 128"},
		{"env.external.command=python3 env.py", `config: env.external.command: must be a list of strings, such as [python3, my_env.py], got "python3 env.py"`},
		{"policy.hidden=[128,", `config: policy.hidden: cannot read value "[128,": invalid YAML: line 1: did not find expected node content`},
		{"policy.hidden=[128, x]", `config: policy.hidden[1]: must be an integer, got "x"`},
		{"env.params.length=long", `config: env.params.length: must be a number, got "long"`},
		{"env.params=3", "config: env.params: must be a mapping of names to numbers, got 3"},
		{"ppo=3", "config: ppo: must be a mapping of fields, got 3"},
		{"ppo={epocs: 3}", `config: ppo.epocs: unknown field "epocs" (did you mean "epochs"?)`},
		{"env.normalize_obs=on", `config: env.normalize_obs: must be true or false, got "on"`},
		{"seed=-3", "config: seed: must be >= 0, got -3"},
		{"env.params.\xff=0", `config: --set "env.params.\xff=0": not valid UTF-8`},
		{"ppo.epochs=1\n---\n2", `config: ppo.epochs: cannot read value "1\n---\n2": multiple YAML documents; want exactly one`},
		// An empty path (an unset shell variable) is refused; '' clears it.
		{"init.checkpoint=", "config: init.checkpoint: --set init.checkpoint= gives an empty file path (an unset shell variable?); write init.checkpoint='' to clear it"},
		{"kl.reference.checkpoint= ", "config: kl.reference.checkpoint: --set kl.reference.checkpoint= gives an empty file path (an unset shell variable?); write kl.reference.checkpoint='' to clear it"},
		{"log.dir=", "config: log.dir: --set log.dir= gives an empty dir path (an unset shell variable?); write log.dir='' to clear it"},
	} {
		c := Default()
		checkMessage(t, "Set("+tc.set+")", c.Set(tc.set), tc.want)
		if tc.set == "ppo.epochs=abc" && c.PPO.Epochs != 10 {
			t.Errorf("a refused Set changed the field to %d", c.PPO.Epochs)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	_, err := Load(missing)
	checkMessage(t, "Load(missing)", err, "config: open "+missing+": no such file or directory")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) error does not wrap fs.ErrNotExist: %v", err)
	}

	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(empty)
	checkMessage(t, "Load(empty)", err, "config: empty document")

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("ppo:\n  epochs: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	var e *Error
	if !errors.As(err, &e) || e.Err == nil || !strings.HasPrefix(e.Err.Error(), "yaml: ") {
		t.Errorf("syntax error does not wrap the yaml error: %#v", err)
	}
}

func TestErrorPath(t *testing.T) {
	_, err := Parse([]byte("ppo: {gamma: 2}"))
	var e *Error
	if !errors.As(err, &e) || e.Path != "ppo.gamma" || e.Problem != "must be in [0, 1], got 2" {
		t.Errorf("got %#v", err)
	}
}

// TestFields checks that Fields lists exactly the schema of the brief, each path once, and
// that each doc states the default that Default actually uses.
func TestFields(t *testing.T) {
	want := strings.Fields(`name seed total_timesteps
		env.id env.num_envs env.params env.normalize_obs env.normalize_reward env.clip_obs env.clip_reward
		env.text_params env.max_episode_steps env.nan_check env.external.command env.external.processes env.external.timeout env.external.dir
		policy.hidden policy.activation policy.shared policy.dtype policy.init_log_std policy.action_masking
		init.checkpoint init.freeze_obs_stats
		ppo.objective ppo.rollout_steps ppo.epochs ppo.minibatch_size ppo.gamma ppo.gae_lambda
		ppo.learning_rate ppo.lr_schedule ppo.clip_range ppo.clip_range_schedule ppo.value_clip ppo.value_coef ppo.entropy_coef ppo.entropy_coef_schedule
		ppo.max_grad_norm ppo.normalize_advantages ppo.target_kl ppo.target_kl_factor ppo.target_kl_estimator ppo.adam_epsilon ppo.shards
		kl.direction kl.estimator kl.controller.kind kl.controller.preset kl.controller.init_beta
		kl.controller.target kl.controller.target_schedule kl.controller.high_mult kl.controller.low_mult kl.controller.up_factor
		kl.controller.down_factor kl.controller.min_beta kl.controller.max_beta kl.controller.horizon
		kl.reference.checkpoint kl.reference.placement kl.reference.estimator kl.reference.direction
		kl.reference.controller.kind kl.reference.controller.preset
		kl.reference.controller.init_beta kl.reference.controller.target kl.reference.controller.target_schedule kl.reference.controller.high_mult
		kl.reference.controller.low_mult kl.reference.controller.up_factor kl.reference.controller.down_factor
		kl.reference.controller.min_beta kl.reference.controller.max_beta kl.reference.controller.horizon
		log.dir log.every log.checkpoint_every log.keep_checkpoints log.tensorboard log.kl_per_epoch
		eval.every eval.episodes eval.deterministic eval.tasks resources.max_memory`)
	fields := Fields()
	var got []string
	for _, f := range fields {
		got = append(got, f.Path)
		if f.Type == "" || f.Doc == "" {
			t.Errorf("%s: empty type or doc: %+v", f.Path, f)
		}
		// A section type used twice states both defaults where they differ:
		// "Default 1; in kl.reference.controller 0.1."
		section := f.Path[:max(0, strings.LastIndex(f.Path, "."))]
		states := false
		for _, lead := range []string{"Default ", "in " + section + " "} {
			for _, end := range []string{".", " ", ";", ","} {
				states = states || strings.Contains(f.Doc, lead+f.Default+end)
			}
		}
		if !states {
			t.Errorf("%s: doc %q does not state the default %s", f.Path, f.Doc, f.Default)
		}
		// Every path must be settable, and setting its default must be accepted.
		c := Default()
		if err := c.Set(f.Path + "=" + f.Default); err != nil {
			t.Errorf("Set(%s=%s): %v", f.Path, f.Default, err)
		} else if !reflect.DeepEqual(c, Default()) {
			t.Errorf("Set(%s=%s) changed the config", f.Path, f.Default)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Fields paths:\n got %v\nwant %v", got, want)
	}
	seen := map[string]bool{}
	for _, p := range got {
		if seen[p] {
			t.Errorf("%s listed twice", p)
		}
		seen[p] = true
	}
	for _, f := range fields {
		if f.Path == "ppo.objective" && f.Type != "kl_penalty|clip|clip_kl|none" {
			t.Errorf("ppo.objective type = %q", f.Type)
		}
		if f.Path == "policy.hidden" && (f.Type != "[]int" || f.Default != "[64, 64]") {
			t.Errorf("policy.hidden = %+v", f)
		}
	}
}

// TestScheduled: linear is v·(1 − (u−1)/U), the learning rate's rule (the
// first update gets v, the last v/U); constant is v.
func TestScheduled(t *testing.T) {
	for _, c := range []struct {
		schedule   string
		update, of int
		v, want    float64
	}{
		{ScheduleConstant, 7, 10, 0.2, 0.2},
		{ScheduleLinear, 1, 10, 0.2, 0.2},
		{ScheduleLinear, 6, 10, 0.2, 0.1},
		{ScheduleLinear, 10, 10, 0.2, 0.2 / 10},
	} {
		if got := Scheduled(c.v, c.schedule, c.update, c.of); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("Scheduled(%v, %s, %d, %d) = %v, want %v", c.v, c.schedule, c.update, c.of, got, c.want)
		}
	}
}
