package rundir

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readEval reads a run's eval.json.
func readEval(t *testing.T, dir string) EvalReport {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, EvalFile))
	if err != nil {
		t.Fatal(err)
	}
	var r EvalReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// without returns rows with the named keys removed.
func without(rows []map[string]any, keys ...string) []map[string]any {
	for _, r := range rows {
		for _, k := range keys {
			delete(r, k)
		}
	}
	return rows
}

// TestTasksLeaveTrainingAlone: evaluating eval.tasks does not touch the training streams
// (a run with tasks logs the same training rows as one without), is deterministic (two
// runs agree to the bit), a task equal to the training env gives the main evaluation's
// return (it uses its seed), and ppo eval --task's path reproduces eval.json's entry.
func TestTasksLeaveTrainingAlone(t *testing.T) {
	a, _ := trainRun(t, smallConfig(t))
	ref := filepath.Join(a, FinalCkpt)
	base := []string{"eval.every=2", "init.checkpoint=" + ref, "kl.reference.checkpoint=" + ref, "kl.reference.direction=new_old"}
	tasks := "eval.tasks=[{name: same}, {name: long, params: {length: 1.5}}, {name: reversed, params: {reverse_actions: 1}}]"
	plain, _ := trainRun(t, smallConfig(t, base...))
	with, _ := trainRun(t, smallConfig(t, append(base, tasks)...))
	again, _ := trainRun(t, smallConfig(t, append(base, tasks)...))

	got, want := without(readRows(t, with), "tasks"), readRows(t, plain)
	if !reflect.DeepEqual(got, want) {
		t.Fatal("a run with eval.tasks logs other training rows than one without")
	}
	if a, b := readRows(t, with), readRows(t, again); !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with eval.tasks differ")
	}
	rows := readRows(t, with)
	n := 0
	for _, r := range rows {
		tk, ok := r["tasks"].(map[string]any)
		if !ok {
			continue
		}
		n++
		same := tk["same"].(map[string]any)
		if r["eval_return_mean"] != nil && same["return"] != r["eval_return_mean"] {
			t.Errorf("update %v: task same returns %v, the main evaluation %v", r["update"], same["return"], r["eval_return_mean"])
		}
		for _, name := range []string{"same", "long", "reversed"} {
			if _, ok := tk[name].(map[string]any)["kl_ref"].(float64); !ok {
				t.Errorf("update %v: task %s has no kl_ref", r["update"], name)
			}
		}
	}
	if n != 3 { // updates 2 and 4 (eval.every) and the last, 6
		t.Errorf("%d rows with tasks, want 3", n)
	}

	ev := readEval(t, with)
	if len(ev.Tasks) != 3 || ev.Tasks[0].Name != "same" || ev.Tasks[0].MeanReturn != ev.MeanReturn {
		t.Fatalf("eval.json tasks %+v (main return %v)", ev.Tasks, ev.MeanReturn)
	}
	last := rows[len(rows)-1]["tasks"].(map[string]any)
	for _, task := range ev.Tasks {
		if r := last[task.Name].(map[string]any)["return"]; r != task.MeanReturn {
			t.Errorf("task %s: last row %v, eval.json %v", task.Name, r, task.MeanReturn)
		}
		e, err := LoadEvaluator(with)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.UseTask(task.Name); err != nil {
			t.Fatal(err)
		}
		r, err := e.Run(e.Episodes, e.Seed, true)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r, task.EvalResult) {
			t.Errorf("task %s: ppo eval --task gives %+v, eval.json %+v", task.Name, r, task.EvalResult)
		}
	}
	e, _ := LoadEvaluator(with)
	if err := e.UseTask("nope"); err == nil || err.Error() != `unknown task "nope" (the run's eval.tasks: same, long, reversed)` {
		t.Errorf("unknown task: %v", err)
	}
	// The CSV has a column per task quantity, filled on evaluation rows.
	csv, _ := os.ReadFile(filepath.Join(with, CSVFile))
	header := strings.SplitN(string(csv), "\n", 2)[0]
	for _, col := range []string{"tasks.same.return", "tasks.long.kl_ref", "tasks.reversed.return"} {
		if !strings.Contains(header, col) {
			t.Errorf("metrics.csv header lacks %s: %s", col, header)
		}
	}
}

// TestFineTuneResumeIdentical: a fine-tuning run (init.checkpoint with normalised
// observations, an adaptive reference coefficient in the reward, eval.tasks) interrupted
// and resumed ends with the rows and final checkpoint of an uninterrupted one, although
// the resumed process builds its trainer from init.checkpoint again.
func TestFineTuneResumeIdentical(t *testing.T) {
	a, _ := trainRun(t, smallConfig(t, "env.normalize_obs=true", "seed=4"))
	ref := filepath.Join(a, FinalCkpt)
	sets := []string{"env.normalize_obs=true", "env.params.length=1", "init.checkpoint=" + ref,
		"kl.reference.checkpoint=" + ref, "kl.reference.placement=reward", "kl.reference.direction=new_old",
		"kl.reference.estimator=k1", "kl.reference.controller.kind=adaptive", "kl.reference.controller.target=0.002",
		"eval.every=2", "eval.tasks=[{name: original, params: {length: 0.5}}]"}
	want, _ := trainRun(t, smallConfig(t, sets...))
	wantRows := readRows(t, want)
	if _, ok := wantRows[len(wantRows)-1]["shaped_return_mean"]; !ok {
		t.Fatal("no shaped_return_mean in a reward-placement run")
	}
	wantCkpt, _ := os.ReadFile(filepath.Join(want, FinalCkpt))
	for _, k := range []int{1, 3} {
		dir := filepath.Join(t.TempDir(), "run")
		ctx, cancel := context.WithCancel(context.Background())
		_, err := Train(ctx, smallConfig(t, sets...), dir, hook(func(u int) {
			if u == k {
				cancel()
			}
		}))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted run returned %v", err)
		}
		if _, err := Resume(context.Background(), dir, nil, nil); err != nil {
			t.Fatalf("resume after update %d: %v", k, err)
		}
		if got := readRows(t, dir); !reflect.DeepEqual(got, wantRows) {
			t.Fatalf("interrupted after update %d: resumed rows differ", k)
		}
		if ckpt, _ := os.ReadFile(filepath.Join(dir, FinalCkpt)); string(ckpt) != string(wantCkpt) {
			t.Fatalf("interrupted after update %d: final checkpoint differs", k)
		}
		wc, _ := os.ReadFile(filepath.Join(want, CSVFile))
		gc, _ := os.ReadFile(filepath.Join(dir, CSVFile))
		if strings.Count(string(wc), "\n") != strings.Count(string(gc), "\n") {
			t.Fatalf("interrupted after update %d: metrics.csv has other rows", k)
		}
	}
}
