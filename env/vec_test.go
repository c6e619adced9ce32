package env_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"ppo/env"
)

// randomActions fills n rows of actions from rng, Box actions sometimes out of bounds.
func randomActions(rng *rand.Rand, s env.Space, n int, dst []float64) {
	d := s.Dim()
	for i := range n {
		switch s := s.(type) {
		case env.Discrete:
			dst[i] = float64(rng.IntN(s.N))
		case env.Box:
			for j := range d {
				dst[i*d+j] = 1.5 * (s.Low[j] + (s.High[j]-s.Low[j])*rng.Float64())
			}
		}
	}
}

// TestVecMatchesSingleEnvs steps a Vec and, beside it, one env per row made with VecSeed's seed,
// resetting each mirror when its episode ends: rewards, flags, observations, final observations
// and episode statistics must agree exactly.
func TestVecMatchesSingleEnvs(t *testing.T) {
	for _, id := range []string{"CartPole-v1", "Pendulum-v1", "MountainCar-v0", "GridWorld-v0", "Bandit-v0"} {
		t.Run(id, func(t *testing.T) {
			const n, seed, steps = 5, 42, 600
			v, err := env.MakeVec(id, n, seed)
			if err != nil {
				t.Fatal(err)
			}
			mirror := make([]env.Env, n)
			ret := make([]float64, n)
			length := make([]int, n)
			obs, err := v.Reset()
			if err != nil {
				t.Fatal(err)
			}
			d := v.ObservationSpace().Dim()
			for i := range mirror {
				mirror[i], _ = env.Make(id, env.WithSeed(env.VecSeed(seed, i)))
				o, _ := mirror[i].Reset()
				if !slices.Equal(o, obs[i*d:(i+1)*d]) {
					t.Fatalf("env %d: reset obs %v, mirror %v", i, obs[i*d:(i+1)*d], o)
				}
			}
			ad := v.ActionSpace().Dim()
			actions := make([]float64, n*ad)
			rng := rand.New(rand.NewPCG(1, 2))
			episodes := 0
			for range steps {
				randomActions(rng, v.ActionSpace(), n, actions)
				st, err := v.Step(actions)
				if err != nil {
					t.Fatal(err)
				}
				var want []env.Episode
				for i, m := range mirror {
					res, err := m.Step(actions[i*ad : (i+1)*ad])
					if err != nil {
						t.Fatal(err)
					}
					ret[i] += res.Reward
					length[i]++
					if st.Reward[i] != res.Reward || st.Terminated[i] != res.Terminated || st.Truncated[i] != res.Truncated {
						t.Fatalf("env %d: reward/flags %v %v %v, mirror %+v", i, st.Reward[i], st.Terminated[i], st.Truncated[i], res)
					}
					if !slices.Equal(st.FinalObs[i*d:(i+1)*d], res.Obs) {
						t.Fatalf("env %d: final obs %v, mirror %v", i, st.FinalObs[i*d:(i+1)*d], res.Obs)
					}
					next := res.Obs
					if res.Terminated || res.Truncated {
						want = append(want, env.Episode{Env: i, Return: ret[i], Length: length[i], Terminated: res.Terminated})
						ret[i], length[i] = 0, 0
						next, _ = m.Reset()
					}
					if !slices.Equal(st.Obs[i*d:(i+1)*d], next) {
						t.Fatalf("env %d: obs %v, mirror %v", i, st.Obs[i*d:(i+1)*d], next)
					}
				}
				if !slices.Equal(st.Episodes, want) {
					t.Fatalf("episodes %+v, want %+v", st.Episodes, want)
				}
				episodes += len(want)
			}
			if episodes == 0 {
				t.Fatal("no episode ended: the auto-reset path was not exercised")
			}
		})
	}
}

// run steps v with actions from a fixed stream and returns everything it reported.
func run(t *testing.T, v *env.Vec, steps int, seed uint64) []float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	actions := make([]float64, v.Num()*v.ActionSpace().Dim())
	var out []float64
	for range steps {
		randomActions(rng, v.ActionSpace(), v.Num(), actions)
		st, err := v.Step(actions)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, st.Obs...)
		out = append(out, st.FinalObs...)
		out = append(out, st.Reward...)
		for i := range st.Terminated {
			out = append(out, b2f(st.Terminated[i]), b2f(st.Truncated[i]))
		}
		for _, e := range st.Episodes {
			out = append(out, float64(e.Env), e.Return, float64(e.Length), b2f(e.Terminated))
		}
	}
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func bitsEqual(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// TestVecWorkers: parallel stepping gives bit-identical results to sequential, for several worker counts.
func TestVecWorkers(t *testing.T) {
	for _, id := range []string{"CartPole-v1", "Pendulum-v1", "GridWorld-v0"} {
		seq, _ := env.MakeVec(id, 7, 3)
		seq.Reset()
		want := run(t, seq, 300, 9)
		for _, k := range []int{2, 3, 7, 16} {
			par, err := env.MakeVec(id, 7, 3, env.WithWorkers(k))
			if err != nil {
				t.Fatal(err)
			}
			par.Reset()
			if got := run(t, par, 300, 9); !bitsEqual(got, want) {
				t.Errorf("%s with %d workers differs from sequential stepping", id, k)
			}
		}
	}
}

// TestVecMarshalRoundTrip saves a Vec mid-run, runs on, and checks that a Vec built with another
// seed and restored from the save continues identically: same observations, rewards, episodes
// (including the running returns and lengths carried across the save).
func TestVecMarshalRoundTrip(t *testing.T) {
	for _, id := range env.IDs() {
		v, _ := env.MakeVec(id, 4, 11)
		v.Reset()
		run(t, v, 157, 1)
		data, err := v.MarshalBinary()
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		saved := slices.Clone(v.Obs())
		want := run(t, v, 400, 2)

		w, _ := env.MakeVec(id, 4, 999)
		if err := w.UnmarshalBinary(data); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if !slices.Equal(w.Obs(), saved) {
			t.Fatalf("%s: restored Obs differ", id)
		}
		if got := run(t, w, 400, 2); !bitsEqual(got, want) {
			t.Errorf("%s: restored Vec does not continue as the saved one", id)
		}
		other, _ := env.MakeVec(id, 3, 11)
		if err := other.UnmarshalBinary(data); err == nil {
			t.Errorf("%s: restoring 4 envs into 3: no error", id)
		}
	}
}

// counter is a user environment without serialisation: its state is a step count.
type counter struct{ n int }

func (c *counter) Reset() ([]float64, error) { c.n = 0; return []float64{0}, nil }
func (c *counter) Step(a []float64) (env.StepResult, error) {
	if len(a) != 1 || a[0] != 0 {
		return env.StepResult{}, env.ErrInvalidAction
	}
	c.n++
	return env.StepResult{Obs: []float64{float64(c.n)}, Reward: 1, Terminated: c.n == 3}, nil
}
func (c *counter) ObservationSpace() env.Space { return env.Box{Low: []float64{0}, High: []float64{3}} }
func (c *counter) ActionSpace() env.Space      { return env.Discrete{N: 1} }

func TestNewVecUserEnvs(t *testing.T) {
	v, err := env.NewVec([]env.Env{&counter{}, &counter{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Step([]float64{0, 0}); !errors.Is(err, env.ErrNeedsReset) {
		t.Errorf("Step before Reset: %v", err)
	}
	v.Reset()
	for step := 1; step <= 3; step++ {
		st, err := v.Step([]float64{0, 0})
		if err != nil {
			t.Fatal(err)
		}
		if step < 3 && (len(st.Episodes) != 0 || st.Obs[0] != float64(step)) {
			t.Fatalf("step %d: %+v", step, st)
		}
		if step == 3 {
			want := []env.Episode{{0, 3, 3, true}, {1, 3, 3, true}}
			if !slices.Equal(st.Episodes, want) || st.FinalObs[0] != 3 || st.Obs[0] != 0 {
				t.Fatalf("end: episodes %+v final %v obs %v", st.Episodes, st.FinalObs, st.Obs)
			}
		}
	}
	if _, err := v.Step([]float64{0}); !errors.Is(err, env.ErrInvalidAction) {
		t.Errorf("short action buffer: %v", err)
	}
	if _, err := v.Step([]float64{0, 1}); err == nil || !strings.Contains(err.Error(), "vector env 1") {
		t.Errorf("invalid action for env 1: %v", err)
	}
	if _, err := v.MarshalBinary(); err == nil || !strings.Contains(err.Error(), "BinaryMarshaler") {
		t.Errorf("MarshalBinary of user envs: %v, want a clear error", err)
	}
	cp, _ := env.Make("CartPole-v1")
	if _, err := env.NewVec([]env.Env{&counter{}, cp}); err == nil {
		t.Error("mismatched spaces: no error")
	}
	if _, err := env.NewVec(nil); err == nil {
		t.Error("no envs: no error")
	}
	if _, err := env.MakeVec("CartPole-v1", 0, 1); err == nil {
		t.Error("0 envs: no error")
	}
	// A user env registered through a spec is also unsaveable, with the same clear error.
	r := env.NewRegistry()
	r.Register(env.Spec{ID: "Counter-v0", New: func(env.Config) (env.Env, error) { return &counter{}, nil }})
	w, _ := r.MakeVec("Counter-v0", 2, 0)
	if _, err := w.MarshalBinary(); err == nil || !strings.Contains(err.Error(), "BinaryMarshaler") {
		t.Errorf("MarshalBinary of wrapped user envs: %v", err)
	}
}

// TestVecStepNoAllocs: sequential stepping of built-in envs allocates nothing, including auto-resets.
func TestVecStepNoAllocs(t *testing.T) {
	v, _ := env.MakeVec("CartPole-v1", 8, 1)
	v.Reset()
	actions := make([]float64, 8)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := v.Step(actions); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Vec.Step allocates %v times per call", allocs)
	}
}
