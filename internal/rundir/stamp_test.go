package rundir

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"testing"

	"ppo/agent"
)

// cancelAfter cancels its context once the run has logged n rows.
type cancelAfter struct {
	n      int
	cancel context.CancelFunc
}

func (c cancelAfter) Row(m agent.Metrics, _ int) {
	if m.Update >= c.n {
		c.cancel()
	}
}
func (cancelAfter) Warn(string) {}

// TestStampFile checks that a run records the code that trained it: the
// process that created it (after update 0) and each resume (after the
// update it restored), with this process's kernels and Go version.
func TestStampFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := Train(ctx, smallConfig(t), dir, cancelAfter{n: 2, cancel: cancel}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := Resume(context.Background(), dir, nil, nil); err != nil {
		t.Fatal(err)
	}
	stamps, err := ReadStamps(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(stamps) != 2 || stamps[0].After != 0 || stamps[1].After != 2 {
		t.Fatalf("stamps %+v, want two, after updates 0 and 2", stamps)
	}
	for _, s := range stamps {
		if s.Kernels != agent.KernelPath() || s.Go != runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH || s.Commit == "" || s.Source == "" {
			t.Fatalf("stamp %+v", s)
		}
		if (s.Source == "build" || s.Source == "git") != (s.Clean != nil) || (s.Source == "unknown") != (s.Commit == "unknown") {
			t.Fatalf("stamp %+v: commit, source and clean disagree", s)
		}
	}
}

// TestBuildInput checks which changed files make a work tree dirty: the
// build's inputs only.
func TestBuildInput(t *testing.T) {
	root := filepath.Join("..", "..")
	for name, want := range map[string]bool{
		"go.mod":                     true,
		"rundir/new.go":              true,
		"policy/kernel_amd64.s":      true,
		"configs/cartpole-clip.yaml": true, // beside Go code: embeddable
		"experiments/table1/results/cartpole/canary.json": false,
		"README.md":              false,
		"sweeps/x/seed-1/a.ckpt": false,
	} {
		if got := buildInput(root, name); got != want {
			t.Errorf("buildInput(%s) = %v, want %v", name, got, want)
		}
	}
}
