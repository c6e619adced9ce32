package rundir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"ppo/agent"
	"ppo/internal/atomicfile"
)

// StampFile lists the code that trained a run: one stamp per process that
// trained into the directory, the first the one that created it, each
// with the update it started after.
const StampFile = "stamp.json"

// Stamp records the code a result was produced from, so that a committed
// number can be traced to the commit that made it and a later change that
// moves it can be told from one that does not.
type Stamp struct {
	// Commit is the commit the code was built at; "unknown" when neither
	// the binary nor a work tree tells.
	Commit string `json:"commit"`
	// Clean says whether the work tree had no changes to tracked files and
	// no untracked Go files; nil when that is not known.
	Clean *bool `json:"clean"`
	// Source says where Commit comes from: "build" (the binary's VCS
	// stamp), "git" (asked at run time of the work tree of the module the
	// binary was built from, for binaries built without VCS information,
	// e.g. by go run or with -buildvcs=false), "history" (added to a result
	// committed before stamps existed: the parent of the commit that added
	// it) or "unknown".
	Source string `json:"source"`
	// Kernels is agent.KernelPath: avx512, avx2-fma or go.
	Kernels string `json:"kernels"`
	// Go is the toolchain and platform, e.g. "go1.26.8 linux/amd64".
	Go string `json:"go"`
	// Note says anything else a reader needs, e.g. how a history stamp
	// was found.
	Note string `json:"note,omitempty"`
}

// RunStamp is one entry of a run's StampFile.
type RunStamp struct {
	Stamp
	// After is the update the process started after: 0 for the process
	// that created the run, the restored checkpoint's for a resume.
	After int `json:"after"`
}

var (
	stampOnce sync.Once
	thisStamp Stamp
)

// CurrentStamp is the stamp of this process's code, worked out once: the
// binary's VCS stamp when it has one, else the git work tree of its main
// module found from the working directory.
func CurrentStamp() Stamp {
	stampOnce.Do(func() {
		thisStamp = Stamp{Commit: "unknown", Source: "unknown", Kernels: agent.KernelPath(),
			Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			return
		}
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			clean := modified != "true"
			thisStamp.Commit, thisStamp.Clean, thisStamp.Source = rev, &clean, "build"
			return
		}
		if root := moduleRoot(bi.Main.Path); root != "" {
			if rev, clean, err := gitState(root); err == nil {
				thisStamp.Commit, thisStamp.Clean, thisStamp.Source = rev, &clean, "git"
			}
		}
	})
	return thisStamp
}

// moduleRoot is the nearest directory at or above the working directory
// whose go.mod declares module path, or "" if there is none (the binary
// runs outside its own source tree, where no work tree describes it).
func moduleRoot(path string) string {
	if path == "" {
		return ""
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
					if strings.Trim(f[1], `"`) == path {
						return dir
					}
					return ""
				}
			}
			return ""
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// gitState is the HEAD commit of the work tree at root and whether it is
// clean: no change, tracked or untracked, to a file the build can read:
// go.mod, go.sum and the files of a directory holding Go sources (its
// code, and what it embeds). Results, run directories and binaries left
// in the tree do not make it dirty, so a study that rewrites its own
// committed results is still stamped clean.
func gitState(root string) (commit string, clean bool, err error) {
	out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return "", false, err
	}
	commit = strings.TrimSpace(string(out))
	out, err = exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=all", "--no-renames").Output()
	if err != nil {
		return "", false, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if len(line) < 4 {
			continue
		}
		if buildInput(root, strings.Trim(line[3:], `"`)) {
			return commit, false, nil
		}
	}
	return commit, true, nil
}

// buildInput says whether the file name (relative to root) can change
// what go build makes.
func buildInput(root, name string) bool {
	base := filepath.Base(name)
	if base == "go.mod" || base == "go.sum" || strings.HasSuffix(base, ".go") || strings.HasSuffix(base, ".s") {
		return true
	}
	gos, _ := filepath.Glob(filepath.Join(root, filepath.Dir(name), "*.go"))
	return len(gos) > 0
}

// String is the stamp on one line, as ppo inspect and the canaries show it.
func (s Stamp) String() string {
	state := "tree state unknown"
	if s.Clean != nil {
		state = "clean tree"
		if !*s.Clean {
			state = "uncommitted changes"
		}
	}
	c := s.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	return fmt.Sprintf("commit %s (%s, from %s), %s kernels, %s", c, state, s.Source, s.Kernels, s.Go)
}

// addStamp appends this process's stamp to dir's StampFile.
func addStamp(dir string, after int) error {
	stamps, err := ReadStamps(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	stamps = append(stamps, RunStamp{Stamp: CurrentStamp(), After: after})
	b, err := json.MarshalIndent(stamps, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, StampFile), append(b, '\n'))
}

// ReadStamps reads a run directory's StampFile.
func ReadStamps(dir string) ([]RunStamp, error) {
	b, err := os.ReadFile(filepath.Join(dir, StampFile))
	if err != nil {
		return nil, err
	}
	var s []RunStamp
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", StampFile, err)
	}
	return s, nil
}
