package env

import (
	"errors"
	"fmt"
	"io"
)

// Batch is a set of environment copies stepped together by one call, such as the copies another
// process hosts, which one message steps at once. A Vec made by NewBatchVec steps it in place of
// stepping envs one by one, and keeps the time limit and the episode statistics itself.
type Batch interface {
	// Num is the number of copies.
	Num() int
	ObservationSpace() Space
	ActionSpace() Space
	// ResetAll starts an episode in every copy and writes the first observations into obs (Num*obsDim).
	ResetAll(obs []float64) error
	// StepAll applies actions (Num*actDim). For copy i it writes st.Reward[i], st.Terminated[i],
	// st.Truncated[i] (true also when end[i], the time limit, asked for the episode to end), the
	// observation reached into row i of st.FinalObs, and into row i of st.Obs the observation to act
	// on next: the first of a new episode when this one ended. It does not touch st.Episodes.
	StepAll(actions []float64, end []bool, st *VecStep) error
	// Env returns copy i as an Env for inspection, such as MaskerOf; it is not stepped by itself.
	Env(i int) Env
}

// ErrStateless is returned (wrapped) by a Batch's UnmarshalBinary when its copies cannot restore a
// saved state; Vec.UnmarshalBinary then starts fresh episodes instead and Restarted reports it.
var ErrStateless = errors.New("env: the environment cannot restore its state")

// NewBatchVec makes a Vec stepping the copies of b, ending an episode after maxEpisodeSteps steps
// (0: only when the environment ends it). To save and restore the Vec, b implements
// encoding.BinaryMarshaler and encoding.BinaryUnmarshaler; Close closes b if it is an io.Closer.
func NewBatchVec(b Batch, maxEpisodeSteps int) (*Vec, error) {
	if maxEpisodeSteps < 0 {
		return nil, fmt.Errorf("env: negative time limit %d", maxEpisodeSteps)
	}
	n := b.Num()
	envs := make([]Env, n)
	for i := range envs {
		envs[i] = b.Env(i)
	}
	v, err := NewVec(envs)
	if err != nil {
		return nil, err
	}
	v.batch, v.limit, v.end = b, maxEpisodeSteps, make([]bool, n)
	return v, nil
}

// stepAll steps a batch's copies; a panic is a Fault.
func (v *Vec) stepAll(actions []float64) (err error) {
	defer recoverFault(&err, v.id, 0, 0)
	return v.batch.StepAll(actions, v.end, &v.step)
}

// stepBatch is Step for a Vec made by NewBatchVec.
func (v *Vec) stepBatch(actions []float64) error {
	for i := range v.end {
		v.end[i] = v.limit > 0 && v.length[i]+1 >= v.limit
	}
	st := &v.step
	if err := v.stepAll(actions); err != nil {
		return err
	}
	if v.check {
		for i, r := range st.Reward {
			if err := checkStep(v.id, i, v.length[i]+1, st.FinalObs[i*v.obsDim:(i+1)*v.obsDim], r); err != nil {
				return err
			}
			if err := checkStep(v.id, i, 0, st.Obs[i*v.obsDim:(i+1)*v.obsDim], 0); err != nil {
				return err
			}
		}
	}
	for i, r := range st.Reward {
		v.ret[i] += r
		v.length[i]++
		if st.Terminated[i] || st.Truncated[i] {
			v.epRet[i], v.epLen[i] = v.ret[i], v.length[i]
			v.ret[i], v.length[i] = 0, 0
		}
	}
	return nil
}

// Restarted reports whether the last UnmarshalBinary started fresh episodes because the
// environments cannot restore their state (see ErrStateless).
func (v *Vec) Restarted() bool { return v.restarted }

// Close releases what the environments hold, such as child processes; it closes the Batch of a
// Vec made by NewBatchVec and every env that is an io.Closer. The Vec is unusable afterwards.
func (v *Vec) Close() error {
	v.started = false
	if c, ok := v.batch.(io.Closer); ok {
		return c.Close()
	}
	var first error
	for _, e := range v.envs {
		if c, ok := e.(io.Closer); ok {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}
