// Package envtest checks that an environment honours the env.Env contract, for use in any package's tests.
package envtest

import (
	"encoding"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"ppo/env"
	"ppo/internal/detmath"
)

// Factory makes an environment seeded with seed, e.g. func(s uint64) (env.Env, error) { return env.Make(id, env.WithSeed(s)) }.
type Factory func(seed uint64) (env.Env, error)

// steps bounds the work of each check, keeping a full Check well under a second for cheap envs.
const steps = 2000

// Check runs the conformance checks on the environment registered under id in env's default registry.
func Check(t testing.TB, id string, opts ...env.Option) {
	t.Helper()
	spec, ok := env.Lookup(id)
	if !ok {
		t.Fatalf("envtest: %s is not registered", id)
	}
	CheckSpec(t, spec, opts...)
}

// CheckRegistry runs the conformance checks on the environment registered under id in r.
func CheckRegistry(t testing.TB, r *env.Registry, id string, opts ...env.Option) {
	t.Helper()
	spec, ok := r.Lookup(id)
	if !ok {
		t.Fatalf("envtest: %s is not registered", id)
	}
	CheckSpec(t, spec, opts...)
}

// CheckSpec runs the conformance checks on the environment s describes, made by s.Make with opts
// and a seed per instance.
func CheckSpec(t testing.TB, s env.Spec, opts ...env.Option) {
	t.Helper()
	f := func(seed uint64) (env.Env, error) {
		return s.Make(append(slices.Clone(opts), env.WithSeed(seed))...)
	}
	CheckFactory(t, f, s.MaxEpisodeSteps)
}

// CheckFactory runs the conformance checks on environments made by f. maxEpisodeSteps is the time
// limit the environment should enforce (0: none). It checks that
//   - the spaces are well-formed Discrete, MultiDiscrete, Tuple or Box spaces;
//   - Step before Reset, and after an episode ended, is an error until Reset;
//   - observations have the space's length, are finite and lie in the observation space;
//     rewards are finite; no episode outlasts the time limit and the step reaching it is Truncated;
//   - invalid actions (wrong length, bad index, NaN) are errors, not panics, and leave the episode running;
//     Box actions outside the bounds are accepted;
//   - the same seed and actions give bit-identical results;
//   - State and SetState (if Stateful) and MarshalBinary/UnmarshalBinary (if implemented)
//     capture everything needed to continue identically.
func CheckFactory(t testing.TB, f Factory, maxEpisodeSteps int) {
	t.Helper()
	c := &checker{t: t, f: f, max: maxEpisodeSteps}
	c.run("spaces", c.spaces)
	c.run("step before reset", c.beforeReset)
	c.run("reset/step contract", c.contract)
	c.run("invalid actions", c.invalid)
	c.run("determinism", c.determinism)
	c.run("state", c.state)
	c.run("serialisation", c.serialisation)
}

type checker struct {
	t   testing.TB
	f   Factory
	max int
}

// run executes one check, turning a panic into a test failure naming the check.
func (c *checker) run(name string, check func() error) {
	c.t.Helper()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return check()
	}()
	if err != nil {
		c.t.Errorf("envtest: %s: %v", name, err)
	}
}

func (c *checker) make(seed uint64) (env.Env, error) {
	e, err := c.f(seed)
	if err != nil {
		return nil, fmt.Errorf("make: %w", err)
	}
	if e == nil {
		return nil, errors.New("make returned a nil environment")
	}
	if cl, ok := e.(io.Closer); ok { // such as an env served by a child process
		c.t.Cleanup(func() { cl.Close() })
	}
	return e, nil
}

func (c *checker) spaces() error {
	e, err := c.make(1)
	if err != nil {
		return err
	}
	if err := wellFormed(e.ObservationSpace()); err != nil {
		return fmt.Errorf("observation space: %w", err)
	}
	if err := wellFormed(e.ActionSpace()); err != nil {
		return fmt.Errorf("action space: %w", err)
	}
	return nil
}

func wellFormed(s env.Space) error {
	switch s := s.(type) {
	case env.Discrete:
		if s.N < 1 {
			return fmt.Errorf("%v has no elements", s)
		}
		if s.Dim() != 1 {
			return fmt.Errorf("%v has Dim %d", s, s.Dim())
		}
	case env.Box:
		if len(s.Low) == 0 || len(s.Low) != len(s.High) || s.Dim() != len(s.Low) {
			return fmt.Errorf("%v: bounds of lengths %d and %d", s, len(s.Low), len(s.High))
		}
		for i := range s.Low {
			if !(s.Low[i] <= s.High[i]) {
				return fmt.Errorf("%v: low[%d] > high[%d]", s, i, i)
			}
		}
	case env.MultiDiscrete:
		if len(s.Nvec) == 0 {
			return fmt.Errorf("%v has no components", s)
		}
		for i, n := range s.Nvec {
			if n < 1 {
				return fmt.Errorf("%v: component %d has no elements", s, i)
			}
		}
	case env.Tuple:
		if len(s.Spaces) == 0 {
			return fmt.Errorf("%v has no components", s)
		}
		for i, c := range s.Spaces {
			if err := wellFormed(c); err != nil {
				return fmt.Errorf("component %d: %w", i, err)
			}
		}
	case nil:
		return errors.New("nil")
	default:
		return fmt.Errorf("%T is not an env.Discrete, MultiDiscrete, Tuple or Box", s)
	}
	return nil
}

// sample draws an action from s; out > 0 stretches Box actions beyond finite bounds by that factor.
func sample(rng *rand.Rand, s env.Space, out float64) []float64 {
	switch s := s.(type) {
	case env.Discrete:
		return []float64{float64(rng.IntN(s.N))}
	case env.MultiDiscrete:
		a := make([]float64, s.Dim())
		for i, n := range s.Nvec {
			a[i] = float64(rng.IntN(n))
		}
		return a
	case env.Tuple:
		var a []float64
		for _, c := range s.Spaces {
			a = append(a, sample(rng, c, out)...)
		}
		return a
	case env.Box:
		a := make([]float64, s.Dim())
		for i := range a {
			lo, hi := s.Low[i], s.High[i]
			switch {
			case math.IsInf(lo, 0) || math.IsInf(hi, 0):
				a[i] = detmath.NormFloat64(rng)
			case out > 0:
				mid, half := (lo+hi)/2, (hi-lo)/2
				a[i] = mid + out*half*(2*rng.Float64()-1)
			default:
				a[i] = lo + (hi-lo)*rng.Float64()
			}
		}
		return a
	}
	return nil
}

func checkObs(s env.Space, obs []float64) error {
	if len(obs) != s.Dim() {
		return fmt.Errorf("observation has %d values, want %d", len(obs), s.Dim())
	}
	for i, v := range obs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("observation value %d is %v", i, v)
		}
	}
	if !s.Contains(obs) {
		return fmt.Errorf("observation %v not in %v", obs, s)
	}
	return nil
}

func (c *checker) beforeReset() error {
	e, err := c.make(2)
	if err != nil {
		return err
	}
	if _, err := e.Step(sample(rand.New(rand.NewPCG(0, 0)), e.ActionSpace(), 0)); err == nil {
		return errors.New("Step before Reset: no error")
	}
	return nil
}

// contract runs episodes with random actions (some outside Box bounds), checking every result.
func (c *checker) contract() error {
	e, err := c.make(2)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	obs, err := e.Reset()
	if err != nil {
		return fmt.Errorf("Reset: %w", err)
	}
	if err := checkObs(e.ObservationSpace(), obs); err != nil {
		return fmt.Errorf("Reset: %w", err)
	}
	episodes, length := 0, 0
	for n := 0; n < steps; n++ {
		out := 0.0
		if n%3 == 0 {
			out = 1.5 // Box actions beyond the bounds must be handled, not rejected
		}
		a := sample(rng, e.ActionSpace(), out)
		res, err := e.Step(a)
		if err != nil {
			return fmt.Errorf("step %d of episode %d, action %v: %w", length, episodes, a, err)
		}
		length++
		if err := checkObs(e.ObservationSpace(), res.Obs); err != nil {
			return fmt.Errorf("step %d of episode %d: %w", length, episodes, err)
		}
		if math.IsNaN(res.Reward) || math.IsInf(res.Reward, 0) {
			return fmt.Errorf("step %d of episode %d: reward %v", length, episodes, res.Reward)
		}
		if c.max > 0 && length == c.max && !res.Truncated {
			return fmt.Errorf("episode %d reached the time limit %d without Truncated", episodes, c.max)
		}
		if !res.Terminated && !res.Truncated {
			continue
		}
		if _, err := e.Step(sample(rng, e.ActionSpace(), 0)); err == nil {
			return fmt.Errorf("Step after episode %d ended (terminated %v, truncated %v): no error",
				episodes, res.Terminated, res.Truncated)
		}
		if obs, err = e.Reset(); err != nil {
			return fmt.Errorf("Reset after episode %d: %w", episodes, err)
		}
		if err := checkObs(e.ObservationSpace(), obs); err != nil {
			return fmt.Errorf("Reset after episode %d: %w", episodes, err)
		}
		episodes, length = episodes+1, 0
	}
	return nil
}

func invalidActions(s env.Space) [][]float64 {
	nan := math.NaN()
	bad := [][]float64{nil, make([]float64, s.Dim()+1)}
	switch s := s.(type) {
	case env.Discrete:
		bad = append(bad, []float64{-1}, []float64{float64(s.N)}, []float64{0.5}, []float64{nan})
	case env.MultiDiscrete:
		for _, v := range []float64{-1, float64(s.Nvec[0]), 0.5, nan} {
			a := make([]float64, s.Dim())
			a[0] = v
			bad = append(bad, a)
		}
	case env.Box:
		a := make([]float64, s.Dim())
		a[0] = nan
		bad = append(bad, a)
	}
	return bad
}

func (c *checker) invalid() error {
	e, err := c.make(5)
	if err != nil {
		return err
	}
	if _, err := e.Reset(); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, a := range invalidActions(e.ActionSpace()) {
		if _, err := e.Step(a); err == nil {
			return fmt.Errorf("action %v for %v: no error", a, e.ActionSpace())
		}
	}
	if _, err := e.Step(sample(rng, e.ActionSpace(), 0)); err != nil {
		return fmt.Errorf("valid Step after invalid actions: %w", err)
	}
	return nil
}

// trace is everything observable in a run, compared bit for bit.
type trace []float64

func (tr *trace) add(obs []float64, r float64, term, trunc bool) {
	*tr = append(*tr, obs...)
	*tr = append(*tr, r, b2f(term), b2f(trunc))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// play runs n steps with actions from rng, resetting when an episode ends.
func play(e env.Env, rng *rand.Rand, n int, reset bool) (trace, error) {
	var tr trace
	if reset {
		obs, err := e.Reset()
		if err != nil {
			return nil, err
		}
		tr.add(obs, 0, false, false)
	}
	for range n {
		res, err := e.Step(sample(rng, e.ActionSpace(), 0))
		if err != nil {
			return nil, err
		}
		tr.add(res.Obs, res.Reward, res.Terminated, res.Truncated)
		if res.Terminated || res.Truncated {
			obs, err := e.Reset()
			if err != nil {
				return nil, err
			}
			tr.add(obs, 0, false, false)
		}
	}
	return tr, nil
}

func same(a, b trace) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func (c *checker) determinism() error {
	var runs [2]trace
	for i := range runs {
		e, err := c.make(7)
		if err != nil {
			return err
		}
		if runs[i], err = play(e, rand.New(rand.NewPCG(7, 8)), steps/2, true); err != nil {
			return err
		}
	}
	if !same(runs[0], runs[1]) {
		return errors.New("two environments with seed 7 given the same actions differ")
	}
	return nil
}

// state checks that SetState(State()) changes nothing and that a twin given the state continues identically.
func (c *checker) state() error {
	e, err := c.make(9)
	if err != nil {
		return err
	}
	st, ok := e.(env.Stateful)
	if !ok {
		return nil
	}
	rng := rand.New(rand.NewPCG(9, 10))
	if _, err := play(e, rng, 25, true); err != nil {
		return err
	}
	s := st.State()
	if err := st.SetState(s); err != nil {
		return fmt.Errorf("SetState(State()): %w", err)
	}
	if got := st.State(); !same(got, s) {
		return fmt.Errorf("State after SetState(%v) is %v", s, got)
	}
	if len(s) > 0 {
		s2 := st.State()
		s2[0] = math.NaN() // State must return a fresh copy each time
		if math.IsNaN(s[0]) || math.IsNaN(st.State()[0]) {
			return errors.New("State returns a shared slice, not a copy")
		}
	}
	if err := st.SetState(make([]float64, len(s)+1)); err == nil {
		return errors.New("SetState with a state of the wrong length: no error")
	}
	return nil
}

// serialisable reports whether e can be saved. Make's wrapper always has MarshalBinary, which
// fails when the wrapped environment cannot be saved, so the wrapped one is asked too.
func serialisable(e env.Env) (encoding.BinaryMarshaler, bool) {
	m, ok := e.(encoding.BinaryMarshaler)
	if w, wrapped := e.(interface{ Unwrap() env.Env }); ok && wrapped {
		_, ok = w.Unwrap().(encoding.BinaryMarshaler)
	}
	return m, ok
}

// serialisation saves an environment mid-run, runs on, and checks that a fresh environment restored
// from the save (with a different seed) repeats the continuation exactly.
func (c *checker) serialisation() error {
	e, err := c.make(11)
	if err != nil {
		return err
	}
	m, ok := serialisable(e)
	if !ok {
		return nil
	}
	rng := rand.New(rand.NewPCG(11, 12))
	if _, err := play(e, rng, 37, true); err != nil {
		return err
	}
	data, err := m.MarshalBinary()
	if err != nil {
		return fmt.Errorf("MarshalBinary: %w", err)
	}
	want, err := play(e, rand.New(rand.NewPCG(13, 14)), steps/4, false)
	if err != nil {
		return err
	}
	f, err := c.make(12)
	if err != nil {
		return err
	}
	u, ok := f.(encoding.BinaryUnmarshaler)
	if !ok {
		return errors.New("implements encoding.BinaryMarshaler but not encoding.BinaryUnmarshaler")
	}
	if err := u.UnmarshalBinary(data); err != nil {
		return fmt.Errorf("UnmarshalBinary: %w", err)
	}
	got, err := play(f, rand.New(rand.NewPCG(13, 14)), steps/4, false)
	if err != nil {
		return fmt.Errorf("after UnmarshalBinary: %w", err)
	}
	if !same(got, want) {
		return errors.New("restored environment does not continue as the saved one")
	}
	return nil
}
