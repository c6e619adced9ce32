//go:build unix

package rundir

import (
	"errors"
	"os"
	"syscall"
)

func lockDir(dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return func() {}, nil
	}
	// flock locks belong to the open file, so a second Open of the same
	// directory, in this process or another, conflicts with this one.
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	switch {
	case err == nil:
		return func() { f.Close() }, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		f.Close()
		return nil, inUse(dir)
	default: // e.g. a network file system that cannot lock directories
		f.Close()
		return func() {}, nil
	}
}
