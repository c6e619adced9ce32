package env_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"ppo/env"
	"ppo/env/envtest"
)

// README begin

// corridor is a walk along cells 0..length-1. Action 0 steps left, 1 steps right; with
// probability slip the step goes the other way. Reaching the right end pays 1 and ends the episode.
type corridor struct {
	length int
	slip   float64
	src    *rand.PCG  // the env's own stream: everything random comes from here
	rng    *rand.Rand // reads src
	pos    int
}

func newCorridor(cfg env.Config) (env.Env, error) {
	n := cfg.Params["length"] // every declared parameter is present, defaults filled in
	if n < 2 || n != math.Trunc(n) {
		return nil, fmt.Errorf("length %v: want an integer >= 2", n)
	}
	src := cfg.Source()
	return &corridor{length: int(n), slip: cfg.Params["slip"], src: src, rng: rand.New(src)}, nil
}

func (c *corridor) ObservationSpace() env.Space {
	return env.Box{Low: []float64{0}, High: []float64{1}}
}
func (c *corridor) ActionSpace() env.Space { return env.Discrete{N: 2} }
func (c *corridor) obs() []float64         { return []float64{float64(c.pos) / float64(c.length-1)} }

func (c *corridor) Reset() ([]float64, error) {
	c.pos = c.rng.IntN(c.length - 1) // start anywhere but at the goal
	return c.obs(), nil
}

func (c *corridor) Step(a []float64) (env.StepResult, error) {
	if !c.ActionSpace().Contains(a) { // a bad action is an error, never a panic
		return env.StepResult{}, fmt.Errorf("%w: %v", env.ErrInvalidAction, a)
	}
	move := 2*int(a[0]) - 1
	if c.rng.Float64() < c.slip {
		move = -move
	}
	c.pos = min(max(c.pos+move, 0), c.length-1)
	if c.pos == c.length-1 {
		return env.StepResult{Obs: c.obs(), Reward: 1, Terminated: true}, nil
	}
	return env.StepResult{Obs: c.obs()}, nil
}

// State and SetState (env.Stateful) let tests pose situations; optional.
func (c *corridor) State() []float64 { return []float64{float64(c.pos)} }
func (c *corridor) SetState(s []float64) error {
	if len(s) != 1 || s[0] != math.Trunc(s[0]) || s[0] < 0 || s[0] >= float64(c.length) {
		return fmt.Errorf("corridor: state %v is not a cell", s)
	}
	c.pos = int(s[0])
	return nil
}

// MarshalBinary and UnmarshalBinary save the position and the random stream, so a Vec of
// corridors can be saved and resumed exactly; optional.
func (c *corridor) MarshalBinary() ([]byte, error) {
	rng, err := c.src.MarshalBinary()
	return append(binary.AppendUvarint(nil, uint64(c.pos)), rng...), err
}

func (c *corridor) UnmarshalBinary(b []byte) error {
	pos, n := binary.Uvarint(b)
	if n <= 0 {
		return fmt.Errorf("corridor: bad saved state")
	}
	c.pos = int(pos)
	return c.src.UnmarshalBinary(b[n:])
}

var corridorSpec = env.Spec{
	ID:              "Corridor-v0",
	Doc:             "walk right to the end of a corridor; 1 at the end",
	New:             newCorridor,
	MaxEpisodeSteps: 50, // Make adds the time limit and the no-step-after-the-end rule
	Params: []env.Param{
		{Name: "length", Default: 8, Doc: "number of cells"},
		{Name: "slip", Default: 0.1, Doc: "probability that a step goes the wrong way"},
	},
}

// In your own package use env.Register(corridorSpec) and envtest.Check(t, "Corridor-v0");
// here a private registry keeps the default one as shipped.
func TestCorridorConformance(t *testing.T) {
	r := env.NewRegistry()
	if err := r.Register(corridorSpec); err != nil {
		t.Fatal(err)
	}
	envtest.CheckRegistry(t, r, "Corridor-v0")
	envtest.CheckRegistry(t, r, "Corridor-v0", env.WithParams(map[string]float64{"length": 2, "slip": 0.5}))
}

func ExampleRegistry_Register() {
	r := env.NewRegistry()
	if err := r.Register(corridorSpec); err != nil {
		fmt.Println(err)
		return
	}
	e, err := r.Make("Corridor-v0", env.WithSeed(2), env.WithParams(map[string]float64{"length": 5}))
	if err != nil {
		fmt.Println(err)
		return
	}
	obs, _ := e.Reset()
	fmt.Println("start", obs)
	for {
		res, _ := e.Step([]float64{1}) // always right
		fmt.Println(res.Obs, res.Reward, res.Terminated)
		if res.Terminated || res.Truncated {
			break
		}
	}
	_, err = r.Make("Corridor-v0", env.WithParams(map[string]float64{"width": 2}))
	fmt.Println(err)
	// Output:
	// start [0]
	// [0.25] 0 false
	// [0.5] 0 false
	// [0.75] 0 false
	// [1] 1 true
	// env: Corridor-v0 has no parameter "width" (parameters: length, slip)
}

// README end

// TestAddingDocIsTheExample keeps the Go code of docs/extending.md's "Adding an
// environment" section identical to the compiled example above.
func TestAddingDocIsTheExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(src), "// README begin\n")
	code, _, ok := strings.Cut(rest, "// README end\n")
	if !ok {
		t.Fatal("markers missing in example_test.go")
	}
	readme, err := os.ReadFile("../docs/extending.md")
	if err != nil {
		t.Fatal(err)
	}
	_, doc, ok := strings.Cut(string(readme), "\n## Adding an environment\n")
	if !ok {
		t.Fatal(`docs/extending.md has no "## Adding an environment" section`)
	}
	doc, _, _ = strings.Cut(doc, "\n## ")
	var block strings.Builder
	in := false
	sc := bufio.NewScanner(strings.NewReader(doc))
scan: // the section's first Go block is the example
	for sc.Scan() {
		switch line := sc.Text(); {
		case line == "```go":
			in = true
		case line == "```" && in:
			break scan
		case in:
			block.WriteString(line + "\n")
		}
	}
	if strings.TrimSpace(block.String()) != strings.TrimSpace(code) {
		t.Error(`the "Adding an environment" code of docs/extending.md differs from the example in env/example_test.go: update docs/extending.md`)
	}
}
