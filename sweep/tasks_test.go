package sweep

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"ppo/rundir"
)

// TestTaskSummary: a run's final evaluations on eval.tasks reach its RunResult, are
// aggregated per combination and get a table of their own in the markdown summary.
func TestTaskSummary(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := tinyBase(t, "eval.tasks=[{name: orig}, {name: heavy, params: {masspole: 0.5}}]")
	if _, err := rundir.Train(context.Background(), cfg, dir, nil); err != nil {
		t.Fatal(err)
	}
	r, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tasks) != 2 || r.Tasks[0].Name != "orig" || r.Tasks[0].Return != r.EvalReturn || r.Tasks[1].KLRef != nil {
		t.Fatalf("tasks %+v (eval return %v)", r.Tasks, r.EvalReturn)
	}
	cs := ComboSummary{Label: "x", Runs: []RunResult{*r, *r}}
	cs.aggregate()
	if len(cs.Tasks) != 2 || cs.Tasks[1].Name != "heavy" || cs.Tasks[1].Return.N != 2 || *cs.Tasks[1].Return.Mean != r.Tasks[1].Return {
		t.Fatalf("aggregated tasks %+v", cs.Tasks)
	}
	md := string((&Summary{Shard: "all", Combos: []ComboSummary{cs}}).Markdown())
	if !strings.Contains(md, "## Tasks") || !strings.Contains(md, "| x | heavy | ") {
		t.Errorf("markdown lacks the task table:\n%s", md)
	}
}
