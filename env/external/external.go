package external

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"ppo/env"
)

// ID is the env.id of an environment served by a child process.
const ID = "external"

// Defaults of Command.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultMaxMessage = 64 << 20
)

// Command says how to start the processes that serve an environment.
type Command struct {
	// Argv is the program and its arguments, such as [python3 cartpole.py].
	Argv []string
	// Timeout bounds the wait for every reply (and every write); 0 means DefaultTimeout.
	Timeout time.Duration
	// Processes is how many children share a Vec's copies, in contiguous blocks; 0 means 1.
	Processes int
	// MaxMessage is the largest message accepted from a child, in bytes; 0 means DefaultMaxMessage.
	MaxMessage int
	// Dir is the working directory the program starts in; "" is the caller's.
	Dir string
}

func (c Command) withDefaults() Command {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Processes <= 0 {
		c.Processes = 1
	}
	if c.MaxMessage <= 0 {
		c.MaxMessage = DefaultMaxMessage
	}
	return c
}

// launch starts a child and reads its hello.
func launch(c Command) (*child, Hello, error) {
	ch, err := start(c)
	if err != nil {
		return nil, Hello{}, err
	}
	d, err := ch.recv(msgHello, "hello")
	if err != nil {
		return nil, Hello{}, err
	}
	h := d.hello()
	if d.err != nil {
		return nil, Hello{}, ch.malformed(d.err, "hello")
	}
	// The registry checks the declared parameters as it checks any spec's.
	if err := env.NewRegistry().Register(spec(c, h)); err != nil {
		return nil, Hello{}, ch.malformed(err, "hello")
	}
	if h.ID != "" {
		ch.label = h.ID + " (" + ch.label + ")"
	}
	return ch, h, nil
}

// Describe starts the program of c, reads the hello in which it declares its environment, and
// stops it.
func Describe(c Command) (Hello, error) {
	ch, h, err := launch(c)
	if err != nil {
		return Hello{}, err
	}
	ch.close()
	return h, nil
}

// Spec describes the environment c serves as an env.Spec, from the child's hello: its ID is
// the id the child declares (as messages name it; "external" if it declares none), Doc names
// the served id and the command. Make of the spec starts a child hosting one copy; Close the
// env (it is an io.Closer) to stop it.
func Spec(c Command) (env.Spec, error) {
	h, err := Describe(c)
	if err != nil {
		return env.Spec{}, err
	}
	return spec(c, h), nil
}

func spec(c Command, h Hello) env.Spec {
	doc := h.Doc
	if h.ID != "" {
		doc = h.ID + ": " + doc
	}
	id := h.ID
	if id == "" {
		id = "external"
	}
	return env.Spec{
		ID: id, Doc: doc + " [" + strings.Join(c.Argv, " ") + "]",
		MaxEpisodeSteps: h.MaxEpisodeSteps, RewardThreshold: h.RewardThreshold, HasRewardThreshold: h.HasRewardThreshold,
		Params: h.Params, TextParams: h.TextParams,
		New: func(cfg env.Config) (env.Env, error) {
			p, err := newPool(c, h, 1, []uint64{cfg.Seed}, cfg, 0)
			if err != nil {
				return nil, err
			}
			return p.single(), nil
		},
	}
}

// MakeVec starts c.Processes children hosting n copies in all, copy i seeded with
// env.VecSeed(seed, i), and vectorises them: one message to each child steps all its copies.
// Options are those of env.MakeVec (parameters, time limit); Close the Vec to stop the children.
func MakeVec(c Command, n int, seed uint64, opts ...env.Option) (*env.Vec, error) {
	c = c.withDefaults()
	if n < 1 {
		return nil, fmt.Errorf("env: vector of %d environments, want at least 1", n)
	}
	if c.Processes > n {
		return nil, fmt.Errorf("external env: %d processes for %d copies; want at most one process per copy", c.Processes, n)
	}
	h, err := Describe(c)
	if err != nil {
		return nil, err
	}
	cfg, limit, err := spec(c, h).Configure(opts...)
	if err != nil {
		return nil, err
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = env.VecSeed(seed, i)
	}
	p, err := newPool(c, h, n, seeds, cfg, limit)
	if err != nil {
		return nil, err
	}
	v, err := env.NewBatchVec(p, limit)
	if err != nil {
		p.Close()
		return nil, err
	}
	if h.ID != "" {
		v.SetID(h.ID)
	} else {
		v.SetID(ID)
	}
	return v, nil
}

// pool is the env.Batch of the copies hosted by one or more children, in contiguous blocks.
type pool struct {
	kids   []*child
	lo     []int // first copy of each child; lo[len(kids)] = n
	n      int
	obs    env.Space
	act    env.Space
	obsDim int
	actDim int
	nA     int    // actions of a masked Discrete space
	masks  []bool // n*nA: the current masks
	save   bool
	copies []env.Env
	err    error
}

// newPool starts the children and initialises them: n copies, seeds, parameter values and the
// time limit (which children may use, such as Gymnasium's own TimeLimit; ppo enforces it anyway).
func newPool(c Command, h Hello, n int, seeds []uint64, cfg env.Config, limit int) (*pool, error) {
	c = c.withDefaults()
	k := c.Processes
	if k > n {
		k = n
	}
	p := &pool{n: n, save: h.CanSave, lo: make([]int, k+1)}
	for j := range k + 1 {
		p.lo[j] = j * n / k
	}
	for j := range k {
		ch, hj, err := launch(c)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.kids = append(p.kids, ch)
		if hj.ID != h.ID || hj.MaxEpisodeSteps != h.MaxEpisodeSteps || hj.CanSave != h.CanSave {
			p.Close()
			return nil, fmt.Errorf("external env %s: its processes declare different environments (%s and %s)", ch.label, h.ID, hj.ID)
		}
		ch.enc.reset(msgInit)
		ch.enc.u32(p.lo[j+1] - p.lo[j])
		for _, s := range seeds[p.lo[j]:p.lo[j+1]] {
			ch.enc.u64(s)
		}
		ch.enc.u32(limit)
		ch.enc.u32(len(cfg.Params))
		for _, name := range slices.Sorted(maps.Keys(cfg.Params)) {
			ch.enc.str(name)
			ch.enc.f64(cfg.Params[name])
		}
		ch.enc.u32(len(cfg.Text))
		for _, name := range slices.Sorted(maps.Keys(cfg.Text)) {
			ch.enc.str(name)
			ch.enc.str(cfg.Text[name])
		}
		if err := ch.send("init"); err != nil {
			p.Close()
			return nil, err
		}
	}
	for j, ch := range p.kids {
		d, err := ch.recv(msgSpaces, "spaces")
		if err != nil {
			p.Close()
			return nil, err
		}
		obs, act := d.space("observation space", 0), d.space("action space", 0)
		mask := d.u8("mask flag") != 0
		d.end("spaces")
		if d.err == nil {
			d.err = checkSpaces(obs, act, mask)
		}
		if d.err != nil {
			err := ch.malformed(d.err, "spaces")
			p.Close()
			return nil, err
		}
		if j == 0 {
			p.obs, p.act = obs, act
			if mask {
				p.nA = act.(env.Discrete).N
			}
		} else if obs.String() != p.obs.String() || act.String() != p.act.String() || mask != (p.nA > 0) {
			p.Close()
			return nil, fmt.Errorf("external env %s: its processes declare different spaces (%v, %v and %v, %v)", ch.label, p.obs, p.act, obs, act)
		}
	}
	p.obsDim, p.actDim = p.obs.Dim(), p.act.Dim()
	p.masks = make([]bool, n*p.nA)
	for i := range n {
		c := &copyEnv{p: p, i: i}
		if p.nA > 0 {
			p.copies = append(p.copies, &maskedCopy{c})
		} else {
			p.copies = append(p.copies, c)
		}
	}
	return p, nil
}

// checkSpaces refuses spaces ppo cannot act in.
func checkSpaces(obs, act env.Space, mask bool) error {
	switch o := obs.(type) {
	case env.Box, env.Discrete, env.MultiDiscrete:
	case env.Tuple:
		if _, ok := env.Cardinalities(o); !ok {
			return fmt.Errorf("observation space %v: a Tuple must hold discrete spaces only", obs)
		}
	}
	switch act.(type) {
	case env.Box, env.Discrete, env.MultiDiscrete:
	default:
		return fmt.Errorf("action space %v: want Box, Discrete or MultiDiscrete", act)
	}
	if _, ok := act.(env.Discrete); mask && !ok {
		return fmt.Errorf("action masks need a Discrete action space, have %v", act)
	}
	return nil
}

func (p *pool) Num() int                    { return p.n }
func (p *pool) ObservationSpace() env.Space { return p.obs }
func (p *pool) ActionSpace() env.Space      { return p.act }
func (p *pool) Env(i int) env.Env           { return p.copies[i] }

// fail stops every child after one failed, keeping the first error.
func (p *pool) fail(err error) error {
	if p.err == nil {
		p.err = err
	}
	for _, ch := range p.kids {
		if !ch.reaped {
			ch.stop(0)
		}
	}
	return p.err
}

// Close stops the children.
func (p *pool) Close() error {
	for _, ch := range p.kids {
		ch.close()
	}
	if p.err == nil {
		p.err = errors.New("external env: closed")
	}
	return nil
}

// ResetAll resets every copy.
func (p *pool) ResetAll(obs []float64) error {
	if p.err != nil {
		return p.err
	}
	for _, ch := range p.kids {
		ch.enc.reset(msgReset)
		if err := ch.send("reset"); err != nil {
			return p.fail(err)
		}
	}
	for j, ch := range p.kids {
		d, err := ch.recv(msgObs, "observations after reset")
		if err != nil {
			return p.fail(err)
		}
		lo, hi := p.lo[j], p.lo[j+1]
		d.f64s(obs[lo*p.obsDim:hi*p.obsDim], "observations")
		p.readMasks(d, lo, hi)
		d.end("observations after reset")
		if d.err != nil {
			return p.fail(ch.malformed(d.err, "observations after reset"))
		}
	}
	return nil
}

func (p *pool) readMasks(d *decoder, lo, hi int) {
	if p.nA == 0 {
		return
	}
	b := d.take((hi-lo)*p.nA, "action masks")
	if b == nil {
		return
	}
	m := p.masks[lo*p.nA : hi*p.nA]
	for i := range m {
		m[i] = b[i] != 0
	}
	for i := lo; i < hi; i++ {
		if !slices.Contains(p.masks[i*p.nA:(i+1)*p.nA], true) {
			d.fail("copy %d's action mask allows no action", i)
		}
	}
}

// StepAll sends every child its copies' actions, then reads every reply.
func (p *pool) StepAll(actions []float64, end []bool, st *env.VecStep) error {
	if p.err != nil {
		return p.err
	}
	if len(actions) != p.n*p.actDim {
		return fmt.Errorf("%w: got %d action values for %d envs of action dimension %d", env.ErrInvalidAction, len(actions), p.n, p.actDim)
	}
	for i := range p.n {
		if err := checkAction(p.act, actions[i*p.actDim:(i+1)*p.actDim]); err != nil {
			return fmt.Errorf("env: vector env %d: %w", i, err)
		}
	}
	for j, ch := range p.kids {
		lo, hi := p.lo[j], p.lo[j+1]
		ch.enc.reset(msgStep)
		ch.enc.f64s(actions[lo*p.actDim : hi*p.actDim])
		for _, e := range end[lo:hi] {
			ch.enc.u8(b2u(e))
		}
		if err := ch.send("step"); err != nil {
			return p.fail(err)
		}
	}
	for j, ch := range p.kids {
		d, err := ch.recv(msgStepped, "step reply")
		if err != nil {
			return p.fail(err)
		}
		lo, hi := p.lo[j], p.lo[j+1]
		d.f64s(st.Reward[lo:hi], "rewards")
		flags := d.take(hi-lo, "flags")
		d.f64s(st.Obs[lo*p.obsDim:hi*p.obsDim], "observations")
		for i := lo; d.err == nil && i < hi; i++ {
			f := flags[i-lo]
			st.Terminated[i], st.Truncated[i] = f&flagTerminated != 0, f&flagTruncated != 0 || end[i]
			final := st.FinalObs[i*p.obsDim : (i+1)*p.obsDim]
			if st.Terminated[i] || st.Truncated[i] {
				d.f64s(final, "final observation")
			} else {
				copy(final, st.Obs[i*p.obsDim:(i+1)*p.obsDim])
			}
			if math.IsNaN(st.Reward[i]) || math.IsInf(st.Reward[i], 0) {
				d.fail("copy %d's reward is %v", i, st.Reward[i])
			}
		}
		p.readMasks(d, lo, hi)
		d.end("step reply")
		if d.err != nil {
			return p.fail(ch.malformed(d.err, "step reply"))
		}
	}
	return nil
}

// MarshalBinary saves the state of every copy: the children's blobs, each length-prefixed. A
// pool whose children cannot save gives an empty state, which restores as fresh episodes.
func (p *pool) MarshalBinary() ([]byte, error) {
	if p.err != nil {
		return nil, p.err
	}
	if !p.save {
		return nil, nil
	}
	var out encoder
	out.u32(len(p.kids))
	for _, ch := range p.kids {
		ch.enc.reset(msgSave)
		if err := ch.send("save request"); err != nil {
			return nil, p.fail(err)
		}
		d, err := ch.recv(msgState, "saved state")
		if err != nil {
			return nil, p.fail(err)
		}
		out.bytes(d.b)
	}
	return out.b, nil
}

// UnmarshalBinary restores what MarshalBinary saved; it returns env.ErrStateless (wrapped) when
// the children cannot restore, or nothing was saved.
func (p *pool) UnmarshalBinary(data []byte) error {
	if p.err != nil {
		return p.err
	}
	if !p.save || len(data) == 0 {
		return fmt.Errorf("external env %s: %w (it has no save and load messages)", p.kids[0].label, env.ErrStateless)
	}
	d := &decoder{b: data}
	if k := d.u32("number of children"); d.err == nil && k != len(p.kids) {
		return fmt.Errorf("external env %s: saved with %d processes, have %d", p.kids[0].label, k, len(p.kids))
	}
	for j, ch := range p.kids {
		blob := d.take(d.u32("state length"), "state")
		if d.err != nil {
			return fmt.Errorf("external env %s: saved state: %w", ch.label, d.err)
		}
		ch.enc.reset(msgLoad)
		ch.enc.b = append(ch.enc.b, blob...)
		if err := ch.send("state to load"); err != nil {
			return p.fail(err)
		}
		r, err := ch.recv(msgLoaded, "load reply")
		if err != nil {
			return p.fail(err)
		}
		p.readMasks(r, p.lo[j], p.lo[j+1])
		r.end("load reply")
		if r.err != nil {
			return p.fail(ch.malformed(r.err, "load reply"))
		}
	}
	return nil
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// checkAction validates one copy's action, as the built-in environments do.
func checkAction(s env.Space, a []float64) error {
	if b, ok := s.(env.Box); ok {
		if len(a) != b.Dim() {
			return fmt.Errorf("%w: got %d values for a Box of dimension %d", env.ErrInvalidAction, len(a), b.Dim())
		}
		for i, v := range a {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: value %d is %v", env.ErrInvalidAction, i, v)
			}
		}
		return nil
	}
	if !s.Contains(a) {
		return fmt.Errorf("%w: %v not in %v", env.ErrInvalidAction, a, s)
	}
	return nil
}

// errCopy is returned by Reset and Step of a copy in a pool, which only the Vec steps.
var errCopy = errors.New("external env: a copy in a vector is stepped by its Vec")

// copyEnv is copy i of a pool as an env.Env, for inspection.
type copyEnv struct {
	p *pool
	i int
}

func (c *copyEnv) Reset() ([]float64, error)              { return nil, errCopy }
func (c *copyEnv) Step([]float64) (env.StepResult, error) { return env.StepResult{}, errCopy }
func (c *copyEnv) ObservationSpace() env.Space            { return c.p.obs }
func (c *copyEnv) ActionSpace() env.Space                 { return c.p.act }

// maskedCopy is a copy whose child sends action masks.
type maskedCopy struct{ *copyEnv }

// ActionMask writes the mask the child sent with the current observation.
func (c *maskedCopy) ActionMask(dst []bool) { copy(dst, c.p.masks[c.i*c.p.nA:(c.i+1)*c.p.nA]) }

// single is a pool of one copy as an env.Env (env.Make of the Spec).
type single struct {
	p       *pool
	st      env.VecStep
	end     []bool
	pending bool // the child reset the copy when its episode ended: Obs is the next first obs
}

func (p *pool) single() env.Env {
	s := &single{p: p, end: []bool{false}, st: env.VecStep{
		Obs: make([]float64, p.obsDim), FinalObs: make([]float64, p.obsDim),
		Reward: make([]float64, 1), Terminated: make([]bool, 1), Truncated: make([]bool, 1),
	}}
	if p.nA > 0 {
		return &maskedSingle{s}
	}
	return s
}

func (s *single) ObservationSpace() env.Space { return s.p.obs }
func (s *single) ActionSpace() env.Space      { return s.p.act }

// Close stops the child.
func (s *single) Close() error { return s.p.Close() }

func (s *single) Reset() ([]float64, error) {
	if s.pending {
		s.pending = false
		return slices.Clone(s.st.Obs), nil
	}
	if err := s.p.ResetAll(s.st.Obs); err != nil {
		return nil, err
	}
	return slices.Clone(s.st.Obs), nil
}

func (s *single) Step(a []float64) (env.StepResult, error) {
	if err := checkAction(s.p.act, a); err != nil {
		return env.StepResult{}, err
	}
	if err := s.p.StepAll(a, s.end, &s.st); err != nil {
		return env.StepResult{}, err
	}
	r := env.StepResult{Obs: slices.Clone(s.st.FinalObs), Reward: s.st.Reward[0], Terminated: s.st.Terminated[0], Truncated: s.st.Truncated[0]}
	s.pending = r.Terminated || r.Truncated
	return r, nil
}

// maskedSingle is a single copy whose child sends action masks.
type maskedSingle struct{ *single }

// ActionMask writes the mask of the current observation. After an episode ended it is the mask of
// the next episode's first observation, which the next Reset returns.
func (s *maskedSingle) ActionMask(dst []bool) { copy(dst, s.p.masks) }
