//go:build unix

package rundir

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFileModesFollowUmask: every file of a run directory is created 0666
// less the umask, as users sharing a filesystem need.
func TestFileModesFollowUmask(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	dir, _ := trainRun(t, smallConfig(t, "log.tensorboard=true"))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 6 {
		t.Fatalf("only %d files", len(entries))
	}
	for _, e := range entries {
		st, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o664 {
			t.Errorf("%s has mode %v, want 0664 under umask 002", e.Name(), st.Mode().Perm())
		}
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o775 {
		t.Errorf("run directory has mode %v, want 0775", st.Mode().Perm())
	}
}
