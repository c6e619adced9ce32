package rundir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"os"
	"path/filepath"
	"ppo/agent"
	"ppo/internal/checkpoint"
	"strings"
	"testing"
)

// hook is a Progress that calls f with every row's update number, so a
// test acts at an exact point of a run.
type hook func(update int)

func (h hook) Row(m agent.Metrics, _ int) { h(m.Update) }
func (hook) Warn(string)                  {}

// interruptAt starts a run of cfg in dir and cancels it after update k,
// as a signal would.
func interruptAt(t *testing.T, dir string, k int, sets ...string) {
	t.Helper()
	cfg := smallConfig(t, sets...)
	tr, err := agent.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := cfg.YAML()
	rd, err := createRunDir(dir, y, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := hook(func(u int) {
		if u == k {
			cancel()
		}
	})
	if _, err := train(ctx, tr, cfg, rd, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v", err)
	}
}

// TestResumeIdentical interrupts runs after several different updates,
// resumes them and checks metrics.jsonl is row for row the uninterrupted
// run's (timing aside), and so is the final checkpoint.
func TestResumeIdentical(t *testing.T) {
	for _, tc := range []struct {
		name string
		sets []string
	}{
		{"cartpole", nil},
		{"pendulum-normalised", []string{"env.id=Pendulum-v1", "env.normalize_obs=true", "env.normalize_reward=true", "ppo.objective=clip_kl"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := trainRun(t, smallConfig(t, tc.sets...))
			wantRows, _ := json.Marshal(readRows(t, want))
			wantCkpt, _ := os.ReadFile(filepath.Join(want, FinalCkpt))
			for _, k := range []int{1, 2, 3, 5} {
				dir := filepath.Join(t.TempDir(), "run")
				interruptAt(t, dir, k, tc.sets...)
				if _, err := Resume(context.Background(), dir, nil, nil); err != nil {
					t.Fatalf("resume after update %d: %v", k, err)
				}
				got, _ := json.Marshal(readRows(t, dir))
				if string(got) != string(wantRows) {
					gr, wr := readRows(t, dir), readRows(t, want)
					for i := range wr {
						a, _ := json.Marshal(gr[i])
						b, _ := json.Marshal(wr[i])
						if string(a) != string(b) {
							t.Logf("row %d:\n got %s\nwant %s", i, a, b)
							break
						}
					}
					t.Fatalf("interrupted after update %d: resumed metrics differ from the uninterrupted run", k)
				}
				ckpt, _ := os.ReadFile(filepath.Join(dir, FinalCkpt))
				if string(ckpt) != string(wantCkpt) {
					t.Fatalf("interrupted after update %d: final checkpoint differs", k)
				}
			}
		})
	}
}

// TestResumeSkipsCorrupt damages the newest checkpoint: resume falls back
// to the previous intact one, says so, and still ends identical.
func TestResumeSkipsCorrupt(t *testing.T) {
	want, _ := trainRun(t, smallConfig(t))
	wantRows, _ := json.Marshal(readRows(t, want))
	dir := filepath.Join(t.TempDir(), "run")
	interruptAt(t, dir, 5)
	// Checkpoints at 2 and 4 (checkpoint_every 2) and 5 (the interrupt).
	newest := filepath.Join(dir, "ckpt-000005.ckpt")
	b, err := os.ReadFile(newest)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(newest, b[:len(b)/2], 0o644)
	os.WriteFile(filepath.Join(dir, "ckpt-000004.ckpt"), []byte("not a checkpoint"), 0o644)
	var notes bytes.Buffer
	if _, err := Resume(context.Background(), dir, nil, &notes); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(readRows(t, dir))
	if string(got) != string(wantRows) {
		t.Fatal("resumed from an older checkpoint, metrics differ")
	}
	n := notes.String()
	if !strings.Contains(n, "skipping checkpoint ckpt-000005.ckpt") || !strings.Contains(n, "skipping checkpoint ckpt-000004.ckpt") || !strings.Contains(n, "ckpt-000002.ckpt (update 2)") {
		t.Fatalf("notes: %q", n)
	}
	if _, err := Resume(context.Background(), dir, nil, nil); err == nil {
		t.Fatal("resuming a finished run was accepted")
	}
}

// cutLogs keeps the first rows rows of both logs, as an OS crash that
// lost unsynced writes would, leaving a torn half row at the end of each.
func cutLogs(t *testing.T, dir string, rows int) {
	t.Helper()
	for name, header := range map[string]int{JSONLFile: 0, CSVFile: 1} {
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.SplitAfter(b, []byte("\n"))
		kept := bytes.Join(lines[:header+rows], nil)
		torn := lines[header+rows][:len(lines[header+rows])/2]
		if err := os.WriteFile(path, append(kept, torn...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestResumeAfterCrash: the logs lost their last rows while newer
// checkpoints survived. Resume starts from the newest checkpoint the logs
// reach, keeps the newer ones until the run passes them, and ends identical
// to an uninterrupted run; with no checkpoint the logs reach it refuses,
// naming the missing rows, and touches nothing.
func TestResumeAfterCrash(t *testing.T) {
	want, _ := trainRun(t, smallConfig(t))
	wantRows, _ := json.Marshal(readRows(t, want))
	wantCkpt, _ := os.ReadFile(filepath.Join(want, FinalCkpt))

	dir := filepath.Join(t.TempDir(), "run")
	interruptAt(t, dir, 5) // checkpoints at updates 2, 4 and 5
	cutLogs(t, dir, 3)     // rows 1-3 whole, row 4 torn
	var notes bytes.Buffer
	if _, err := Resume(context.Background(), dir, nil, &notes); err != nil {
		t.Fatal(err)
	}
	if n := notes.String(); !strings.Contains(n, "logs end at update 3, before the checkpoints at updates 4, 5") || !strings.Contains(n, "ckpt-000002.ckpt (update 2)") {
		t.Fatalf("notes: %q", n)
	}
	got, _ := json.Marshal(readRows(t, dir))
	if string(got) != string(wantRows) {
		t.Fatal("resumed after a crash, metrics differ from the uninterrupted run")
	}
	if ckpt, _ := os.ReadFile(filepath.Join(dir, FinalCkpt)); string(ckpt) != string(wantCkpt) {
		t.Fatal("resumed after a crash, the final checkpoint differs")
	}

	dir = filepath.Join(t.TempDir(), "run")
	interruptAt(t, dir, 5)
	cutLogs(t, dir, 1)
	before := snapshot(t, dir)
	_, err := Resume(context.Background(), dir, nil, nil)
	var in *agent.InputError
	if !errors.As(err, &in) || !strings.Contains(err.Error(), "rows 2-2 are missing") {
		t.Fatalf("logs short of every checkpoint: got %v, want an input error naming rows 2-2", err)
	}
	if after := snapshot(t, dir); !maps.Equal(before, after) {
		t.Fatal("a refused resume changed the run directory")
	}
}

// snapshot maps every file in dir to its contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

// TestResumeWithoutCheckpoint: a run that died before its first
// checkpoint starts again and ends identical to an uninterrupted run.
func TestResumeWithoutCheckpoint(t *testing.T) {
	want, _ := trainRun(t, smallConfig(t))
	wantRows, _ := json.Marshal(readRows(t, want))
	dir := filepath.Join(t.TempDir(), "run")
	interruptAt(t, dir, 1)
	os.Remove(filepath.Join(dir, "ckpt-000001.ckpt"))
	var notes bytes.Buffer
	if _, err := Resume(context.Background(), dir, nil, &notes); err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(readRows(t, dir)); string(got) != string(wantRows) {
		t.Fatal("restarted run differs from an uninterrupted one")
	}
	if !strings.Contains(notes.String(), "starting it again") {
		t.Fatalf("notes: %q", notes.String())
	}
}

// TestNonFiniteStops: a NaN in the network stops the run at the next
// update with an error naming the update and the quantity, and the
// checkpoints already written stay intact and loadable.
func TestNonFiniteStops(t *testing.T) {
	cfg := smallConfig(t)
	tr, err := agent.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := cfg.YAML()
	dir := filepath.Join(t.TempDir(), "run")
	rd, err := createRunDir(dir, y, false)
	if err != nil {
		t.Fatal(err)
	}
	// Poisoned once row 2 and its checkpoint are written.
	p := hook(func(u int) {
		if u == 2 {
			w := tr.Policy().Params()[0].T.Data().([]float32)
			w[0] = float32(math.NaN())
		}
	})
	_, err = train(context.Background(), tr, cfg, rd, p)
	if err == nil || !strings.Contains(err.Error(), "update 3: ") || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("got %v, want an error naming update 3 and the NaN", err)
	}
	if rows := readRows(t, dir); len(rows) != 2 {
		t.Fatalf("%d metrics rows, want the 2 good updates", len(rows))
	}
	if _, err := checkpoint.Read(filepath.Join(dir, "ckpt-000002.ckpt")); err != nil {
		t.Fatalf("the last good checkpoint: %v", err)
	}
	if _, err := Resume(context.Background(), dir, nil, nil); err != nil {
		t.Fatalf("resuming from the last good checkpoint: %v", err)
	}
}

// TestResumeFinishesEvaluation: a run stopped after final.ckpt but before
// eval.json is finished by a resume, which writes the eval.json the run
// would have written, and changes nothing else; a run with both is refused
// as finished. The run is stopped there in two ways: killed during its
// final evaluation (eval.json removed), and interrupted after its last
// update, which stops the final evaluation, leaving no failure record.
func TestResumeFinishesEvaluation(t *testing.T) {
	dir, _ := trainRun(t, smallConfig(t))
	want, err := os.ReadFile(filepath.Join(dir, EvalFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("killed", func(t *testing.T) {
		if err := os.Remove(filepath.Join(dir, EvalFile)); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, dir)
		var notes strings.Builder
		sum, err := Resume(context.Background(), dir, nil, &notes)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(filepath.Join(dir, EvalFile))
		if string(got) != string(want) {
			t.Errorf("eval.json written by the resume:\n%s\nwant the run's:\n%s", got, want)
		}
		after := snapshot(t, dir)
		delete(after, EvalFile)
		if !maps.Equal(before, after) {
			t.Error("finishing the evaluation changed other files")
		}
		if sum.Updates != 6 || sum.Last.Update != 6 || !strings.Contains(notes.String(), "playing its final evaluation") {
			t.Errorf("summary %d updates, last row %d, notes %q", sum.Updates, sum.Last.Update, notes.String())
		}
		if _, err := Resume(context.Background(), dir, nil, nil); err == nil || !strings.Contains(err.Error(), "already finished") {
			t.Errorf("resume of a finished run: %v", err)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		run := filepath.Join(t.TempDir(), "run")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		last := hook(func(u int) {
			if u == 6 { // the last update of smallConfig's six
				cancel()
			}
		})
		if _, err := Train(ctx, smallConfig(t), run, last); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted during the final evaluation: %v", err)
		}
		for name, want := range map[string]bool{FinalCkpt: true, EvalFile: false, ErrorFile: false} {
			if _, err := os.Stat(filepath.Join(run, name)); (err == nil) != want {
				t.Errorf("%s present: %v, want %v", name, err == nil, want)
			}
		}
		if _, err := Resume(context.Background(), run, nil, nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(filepath.Join(run, EvalFile)); string(got) != string(want) {
			t.Errorf("eval.json after the resume:\n%s\nwant the uninterrupted run's:\n%s", got, want)
		}
	})
}
