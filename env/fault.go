package env

import (
	"fmt"
	"math"
)

// Fault is an environment's failure, named: a panic in its Reset or Step,
// or an observation or reward that is not a finite number. The trainer
// reports it as the run's failure (error.txt, exit status 1), before a bad
// value can reach the network and surface later as a NaN loss.
type Fault struct {
	// ID is the environment's id ("" when unknown), Copy the copy of a
	// vector (0 for a lone env), and Step the step of the copy's episode
	// that failed (0: its Reset).
	ID   string
	Copy int
	Step int
	// Cause says what went wrong: "panicked: ...", "observation[2] is NaN",
	// "reward is +Inf".
	Cause string
}

func (f *Fault) Error() string {
	id := f.ID
	if id == "" {
		id = "(unnamed)"
	}
	where := fmt.Sprintf("step %d of its episode", f.Step)
	if f.Step == 0 {
		where = "reset"
	}
	return fmt.Sprintf("env %s, copy %d, %s: %s", id, f.Copy, where, f.Cause)
}

// recoverFault, deferred, turns a panic of the function deferring it into
// a Fault in *err. It must be the deferred function itself, for recover to
// see the panic; as a plain defer it costs no allocation per step.
func recoverFault(err *error, id string, copy, step int) {
	if r := recover(); r != nil {
		*err = &Fault{ID: id, Copy: copy, Step: step, Cause: fmt.Sprintf("panicked: %v", r)}
	}
}

// nonFinite names the first element of obs that is NaN or ±Inf, or "".
func nonFinite(obs []float64) string {
	for i, v := range obs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprintf("observation[%d] is %v", i, v)
		}
	}
	return ""
}

// checkStep is the Fault of a step whose observation or reward is not
// finite, or nil.
func checkStep(id string, copy, step int, obs []float64, reward float64) error {
	if c := nonFinite(obs); c != "" {
		return &Fault{ID: id, Copy: copy, Step: step, Cause: c}
	}
	if math.IsNaN(reward) || math.IsInf(reward, 0) {
		return &Fault{ID: id, Copy: copy, Step: step, Cause: fmt.Sprintf("reward is %v", reward)}
	}
	return nil
}

// Reset resets e as a vector's copy would be: a panic is a Fault, and with
// check a non-finite first observation is one too. id names the env in
// the Fault. For callers that step an env themselves (the evaluator).
func Reset(e Env, id string, check bool) (obs []float64, err error) {
	defer recoverFault(&err, id, 0, 0)
	obs, err = e.Reset()
	if err == nil && check {
		if c := nonFinite(obs); c != "" {
			err = &Fault{ID: id, Step: 0, Cause: c}
		}
	}
	return obs, err
}

// Step steps e as a vector's copy would be, step being the step of the
// episode (from 1), with Reset's guards.
func Step(e Env, action []float64, id string, step int, check bool) (res StepResult, err error) {
	defer recoverFault(&err, id, 0, step)
	res, err = e.Step(action)
	if err == nil && check {
		err = checkStep(id, 0, step, res.Obs, res.Reward)
	}
	return res, err
}
