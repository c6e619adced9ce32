//go:build !unix

package rundir

// lockDir takes no lock where flock(2) does not exist.
func lockDir(string) (func(), error) { return func() {}, nil }
