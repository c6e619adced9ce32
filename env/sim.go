package env

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"math/rand/v2"
)

// dynamics is what each built-in environment implements; sim supplies the Env contract around it.
type dynamics interface {
	// reset draws the start state.
	reset(rng *rand.Rand)
	// step applies a validated action.
	step(action []float64, rng *rand.Rand) (reward float64, terminated bool)
	// observe writes the observation of the current state.
	observe(obs []float64)
	state() []float64
	// setState installs a state of the right length with finite values.
	setState(s []float64) error
}

// sim runs a dynamics as an Env with its own random stream, Stateful and serialisable.
type sim struct {
	dyn      dynamics
	obsSpace Space
	actSpace Space
	src      *rand.PCG
	rng      *rand.Rand
	running  bool
}

func newSim(d dynamics, obs, act Space, cfg Config) *sim {
	src := cfg.Source()
	return &sim{dyn: d, obsSpace: obs, actSpace: act, src: src, rng: rand.New(src)}
}

func (s *sim) ObservationSpace() Space { return s.obsSpace }
func (s *sim) ActionSpace() Space      { return s.actSpace }

func (s *sim) Reset() ([]float64, error) {
	obs := make([]float64, s.obsSpace.Dim())
	return obs, s.resetInto(obs)
}

func (s *sim) resetInto(obs []float64) error {
	s.dyn.reset(s.rng)
	s.running = true
	s.dyn.observe(obs)
	return nil
}

func (s *sim) Step(action []float64) (StepResult, error) {
	obs := make([]float64, s.obsSpace.Dim())
	r, term, trunc, err := s.stepInto(action, obs)
	if err != nil {
		return StepResult{}, err
	}
	return StepResult{Obs: obs, Reward: r, Terminated: term, Truncated: trunc}, nil
}

func (s *sim) stepInto(action, obs []float64) (float64, bool, bool, error) {
	if !s.running {
		return 0, false, false, ErrNeedsReset
	}
	if err := checkAction(s.actSpace, action); err != nil {
		return 0, false, false, err
	}
	r, term := s.dyn.step(action, s.rng)
	s.dyn.observe(obs)
	if term {
		s.running = false
	}
	return r, term, false, nil
}

func (s *sim) State() []float64 { return s.dyn.state() }

func (s *sim) SetState(st []float64) error {
	if want := len(s.dyn.state()); len(st) != want {
		return fmt.Errorf("env: state has %d values, want %d", len(st), want)
	}
	for i, v := range st {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("env: state value %d is %v", i, v)
		}
	}
	return s.dyn.setState(append([]float64(nil), st...))
}

type simSnapshot struct {
	State   []float64
	Running bool
	RNG     []byte
}

// MarshalBinary captures the state, whether an episode is running, and the random stream.
func (s *sim) MarshalBinary() ([]byte, error) {
	rng, err := s.src.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = gob.NewEncoder(&buf).Encode(simSnapshot{State: s.dyn.state(), Running: s.running, RNG: rng})
	return buf.Bytes(), err
}

// UnmarshalBinary restores what MarshalBinary saved into an environment made with the same parameters.
func (s *sim) UnmarshalBinary(data []byte) error {
	var snap simSnapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&snap); err != nil {
		return fmt.Errorf("env: restore: %w", err)
	}
	if err := s.SetState(snap.State); err != nil {
		return fmt.Errorf("env: restore: %w", err)
	}
	if err := s.src.UnmarshalBinary(snap.RNG); err != nil {
		return fmt.Errorf("env: restore: %w", err)
	}
	s.running = snap.Running
	return nil
}

// uniform draws from U[low, high) as NumPy's Generator.uniform does: low + (high-low)·U.
func uniform(rng *rand.Rand, low, high float64) float64 {
	return low + (high-low)*rng.Float64()
}

// setTo copies s into the fields pointed to by dst after the length check done by sim.SetState.
func setTo(s []float64, dst ...*float64) {
	for i, p := range dst {
		*p = s[i]
	}
}
