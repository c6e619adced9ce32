package report

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"ppo/internal/rundir"
)

// TestTaskNumbers: the per-task numbers of a fine-tuning run reach the charts (as
// tasks.NAME.return and tasks.NAME.kl_ref series), the summary and the table.
func TestTaskNumbers(t *testing.T) {
	tmp := t.TempDir()
	a := filepath.Join(tmp, "a")
	if _, err := rundir.Train(context.Background(), tinyConfig(t), a, nil); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(a, rundir.FinalCkpt)
	b := filepath.Join(tmp, "b")
	cfg := tinyConfig(t, "init.checkpoint="+ckpt, "kl.reference.checkpoint="+ckpt, "eval.every=1",
		"eval.tasks=[{name: orig}, {name: long, params: {length: 1}}]")
	if _, err := rundir.Train(context.Background(), cfg, b, nil); err != nil {
		t.Fatal(err)
	}
	r, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	rows := rawRows(t, b)
	for _, m := range []string{"tasks.orig.return", "tasks.long.return", "tasks.long.kl_ref"} {
		_, v, ok := r.Series(m)
		if !ok || len(v) != len(rows) {
			t.Errorf("series %s: %d values, want one per row (%d)", m, len(v), len(rows))
		}
	}
	_, v, _ := r.Series("tasks.orig.return")
	last := rows[len(rows)-1]["tasks"].(map[string]any)["orig"].(map[string]any)["return"]
	if v[len(v)-1] != last {
		t.Errorf("tasks.orig.return ends at %v, the row says %v", v[len(v)-1], last)
	}
	if got := TaskMetrics(r); strings.Join(got, " ") != "tasks.orig.return tasks.long.return" {
		t.Errorf("TaskMetrics = %v", got)
	}
	s := Summarize(r)
	if len(s.Tasks) != 2 || s.Tasks[0].Name != "orig" || s.Tasks[1].KLRef == nil || s.Tasks[0].Return != *s.EvalReturn {
		t.Errorf("summary tasks %+v (eval return %v)", s.Tasks, *s.EvalReturn)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, []Summary{s, Summarize(mustLoad(t, a))}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "task orig") || !strings.Contains(buf.String(), "task long") {
		t.Errorf("table lacks the task rows:\n%s", buf.String())
	}
}

func mustLoad(t *testing.T, dir string) *Run {
	t.Helper()
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
