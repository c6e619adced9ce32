package rundir

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ppo/agent"
)

// TestResumeRefusesEditedConfig: after config.yaml is edited, resume
// refuses in one line naming every changed field, and the run directory
// stays byte-identical.
func TestResumeRefusesEditedConfig(t *testing.T) {
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		{"widths", "hidden: [64, 64]", "hidden: [32]", []string{"policy.hidden ([64, 64] vs [32])"}},
		{"env", "id: CartPole-v1", "id: Acrobot-v1", []string{`env.id ("CartPole-v1" vs "Acrobot-v1")`}},
		{"epochs", "epochs: 4", "epochs: 5", []string{"ppo.epochs (4 vs 5)"}},
		{"lr", "learning_rate: 0.0003", "learning_rate: 0.001",
			[]string{"ppo.learning_rate (0.0003 vs 0.001)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			interruptAt(t, dir, 3)
			path := filepath.Join(dir, ConfigFile)
			y, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(y), tc.from) {
				t.Fatalf("config.yaml lacks %q:\n%s", tc.from, y)
			}
			os.WriteFile(path, []byte(strings.Replace(string(y), tc.from, tc.to, 1)), 0o644)
			before := snapshot(t, dir)
			_, err = Resume(context.Background(), dir, nil, nil)
			var in *agent.InputError
			if !errors.As(err, &in) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want a one-line input error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if after := snapshot(t, dir); !maps.Equal(before, after) {
				t.Fatal("a refused resume changed the run directory")
			}
		})
	}
}

// TestResumeRefusesWithoutIntactCheckpoint: checkpoints that exist are
// never discarded to start the run again, and the refusal is its one line
// (the notes about skipped checkpoints come only when the run goes on).
func TestResumeRefusesWithoutIntactCheckpoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	interruptAt(t, dir, 3) // checkpoints at 2 and 3
	for _, name := range []string{"ckpt-000002.ckpt", "ckpt-000003.ckpt"} {
		os.WriteFile(filepath.Join(dir, name), []byte("not a checkpoint"), 0o644)
	}
	before := snapshot(t, dir)
	var notes strings.Builder
	_, err := Resume(context.Background(), dir, nil, &notes)
	var in *agent.InputError
	if !errors.As(err, &in) || !strings.Contains(err.Error(), "no intact checkpoint (the newest: "+filepath.Join(dir, "ckpt-000003.ckpt")) ||
		!strings.Contains(err.Error(), "; 1 older one is unreadable too") || strings.Contains(err.Error(), "ckpt-000002") {
		t.Fatalf("got %v, want a refusal naming the newest checkpoint and counting the others", err)
	}
	if notes.Len() > 0 {
		t.Errorf("a refused resume also wrote notes: %q", notes.String())
	}
	if after := snapshot(t, dir); !maps.Equal(before, after) {
		t.Fatal("a refused resume changed the run directory")
	}
}

// TestPruneKeepsForeignCheckpoints: pruning removes only checkpoints the
// run wrote, in a fresh run and after a resume.
func TestPruneKeepsForeignCheckpoints(t *testing.T) {
	other, _ := trainRun(t, smallConfig(t, "ppo.learning_rate=1e-3"))
	foreign, err := os.ReadFile(filepath.Join(other, "ckpt-000004.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	interruptAt(t, dir, 2, "log.checkpoint_every=1", "log.keep_checkpoints=1")
	// An unrelated run's checkpoint and a stray file, under names this run
	// has passed (1) or skips (none: every update checkpoints) ...
	os.WriteFile(filepath.Join(dir, "ckpt-000001.ckpt"), foreign, 0o644)
	os.WriteFile(filepath.Join(dir, "ckpt-000000.ckpt"), []byte("x"), 0o644)
	if _, err := Resume(context.Background(), dir, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.ckpt"))
	for i := range got {
		got[i] = filepath.Base(got[i])
	}
	// ... survive, while the run's own are pruned to the newest one.
	if want := "ckpt-000000.ckpt ckpt-000001.ckpt ckpt-000005.ckpt"; strings.Join(got, " ") != want {
		t.Fatalf("checkpoints %v, want %s", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ckpt-000001.ckpt")); string(b) != string(foreign) {
		t.Fatal("the foreign checkpoint was changed")
	}
}

// TestResumeRefusesChangedReference: the reference policy's file changed
// while the run was interrupted, so the run cannot continue as it was.
func TestResumeRefusesChangedReference(t *testing.T) {
	a, _ := trainRun(t, smallConfig(t))
	b, _ := trainRun(t, smallConfig(t, "seed=2"))
	ref := filepath.Join(t.TempDir(), "ref.ckpt")
	copyFile := func(src string) {
		data, err := os.ReadFile(filepath.Join(src, FinalCkpt))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(ref, data, 0o666)
	}
	copyFile(a)
	dir := filepath.Join(t.TempDir(), "run")
	interruptAt(t, dir, 3, "kl.reference.checkpoint="+ref)
	copyFile(b)
	before := snapshot(t, dir)
	_, err := Resume(context.Background(), dir, nil, nil)
	var in *agent.InputError
	if !errors.As(err, &in) || !strings.Contains(err.Error(), "has changed since the run started") {
		t.Fatalf("got %v, want a refusal naming the changed reference", err)
	}
	if after := snapshot(t, dir); !maps.Equal(before, after) {
		t.Fatal("a refused resume changed the run directory")
	}
}

// TestSaverInOrder: background saves land in order, each pruning the run's
// older checkpoints, and a failed save's error comes back from the next
// save, so the run stops.
func TestSaverInOrder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	rd, err := createRunDir(dir, []byte("name: x\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	s := &saver{rd: rd, keep: 1}
	for u := 1; u <= 3; u++ {
		if err := s.save([]byte{byte(u)}, rd.CheckpointPath(u)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.wait(); err != nil {
		t.Fatal(err)
	}
	got, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.ckpt"))
	if len(got) != 1 || filepath.Base(got[0]) != "ckpt-000003.ckpt" {
		t.Fatalf("checkpoints %v, want ckpt-000003.ckpt alone", got)
	}
	if b, _ := os.ReadFile(got[0]); len(b) != 1 || b[0] != 3 {
		t.Fatalf("ckpt-000003.ckpt holds %v, want [3]", b)
	}
	if err := s.save([]byte{4}, filepath.Join(dir, "missing", "ckpt-000004.ckpt")); err != nil {
		t.Fatal(err) // not written yet: its error is the next call's
	}
	if err := s.save([]byte{5}, rd.CheckpointPath(5)); err == nil || !strings.Contains(err.Error(), "writing checkpoint") {
		t.Fatalf("the save after a failed one returned %v, want the failure", err)
	}
	if err := s.wait(); err != nil {
		t.Fatalf("wait after the failure was returned: %v", err)
	}
}

// TestResumeRefusesRunInUse: while another process (here another lock on
// the directory) trains into a run, a resume is refused with ErrInUse,
// changing nothing; once it has ended, the resume goes on. A training run
// holds the lock itself.
func TestResumeRefusesRunInUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	interruptAt(t, dir, 2)
	before := snapshot(t, dir)
	release, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Resume(context.Background(), dir, nil, nil)
	var in *agent.InputError
	if !errors.Is(err, ErrInUse) || !errors.As(err, &in) {
		t.Fatalf("resume of a run in use returned %v, want an input error wrapping ErrInUse", err)
	}
	if after := snapshot(t, dir); !maps.Equal(before, after) {
		t.Fatal("the refused resume changed the run directory")
	}
	release()
	held := false
	p := hook(func(int) {
		if _, err := Lock(dir); errors.Is(err, ErrInUse) {
			held = true
		}
	})
	if _, err := Resume(context.Background(), dir, p, nil); err != nil {
		t.Fatal(err)
	}
	if !held {
		t.Fatal("the resumed run did not hold its directory's lock")
	}
	if r, err := Lock(dir); err != nil {
		t.Fatalf("the lock outlived the run: %v", err)
	} else {
		r()
	}
}

// TestResumeClearsFailure: a run whose failure was recorded (error.txt) and
// is resumed loses the record once it goes on.
func TestResumeClearsFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	interruptAt(t, dir, 2)
	RecordFailure(dir, errors.New("env: the server crashed"))
	if _, err := Resume(context.Background(), dir, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ErrorFile)); !os.IsNotExist(err) {
		t.Errorf("error.txt after a successful resume: %v", err)
	}
}
