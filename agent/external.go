package agent

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"ppo/configs"
	"ppo/env"
	"ppo/env/external"
)

// command is how to start the children serving the environment of c (env.id external).
func command(c configs.EnvConfig) external.Command {
	return external.Command{Argv: c.External.Command, Processes: c.External.Processes, Dir: c.External.Dir,
		Timeout: time.Duration(c.External.Timeout * float64(time.Second))}
}

// makeEnv makes one environment of c: registered, or served by a child process. Close it with closeEnv.
func makeEnv(c configs.EnvConfig, opts ...env.Option) (env.Env, error) {
	e, _, err := makeEnvID(c, opts...)
	return e, err
}

// makeEnvID is makeEnv, with the id the environment declares: c.ID for a
// registered one, the program's own (such as PointMass-v0) for an
// external one.
func makeEnvID(c configs.EnvConfig, opts ...env.Option) (env.Env, string, error) {
	if c.ID != configs.ExternalEnv {
		e, err := env.Make(c.ID, opts...)
		return e, c.ID, err
	}
	s, err := external.Spec(command(c))
	if err != nil {
		return nil, "", err
	}
	e, err := s.Make(opts...)
	return e, s.ID, err
}

// makeVec makes the n environments of a run of c.
func makeVec(c configs.EnvConfig, n int, seed uint64, opts ...env.Option) (*env.Vec, error) {
	var v *env.Vec
	var err error
	if c.ID != configs.ExternalEnv {
		v, err = env.MakeVec(c.ID, n, seed, opts...)
	} else {
		v, err = external.MakeVec(command(c), n, seed, opts...)
	}
	if err == nil {
		v.SetCheck(c.NaNCheck)
	}
	return v, err
}

// closeEnv stops what e holds, such as its child process.
func closeEnv(e env.Env) {
	if c, ok := e.(io.Closer); ok {
		c.Close()
	}
}

// Close stops the run's environments: the child processes of an external env. The trainer
// cannot step them afterwards.
func (t *Trainer) Close() error {
	if t.helper != nil {
		t.helper.stop()
	}
	return t.vec.Close()
}

// EnvRestarted reports whether Restore gave the environments fresh episodes because they cannot
// restore their state (an external env without save and load), so the run continues, but not
// exactly as an uninterrupted one would.
func (t *Trainer) EnvRestarted() bool { return t.vec.Restarted() }

// envErr is an env's error as the trainer returns it: one that names the
// env already (an env.Fault, or the env package's "env: ..." errors) as it
// is; another with the prefix "env: ", said once.
func envErr(err error) error {
	var f *env.Fault
	if errors.As(err, &f) || strings.HasPrefix(err.Error(), "env") {
		return err
	}
	return fmt.Errorf("env: %w", err)
}
