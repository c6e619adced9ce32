package external_test

import (
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
