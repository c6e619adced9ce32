package env

import (
	"bytes"
	"encoding"
	"encoding/gob"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Vec steps N environments in lockstep with automatic reset, on flat row-major buffers.
//
// When an env's episode ends in a Step, Vec records the final observation in FinalObs, reports
// the episode's return and length, and resets the env at once, so Obs holds the first observation
// of its next episode (same-step auto-reset, as in Stable-Baselines3; Gymnasium 1.0's default
// resets on the following step instead). Stepping is sequential unless workers are set; each env
// owns its random stream, so results are identical either way.
type Vec struct {
	envs     []Env
	fast     []intoStepper
	obsSpace Space
	actSpace Space
	obsDim   int
	actDim   int
	workers  int
	started  bool

	obs    []float64 // current observations, shared with step.Obs
	ret    []float64 // running episode return per env
	length []int     // running episode length per env
	epRet  []float64 // return of the episode that ended this step
	epLen  []int
	errs   []error
	step   VecStep

	id    string // the envs' id, named in a Fault
	check bool   // report non-finite observations and rewards as Faults

	batch     Batch  // set by NewBatchVec: the envs are its copies, stepped together
	limit     int    // the time limit a batch's episodes get
	end       []bool // per env: this step reaches the time limit
	restarted bool   // the last UnmarshalBinary started fresh episodes
}

// VecStep is the outcome of one Vec.Step. It is owned by the Vec and reused: valid until the next Step.
type VecStep struct {
	// Obs is n*obsDim; for an env whose episode ended this step, the first obs of the NEXT episode.
	Obs    []float64
	Reward []float64
	// Terminated and Truncated are as in StepResult; both may be true when the last step of the
	// time limit also terminates.
	Terminated []bool
	Truncated  []bool
	// FinalObs is n*obsDim; row i is the last obs of the ended episode when Terminated[i] ||
	// Truncated[i], and equals row i of Obs otherwise, so V(FinalObs) is always the value to bootstrap.
	FinalObs []float64
	// Episodes lists the episodes that ended this step, in env order.
	Episodes []Episode
}

// Episode summarises a finished episode.
type Episode struct {
	Env        int
	Return     float64
	Length     int
	Terminated bool
}

// NewVec vectorises user-made environments; all must have the same spaces. Environments made by
// Make keep their time limits. Env i's random stream is its own: seed them differently (see VecSeed).
func NewVec(envs []Env) (*Vec, error) {
	n := len(envs)
	if n == 0 {
		return nil, errors.New("env: vector of no environments")
	}
	v := &Vec{envs: append([]Env(nil), envs...), fast: make([]intoStepper, n)}
	for i, e := range envs {
		if e == nil {
			return nil, fmt.Errorf("env: vector env %d is nil", i)
		}
		if i == 0 {
			v.obsSpace, v.actSpace = e.ObservationSpace(), e.ActionSpace()
		} else if !sameSpace(e.ObservationSpace(), v.obsSpace) || !sameSpace(e.ActionSpace(), v.actSpace) {
			return nil, fmt.Errorf("env: vector env %d has spaces %v, %v; env 0 has %v, %v",
				i, e.ObservationSpace(), e.ActionSpace(), v.obsSpace, v.actSpace)
		}
		v.fast[i], _ = e.(intoStepper)
	}
	v.obsDim, v.actDim = v.obsSpace.Dim(), v.actSpace.Dim()
	if v.obsDim < 1 || v.actDim < 1 {
		return nil, fmt.Errorf("env: vector spaces %v, %v have no dimensions", v.obsSpace, v.actSpace)
	}
	v.obs = make([]float64, n*v.obsDim)
	v.ret, v.length = make([]float64, n), make([]int, n)
	v.epRet, v.epLen = make([]float64, n), make([]int, n)
	v.errs = make([]error, n)
	v.step = VecStep{
		Obs:        v.obs,
		Reward:     make([]float64, n),
		Terminated: make([]bool, n),
		Truncated:  make([]bool, n),
		FinalObs:   make([]float64, n*v.obsDim),
		Episodes:   make([]Episode, 0, n),
	}
	return v, nil
}

// Num returns the number of environments.
func (v *Vec) Num() int { return len(v.envs) }

// ObservationSpace is the space of each env's observation (one row).
func (v *Vec) ObservationSpace() Space { return v.obsSpace }

// ActionSpace is the space of each env's action (one row).
func (v *Vec) ActionSpace() Space { return v.actSpace }

// Env returns environment i, e.g. to inspect its state.
func (v *Vec) Env(i int) Env { return v.envs[i] }

// SetID names the envs' id in the Faults the Vec reports.
func (v *Vec) SetID(id string) { v.id = id }

// SetCheck turns on (or off) the check of every observation and reward:
// one that is NaN or ±Inf is reported as a Fault naming the copy and the
// step, instead of being passed on. A panic in an env's Reset or Step is
// always reported as a Fault.
func (v *Vec) SetCheck(on bool) { v.check = on }

// SetWorkers sets the number of goroutines Step uses; k <= 1 steps sequentially.
func (v *Vec) SetWorkers(k int) { v.workers = k }

// Obs returns the current observations (n*obsDim): those from the last Reset or Step, also after
// UnmarshalBinary. The slice is owned by the Vec.
func (v *Vec) Obs() []float64 { return v.obs }

// Reset resets every env and returns the first observations (n*obsDim), owned by the Vec.
// Running episode statistics are discarded.
func (v *Vec) Reset() ([]float64, error) {
	v.started = false
	if v.batch != nil {
		if err := v.resetBatch(); err != nil {
			return nil, err
		}
		if v.check {
			for i := range v.envs {
				if c := nonFinite(v.obs[i*v.obsDim : (i+1)*v.obsDim]); c != "" {
					return nil, &Fault{ID: v.id, Copy: i, Cause: c}
				}
			}
		}
		clear(v.ret)
		clear(v.length)
		v.step.Episodes = v.step.Episodes[:0]
		v.started = true
		return v.obs, nil
	}
	for i := range v.envs {
		if err := v.resetEnv(i); err != nil {
			return nil, vecErr(i, err)
		}
		v.ret[i], v.length[i] = 0, 0
	}
	v.step.Episodes = v.step.Episodes[:0]
	v.started = true
	return v.obs, nil
}

// resetEnv resets env i into its row, a panic or (with check) a
// non-finite observation being a Fault.
func (v *Vec) resetEnv(i int) (err error) {
	defer recoverFault(&err, v.id, i, 0)
	row := v.obs[i*v.obsDim : (i+1)*v.obsDim]
	if f := v.fast[i]; f != nil {
		err = f.resetInto(row)
	} else {
		var o []float64
		if o, err = v.envs[i].Reset(); err == nil {
			err = copyObs(row, o)
		}
	}
	if err == nil && v.check {
		if c := nonFinite(row); c != "" {
			err = &Fault{ID: v.id, Copy: i, Cause: c}
		}
	}
	return err
}

// resetBatch resets a batch's copies; a panic is a Fault.
func (v *Vec) resetBatch() (err error) {
	defer recoverFault(&err, v.id, 0, 0)
	return v.batch.ResetAll(v.obs)
}

// vecErr is env i's error as Step and Reset return it: a Fault as it is
// (it names the copy), another error prefixed with the copy.
func vecErr(i int, err error) error {
	var f *Fault
	if errors.As(err, &f) {
		return err
	}
	return &copyErr{copy: i, err: err}
}

// copyErr is copy i's error, said once with the package's prefix: "env:
// vector env 3: invalid action ..." rather than "env: vector env 3: env:
// invalid action ...".
type copyErr struct {
	copy int
	err  error
}

func (e *copyErr) Error() string {
	return fmt.Sprintf("env: vector env %d: %s", e.copy, strings.TrimPrefix(e.err.Error(), "env: "))
}

func (e *copyErr) Unwrap() error { return e.err }

// Step applies actions (n*actDim, row i for env i; a Discrete action is its index as float64).
// On an error the Vec's state is undefined: Reset it.
func (v *Vec) Step(actions []float64) (*VecStep, error) {
	n := len(v.envs)
	if !v.started {
		return nil, ErrNeedsReset
	}
	if len(actions) != n*v.actDim {
		return nil, fmt.Errorf("%w: got %d action values for %d envs of action dimension %d",
			ErrInvalidAction, len(actions), n, v.actDim)
	}
	if v.batch != nil {
		if err := v.stepBatch(actions); err != nil {
			v.started = false
			return nil, err
		}
	} else if k := min(v.workers, n); k > 1 {
		var wg sync.WaitGroup
		chunk := (n + k - 1) / k
		for lo := 0; lo < n; lo += chunk {
			wg.Add(1)
			go func(lo, hi int) {
				defer wg.Done()
				for i := lo; i < hi; i++ {
					v.errs[i] = v.stepEnv(i, actions)
				}
			}(lo, min(lo+chunk, n))
		}
		wg.Wait()
	} else {
		for i := range n {
			v.errs[i] = v.stepEnv(i, actions)
		}
	}
	st := &v.step
	st.Episodes = st.Episodes[:0]
	for i, err := range v.errs {
		if err != nil && v.batch == nil {
			v.started = false
			return nil, vecErr(i, err)
		}
		if st.Terminated[i] || st.Truncated[i] {
			st.Episodes = append(st.Episodes, Episode{Env: i, Return: v.epRet[i], Length: v.epLen[i], Terminated: st.Terminated[i]})
		}
	}
	return st, nil
}

// stepOne steps env i with action a into row, the reward and flags into
// r, term and trunc; a panic is a Fault.
func (v *Vec) stepOne(i, step int, a, row []float64, r *float64, term, trunc *bool) (err error) {
	defer recoverFault(&err, v.id, i, step)
	if f := v.fast[i]; f != nil {
		*r, *term, *trunc, err = f.stepInto(a, row)
		return err
	}
	res, err := v.envs[i].Step(a)
	if err != nil {
		return err
	}
	*r, *term, *trunc = res.Reward, res.Terminated, res.Truncated
	return copyObs(row, res.Obs)
}

// stepEnv steps env i and, if its episode ended, records it and resets the env. It touches only
// row i of the buffers, so envs can be stepped concurrently.
func (v *Vec) stepEnv(i int, actions []float64) (err error) {
	a := actions[i*v.actDim : (i+1)*v.actDim]
	row := v.obs[i*v.obsDim : (i+1)*v.obsDim]
	var (
		r           float64
		term, trunc bool
	)
	step := v.length[i] + 1
	if err := v.stepOne(i, step, a, row, &r, &term, &trunc); err != nil {
		return err
	}
	if v.check {
		err = checkStep(v.id, i, step, row, r)
	}
	if err != nil {
		return err
	}
	st := &v.step
	st.Reward[i], st.Terminated[i], st.Truncated[i] = r, term, trunc
	copy(st.FinalObs[i*v.obsDim:(i+1)*v.obsDim], row)
	v.ret[i] += r
	v.length[i]++
	if term || trunc {
		v.epRet[i], v.epLen[i] = v.ret[i], v.length[i]
		v.ret[i], v.length[i] = 0, 0
		if err := v.resetEnv(i); err != nil {
			return fmt.Errorf("auto-reset: %w", err)
		}
	}
	return nil
}

type vecSnapshot struct {
	Envs    [][]byte
	Obs     []float64
	Ret     []float64
	Length  []int
	Started bool
	Batch   []byte // a Batch's own state (NewBatchVec); Envs is then empty
}

// MarshalBinary captures every env (its state, time-limit counter and random stream), the current
// observations and the running episode returns and lengths, for exact resumption. Every env must
// implement encoding.BinaryMarshaler, as the built-in ones do.
func (v *Vec) MarshalBinary() ([]byte, error) {
	s := vecSnapshot{Envs: make([][]byte, len(v.envs)), Obs: v.obs, Ret: v.ret, Length: v.length, Started: v.started}
	if v.batch != nil {
		m, ok := v.batch.(encoding.BinaryMarshaler)
		if !ok {
			return nil, fmt.Errorf("env: vector batch %T cannot be saved: it does not implement encoding.BinaryMarshaler", v.batch)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("env: save vector: %w", err)
		}
		s.Envs, s.Batch = nil, b
	}
	for i, e := range v.envs[:len(s.Envs)] {
		m, ok := e.(encoding.BinaryMarshaler)
		if !ok {
			return nil, fmt.Errorf("env: vector env %d (%T) cannot be saved: it does not implement encoding.BinaryMarshaler", i, e)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("env: vector env %d: %w", i, err)
		}
		s.Envs[i] = b
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return nil, fmt.Errorf("env: save vector: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary restores what MarshalBinary saved into a Vec made the same way (same id, number
// of envs and parameters); stepping then continues exactly as the saved Vec would have.
func (v *Vec) UnmarshalBinary(data []byte) error {
	var s vecSnapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return fmt.Errorf("env: restore vector: %w", err)
	}
	v.restarted = false
	if v.batch != nil {
		return v.restoreBatch(s)
	}
	n := len(v.envs)
	if len(s.Envs) != n || len(s.Obs) != len(v.obs) || len(s.Ret) != n || len(s.Length) != n {
		return fmt.Errorf("env: restore vector: saved %d envs with %d observation values, have %d with %d",
			len(s.Envs), len(s.Obs), n, len(v.obs))
	}
	for i, e := range v.envs {
		u, ok := e.(encoding.BinaryUnmarshaler)
		if !ok {
			return fmt.Errorf("env: vector env %d (%T) cannot be restored: it does not implement encoding.BinaryUnmarshaler", i, e)
		}
		if err := u.UnmarshalBinary(s.Envs[i]); err != nil {
			return fmt.Errorf("env: vector env %d: %w", i, err)
		}
	}
	copy(v.obs, s.Obs)
	copy(v.ret, s.Ret)
	copy(v.length, s.Length)
	v.started = s.Started
	return nil
}

// restoreBatch is UnmarshalBinary for a Vec made by NewBatchVec; a batch that cannot restore its
// state (ErrStateless) gets fresh episodes.
func (v *Vec) restoreBatch(s vecSnapshot) error {
	n := len(v.envs)
	if len(s.Envs) != 0 || len(s.Obs) != len(v.obs) || len(s.Ret) != n || len(s.Length) != n {
		return fmt.Errorf("env: restore vector: saved %d envs with %d observation values, have a batch of %d with %d",
			max(len(s.Envs), len(s.Ret)), len(s.Obs), n, len(v.obs))
	}
	u, ok := v.batch.(encoding.BinaryUnmarshaler)
	if !ok {
		return fmt.Errorf("env: vector batch %T cannot be restored: it does not implement encoding.BinaryUnmarshaler", v.batch)
	}
	err := u.UnmarshalBinary(s.Batch)
	if errors.Is(err, ErrStateless) {
		if _, err := v.Reset(); err != nil {
			return err
		}
		v.restarted = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("env: restore vector: %w", err)
	}
	copy(v.obs, s.Obs)
	copy(v.ret, s.Ret)
	copy(v.length, s.Length)
	v.started = s.Started
	return nil
}
