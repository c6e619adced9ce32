//go:build unix

package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestModes: new files get 0666 less the umask, replaced files keep their
// mode, and no temporary file is left behind.
func TestModes(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	if err := Write(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
		t.Fatalf("new file mode %v, want 0640 under umask 027", st.Mode().Perm())
	}
	os.Chmod(p, 0o604)
	if err := Write(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o604 {
		t.Fatalf("replaced file mode %v, want its own 0604", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatalf("content %q", b)
	}
	if err := WriteNew(filepath.Join(dir, "b"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := WriteNew(p, []byte("three")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("WriteNew over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatalf("WriteNew changed an existing file: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("files left: %v", entries)
	}
}

// TestErrorNamesTarget: a failure names the file asked for, not the
// temporary file.
func TestErrorNamesTarget(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing", "x")
	err := Write(p, nil)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != p {
		t.Fatalf("got %v, want a path error naming %s", err, p)
	}
}
