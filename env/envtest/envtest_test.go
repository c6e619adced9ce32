package envtest_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"ppo/env"
	"ppo/env/envtest"
)

// recorder collects failures instead of failing the test, to check that envtest reports them.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(r) // stop like FailNow; caught by check
}

func check(t *testing.T, f envtest.Factory, max int) []string {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		envtest.CheckFactory(r, f, max)
	}()
	return r.errs
}

// walker is a correct small environment; its defect fields break one rule each.
type walker struct {
	src *rand.PCG
	rng *rand.Rand
	pos int
	n   int // steps in this episode

	nanObs, outOfSpace, panics, global, aliasState, forgetRNG, rejectWide bool
}

func (w *walker) ObservationSpace() env.Space {
	return env.Box{Low: []float64{-10}, High: []float64{10}}
}
func (w *walker) ActionSpace() env.Space {
	if w.rejectWide {
		return env.Box{Low: []float64{-1}, High: []float64{1}}
	}
	return env.Discrete{N: 2}
}

func (w *walker) Reset() ([]float64, error) {
	w.pos, w.n = w.rng.IntN(3)-1, 0
	return []float64{float64(w.pos)}, nil
}

func (w *walker) Step(a []float64) (env.StepResult, error) {
	if w.rejectWide {
		if len(a) != 1 || math.IsNaN(a[0]) || math.Abs(a[0]) > 1 { // rejects out-of-bounds Box actions: wrong
			return env.StepResult{}, env.ErrInvalidAction
		}
		a = []float64{float64(int(a[0] + 1))}
	} else if !w.panics && !w.ActionSpace().Contains(a) {
		return env.StepResult{}, env.ErrInvalidAction
	}
	moves := [2]int{-1, 1}
	move := moves[int(a[0])] // panics on a bad index when the check above is skipped
	u := w.rng.Float64()
	if w.global {
		u = rand.Float64() // math/rand/v2's global source, seeded randomly per process
	}
	if u < 0.2 {
		move = -move
	}
	w.pos += move
	w.n++
	obs := []float64{float64(w.pos)}
	if w.nanObs && w.n == 3 {
		obs[0] = math.NaN()
	}
	if w.outOfSpace && w.n == 3 {
		obs[0] = 11
	}
	return env.StepResult{Obs: obs, Reward: -1, Terminated: w.pos <= -4 || w.pos >= 4}, nil
}

func (w *walker) State() []float64 {
	return []float64{float64(w.pos), float64(w.n)}
}

func (w *walker) SetState(s []float64) error {
	if len(s) != 2 {
		return fmt.Errorf("want 2 values")
	}
	w.pos, w.n = int(s[0]), int(s[1])
	return nil
}

func (w *walker) MarshalBinary() ([]byte, error) {
	b := binary.AppendVarint(nil, int64(w.pos))
	b = binary.AppendVarint(b, int64(w.n))
	if w.forgetRNG {
		return b, nil
	}
	rng, err := w.src.MarshalBinary()
	return append(b, rng...), err
}

func (w *walker) UnmarshalBinary(b []byte) error {
	pos, k := binary.Varint(b)
	n, k2 := binary.Varint(b[k:])
	w.pos, w.n = int(pos), int(n)
	if w.forgetRNG {
		return nil
	}
	return w.src.UnmarshalBinary(b[k+k2:])
}

// aliased wraps walker with a State that exposes its own slice.
type aliased struct {
	*walker
	s []float64
}

func (a *aliased) State() []float64 { a.s = append(a.s[:0], float64(a.pos), float64(a.n)); return a.s }

func newWalker(seed uint64, defect func(*walker)) *walker {
	src := env.Config{Seed: seed}.Source()
	w := &walker{src: src, rng: rand.New(src)}
	if defect != nil {
		defect(w)
	}
	return w
}

// wrapped makes a walker through a spec, so Make's wrapper supplies the time limit and episode rules.
func wrapped(defect func(*walker)) envtest.Factory {
	spec := env.Spec{ID: "Walker-v0", MaxEpisodeSteps: 20, New: func(c env.Config) (env.Env, error) {
		return newWalker(c.Seed, defect), nil
	}}
	return func(seed uint64) (env.Env, error) { return spec.Make(env.WithSeed(seed)) }
}

func TestCheckAcceptsCorrectEnv(t *testing.T) {
	if errs := check(t, wrapped(nil), 20); len(errs) > 0 {
		t.Errorf("correct env reported: %q", errs)
	}
}

// TestCheckCatchesDefects: each broken environment must be reported by the named check.
func TestCheckCatchesDefects(t *testing.T) {
	raw := func(defect func(*walker)) envtest.Factory {
		return func(seed uint64) (env.Env, error) { return newWalker(seed, defect), nil }
	}
	for _, tc := range []struct {
		name string
		f    envtest.Factory
		max  int
		want string
	}{
		{"NaN observation", wrapped(func(w *walker) { w.nanObs = true }), 20, "reset/step contract: step 3 of episode 0: observation value 0 is NaN"},
		{"observation outside its space", wrapped(func(w *walker) { w.outOfSpace = true }), 20, "not in Box"},
		{"panic on a bad index", wrapped(func(w *walker) { w.panics = true }), 20, "invalid actions: panic"},
		{"global randomness", wrapped(func(w *walker) { w.global = true }), 20, "determinism: two environments with seed 7"},
		{"unsaved random stream", wrapped(func(w *walker) { w.forgetRNG = true }), 20, "serialisation: restored environment does not continue"},
		{"out-of-bounds Box action rejected", wrapped(func(w *walker) { w.rejectWide = true }), 20, "reset/step contract: step"},
		{"no time limit", raw(nil), 2, "without Truncated"},
		{"step after the end allowed", raw(nil), 0, "Step after episode 0 ended (terminated true"},
		{"step before reset allowed", raw(nil), 0, "step before reset: Step before Reset: no error"},
		{"state aliasing", func(seed uint64) (env.Env, error) {
			return &aliased{walker: newWalker(seed, nil)}, nil
		}, 0, "state: State returns a shared slice"},
	} {
		errs := check(t, tc.f, tc.max)
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e, tc.want)
		}
		if !found {
			t.Errorf("%s: reports %q, want one containing %q", tc.name, errs, tc.want)
		}
	}
}

func TestCheckUnknownID(t *testing.T) {
	r := &recorder{TB: t}
	func() {
		defer func() { recover() }()
		envtest.Check(r, "Missing-v0")
	}()
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "not registered") {
		t.Errorf("reports %q", r.errs)
	}
}
