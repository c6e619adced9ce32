package env

import (
	"bytes"
	"encoding"
	"encoding/gob"
	"fmt"
	"io"
)

// intoStepper is the allocation-free path Vec uses for the built-in environments and Make's wrapper.
type intoStepper interface {
	resetInto(obs []float64) error
	stepInto(action, obs []float64) (reward float64, terminated, truncated bool, err error)
}

// limited is Make's wrapper: it enforces the time limit and the episode contract
// (no Step before Reset or after the episode ended), also for user environments.
type limited struct {
	inner   Env
	fast    intoStepper
	max     int
	elapsed int
	running bool
}

// limitedStateful is limited around a Stateful environment.
type limitedStateful struct {
	*limited
	st Stateful
}

func withLimit(e Env, max int) Env {
	l := &limited{inner: e, max: max}
	l.fast, _ = e.(intoStepper)
	if st, ok := e.(Stateful); ok {
		return &limitedStateful{limited: l, st: st}
	}
	return l
}

func (l *limited) ObservationSpace() Space { return l.inner.ObservationSpace() }
func (l *limited) ActionSpace() Space      { return l.inner.ActionSpace() }

// Close closes the wrapped environment if it is an io.Closer, such as one served by a child process.
func (l *limited) Close() error {
	if c, ok := l.inner.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Unwrap returns the environment without the time limit.
func (l *limited) Unwrap() Env { return l.inner }

// Elapsed returns the number of steps taken in the current episode.
func (l *limited) Elapsed() int { return l.elapsed }

func (l *limited) Reset() ([]float64, error) {
	l.running = false
	obs, err := l.inner.Reset()
	if err != nil {
		return nil, err
	}
	l.elapsed, l.running = 0, true
	return obs, nil
}

func (l *limited) Step(action []float64) (StepResult, error) {
	if !l.running {
		return StepResult{}, ErrNeedsReset
	}
	res, err := l.inner.Step(action)
	if err != nil {
		return StepResult{}, err
	}
	l.count(&res.Terminated, &res.Truncated)
	return res, nil
}

// count advances the time limit after a successful step and ends the episode when it is over.
func (l *limited) count(terminated, truncated *bool) {
	l.elapsed++
	if l.max > 0 && l.elapsed >= l.max {
		*truncated = true
	}
	if *terminated || *truncated {
		l.running = false
	}
}

func (l *limited) resetInto(obs []float64) error {
	if l.fast == nil {
		o, err := l.Reset()
		if err != nil {
			return err
		}
		return copyObs(obs, o)
	}
	l.running = false
	if err := l.fast.resetInto(obs); err != nil {
		return err
	}
	l.elapsed, l.running = 0, true
	return nil
}

func (l *limited) stepInto(action, obs []float64) (float64, bool, bool, error) {
	if l.fast == nil {
		res, err := l.Step(action)
		if err != nil {
			return 0, false, false, err
		}
		return res.Reward, res.Terminated, res.Truncated, copyObs(obs, res.Obs)
	}
	if !l.running {
		return 0, false, false, ErrNeedsReset
	}
	r, term, trunc, err := l.fast.stepInto(action, obs)
	if err != nil {
		return 0, false, false, err
	}
	l.count(&term, &trunc)
	return r, term, trunc, nil
}

func copyObs(dst, src []float64) error {
	if len(src) != len(dst) {
		return fmt.Errorf("env: observation has %d values, want %d", len(src), len(dst))
	}
	copy(dst, src)
	return nil
}

func (l *limitedStateful) State() []float64           { return l.st.State() }
func (l *limitedStateful) SetState(s []float64) error { return l.st.SetState(s) }

type limitSnapshot struct {
	Inner   []byte
	Elapsed int
	Running bool
}

// MarshalBinary captures the wrapped environment (which must implement encoding.BinaryMarshaler)
// and the time-limit counter.
func (l *limited) MarshalBinary() ([]byte, error) {
	m, ok := l.inner.(encoding.BinaryMarshaler)
	if !ok {
		return nil, fmt.Errorf("env: %T cannot be saved: it does not implement encoding.BinaryMarshaler", l.inner)
	}
	inner, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = gob.NewEncoder(&buf).Encode(limitSnapshot{Inner: inner, Elapsed: l.elapsed, Running: l.running})
	return buf.Bytes(), err
}

// UnmarshalBinary restores what MarshalBinary saved into an environment made the same way.
func (l *limited) UnmarshalBinary(data []byte) error {
	u, ok := l.inner.(encoding.BinaryUnmarshaler)
	if !ok {
		return fmt.Errorf("env: %T cannot be restored: it does not implement encoding.BinaryUnmarshaler", l.inner)
	}
	var s limitSnapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return fmt.Errorf("env: restore: %w", err)
	}
	if err := u.UnmarshalBinary(s.Inner); err != nil {
		return err
	}
	l.elapsed, l.running = s.Elapsed, s.Running
	return nil
}
