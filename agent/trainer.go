// Package agent collects rollouts and trains policies with PPO under a KL penalty.
package agent

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	G "gorgonia.org/gorgonia"

	"ppo/configs"
	"ppo/env"
	"ppo/kl"
	"ppo/policy"
)

// Progresser is a log that shows progress itself (a progress bar) instead
// of receiving a line every log.every updates.
type Progresser interface {
	io.Writer
	Progress(m Metrics, updates, totalSteps int)
}

// Trainer runs PPO as configured. Build it with New, then call Run.
type Trainer struct {
	cfg     *configs.Config
	loss    LossConfig
	vec     *env.Vec
	pol     *policy.Policy
	fwd     *policy.Evaluator
	opt     *Adam
	ctrl    kl.Controller
	ref     *Reference
	refCtrl kl.Controller // nil: fixed coefficient cfg.KL.Reference.Coef

	obsStats  *RunningStats // nil without env.normalize_obs
	rewScale  *RewardScaler // nil without env.normalize_reward
	actPCG    *rand.PCG     // action sampling
	shufPCG   *rand.PCG     // minibatch shuffling
	actRNG    *rand.Rand
	shufRNG   *rand.Rand
	graphs    map[int]*minibatch
	buf       *rollout
	window    []env.Episode // the last episodeWindow finished episodes
	update    int
	timesteps int
	updates   int // total planned
	lastObs   []float64
	params    []any       // the weights' backing slices, in Policy.Params order
	grads     []any       // views of the gradient buffers of the last graph run
	box       *env.Box    // action bounds for Box spaces; nil for Discrete
	clock     *phaseClock // times the phases for Bench; nil otherwise

	// Log receives one progress line every cfg.Log.Every updates; may be nil.
	Log io.Writer
	// Warn receives warnings about the run's health; may be nil.
	Warn  io.Writer
	watch watch
	// OnUpdate, if set, receives every metrics row as it is produced.
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
	opts := []env.Option{}
	if len(cfg.Env.Params) > 0 {
		opts = append(opts, env.WithParams(cfg.Env.Params))
	}
	if t.vec, err = env.MakeVec(cfg.Env.ID, cfg.Env.NumEnvs, cfg.Seed, opts...); err != nil {
		return nil, err // env's errors name their package already
	}
	spec, err := policySpec(cfg, t.vec.ObservationSpace(), t.vec.ActionSpace())
	if err != nil {
		return nil, err
	}
	if b, ok := t.vec.ActionSpace().(env.Box); ok {
		t.box = &b
	}
	if t.pol, err = policy.New(spec, cfg.Seed); err != nil {
		return nil, err
	}
	t.fwd = policy.NewEvaluator(t.pol)
	sizes := []int{}
	for _, p := range t.pol.Params() {
		sizes = append(sizes, p.T.Len())
	}
	t.opt = NewAdam(sizes, cfg.PPO.AdamEpsilon)
	for _, p := range t.pol.Params() {
		t.params = append(t.params, p.T.Data())
	}
	t.grads = make([]any, len(t.params))
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
		if ref.Target > 0 {
			p, _ := kl.Preset("schulman2017")
			p.Target = ref.Target
			p.MinBeta, p.MaxBeta = cfg.KL.Controller.MinBeta, cfg.KL.Controller.MaxBeta
			if t.refCtrl, err = kl.NewAdaptive(p, ref.Coef); err != nil {
				return nil, fmt.Errorf("kl.reference: %w", err)
			}
		}
	}
	if cfg.Env.NormalizeObs {
		t.obsStats = NewRunningStats(spec.ObsDim)
	}
	if cfg.Env.NormalizeReward {
		t.rewScale = NewRewardScaler(cfg.Env.NumEnvs, cfg.PPO.Gamma, cfg.Env.ClipReward)
	}
	// Independent streams for acting and shuffling, derived from the seed
	// with distinct stream constants so neither perturbs the other.
	t.actPCG = rand.NewPCG(cfg.Seed, 0xa0761d6478bd642f)
	t.shufPCG = rand.NewPCG(cfg.Seed, 0xe7037ed1a0b428db)
	t.actRNG, t.shufRNG = rand.New(t.actPCG), rand.New(t.shufPCG)
	t.buf = newRollout(cfg.PPO.RolloutSteps, cfg.Env.NumEnvs, spec.ObsDim, spec.ActDim, t.vec.ActionSpace().Dim())
	t.updates = max(1, cfg.TotalTimesteps/cfg.BatchSize())
	return t, nil
}

func policySpec(cfg *configs.Config, obs, act env.Space) (policy.Spec, error) {
	s := policy.Spec{
		ObsDim:     obs.Dim(),
		Hidden:     cfg.Policy.Hidden,
		Activation: cfg.Policy.Activation,
		Shared:     cfg.Policy.Shared,
		Float64:    cfg.Policy.DType == "float64",
		InitLogStd: cfg.Policy.InitLogStd,
	}
	switch a := act.(type) {
	case env.Discrete:
		s.Discrete, s.ActDim = true, a.N
	case env.Box:
		s.ActDim = a.Dim()
	default:
		return s, fmt.Errorf("env: unsupported action space %s", act)
	}
	return s, s.Validate()
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
	return LossConfig{
		Objective: Objective(cfg.PPO.Objective),
		Direction: dir,
		Estimator: est,
		ValueClip: cfg.PPO.ValueClip,
		Reference: cfg.KL.Reference.Checkpoint != "",
	}, nil
}

func newController(c configs.ControllerConfig) (kl.Controller, error) {
	switch c.Kind {
	case "fixed":
		return kl.NewFixed(c.InitBeta)
	case "proportional":
		return kl.NewProportional(c.Target, c.Horizon, c.InitBeta, c.MinBeta, c.MaxBeta)
	}
	high, low, up, down := c.Resolved()
	return kl.NewAdaptive(kl.AdaptiveParams{
		Target: c.Target, HighMult: high, LowMult: low, UpFactor: up, DownFactor: down,
		MinBeta: c.MinBeta, MaxBeta: c.MaxBeta,
	}, c.InitBeta)
}

// Policy is the network being trained.
func (t *Trainer) Policy() *policy.Policy { return t.pol }

// Updates is the number of policy updates the run will make.
func (t *Trainer) Updates() int { return t.updates }

// Run trains until the configured number of timesteps, or until ctx is
// cancelled, in which case it returns ctx's error after a complete update.
func (t *Trainer) Run(ctx context.Context) error {
	start := time.Now()
	if t.lastObs == nil {
		obs, err := t.vec.Reset()
		if err != nil {
			return fmt.Errorf("env: %w", err)
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
		lr := t.cfg.PPO.LearningRate
		if t.cfg.PPO.LRSchedule == "linear" {
			lr *= 1 - float64(t.update-1)/float64(t.updates)
		}
		// 2. Collect a rollout with the current policy.
		if err := t.collect(); err != nil {
			return err
		}
		// 3. Advantages and returns.
		t.buf.advantages(t.cfg.PPO.Gamma, t.cfg.PPO.GAELambda)
		// 4. Optimise the surrogate for several epochs of minibatches.
		beta := t.ctrl.Beta()
		refCoef := t.cfg.KL.Reference.Coef
		if t.refCtrl != nil {
			refCoef = t.refCtrl.Beta()
		}
		m, err := t.optimise(lr, beta, refCoef)
		if err != nil {
			return err
		}
		// 5. Measure how far the policy moved, and adapt beta from it.
		if err := t.measure(&m); err != nil {
			return err
		}
		m.Beta, m.LearningRate = beta, lr
		klCtrl := m.KL
		if t.loss.Direction == kl.NewOld {
			klCtrl = m.KLReverse
		}
		if math.IsNaN(klCtrl) || math.IsInf(klCtrl, 0) {
			return fmt.Errorf("update %d: kl is %v", t.update, klCtrl)
		}
		// Beta only moves when the loss has a KL term for it to weigh.
		if t.penalised() {
			if err := t.ctrl.Update(klCtrl, t.buf.size()); err != nil {
				return fmt.Errorf("update %d: kl controller: %w", t.update, err)
			}
		}
		if t.Warn != nil {
			for _, w := range t.watch.observe(t.update, klCtrl, t.ctrl.Beta(), t.cfg.KL.Controller, t.penalised()) {
				fmt.Fprintln(t.Warn, "warning:", w)
			}
		}
		if t.ref != nil {
			m.KLRef = &m.klRef
			m.RefCoef = &refCoef
			if t.refCtrl != nil {
				if err := t.refCtrl.Update(m.klRef, t.buf.size()); err != nil {
					return fmt.Errorf("update %d: reference controller: %w", t.update, err)
				}
			}
		}
		m.Update, m.Timesteps = t.update, t.timesteps
		if len(t.window) > 0 {
			r, l := 0.0, 0.0
			for _, e := range t.window {
				r += e.Return
				l += float64(e.Length)
			}
			r /= float64(len(t.window))
			l /= float64(len(t.window))
			m.EpisodeReturnMean, m.EpisodeLengthMean = &r, &l
		}
		m.SPS = float64(t.buf.size()) / time.Since(u0).Seconds()
		m.WallSeconds = time.Since(start).Seconds()
		if err := m.check(); err != nil {
			return err
		}
		if p, ok := t.Log.(Progresser); ok {
			p.Progress(m, t.updates, t.cfg.TotalTimesteps)
		} else if t.Log != nil && (t.update%t.cfg.Log.Every == 0 || t.update == t.updates) {
			fmt.Fprintln(t.Log, m.line(t.updates))
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

// normalize applies the running observation normalisation, if enabled, to
// n rows of raw observations, writing into dst.
func (t *Trainer) normalize(dst, raw []float64, n int) {
	if t.obsStats == nil {
		copy(dst, raw)
		return
	}
	t.obsStats.Normalize(dst, raw, n, t.cfg.Env.ClipObs)
}

// collect steps the vector env for one rollout, acting with the plain-Go
// forward pass on the network's own weights.
func (t *Trainer) collect() error {
	if t.clock != nil {
		defer t.clock.add(&t.clock.collect, time.Now())
	}
	b, n := t.buf, t.cfg.Env.NumEnvs
	dist := t.pol.Dist()
	envAct := make([]float64, n*b.actW)
	if t.obsStats != nil && t.timesteps == 0 {
		t.obsStats.Update(t.lastObs, n)
	}
	for s := 0; s < b.steps; s++ {
		o := b.obs[s*n*b.obsDim : (s+1)*n*b.obsDim]
		t.normalize(o, t.lastObs, n)
		head := b.head[s*n*b.actDim : (s+1)*n*b.actDim]
		t.fwd.Forward(o, n, head, b.values[s*n:(s+1)*n])
		if t.ref != nil {
			t.ref.heads(b.refHead[s*n*b.actDim:(s+1)*n*b.actDim], t.lastObs, n)
		}
		for i := 0; i < n; i++ {
			k := s*n + i
			h := head[i*b.actDim : (i+1)*b.actDim]
			a := b.actions[k*b.actW : (k+1)*b.actW]
			dist.Sample(h, t.actRNG, a)
			copy(envAct[i*b.actW:], a)
			if t.box != nil {
				// The sampled action is kept for the log-probability; the env
				// gets it clipped to the box, as SB3 does.
				for j, v := range a {
					envAct[i*b.actW+j] = math.Max(t.box.Low[j], math.Min(t.box.High[j], v))
				}
			}
			b.logp[k] = dist.LogProb(h, a)
		}
		var t0 time.Time
		if t.clock != nil {
			t0 = time.Now()
		}
		st, err := t.vec.Step(envAct)
		if t.clock != nil {
			t.clock.add(&t.clock.env, t0)
		}
		if err != nil {
			return fmt.Errorf("env: %w", err)
		}
		t.timesteps += n
		if t.obsStats != nil {
			t.obsStats.Update(st.Obs, n)
		}
		rew := b.rewards[s*n : (s+1)*n]
		copy(rew, st.Reward)
		for i := 0; i < n; i++ {
			k := s*n + i
			b.ended[k] = st.Terminated[i] || st.Truncated[i]
			b.nextValue[k] = 0
			if st.Truncated[i] && !st.Terminated[i] {
				// Bootstrap the cut-off episode from V(final observation).
				fo := b.scratch[:b.obsDim]
				t.normalize(fo, st.FinalObs[i*b.obsDim:(i+1)*b.obsDim], 1)
				t.fwd.Forward(fo, 1, nil, b.nextValue[k:k+1])
			}
		}
		if t.rewScale != nil {
			t.rewScale.Scale(rew, b.ended[s*n:(s+1)*n])
		}
		for _, e := range st.Episodes {
			t.window = append(t.window, e)
		}
		if len(t.window) > episodeWindow {
			t.window = append(t.window[:0], t.window[len(t.window)-episodeWindow:]...)
		}
		t.lastObs = append(t.lastObs[:0], st.Obs...)
	}
	o := b.scratch[:n*b.obsDim]
	t.normalize(o, t.lastObs, n)
	t.fwd.Forward(o, n, nil, b.last)
	if !t.pol.Spec.Discrete {
		ls := dist.(policy.DiagGaussian).LogStd
		b.logStd = append(b.logStd[:0], ls...)
	}
	return nil
}

// optimise runs the epochs of minibatch updates and returns the averaged
// loss diagnostics.
func (t *Trainer) optimise(lr, beta, refCoef float64) (Metrics, error) {
	var m Metrics
	size := t.buf.size()
	perm := make([]int, size)
	for i := range perm {
		perm[i] = i
	}
	var sum stepStats
	for epoch := 0; epoch < t.cfg.PPO.Epochs; epoch++ {
		m.Epochs = epoch + 1
		t.shufRNG.Shuffle(size, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for lo := 0; lo < size; lo += t.cfg.PPO.MinibatchSize {
			idx := perm[lo:min(lo+t.cfg.PPO.MinibatchSize, size)]
			st, err := t.step(idx, lr, beta, refCoef)
			if err != nil {
				return m, fmt.Errorf("update %d: %w", t.update, err)
			}
			if st.stopped {
				m.EarlyStopped = true
				break
			}
			sum.add(st)
			m.GradNorm = st.gradNorm
		}
		if m.EarlyStopped {
			break
		}
	}
	if n := float64(sum.steps); n > 0 {
		m.PolicyLoss, m.ValueLoss, m.Entropy, m.ClipFraction = sum.pg/n, sum.v/n, sum.ent/n, sum.clip/n
	}
	m.Minibatches = sum.steps
	return m, nil
}

// stepStats are the diagnostics of minibatch steps, summed.
type stepStats struct {
	steps            int
	pg, v, ent, clip float64
	gradNorm         float64
	stopped          bool
}

func (s *stepStats) add(o stepStats) {
	s.steps++
	s.pg += o.pg
	s.v += o.v
	s.ent += o.ent
	s.clip += o.clip
}

// step runs the loss graph on the minibatch rows idx and takes one Adam
// step, unless the early-stopping rule says to stop first.
func (t *Trainer) step(idx []int, lr, beta, refCoef float64) (stepStats, error) {
	if t.clock != nil {
		defer t.clock.add(&t.clock.learn, time.Now())
		t.clock.rows += len(idx)
	}
	var st stepStats
	p := t.cfg.PPO
	mb, err := t.graph(len(idx))
	if err != nil {
		return st, err
	}
	t.fill(mb, idx, beta, refCoef)
	defer mb.vm.Reset()
	if err := mb.vm.RunAll(); err != nil {
		return st, fmt.Errorf("running the loss graph: %w", err)
	}
	if err := mb.grads(t.grads); err != nil {
		return st, err
	}
	defer mb.zeroGrads(t.grads)
	if loss := scalarOf(mb.lossVal); math.IsNaN(loss) || math.IsInf(loss, 0) {
		return st, fmt.Errorf("loss is %v", loss)
	}
	// Early stopping as SB3: the k3 estimate of KL(old||new) on this
	// minibatch, before its step, against target_kl × factor.
	logr := valuesOf(mb.logrVal)
	approx, clipped := 0.0, 0
	for _, lr := range logr {
		r := math.Exp(lr)
		approx += (r - 1) - lr
		if math.Abs(r-1) > p.ClipRange {
			clipped++
		}
	}
	approx /= float64(len(logr))
	if p.TargetKL > 0 && approx > p.TargetKL*p.TargetKLFactor {
		st.stopped = true
		return st, nil
	}
	st.gradNorm = ClipGradNorm(t.grads, p.MaxGradNorm)
	if math.IsNaN(st.gradNorm) || math.IsInf(st.gradNorm, 0) {
		return st, fmt.Errorf("gradient norm is %v", st.gradNorm)
	}
	t.opt.Update(t.params, t.grads, lr)
	st.pg, st.v, st.ent = scalarOf(mb.pgVal), scalarOf(mb.vVal), scalarOf(mb.entVal)
	st.clip = float64(clipped) / float64(len(logr))
	return st, nil
}

// graph returns the loss graph for minibatches of size n, built on first use.
func (t *Trainer) graph(n int) (*minibatch, error) {
	if mb, ok := t.graphs[n]; ok {
		return mb, nil
	}
	mb, err := newMinibatch(t.pol, t.loss, n, t.cfg.PPO.ClipRange)
	if err != nil {
		return nil, err
	}
	mb.setScalar(mb.vfCoef, t.cfg.PPO.ValueCoef)
	mb.setScalar(mb.entCoef, t.cfg.PPO.EntropyCoef)
	t.graphs[n] = mb
	return mb, nil
}

// fill gathers the minibatch rows idx into the graph's input tensors.
func (t *Trainer) fill(mb *minibatch, idx []int, beta, refCoef float64) {
	b := t.buf
	n := len(idx)
	g := b.gather
	gather := func(nd *G.Node, src []float64, w int) {
		dst := g[:n*w]
		for r, k := range idx {
			copy(dst[r*w:(r+1)*w], src[k*w:(k+1)*w])
		}
		mb.set(nd, dst)
	}
	gather(mb.obs, b.obs, b.obsDim)
	if t.pol.Spec.Discrete {
		oh := g[:n*b.actDim]
		clear(oh)
		for r, k := range idx {
			oh[r*b.actDim+int(b.actions[k])] = 1 // actW is 1
		}
		mb.set(mb.act, oh)
	} else {
		gather(mb.act, b.actions, b.actW)
	}
	gather(mb.oldLogp, b.logp, 1)
	gather(mb.ret, b.ret, 1)
	gather(mb.oldV, b.values, 1)
	gather(mb.old.Head, b.head, b.actDim)
	if mb.old.LogStd != nil {
		tile(g[:n*b.actDim], b.logStd, n)
		mb.set(mb.old.LogStd, g[:n*b.actDim])
	}
	if t.ref != nil {
		gather(mb.ref.Head, b.refHead, b.actDim)
		if mb.ref.LogStd != nil {
			tile(g[:n*b.actDim], t.ref.logStd, n)
			mb.set(mb.ref.LogStd, g[:n*b.actDim])
		}
	}
	adv := g[:n]
	for r, k := range idx {
		adv[r] = b.adv[k]
	}
	if t.cfg.PPO.NormalizeAdvantages && n > 1 {
		// Per-minibatch standardisation with the unbiased std, as CleanRL and SB3.
		mean := 0.0
		for _, a := range adv {
			mean += a
		}
		mean /= float64(n)
		ss := 0.0
		for _, a := range adv {
			ss += (a - mean) * (a - mean)
		}
		sd := math.Sqrt(ss / float64(n-1))
		for r := range adv {
			adv[r] = (adv[r] - mean) / (sd + 1e-8)
		}
	}
	mb.set(mb.adv, adv)
	mb.setScalar(mb.beta, beta)
	mb.setScalar(mb.refCoef, refCoef)
}

func tile(dst, row []float64, n int) {
	for r := 0; r < n; r++ {
		copy(dst[r*len(row):], row)
	}
}

// measure evaluates the updated policy on the whole batch: the exact KL to
// the behaviour policy in both directions, its k3 estimate, KL to the
// reference, and the critic's explained variance before the update.
func (t *Trainer) measure(m *Metrics) error {
	b := t.buf
	n := b.size()
	t.fwd.Forward(b.obs, n, b.newHead, nil)
	dist := t.pol.Dist()
	var newStd, oldStd, refStd []float64
	if !t.pol.Spec.Discrete {
		newStd = expAll(dist.(policy.DiagGaussian).LogStd)
		oldStd = expAll(b.logStd)
		if t.ref != nil {
			refStd = expAll(t.ref.logStd)
		}
	}
	var sum, sumRev, sumK3, sumRef, maxKL float64
	for k := 0; k < n; k++ {
		oh := b.head[k*b.actDim : (k+1)*b.actDim]
		nh := b.newHead[k*b.actDim : (k+1)*b.actDim]
		a := b.actions[k*b.actW : (k+1)*b.actW]
		var d, rev float64
		if t.pol.Spec.Discrete {
			d, rev = kl.CategoricalLogits(oh, nh), kl.CategoricalLogits(nh, oh)
		} else {
			d, rev = kl.DiagGaussian(oh, oldStd, nh, newStd), kl.DiagGaussian(nh, newStd, oh, oldStd)
		}
		sum += d
		sumRev += rev
		maxKL = max(maxKL, d)
		sumK3 += kl.Estimate(kl.K3, dist.LogProb(nh, a)-b.logp[k])
		if t.ref != nil {
			rh := b.refHead[k*b.actDim : (k+1)*b.actDim]
			var dr float64
			switch {
			case t.pol.Spec.Discrete && t.loss.Direction == kl.OldNew:
				dr = kl.CategoricalLogits(rh, nh)
			case t.pol.Spec.Discrete:
				dr = kl.CategoricalLogits(nh, rh)
			case t.loss.Direction == kl.OldNew:
				dr = kl.DiagGaussian(rh, refStd, nh, newStd)
			default:
				dr = kl.DiagGaussian(nh, newStd, rh, refStd)
			}
			sumRef += dr
		}
	}
	f := float64(n)
	m.KL, m.KLReverse, m.KLMax, m.ApproxKL = sum/f, sumRev/f, maxKL, sumK3/f
	m.klRef = sumRef / f
	m.ExplainedVariance = explainedVariance(b.values, b.ret)
	for _, prm := range t.pol.Params() {
		for _, v := range valuesOf(prm.T) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("update %d: parameter %s is not finite", t.update, prm.Name)
			}
		}
	}
	return nil
}

func expAll(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Exp(v)
	}
	return y
}

// explainedVariance is 1 - Var(ret - v)/Var(ret): 1 is a perfect critic,
// 0 no better than a constant; NaN-free: 0 when the returns are constant.
func explainedVariance(v, ret []float64) float64 {
	n := float64(len(ret))
	var mr, md float64
	for i := range ret {
		mr += ret[i]
		md += ret[i] - v[i]
	}
	mr /= n
	md /= n
	var vr, vd float64
	for i := range ret {
		vr += (ret[i] - mr) * (ret[i] - mr)
		d := ret[i] - v[i] - md
		vd += d * d
	}
	if vr == 0 {
		return 0
	}
	return 1 - vd/vr
}

// penalised says whether the loss has a KL penalty whose beta matters.
func (t *Trainer) penalised() bool {
	return t.loss.Objective == KLPenalty || t.loss.Objective == ClipKL
}

// watch notices a run going wrong slowly: beta pinned at a clamp, or the
// KL far over its target, for many updates in a row. Each streak is
// reported once, when it reaches its length.
type watch struct {
	atClamp, overTarget int
}

// Streak lengths (updates) before a warning.
const (
	clampStreak = 10
	overStreak  = 5
	// overFactor × target counts as far over: twice the widest preset's upper threshold.
	overFactor = 4
)

func (w *watch) observe(update int, d, beta float64, c configs.ControllerConfig, penalised bool) []string {
	if !penalised || c.Kind == "fixed" {
		return nil
	}
	var out []string
	if beta <= c.MinBeta || beta >= c.MaxBeta {
		w.atClamp++
	} else {
		w.atClamp = 0
	}
	if w.atClamp == clampStreak {
		out = append(out, fmt.Sprintf("update %d: beta has been at its clamp (%g) for %d updates; the KL target %g is out of reach of the penalty (see kl.controller.min_beta/max_beta, ppo.learning_rate)",
			update, beta, clampStreak, c.Target))
	}
	if d > overFactor*c.Target {
		w.overTarget++
	} else {
		w.overTarget = 0
	}
	if w.overTarget == overStreak {
		out = append(out, fmt.Sprintf("update %d: KL %.4g has been over %d× its target %g for %d updates", update, d, overFactor, c.Target, overStreak))
	}
	return out
}
