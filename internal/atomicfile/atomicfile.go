// Package atomicfile writes files so that readers see the old content or the
// new, never a torn mix, and with the permissions a user expects: a new file
// gets mode 0666 less the process's umask, a replaced file keeps its mode. It
// imports nothing from the module.
package atomicfile

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Write replaces path by data through a synced temporary file in the same
// directory, renamed into place.
func Write(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteNew creates path holding data, atomically, and fails with an error
// wrapping fs.ErrExist if path already exists: of several processes
// creating one file at once, exactly one succeeds.
func WriteNew(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	// A hard link, unlike a rename, never replaces its target.
	return os.Link(tmp, path)
}

// writeTemp writes data to a new temporary file beside path and returns its name.
func writeTemp(path string, data []byte) (string, error) {
	perm := fs.FileMode(0o666) // less the umask, applied by the kernel
	keep := false
	if st, err := os.Stat(path); err == nil {
		perm, keep = st.Mode().Perm(), true
	}
	var f *os.File
	var err error
	for range 100 {
		name := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp"+strconv.FormatUint(rand.Uint64(), 36))
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		// Name the file the caller asked for, not the temporary one.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = &fs.PathError{Op: "create", Path: path, Err: pe.Err}
		}
		return "", err
	}
	_, err = f.Write(data)
	if err == nil && keep {
		// The umask applies at creation; the old mode must survive whole.
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
