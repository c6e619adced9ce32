package sweep

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ppo/internal/rundir"
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

// TestSpearman: rank correlations worked by hand. Ranks of {10, 20, 20, 40} are
// {1, 2.5, 2.5, 4}; against {1, 2, 3, 4} the summed products of rank deviations are 4.5 and the
// summed squares 4.5 and 5, so ρ = 4.5/√22.5.
func TestSpearman(t *testing.T) {
	for _, tc := range []struct {
		a, b []float64
		want float64
	}{
		{[]float64{1, 2, 3}, []float64{10, 20, 30}, 1},
		{[]float64{1, 2, 3}, []float64{5, 1, 0}, -1},
		{[]float64{10, 20, 20, 40}, []float64{1, 2, 3, 4}, 4.5 / math.Sqrt(22.5)},
	} {
		if got := spearman(tc.a, tc.b); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("spearman(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestReadStudy: settings are named from their sets, and a run without the tasks is
// refused naming it.
func TestReadStudy(t *testing.T) {
	kl := 0.5
	s := Summary{Combos: []ComboSummary{
		{Label: "a", Sets: []string{"kl.reference.placement=reward", "kl.reference.controller.init_beta=0.1"},
			Runs: []RunResult{{Seed: 1, Tasks: []TaskResult{{Name: "x", Return: 500, KLRef: &kl}, {Name: "y", Return: 9}}}}},
		{Label: "b", Sets: []string{"kl.reference.placement=loss", "kl.reference.controller.target=0.01"},
			Runs: []RunResult{{Seed: 2, Tasks: []TaskResult{{Name: "x", Return: 10, KLRef: &kl}, {Name: "y", Return: 480}}}}},
	}}
	path := filepath.Join(t.TempDir(), "summary.json")
	os.WriteFile(path, s.JSON(), 0o644)
	got, err := ReadStudy([]string{path}, "x", "y")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Label != "reward β=0.1" || got[1].Label != "loss target 0.01" || got[1].Runs[0].YReturn != 480 {
		t.Fatalf("settings %+v", got)
	}
	md := StudyMarkdown(got, "x", "y", 475)
	if !strings.Contains(md, "| reward β=0.1 | 1 | 500.0 | 9.0 | 0.5 | 1/1 | 0/1 | 0/1 |") {
		t.Errorf("table:\n%s", md)
	}
	for _, tc := range []struct{ x, y, want string }{
		{"x", "z", "a seed 1 has no task z (its tasks: x, y)"},
		{"w", "y", "a seed 1 has no task w (its tasks: x, y)"},
		{"y", "x", "a seed 1 has no KL to a reference on task y"},
	} {
		if _, err := ReadStudy([]string{path}, tc.x, tc.y); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("x %s, y %s: %v, want %q", tc.x, tc.y, err, tc.want)
		}
	}
}
