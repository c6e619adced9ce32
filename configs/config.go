// Package configs defines the training configuration schema and loads it strictly from YAML.
// It imports kl alone from the module (kl holds the controller presets).
package configs

import "ppo/kl"

// Objective is the policy surrogate, the value of ppo.objective.
type Objective string

// The objectives ppo.objective accepts.
const (
	// ObjectiveKLPenalty is the PPO paper's L^KLPEN: E[r·A] - β·KL.
	ObjectiveKLPenalty Objective = "kl_penalty"
	// ObjectiveClip is the clipped surrogate L^CLIP.
	ObjectiveClip Objective = "clip"
	// ObjectiveClipKL is L^CLIP with the KL penalty added.
	ObjectiveClipKL Objective = "clip_kl"
	// ObjectiveNone is the unclipped, unpenalised surrogate E[r·A].
	ObjectiveNone Objective = "none"
)

// Penalised says whether the objective has a KL penalty term weighed by beta.
func (o Objective) Penalised() bool { return o == ObjectiveKLPenalty || o == ObjectiveClipKL }

// Clipped says whether the objective clips the probability ratio.
func (o Objective) Clipped() bool { return o == ObjectiveClip || o == ObjectiveClipKL }

// Controller kinds, the values of kl.controller.kind and kl.reference.controller.kind.
const (
	ControllerFixed        = "fixed"
	ControllerAdaptive     = "adaptive"
	ControllerProportional = "proportional"
)

// PresetCustom is the kl.controller.preset that takes the adaptive rule's factors from the
// config's own fields. The other presets are package kl's (kl.PresetNames), which owns
// their factors.
const PresetCustom = "custom"

// Values of ppo.lr_schedule and policy.dtype that code branches on.
const (
	LRConstant   = "constant"
	LRLinear     = "linear"
	DTypeFloat32 = "float32"
	DTypeFloat64 = "float64"

	// PlacementLoss and PlacementReward are the values of kl.reference.placement.
	PlacementLoss   = "loss"
	PlacementReward = "reward"
	// DirectionSame is kl.reference.direction's default: kl.direction.
	DirectionSame = "same"

	// MemoryAuto is resources.max_memory's default: a share of the machine's RAM.
	MemoryAuto = "auto"
)

// Values of the schedules of ppo.clip_range, ppo.entropy_coef and kl.controller.target
// (ppo.lr_schedule's are LRConstant and LRLinear, the same words), and of
// ppo.target_kl_estimator.
const (
	ScheduleConstant = "constant"
	ScheduleLinear   = "linear"
	TargetKLK3       = "k3"
	TargetKLExact    = "exact"
)

// Scheduled is a value v under a schedule: constant gives v, linear
// v·(1 − (update−1)/updates), the learning rate's rule (CleanRL's annealing:
// the first of updates updates uses v and the value falls towards 0).
func Scheduled(v float64, schedule string, update, updates int) float64 {
	if schedule == ScheduleLinear {
		return v * (1 - float64(update-1)/float64(updates))
	}
	return v
}

// Config is a complete training configuration. The yaml tags are the field paths used in
// files, in --set and in error messages; each field's doc tag is its one documentation (meaning,
// constraints, default), from which Fields and the reference table in docs/configs.md are made.
type Config struct {
	Name           string `yaml:"name" doc:"Run name, used to label the run directory. Default \"cartpole-adaptive-kl\"."`
	Seed           uint64 `yaml:"seed" doc:"Seed of every random stream in a run; the same seed gives bit-identical results. Default 1."`
	TotalTimesteps int    `yaml:"total_timesteps" doc:"Environment steps to train for, summed over all envs (> 0). Default 100000."`

	Env    EnvConfig    `yaml:"env"`
	Policy PolicyConfig `yaml:"policy"`
	Init   InitConfig   `yaml:"init"`
	PPO    PPOConfig    `yaml:"ppo"`
	KL     KLConfig     `yaml:"kl"`
	Log    LogConfig    `yaml:"log"`
	Eval   EvalConfig   `yaml:"eval"`

	Resources ResourcesConfig `yaml:"resources"`
}

// EnvConfig selects the environment and its observation and reward normalisation.
type EnvConfig struct {
	ID              string             `yaml:"id" doc:"Registered environment id, checked by the caller against the env registry. Default \"CartPole-v1\"."`
	NumEnvs         int                `yaml:"num_envs" doc:"Number of environment copies stepped in lockstep (>= 1). Default 8."`
	Params          map[string]float64 `yaml:"params" doc:"Environment parameter overrides by name (names are checked by the env package). Default {} (none)."`
	NormalizeObs    bool               `yaml:"normalize_obs" doc:"Normalise observations by a running mean and std. Default false."`
	NormalizeReward bool               `yaml:"normalize_reward" doc:"Scale rewards by the running std of the discounted return, as SB3 VecNormalize does. Default false."`
	ClipObs         float64            `yaml:"clip_obs" doc:"Normalised observations are clipped to [-clip_obs, clip_obs] (> 0). Default 10."`
	ClipReward      float64            `yaml:"clip_reward" doc:"Normalised rewards are clipped to [-clip_reward, clip_reward] (> 0). Default 10."`
	TextParams      map[string]string  `yaml:"text_params" doc:"Text environment parameter overrides by name, such as FrozenLake's desc (names and values are checked by the env package). Default {} (none)."`
	MaxEpisodeSteps int                `yaml:"max_episode_steps" doc:"Time limit in steps replacing the environment's own, also for one registered without (>= 0; 0 = the environment's own). Default 0."`
	NaNCheck        bool               `yaml:"nan_check" doc:"Report an observation or reward that is NaN or ±Inf as the run's failure, naming the env, the copy and the step, before it reaches the network (a few ns per env step). Default true."`
	// The child processes serving the environment when env.id is external.
	External ExternalConfig `yaml:"external"`
}

// ExternalConfig starts the programs that serve an environment over a pipe (env.id external).
type ExternalConfig struct {
	Command   []string `yaml:"command" doc:"Program and arguments serving the environment, such as [python3, my_env.py] (required when env.id is external). Default [] (none)."`
	Processes int      `yaml:"processes" doc:"Child processes sharing the env.num_envs copies (>= 1, <= env.num_envs). Default 1."`
	Timeout   float64  `yaml:"timeout" doc:"Seconds to wait for each reply of a child before ending the run (> 0). Default 30."`
	Dir       string   `yaml:"dir" path:"dir" doc:"Working directory the program is started in; empty = the directory ppo train runs from, which the run records here (in its config.yaml) so that resume and eval start the program there from anywhere. Default \"\"."`
}

// PolicyConfig shapes the actor-critic network.
type PolicyConfig struct {
	Hidden        []int   `yaml:"hidden" doc:"Hidden layer widths, input side first (non-empty, each >= 1). Default [64, 64]."`
	Activation    string  `yaml:"activation" enum:"tanh|relu" doc:"Hidden-layer activation: tanh or relu. Default \"tanh\"."`
	Shared        bool    `yaml:"shared" doc:"Share one hidden trunk between actor and critic instead of two separate ones. Default false."`
	DType         string  `yaml:"dtype" enum:"float32|float64" doc:"Element type of the network: float32 or float64. Default \"float32\"."`
	InitLogStd    float64 `yaml:"init_log_std" doc:"Initial log-std of the Gaussian head (Box actions only; state-independent). Default 0."`
	ActionMasking bool    `yaml:"action_masking" doc:"Give actions the environment masks out probability 0, when acting and learning (envs with action masks, such as Taxi-v3, only). Default false."`
}

// InitConfig starts a run from the policy of an earlier run, to fine-tune it on a new
// task. Only the network's weights (and observation statistics) are taken: the optimiser,
// the controllers, the random streams and the update counter start fresh.
type InitConfig struct {
	Checkpoint     string `yaml:"checkpoint" path:"file" doc:"Path to a .ckpt whose policy weights, and observation statistics when env.normalize_obs, start this run; empty = random weights from seed. Default \"\"."`
	FreezeObsStats bool   `yaml:"freeze_obs_stats" doc:"Keep the observation statistics taken from init.checkpoint fixed instead of updating them (needs init.checkpoint and env.normalize_obs). Default false."`
}

// PPOConfig holds the rollout and optimisation settings.
type PPOConfig struct {
	Objective           Objective `yaml:"objective" enum:"kl_penalty|clip|clip_kl|none" doc:"Surrogate objective: kl_penalty (adaptive-KL PPO), clip, clip_kl (clip plus the KL penalty) or none (plain policy gradient). Default \"kl_penalty\"."`
	RolloutSteps        int       `yaml:"rollout_steps" doc:"Steps collected per env per update (>= 1); the batch is env.num_envs*rollout_steps. Default 256."`
	Epochs              int       `yaml:"epochs" doc:"Passes over the batch per update (>= 1). Default 10."`
	MinibatchSize       int       `yaml:"minibatch_size" doc:"Samples per gradient step (>= 1, <= env.num_envs*ppo.rollout_steps). Default 256."`
	Gamma               float64   `yaml:"gamma" doc:"Discount factor, in [0, 1]. Default 0.99."`
	GAELambda           float64   `yaml:"gae_lambda" doc:"GAE lambda, in [0, 1]. Default 0.95."`
	LearningRate        float64   `yaml:"learning_rate" doc:"Adam step size (> 0), the initial value when lr_schedule is linear. Default 0.0003."`
	LRSchedule          string    `yaml:"lr_schedule" enum:"constant|linear" doc:"Learning-rate schedule: constant, or linear decay to 0 over total_timesteps. Default \"linear\"."`
	ClipRange           float64   `yaml:"clip_range" doc:"Ratio clip range epsilon of the clip and clip_kl objectives (> 0), the initial value when clip_range_schedule is linear. Default 0.2."`
	ClipRangeSchedule   string    `yaml:"clip_range_schedule" enum:"constant|linear" doc:"Clip-range schedule: constant, or linear decay to 0 over total_timesteps as lr_schedule. Default \"constant\"."`
	ValueClip           float64   `yaml:"value_clip" doc:"Clip value predictions to old value ± value_clip (>= 0; 0 = off). Default 0."`
	ValueCoef           float64   `yaml:"value_coef" doc:"Weight of the value loss (>= 0). Default 0.5."`
	EntropyCoef         float64   `yaml:"entropy_coef" doc:"Weight of the entropy bonus (>= 0). Default 0."`
	EntropyCoefSchedule string    `yaml:"entropy_coef_schedule" enum:"constant|linear" doc:"Entropy-weight schedule: constant, or linear decay to 0 over total_timesteps as lr_schedule. Default \"constant\"."`
	MaxGradNorm         float64   `yaml:"max_grad_norm" doc:"Clip the global gradient norm to this value (>= 0; 0 = off). Default 0.5."`
	NormalizeAdvantages bool      `yaml:"normalize_advantages" doc:"Standardise advantages per minibatch. Default true."`
	TargetKL            float64   `yaml:"target_kl" doc:"Stop the epoch loop early when the minibatch KL exceeds target_kl*target_kl_factor (>= 0; 0 = off). Default 0."`
	TargetKLFactor      float64   `yaml:"target_kl_factor" doc:"Multiplier of target_kl for the early stop (> 0; SB3 uses 1.5). Default 1.5."`
	TargetKLEstimator   string    `yaml:"target_kl_estimator" enum:"k3|exact" doc:"The minibatch KL the early stop compares: k3 (the estimate from the sampled actions, as SB3) or exact (the closed-form KL(old || new) over the minibatch's states). Default \"k3\"."`
	AdamEpsilon         float64   `yaml:"adam_epsilon" doc:"Adam epsilon (> 0). Default 1e-5."`
	Shards              int       `yaml:"shards" doc:"Split each minibatch into this many shards whose forward and backward passes run concurrently, gradients summed in a fixed order (1..8, <= minibatch_size); the same shards give the same bits on any number of cores, but 1 and 2 differ in the last bits. Default 1, which with separate actor and critic networks already runs the two on two cores, bit for bit as on one; shards are for a shared trunk."`
}

// KLConfig configures the KL penalty and an optional frozen reference policy.
type KLConfig struct {
	Direction string `yaml:"direction" enum:"old_new|new_old" doc:"Which KL is penalised: old_new = KL(old || new), new_old = KL(new || old). Default \"old_new\"."`
	Estimator string `yaml:"estimator" enum:"exact|k1|k2|k3" doc:"What the penalty term uses: exact (closed form) or the sample estimators k1, k2, k3. Default \"exact\"."`

	Controller ControllerConfig `yaml:"controller"`
	Reference  ReferenceConfig  `yaml:"reference"`
}

// ControllerConfig sets how a penalty coefficient beta evolves between updates: the
// coefficient of the KL to the previous policy (kl.controller) or to the reference policy
// (kl.reference.controller). With a preset other than custom, the preset (package kl's
// table) fixes high_mult, low_mult, up_factor and down_factor; those fields must then keep
// their defaults, and Resolved gives the values in use.
type ControllerConfig struct {
	Kind           string  `yaml:"kind" enum:"fixed|adaptive|proportional" doc:"How beta evolves: fixed (beta = init_beta), adaptive (the PPO paper's rule) or proportional (Ziegler et al. 2019). Default \"adaptive\"; in kl.reference.controller \"fixed\"."`
	Preset         string  `yaml:"preset" enum:"schulman2017|modular_rl|rllib|custom" doc:"Factor set of the adaptive rule: schulman2017, modular_rl, rllib, or custom to use the four fields below. Default \"schulman2017\"."`
	InitBeta       float64 `yaml:"init_beta" doc:"Initial coefficient beta (> 0, or >= 0 in kl.reference.controller with kind fixed; the paper starts at 1). Default 1; in kl.reference.controller 0.1."`
	Target         float64 `yaml:"target" doc:"Target KL per update for the adaptive and proportional controllers (> 0). Default 0.01."`
	TargetSchedule string  `yaml:"target_schedule" enum:"constant|linear" doc:"Target schedule: constant, or linear decay towards 0 over total_timesteps as lr_schedule. Default \"constant\"."`
	HighMult       float64 `yaml:"high_mult" doc:"Raise beta when the KL exceeds target*high_mult (> 1; preset custom only). Default 1.5."`
	LowMult        float64 `yaml:"low_mult" doc:"Lower beta when the KL is below target*low_mult (in (0, 1); preset custom only). Default 0.6666666666666666 (1/1.5)."`
	UpFactor       float64 `yaml:"up_factor" doc:"Multiply beta by this when raising it (> 1; preset custom only). Default 2."`
	DownFactor     float64 `yaml:"down_factor" doc:"Multiply beta by this when lowering it (in (0, 1); preset custom only). Default 0.5."`
	MinBeta        float64 `yaml:"min_beta" doc:"Lower bound of beta for the adaptive and proportional controllers (> 0). Default 0.0001; in kl.reference.controller 0, which means kl.controller.min_beta."`
	MaxBeta        float64 `yaml:"max_beta" doc:"Upper bound of beta for the adaptive and proportional controllers (> min_beta). Default 10000; in kl.reference.controller 0, which means kl.controller.max_beta."`
	Horizon        float64 `yaml:"horizon" doc:"Horizon in environment steps of the proportional controller (> 0). Default 10000."`
}

// ReferenceConfig adds a penalty on the KL to a frozen policy from an earlier run, with its
// own coefficient controller. Configs written before the controller section existed say
// coef: c (now controller.init_beta: c) and target: t (t > 0 is now controller.kind: adaptive,
// preset: schulman2017, target: t; t = 0 is kind: fixed); both keys are still read with that
// meaning, and the reference controller's clamp defaults to kl.controller's as it always did.
type ReferenceConfig struct {
	Checkpoint string `yaml:"checkpoint" path:"file" doc:"Path to a .ckpt of an earlier run whose policy is the frozen reference; empty = no reference term. Default \"\"."`
	Placement  string `yaml:"placement" enum:"loss|reward" doc:"Where the penalty goes: loss (coefficient × mean KL in the objective) or reward (coefficient × KL_t subtracted from each step's raw reward before GAE). Default \"loss\"."`
	Estimator  string `yaml:"estimator" enum:"exact|k1" doc:"KL_t of placement reward: exact (closed form per state) or k1 (the sampled log-ratio log π_old(a_t|s_t) − log π_ref(a_t|s_t); needs placement reward and direction new_old). Default \"exact\"."`
	Direction  string `yaml:"direction" enum:"same|old_new|new_old" doc:"Direction of the KL to the reference in the loss, the reward and the logs: old_new = KL(ref || current), new_old = KL(current || ref), same = kl.direction. Default \"same\"."`

	Controller ControllerConfig `yaml:"controller"`
}

// LogConfig controls progress output and checkpoints.
type LogConfig struct {
	Dir             string `yaml:"dir" path:"dir" doc:"Parent directory of run directories. Default \"runs\"."`
	Every           int    `yaml:"every" doc:"Print a progress line every N updates (>= 1). Default 1."`
	CheckpointEvery int    `yaml:"checkpoint_every" doc:"Write a checkpoint every N updates (>= 0; 0 = only at the end). Default 10."`
	KeepCheckpoints int    `yaml:"keep_checkpoints" doc:"Keep only the newest N periodic checkpoints (>= 0; 0 = keep all); final.ckpt is always kept. Default 3."`
	TensorBoard     bool   `yaml:"tensorboard" doc:"Also write TensorBoard event files. Default false."`
	KLPerEpoch      bool   `yaml:"kl_per_epoch" doc:"Also log the exact KL(old || new) over the batch after each epoch (metrics field kl_per_epoch); costs a forward pass per epoch. Default false."`
}

// EvalConfig controls evaluation episodes on a separate environment.
type EvalConfig struct {
	Every         int          `yaml:"every" doc:"Evaluate every N updates (>= 0; 0 = only at the end). Default 0."`
	Episodes      int          `yaml:"episodes" doc:"Episodes per evaluation (>= 1). Default 10."`
	Deterministic bool         `yaml:"deterministic" doc:"Act with the distribution's mode instead of sampling. Default true."`
	Tasks         []TaskConfig `yaml:"tasks" doc:"Named tasks evaluated with the main evaluation and with its seed, each {name, id, params}: id defaults to env.id, params (as env.params) to none; names are letters, digits, _ . -. Default [] (none)."`
}

// TaskConfig is one entry of eval.tasks: an environment, possibly with other parameters
// than the training one, on which the policy is evaluated. Its fields are documented by
// eval.tasks's doc tag.
type TaskConfig struct {
	// Name labels the task in metrics rows, eval.json and ppo eval --task.
	Name string `yaml:"name"`
	// ID is a registered environment id; empty means env.id.
	ID string `yaml:"id"`
	// Params are environment parameter overrides, checked like env.params.
	Params map[string]float64 `yaml:"params"`
}

// EnvID is the task's environment: its own id, else the run's env.id.
func (t TaskConfig) EnvID(c *Config) string {
	if t.ID != "" {
		return t.ID
	}
	return c.Env.ID
}

// Task returns the eval.tasks entry called name.
func (c *Config) Task(name string) (TaskConfig, bool) {
	for _, t := range c.Eval.Tasks {
		if t.Name == name {
			return t, true
		}
	}
	return TaskConfig{}, false
}

// TaskNames lists eval.tasks's names in order.
func (c *Config) TaskNames() []string {
	var names []string
	for _, t := range c.Eval.Tasks {
		names = append(names, t.Name)
	}
	return names
}

// ResourcesConfig bounds what a run may use of the machine.
type ResourcesConfig struct {
	MaxMemory string `yaml:"max_memory" doc:"Refuse a run whose estimated memory exceeds this: auto (80% of the machine's RAM) or a size with a unit, such as 512MiB, 16GiB or 2TB. Default \"auto\"."`
}

// Default returns a new Config holding every schema default. The embedded
// configs/cartpole-adaptive-kl.yaml is these defaults with CartPole-tuned
// rollout and optimiser settings on top, which a test checks.
func Default() *Config {
	high, low, up, down, _ := presetFactors(kl.PresetSchulman2017)
	controller := ControllerConfig{
		Kind:       ControllerAdaptive,
		Preset:     kl.PresetSchulman2017,
		InitBeta:   1,
		Target:     kl.DefaultTarget,
		HighMult:   high,
		LowMult:    low,
		UpFactor:   up,
		DownFactor: down,
		MinBeta:    kl.DefaultMinBeta,
		MaxBeta:    kl.DefaultMaxBeta,
		Horizon:    10000,

		TargetSchedule: ScheduleConstant,
	}
	reference := controller
	reference.Kind = ControllerFixed
	reference.InitBeta = 0.1
	reference.MinBeta, reference.MaxBeta = 0, 0 // kl.controller's
	ref := ReferenceConfig{Controller: reference, Placement: PlacementLoss, Estimator: "exact", Direction: DirectionSame}
	return &Config{
		Name:           "cartpole-adaptive-kl",
		Seed:           1,
		TotalTimesteps: 100000,
		Env: EnvConfig{
			ID:         "CartPole-v1",
			NumEnvs:    8,
			Params:     map[string]float64{},
			TextParams: map[string]string{},
			ClipObs:    10,
			ClipReward: 10,
			NaNCheck:   true,
			External:   ExternalConfig{Command: []string{}, Processes: 1, Timeout: 30},
		},
		Policy: PolicyConfig{
			Hidden:     []int{64, 64},
			Activation: "tanh",
			DType:      DTypeFloat32,
		},
		PPO: PPOConfig{
			Objective:           ObjectiveKLPenalty,
			RolloutSteps:        256,
			Epochs:              10,
			MinibatchSize:       256,
			Gamma:               0.99,
			GAELambda:           0.95,
			LearningRate:        3e-4,
			LRSchedule:          LRLinear,
			ClipRange:           0.2,
			ClipRangeSchedule:   ScheduleConstant,
			ValueClip:           0,
			ValueCoef:           0.5,
			EntropyCoef:         0,
			EntropyCoefSchedule: ScheduleConstant,
			MaxGradNorm:         0.5,
			NormalizeAdvantages: true,
			TargetKL:            0,
			TargetKLFactor:      1.5,
			TargetKLEstimator:   TargetKLK3,
			AdamEpsilon:         1e-5,
			Shards:              1,
		},
		KL: KLConfig{
			Direction:  "old_new",
			Estimator:  "exact",
			Controller: controller,
			Reference:  ref,
		},
		Log:       LogConfig{Dir: "runs", Every: 1, CheckpointEvery: 10, KeepCheckpoints: 3},
		Eval:      EvalConfig{Episodes: 10, Deterministic: true, Tasks: []TaskConfig{}},
		Resources: ResourcesConfig{MaxMemory: MemoryAuto},
	}
}

// presetFactors returns the adaptive-rule factors of a preset from package kl's table; ok
// is false for custom and unknown names.
func presetFactors(preset string) (high, low, up, down float64, ok bool) {
	p, err := kl.Preset(preset)
	if err != nil {
		return 0, 0, 0, 0, false
	}
	return p.HighMult, p.LowMult, p.UpFactor, p.DownFactor, true
}

// Resolved returns the adaptive rule in use: beta is multiplied by up when the KL exceeds
// target*high and by down when it is below target*low. The preset decides, unless it is
// custom, in which case the explicit fields do.
func (c ControllerConfig) Resolved() (high, low, up, down float64) {
	if h, l, u, d, ok := presetFactors(c.Preset); ok {
		return h, l, u, d
	}
	return c.HighMult, c.LowMult, c.UpFactor, c.DownFactor
}

// ReferenceController returns kl.reference.controller with its clamp resolved: a min_beta
// or max_beta of 0 takes kl.controller's value.
func (k KLConfig) ReferenceController() ControllerConfig {
	c := k.Reference.Controller
	if c.MinBeta == 0 {
		c.MinBeta = k.Controller.MinBeta
	}
	if c.MaxBeta == 0 {
		c.MaxBeta = k.Controller.MaxBeta
	}
	return c
}

// ReferenceDirection is the direction of the KL to the reference, kl.reference.direction
// with same resolved to kl.direction.
func (k KLConfig) ReferenceDirection() string {
	if d := k.Reference.Direction; d != DirectionSame {
		return d
	}
	return k.Direction
}

// BatchSize returns the number of samples collected per update, env.num_envs*ppo.rollout_steps.
func (c *Config) BatchSize() int {
	return c.Env.NumEnvs * c.PPO.RolloutSteps
}
