// Package agent is the PPO algorithm: it collects rollouts and trains a policy under
// a KL penalty, measuring the KL exactly after each update. It writes no files;
// package internal/rundir puts its rows and state on disk. cmd/ppo's
// TestLayout lists what it may import.
package agent

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"ppo/configs"
	"ppo/dist"
	"ppo/env"
	"ppo/internal/memory"
	"ppo/internal/normalize"
	"ppo/kl"
	"ppo/policy"
)

// Trainer runs PPO as configured. Build it with New, then call Run.
type Trainer struct {
	cfg     *configs.Config
	loss    LossConfig
	vec     *env.Vec
	pol     *policy.Policy
	fwd     *policy.Forwarder
	upd     updater // the weights, their gradients and Adam
	ctrl    kl.Controller
	ref     *Reference
	refCtrl kl.Controller // nil without a reference policy
	// shaping is set when the reference penalty goes into the reward
	// (kl.reference.placement: reward).
	shaping *shaping

	obsStats *normalize.RunningStats // nil without env.normalize_obs
	rewScale *normalize.RewardScaler // nil without env.normalize_reward
	actPCG   *rand.PCG               // action sampling
	shufPCG  *rand.PCG               // minibatch shuffling
	actRNG   *rand.Rand
	shufRNG  *rand.Rand
	graphs   map[int]*minibatch
	shards   map[[2]int]*minibatch // by shard index and size, with ppo.shards > 1
	advBuf   []float64
	shardRun shardRun
	// With split set, minibatch steps run the actor's and the critic's
	// parts of the loss graph on two goroutines (split.go).
	split      bool
	splitGraph map[int]*splitPair
	// runner runs each minibatch's loss graph and Adam step (runner.go).
	runner runner
	// outOfBox says an observation outside the declared Box was reported.
	outOfBox  bool
	helper    *helper
	critic    []bool // critic[i]: Policy.Params()[i] is the critic's
	buf       *rollout
	window    []env.Episode // the last episodeWindow finished episodes
	update    int
	timesteps int
	updates   int // total planned
	lastObs   []float64
	box       *env.Box     // action bounds for Box spaces; nil for Discrete
	maskers   []env.Masker // each env's action masks, with policy.action_masking; else nil
	watch     watch
	sched     scheduled // this update's scheduled hyperparameters
	klObs     []float64 // staging for exactKL on minibatch rows

	// Phases, if set, accumulates the wall time of each phase of training.
	Phases *Phases
	// Warn, if set, receives warnings about the run's health.
	Warn func(msg string)
	// OnUpdate, if set, receives every metrics row as it is produced; an
	// error stops the run.
	OnUpdate func(Metrics) error
	// afterUpdate lets tests act at an exact point of a run.
	afterUpdate func(update int)
}

// episodeWindow is how many recent episodes the return and length means
// cover, as SB3's ep_info_buffer.
const episodeWindow = 100

// New builds the environments, policy, optimiser and controllers of a run.
func New(cfg *configs.Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{cfg: cfg, graphs: map[int]*minibatch{}}
	var err error
	opts := envOptions(cfg.Env)
	spec, err := specOf(cfg)
	if err != nil {
		return nil, err
	}
	if err := memory.Check(cfg, spec); err != nil {
		return nil, err
	}
	if t.vec, err = makeVec(cfg.Env, cfg.Env.NumEnvs, cfg.Seed, opts...); err != nil {
		return nil, err
	}
	built := false
	defer func() {
		if !built {
			t.vec.Close()
		}
	}()
	if b, ok := t.vec.ActionSpace().(env.Box); ok {
		t.box = &b
	}
	if cfg.Policy.ActionMasking {
		if _, ok := t.vec.ActionSpace().(env.Discrete); !ok {
			return nil, fmt.Errorf("policy.action_masking: %s has actions %v; masks need Discrete actions", cfg.Env.ID, t.vec.ActionSpace())
		}
		for i := range t.vec.Num() {
			m, ok := env.MaskerOf(t.vec.Env(i))
			if !ok {
				return nil, fmt.Errorf("policy.action_masking: %s supplies no action masks; set it false", cfg.Env.ID)
			}
			t.maskers = append(t.maskers, m)
		}
	}
	if t.pol, err = policy.New(spec, cfg.Seed); err != nil {
		return nil, err
	}
	t.fwd = policy.NewForwarder(t.pol)
	t.split = canSplit(t.pol, cfg.PPO.Shards)
	t.runner = newRunner(t)
	if t.upd, err = newUpdater(t.pol, cfg.PPO.AdamEpsilon); err != nil {
		return nil, err
	}
	if t.ctrl, err = newController(cfg.KL.Controller); err != nil {
		return nil, err
	}
	if t.loss, err = lossConfig(cfg); err != nil {
		return nil, err
	}
	if ref := cfg.KL.Reference; ref.Checkpoint != "" {
		if t.ref, err = LoadReference(ref.Checkpoint); err != nil {
			return nil, fmt.Errorf("kl.reference.checkpoint: %w", err)
		}
		if err := t.ref.compatible(spec); err != nil {
			return nil, fmt.Errorf("kl.reference.checkpoint: %w", err)
		}
		if t.refCtrl, err = newController(cfg.KL.ReferenceController()); err != nil {
			return nil, fmt.Errorf("kl.reference.controller: %w", err)
		}
	}
	if cfg.Env.NormalizeObs {
		t.obsStats = normalize.NewRunningStats(spec.ObsDim)
	}
	if p := cfg.Init.Checkpoint; p != "" {
		if err := t.initFrom(p, spec); err != nil {
			return nil, fmt.Errorf("init.checkpoint: %w", err)
		}
	}
	if t.ref != nil && cfg.KL.Reference.Placement == configs.PlacementReward {
		if t.shaping, err = newShaping(cfg); err != nil {
			return nil, fmt.Errorf("kl.reference: %w", err)
		}
		t.shaping.refStd = dist.StdOf(t.ref.logStd)
	}
	if err := checkTasks(cfg, spec); err != nil {
		return nil, err
	}
	if cfg.Env.NormalizeReward {
		t.rewScale = normalize.NewRewardScaler(cfg.Env.NumEnvs, cfg.PPO.Gamma, cfg.Env.ClipReward)
	}
	// Independent streams for acting and shuffling, derived from the seed
	// with distinct stream constants so neither perturbs the other.
	t.actPCG = rand.NewPCG(cfg.Seed, 0xa0761d6478bd642f)
	t.shufPCG = rand.NewPCG(cfg.Seed, 0xe7037ed1a0b428db)
	t.actRNG, t.shufRNG = rand.New(t.actPCG), rand.New(t.shufPCG)
	t.buf = newRollout(cfg.PPO.RolloutSteps, cfg.Env.NumEnvs, spec.ObsDim, spec.ActDim, t.vec.ActionSpace().Dim())
	if t.maskers != nil {
		t.loss.Masked = true
		t.buf.maskBias = make([]float64, len(t.buf.head))
	}
	t.updates = max(1, cfg.TotalTimesteps/cfg.BatchSize())
	built = true
	return t, nil
}

// specOf is the network of a run of cfg. One env gives the spaces, so the
// network's memory can be estimated before anything in proportion to the
// config is allocated.
func specOf(cfg *configs.Config) (policy.Spec, error) {
	probe, err := makeEnv(cfg.Env, envOptions(cfg.Env)...)
	if err != nil {
		return policy.Spec{}, err // env's errors name their package already
	}
	defer closeEnv(probe)
	return policySpec(cfg, probe.ObservationSpace(), probe.ActionSpace())
}

// Policy is the network being trained.
func (t *Trainer) Policy() *policy.Policy { return t.pol }

// Updates is the number of policy updates the run will make.
func (t *Trainer) Updates() int { return t.updates }

// Run trains until the configured number of timesteps, or until ctx is
// cancelled, in which case it returns ctx's error after a complete update.
// Each update is the algorithm's five steps, in order.
func (t *Trainer) Run(ctx context.Context) error {
	running.Add(1)
	defer running.Add(-1)
	start := time.Now()
	if t.lastObs == nil {
		obs, err := t.vec.Reset()
		if err != nil {
			return envErr(err)
		}
		t.lastObs = append([]float64(nil), obs...)
	}
	for t.update < t.updates {
		if err := ctx.Err(); err != nil {
			return err
		}
		t.update++
		u0 := time.Now()
		// 1. Anneal the learning rate (CleanRL: frac = 1 - (update-1)/updates).
		lr := t.learningRate()
		t.sched = t.schedule()
		// 2. Collect a rollout with the current policy.
		if err := t.collect(); err != nil {
			return err
		}
		// 3. Advantages and returns.
		t.buf.advantages(t.cfg.PPO.Gamma, t.cfg.PPO.GAELambda)
		// 4. Optimise the surrogate for several epochs of minibatches.
		beta, refCoef := t.ctrl.Beta(), t.refCoef()
		m, err := t.optimise(lr, beta, refCoef)
		if err != nil {
			return err
		}
		m.Beta, m.LearningRate = beta, lr
		m.ClipRange, m.EntropyCoef, m.KLTarget = t.sched.clip, t.sched.ent, t.sched.target
		// 5. Measure how far the policy moved, and adapt the penalties from it.
		if err := t.measure(&m); err != nil {
			return err
		}
		if err := t.adapt(&m, refCoef); err != nil {
			return err
		}
		t.episodeStats(&m)
		if t.shaping != nil {
			t.shaping.stats(&m)
		}
		m.SPS = float64(t.buf.size()) / time.Since(u0).Seconds()
		m.WallSeconds = time.Since(start).Seconds()
		if err := m.check(); err != nil {
			return err
		}
		if t.OnUpdate != nil {
			if err := t.OnUpdate(m); err != nil {
				return err
			}
		}
		if t.afterUpdate != nil {
			t.afterUpdate(t.update)
		}
	}
	return nil
}

// learningRate is this update's Adam step size after the schedule.
func (t *Trainer) learningRate() float64 {
	lr := t.cfg.PPO.LearningRate
	if t.cfg.PPO.LRSchedule == configs.LRLinear {
		lr *= 1 - float64(t.update-1)/float64(t.updates)
	}
	return lr
}

// refCoef is the reference penalty's coefficient for this update.
func (t *Trainer) refCoef() float64 {
	if t.refCtrl != nil {
		return t.refCtrl.Beta()
	}
	return 0 // the loss has no reference term to weigh
}

// adapt feeds the measured KL to the controllers, which set the next
// update's coefficients, and warns about a run going wrong slowly.
func (t *Trainer) adapt(m *Metrics, refCoef float64) error {
	d := m.KL
	if t.loss.Direction == kl.NewOld {
		d = m.KLReverse
	}
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return fmt.Errorf("update %d: kl is %v", t.update, d)
	}
	// Beta only moves when the loss has a KL term for it to weigh.
	if t.penalised() {
		if err := retarget(t.ctrl, t.sched.target); err != nil {
			return fmt.Errorf("update %d: kl controller: %w", t.update, err)
		}
		if err := t.ctrl.Update(d, t.buf.size()); err != nil {
			return fmt.Errorf("update %d: kl controller: %w", t.update, err)
		}
	}
	if t.Warn != nil {
		for _, w := range t.watch.observe(t.update, d, t.ctrl.Beta(), t.cfg.KL.Controller, t.penalised()) {
			t.Warn(w)
		}
		for _, w := range t.watch.noStep(t.update, *m, t.cfg.PPO) {
			t.Warn(w)
		}
	}
	if t.ref != nil {
		m.KLRef = &m.klRef
		m.RefCoef = &refCoef
		if err := retarget(t.refCtrl, t.sched.refTarget); err != nil {
			return fmt.Errorf("update %d: reference controller: %w", t.update, err)
		}
		if err := t.refCtrl.Update(m.klRef, t.buf.size()); err != nil {
			return fmt.Errorf("update %d: reference controller: %w", t.update, err)
		}
	}
	return nil
}

// episodeStats fills the row's update counters and the means over the
// recent training episodes.
func (t *Trainer) episodeStats(m *Metrics) {
	m.Update, m.Timesteps = t.update, t.timesteps
	if len(t.window) == 0 {
		return
	}
	r, l := 0.0, 0.0
	for _, e := range t.window {
		r += e.Return
		l += float64(e.Length)
	}
	r /= float64(len(t.window))
	l /= float64(len(t.window))
	m.EpisodeReturnMean, m.EpisodeLengthMean = &r, &l
}

// penalised says whether the loss has a KL penalty whose beta matters.
func (t *Trainer) penalised() bool {
	return t.loss.Objective.Penalised()
}

// Update is the number of updates done so far.
func (t *Trainer) Update() int { return t.update }

// Timesteps is the number of env steps taken so far, summed over envs.
func (t *Trainer) Timesteps() int { return t.timesteps }

// HasReference says whether the loss penalises the KL to a reference policy.
func (t *Trainer) HasReference() bool { return t.ref != nil }

// Evaluator plays episodes with the current policy, seeing observations
// through the run's normaliser (frozen while it plays).
func (t *Trainer) Evaluator() *Evaluator {
	return &Evaluator{Policy: t.pol, ObsStats: t.obsStats, ClipObs: t.cfg.Env.ClipObs, EnvID: t.cfg.Env.ID, Params: t.cfg.Env.Params,
		TextParams: t.cfg.Env.TextParams, MaxEpisodeSteps: t.cfg.Env.MaxEpisodeSteps, Masking: t.maskers != nil,
		External: t.cfg.Env.External, Check: t.cfg.Env.NaNCheck}
}

// TaskEvaluator plays episodes of eval.tasks's task with the current policy, as
// Evaluator does, also measuring the KL to the reference policy, when the run has one,
// on the states it visits.
func (t *Trainer) TaskEvaluator(task configs.TaskConfig) *Evaluator {
	e := t.Evaluator()
	e.EnvID, e.Params = task.EnvID(t.cfg), task.Params
	if t.ref != nil {
		e.Ref, e.RefDirection = t.ref, t.loss.RefDirection
	}
	return e
}

// Check builds everything a run of cfg needs (environments, network,
// controllers, the reference policy) without running it, so bad input is
// reported before anything is written.
func Check(cfg *configs.Config) error {
	t, err := New(cfg)
	if err == nil {
		t.Close()
	}
	return err
}

// InputError marks a failure caused by the user's input (config, flags,
// files named by them), as opposed to a failure while running.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// KernelPath names the dense-layer kernels training runs on
// (policy.KernelPath), for the stamp a result records.
func KernelPath() string { return policy.KernelPath() }
