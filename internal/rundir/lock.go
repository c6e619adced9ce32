package rundir

import (
	"errors"
	"fmt"
)

// ErrInUse says that another process (or another trainer of this one) is
// training into a run directory.
var ErrInUse = errors.New("in use")

// Lock takes an exclusive lock on the run directory dir for as long as
// a run is trained into it, so that a second ppo train --resume or sweep of
// the same directory is refused (with an error wrapping ErrInUse) instead
// of interleaving its writes with the first's. The lock is advisory and
// dies with its process, so a killed run leaves none behind. Where the
// file system cannot lock a directory, or dir does not exist yet, Lock
// takes none and returns no error: the run goes on as it would without.
func Lock(dir string) (release func(), err error) {
	return lockDir(dir)
}

// ErrFinished is Resume's error for a run that has nothing left to do: it
// has its final checkpoint and evaluation.
var ErrFinished = errors.New("nothing to resume")

// Running says whether a process holds dir's lock: a run training into it
// now (or a sweep resuming it). Where directories cannot be locked it is
// false.
func Running(dir string) bool {
	release, err := lockDir(dir)
	if err != nil {
		return errors.Is(err, ErrInUse)
	}
	release()
	return false
}

// inUse is the error for a directory another process holds.
func inUse(dir string) error {
	return fmt.Errorf("run directory %s is %w by another ppo process (a training run or a sweep); wait for it to end or stop it", dir, ErrInUse)
}
