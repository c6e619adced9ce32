package rundir

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// v1Runs are run directories written before checkpoints recorded their
// config (format version 1); see testdata/README.md.
var v1Runs = []string{"testdata/v1/cartpole", "testdata/v1/pendulum"}

// TestV1Evaluate: a version 1 run evaluates, and with the run's own seed
// rule reproduces its eval.json exactly.
func TestV1Evaluate(t *testing.T) {
	for _, dir := range v1Runs {
		ev, err := LoadEvaluator(dir)
		if err != nil || filepath.Base(ev.Checkpoint) != FinalCkpt {
			t.Fatalf("%s: %v", dir, err)
		}
		r, err := ev.Run(ev.Episodes, ev.Seed, true)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.MarshalIndent(r, "", "  ")
		want, _ := os.ReadFile(filepath.Join(dir, EvalFile))
		if string(got)+"\n" != string(want) {
			t.Errorf("%s: eval\n%s\nwant\n%s", dir, got, want)
		}
	}
}

// TestV1Resume: a version 1 run with its last updates lost resumes from its
// version 1 checkpoint to the same rows and evaluation.
func TestV1Resume(t *testing.T) {
	for _, src := range v1Runs {
		dir := filepath.Join(t.TempDir(), "run")
		copyDir(t, src, dir)
		os.Remove(filepath.Join(dir, FinalCkpt))
		os.Remove(filepath.Join(dir, EvalFile))
		if _, err := Resume(context.Background(), dir, nil, nil); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got, want := asWrittenBefore(t, readRows(t, dir)), readRows(t, src); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: resumed rows differ from the original run's", src)
		}
		got, _ := os.ReadFile(filepath.Join(dir, EvalFile))
		want, _ := os.ReadFile(filepath.Join(src, EvalFile))
		if string(got) != string(want) {
			t.Errorf("%s: eval.json\n%s\nwant\n%s", src, got, want)
		}
	}
}

// TestV1Reference: a version 1 final.ckpt serves as kl.reference.checkpoint.
func TestV1Reference(t *testing.T) {
	ref, _ := filepath.Abs("testdata/v1/cartpole/final.ckpt")
	_, sum := trainRun(t, smallConfig(t, "kl.reference.checkpoint="+ref))
	if sum.Last.KLRef == nil {
		t.Fatal("no kl_ref logged")
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o777); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
}
