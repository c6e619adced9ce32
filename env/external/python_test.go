package external_test

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"ppo/env"
	"ppo/env/envtest"
	"ppo/env/external"
)

// python returns the python3 on PATH, skipping the test without one.
func python(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH")
	}
	return p
}

// TestPythonCartPole checks the example served by ppoenv.py: its hello, the env contract
// (envtest), and an exact resume of 8 copies in 2 processes.
func TestPythonCartPole(t *testing.T) {
	c := external.Command{Argv: []string{python(t), filepath.Join("..", "..", "examples", "python", "cartpole.py")}}
	s, err := external.Spec(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxEpisodeSteps != 500 || s.RewardThreshold != 475 || len(s.Params) != 3 {
		t.Errorf("spec %+v: want CartPole-v1's time limit 500 and threshold 475, 3 params", s)
	}
	envtest.CheckSpec(t, s)

	c.Processes = 2
	v, err := external.MakeVec(c, 8, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Reset(); err != nil {
		t.Fatal(err)
	}
	acts := make([]float64, 8)
	play := func(v *env.Vec, n int) (out []float64) {
		for k := range n {
			for i := range acts {
				acts[i] = float64((k + i) % 2)
			}
			st, err := v.Step(acts)
			if err != nil {
				t.Fatal(err)
			}
			out = append(append(out, st.FinalObs...), st.Reward...)
		}
		return out
	}
	play(v, 30)
	saved, err := v.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := play(v, 50)
	w, err := external.MakeVec(c, 8, 6)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.UnmarshalBinary(saved); err != nil {
		t.Fatal(err)
	}
	if got := play(w, 50); !slices.Equal(got, want) {
		t.Error("the restored Python CartPole diverges")
	}
}

// TestGymnasiumAdapter serves the stand-in gymnasium module's Corridor-v0 by id: its spec, Tuple
// observation, text-free parameters passed as keyword arguments, and the env contract.
func TestGymnasiumAdapter(t *testing.T) {
	py := python(t)
	t.Setenv("PYTHONPATH", "testdata")
	c := external.Command{Argv: []string{py, "ppoenv.py", "gym:Corridor-v0"}}
	s, err := external.Spec(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxEpisodeSteps != 30 || s.RewardThreshold != 0.9 {
		t.Errorf("spec %+v: want the stand-in's time limit 30 and threshold 0.9", s)
	}
	e, err := s.Make(env.WithSeed(3), env.WithMaxEpisodeSteps(4))
	if err != nil {
		t.Fatal(err)
	}
	defer e.(interface{ Close() error }).Close()
	if got := e.ObservationSpace().String() + " " + e.ActionSpace().String(); got != "Tuple(Discrete(6), Discrete(2)) Discrete(2)" {
		t.Errorf("spaces %s", got)
	}
	obs, err := e.Reset()
	if err != nil {
		t.Fatal(err)
	}
	if obs[0] != 0 {
		t.Errorf("first observation %v: want cell 0", obs)
	}
	// Right four times: cells 1..4, then the time limit of 4 truncates.
	for k := 1; k <= 4; k++ {
		r, err := e.Step([]float64{1})
		if err != nil {
			t.Fatal(err)
		}
		if r.Obs[0] != float64(k) || r.Terminated || r.Truncated != (k == 4) {
			t.Fatalf("step %d: %+v", k, r)
		}
	}
	envtest.CheckSpec(t, s)
}

// TestPythonObservationLength: ppoenv.py refuses an observation whose length is not its
// space's, naming both, instead of failing inside struct packing.
func TestPythonObservationLength(t *testing.T) {
	py := python(t)
	lib, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	src := `import sys
sys.path.insert(0, ` + strconv.Quote(lib) + `)
import ppoenv

class Bad:
    id = "Bad-v0"
    observation_space = ppoenv.Box([0.0, 0.0], [1.0, 1.0])
    action_space = ppoenv.Discrete(2)
    def __init__(self, seed, params, text_params): pass
    def reset(self): return [0.0, 0.0, 0.0]
    def step(self, action): return [0.0, 0.0], 0.0, False, False

ppoenv.serve(Bad)
`
	file := filepath.Join(t.TempDir(), "bad.py")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := external.MakeVec(external.Command{Argv: []string{py, file}}, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Reset(); err == nil || !strings.Contains(err.Error(), "an observation of 3 values; its observation_space has 2") {
		t.Errorf("reset with a 3-value observation in a 2-value space: %v", err)
	}
}

// gymStyle is a class written to Gymnasium's documented API without
// Gymnasium: spaces with shape/low/high/n, reset(seed=None,
// options=None) -> (obs, info), step(a) -> (obs, reward, terminated,
// truncated, info), keyword constructor arguments, info["action_mask"].
const gymStyle = `
import random

class Box:
    def __init__(self, low, high, shape):
        self.low, self.high, self.shape = low, high, shape

class Discrete:
    def __init__(self, n):
        self.n, self.start, self.shape = n, 0, ()

class Corridor:
    """walk right to the end of a corridor"""
    metadata = {"render_modes": []}
    max_episode_steps = 30

    def __init__(self, length=5, render_mode=None):
        self.length = length
        self.observation_space = Box([0.0], [float(length)], (1,))
        self.action_space = Discrete(3)
        self.rng = random.Random()

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng.seed(seed)
        self.pos = self.rng.randrange(self.length)
        return [float(self.pos)], {"action_mask": self._mask()}

    def _mask(self):
        return [self.pos > 0, True, True]

    def step(self, action):
        self.pos = max(0, self.pos + action - 1)
        done = self.pos >= self.length
        return [float(min(self.pos, self.length))], (1.0 if done else -0.1), done, False, {"action_mask": self._mask()}
`

// TestPythonGymnasiumStyleClass: module:Class serves a class written to
// Gymnasium's API as it is: its id made from the class name, its time
// limit from max_episode_steps, its constructor's keyword arguments as
// parameters (render_mode left out), seeding through reset(seed=...),
// info["action_mask"] as the masks; the env contract holds; and an
// unsupported space is refused in one line.
func TestPythonGymnasiumStyleClass(t *testing.T) {
	py := python(t)
	lib, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "corridor.py"), []byte(gymStyle), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", dir)
	c := external.Command{Argv: []string{py, filepath.Join(lib, "ppoenv.py"), "corridor:Corridor"}}
	h, err := external.Describe(c)
	if err != nil {
		t.Fatal(err)
	}
	if h.ID != "Corridor-v0" || h.MaxEpisodeSteps != 30 || len(h.Params) != 1 || h.Params[0].Name != "length" || h.Params[0].Default != 5 {
		t.Fatalf("hello %+v", h)
	}
	spec, err := external.Spec(c)
	if err != nil {
		t.Fatal(err)
	}
	envtest.CheckSpec(t, spec, env.WithParams(map[string]float64{"length": 8}))
	v, err := external.MakeVec(c, 2, 3, env.WithParams(map[string]float64{"length": 8}))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	obs, err := v.Reset()
	if err != nil {
		t.Fatal(err)
	}
	first := append([]float64(nil), obs...)
	v2, err := external.MakeVec(c, 2, 3, env.WithParams(map[string]float64{"length": 8}))
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	again, _ := v2.Reset()
	if !slices.Equal(first, again) {
		t.Errorf("the same seeds gave first observations %v and %v", first, again)
	}
	for _, o := range first {
		if o < 0 || o >= 8 || o != math.Trunc(o) {
			t.Errorf("first observation %v: length 8 did not reach the constructor", first)
		}
	}
	// A Dict space is refused in one line naming it.
	bad := strings.Replace(gymStyle, "self.action_space = Discrete(3)", "self.action_space = type('Dict', (), {})()", 1)
	os.WriteFile(filepath.Join(dir, "corridor.py"), []byte(bad), 0o644)
	if _, err := external.MakeVec(c, 1, 1); err == nil || !strings.Contains(err.Error(), "action_space: Dict spaces are not supported") {
		t.Errorf("a Dict action space: %v", err)
	}
}
