package rundir

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"ppo/configs"
)

// TestCommittedRunsReproduce retrains the runs committed under
// experiments/runs from their own config.yaml and checks that every metrics
// row (timing aside) and eval.json come out identical: the determinism
// promise, held against files written by an earlier build, and the check
// that the README figures generated from those runs are still true. It is
// a whole-run check, run by .ci/run (PPO_CANARY_FULL) on both kernel
// paths; go test ./... compares the runs' first updates (sweep's
// TestCommittedRuns).
func TestCommittedRunsReproduce(t *testing.T) {
	if v := os.Getenv("PPO_CANARY_FULL"); v == "" || v == "0" {
		t.Skip("100k-step training runs: set PPO_CANARY_FULL=1 (as .ci/run does)")
	}
	runs, err := filepath.Glob(filepath.Join("..", "..", "experiments", "runs", "*", ConfigFile))
	if err != nil || len(runs) == 0 {
		t.Fatalf("no committed runs found (%v)", err)
	}
	for _, cfgPath := range runs {
		want := filepath.Dir(cfgPath)
		t.Run(filepath.Base(want), func(t *testing.T) {
			t.Parallel()
			cfg, err := configs.Load(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			if cmd := cfg.Env.External.Command; len(cmd) > 0 { // run from the repository root
				if _, err := exec.LookPath(cmd[0]); err != nil {
					t.Skipf("%s is not on PATH", cmd[0])
				}
				for i, a := range cmd[1:] {
					if _, err := os.Stat(filepath.Join("..", "..", a)); err == nil {
						cmd[i+1] = filepath.Join("..", "..", a)
					}
				}
			}
			dir := filepath.Join(t.TempDir(), "run")
			if _, err := Train(context.Background(), cfg, dir, nil); err != nil {
				t.Fatal(err)
			}
			got, exp := asWrittenBefore(t, readRows(t, dir)), readRows(t, want)
			if len(got) != len(exp) {
				t.Fatalf("%d rows, the committed run has %d", len(got), len(exp))
			}
			for i := range exp {
				if !reflect.DeepEqual(got[i], exp[i]) {
					a, _ := json.Marshal(got[i])
					b, _ := json.Marshal(exp[i])
					t.Fatalf("row %d differs:\n got %s\nwant %s", i+1, a, b)
				}
			}
			// eval.json compared on the committed fields (fields added
			// since, such as served, are not in it), values bit for bit.
			ge, _ := os.ReadFile(filepath.Join(dir, EvalFile))
			we, _ := os.ReadFile(filepath.Join(want, EvalFile))
			var g, w map[string]any
			if json.Unmarshal(ge, &g) != nil || json.Unmarshal(we, &w) != nil || len(w) == 0 {
				t.Fatalf("eval.json unreadable:\n got %s\nwant %s", ge, we)
			}
			for k := range g {
				if _, ok := w[k]; !ok {
					delete(g, k)
				}
			}
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("eval.json differs:\n got %s\nwant %s", ge, we)
			}
		})
	}
}
