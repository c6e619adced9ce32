package env

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Outcome is one possible result of taking an action in a state of a tabular environment.
type Outcome struct {
	Prob       float64
	Next       int
	Reward     float64
	Terminated bool
}

// Table is the whole dynamics of an environment with finitely many states and actions, in
// Gymnasium's form: P[s][a] lists the outcomes of action a in state s, in Gymnasium's order
// (several may share a next state), and Initial is the distribution of the first state.
// Mask, if not nil, holds the allowed actions of each state (Taxi's info["action_mask"]).
type Table struct {
	States, Actions int
	Initial         []float64
	P               [][][]Outcome
	Mask            [][]bool
}

// Tabular is implemented by environments whose dynamics are a Table; TableOf finds it through
// Make's wrapper. The observation of state s is the index s.
type Tabular interface {
	Table() *Table
}

// Masker is implemented by environments that allow only some actions in some states. ActionMask
// writes into dst (one entry per Discrete action) which actions are allowed in the current state;
// at least one is. Actions outside the mask are still accepted by Step, as in Gymnasium.
type Masker interface {
	ActionMask(dst []bool)
}

// unwrapper is Make's wrapper.
type unwrapper interface{ Unwrap() Env }

func unwrap(e Env) Env {
	for {
		u, ok := e.(unwrapper)
		if !ok {
			return e
		}
		e = u.Unwrap()
	}
}

// TableOf returns the transition table of e (made by Make or not), if it is tabular.
func TableOf(e Env) (*Table, bool) {
	if t, ok := unwrap(e).(Tabular); ok {
		return t.Table(), true
	}
	return nil, false
}

// MaskerOf returns e's action masker (made by Make or not), if it has one.
func MaskerOf(e Env) (Masker, bool) {
	m, ok := unwrap(e).(Masker)
	return m, ok
}

// check reports the first inconsistency in t: probabilities that are negative or do not sum to 1
// (within 1e-9), next states out of range, or a state whose mask allows nothing.
func (t *Table) check() error {
	if t.States < 1 || t.Actions < 1 || len(t.Initial) != t.States || len(t.P) != t.States {
		return fmt.Errorf("table of %d states and %d actions has %d initial probabilities and %d rows",
			t.States, t.Actions, len(t.Initial), len(t.P))
	}
	sum := 0.0
	for _, p := range t.Initial {
		if !(p >= 0) {
			return fmt.Errorf("initial probability %v", p)
		}
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		return fmt.Errorf("initial probabilities sum to %v", sum)
	}
	for s, row := range t.P {
		if len(row) != t.Actions {
			return fmt.Errorf("state %d has %d actions, want %d", s, len(row), t.Actions)
		}
		for a, outs := range row {
			sum := 0.0
			for _, o := range outs {
				if !(o.Prob >= 0) || o.Next < 0 || o.Next >= t.States {
					return fmt.Errorf("state %d action %d: bad outcome %+v", s, a, o)
				}
				sum += o.Prob
			}
			if math.Abs(sum-1) > 1e-9 {
				return fmt.Errorf("state %d action %d: probabilities sum to %v", s, a, sum)
			}
		}
	}
	if t.Mask != nil {
		for s, m := range t.Mask {
			any := false
			for _, ok := range m {
				any = any || ok
			}
			if len(m) != t.Actions || !any {
				return fmt.Errorf("state %d: mask %v allows no action", s, m)
			}
		}
	}
	return nil
}

// categorical draws an index from probs as Gymnasium's categorical_sample does: the first i
// whose cumulative probability exceeds a uniform draw.
func categorical(probs func(i int) float64, n int, rng *rand.Rand) int {
	u, c := rng.Float64(), 0.0
	for i := 0; i < n; i++ {
		c += probs(i)
		if c > u {
			return i
		}
	}
	// Rounding left the cumulative sum below u: take the last index with positive probability.
	for i := n - 1; i > 0; i-- {
		if probs(i) > 0 {
			return i
		}
	}
	return 0
}

// tabular runs a Table as dynamics; the state is the index of the current state.
type tabular struct {
	t *Table
	s int
}

func newTabular(t *Table, cfg Config) (Env, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	d := &tabular{t: t}
	return &tabularEnv{sim: newSim(d, Discrete{t.States}, Discrete{t.Actions}, cfg), d: d}, nil
}

func (d *tabular) reset(rng *rand.Rand) {
	d.s = categorical(func(i int) float64 { return d.t.Initial[i] }, d.t.States, rng)
}

func (d *tabular) step(a []float64, rng *rand.Rand) (float64, bool) {
	outs := d.t.P[d.s][int(a[0])]
	o := outs[categorical(func(i int) float64 { return outs[i].Prob }, len(outs), rng)]
	d.s = o.Next
	return o.Reward, o.Terminated
}

func (d *tabular) observe(obs []float64) { obs[0] = float64(d.s) }

func (d *tabular) state() []float64 { return []float64{float64(d.s)} }

func (d *tabular) setState(s []float64) error {
	if _, ok := (Discrete{d.t.States}).index(s[0]); !ok {
		return fmt.Errorf("env: state %v is not one of the %d states", s[0], d.t.States)
	}
	d.s = int(s[0])
	return nil
}

// tabularEnv is a sim over a table, exposing the table and, if it has one, the mask.
type tabularEnv struct {
	*sim
	d *tabular
}

// Table returns the environment's dynamics; callers must not modify it.
func (e *tabularEnv) Table() *Table { return e.d.t }

// maskedTabularEnv is a tabularEnv whose table has masks.
type maskedTabularEnv struct{ *tabularEnv }

// ActionMask writes the current state's allowed actions into dst.
func (e maskedTabularEnv) ActionMask(dst []bool) { copy(dst, e.d.t.Mask[e.d.s]) }

func newMaskedTabular(t *Table, cfg Config) (Env, error) {
	e, err := newTabular(t, cfg)
	if err != nil {
		return nil, err
	}
	return maskedTabularEnv{e.(*tabularEnv)}, nil
}
