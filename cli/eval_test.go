package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalReproducesEvalJSON: ppo eval DIR, with no seed, no episode
// count and the run's own eval.deterministic (or --deterministic given),
// reproduces the run's eval.json exactly; the same holds for the run's
// final checkpoint given by path or --checkpoint. --deterministic=false
// samples instead.
func TestEvalReproducesEvalJSON(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if code, out, errs := runCLI(append([]string{"train", "--out", dir, "--seed", "5", "--set", "eval.episodes=3", "--set", "log.checkpoint_every=1"}, tiny...)...); code != 0 {
		t.Fatalf("train exit %d: %s %s", code, out, errs)
	}
	want, err := os.ReadFile(filepath.Join(dir, "eval.json"))
	if err != nil {
		t.Fatal(err)
	}
	var w any
	json.Unmarshal(want, &w)
	final := filepath.Join(dir, "final.ckpt")
	for _, args := range [][]string{
		{"eval", dir, "--json"},
		{"eval", dir, "--deterministic", "--json"},
		{"eval", "--deterministic", "--json", "--run", dir},
		{"eval", final, "--deterministic", "--json"},
		{"eval", "--checkpoint", final, "--deterministic", "--json"},
	} {
		code, out, errs := runCLI(args...)
		var g any
		if err := json.Unmarshal([]byte(out), &g); code != 0 || err != nil {
			t.Fatalf("%v: exit %d, %q %q", args, code, out, errs)
		}
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		if string(gb) != string(wb) {
			t.Errorf("%v:\n got %s\nwant %s (eval.json)", args, gb, wb)
		}
	}
	if code, out, errs := runCLI("eval", dir, "--deterministic=false"); code != 0 || !strings.Contains(out, "; sampled actions, seed") {
		t.Errorf("eval --deterministic=false: exit %d, %q %q", code, out, errs)
	}
	if code, out, errs := runCLI("eval", dir); code != 0 || !strings.Contains(out, "; the mode, seed") {
		t.Errorf("eval with the run's eval.deterministic: exit %d, %q %q", code, out, errs)
	}
	// Another checkpoint of the run evaluates too, and the text names it.
	code, out, errs := runCLI("eval", filepath.Join(dir, "ckpt-000001.ckpt"), "--episodes", "1")
	if code != 0 || !strings.Contains(out, "ckpt-000001.ckpt on CartPole-v1") || !strings.Contains(out, "over 1 episode ") {
		t.Fatalf("eval of ckpt-000001: exit %d, %q %q", code, out, errs)
	}
	// Refusals: two targets, a missing path, a file that is not a checkpoint.
	os.WriteFile(filepath.Join(dir, "notes.ckpt"), []byte("hello"), 0o666)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", dir, final}, "name one run directory or checkpoint"},
		{[]string{"eval", filepath.Join(dir, "nope")}, "no run directory or checkpoint at"},
		{[]string{"eval", filepath.Join(dir, "notes.ckpt")}, "not a ppo checkpoint"},
		{[]string{"eval", dir, "--seed", "-1"}, "non-negative integer"},
		{[]string{"eval", dir, "--set", "env.id=Acrobot-v1"}, "do not fit the policy"},
		{[]string{"eval", dir, "--set", "env.id=Pendulum-v1"}, "do not fit the policy"},
	} {
		code, _, errs := runCLI(tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line naming %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestFineTuneCLI: a run fine-tuned from another with eval.tasks evaluates on a task
// with ppo eval --task (reproducing eval.json's entry) and on any env params with --set;
// bad init checkpoints, unknown tasks and bad placements are refused in one line, exit 2.
func TestFineTuneCLI(t *testing.T) {
	tmp := t.TempDir()
	a := filepath.Join(tmp, "a")
	if code, out, errs := runCLI(append([]string{"train", "--out", a, "--set", "eval.episodes=2"}, tiny...)...); code != 0 {
		t.Fatalf("train A: exit %d: %s %s", code, out, errs)
	}
	ckpt := filepath.Join(a, "final.ckpt")
	b := filepath.Join(tmp, "b")
	sets := []string{"--set", "init.checkpoint=" + ckpt, "--set", "kl.reference.checkpoint=" + ckpt,
		"--set", "kl.reference.placement=reward", "--set", "env.params.reverse_actions=1", "--set", "eval.episodes=2",
		"--set", "eval.tasks=[{name: original, params: {reverse_actions: 0}}]"}
	if code, out, errs := runCLI(append(append([]string{"train", "--out", b}, sets...), tiny...)...); code != 0 {
		t.Fatalf("train B: exit %d: %s %s", code, out, errs)
	}
	var ev struct {
		Tasks []map[string]any `json:"tasks"`
	}
	data, _ := os.ReadFile(filepath.Join(b, "eval.json"))
	if err := json.Unmarshal(data, &ev); err != nil || len(ev.Tasks) != 1 {
		t.Fatalf("eval.json tasks: %s", data)
	}
	want := ev.Tasks[0]
	delete(want, "name")
	code, out, errs := runCLI("eval", b, "--task", "original", "--deterministic", "--json")
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("eval --task: exit %d, %q %q", code, out, errs)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("eval --task original:\n got %s\nwant %s (eval.json)", gb, wb)
	}
	code, out, errs = runCLI("eval", b, "--set", "env.params.length=1", "--episodes", "1")
	if code != 0 || !strings.Contains(out, "length: 1") || !strings.Contains(out, "reverse_actions: 1") {
		t.Errorf("eval --set: exit %d, %q %q", code, out, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", b, "--task", "nope"}, `unknown task "nope" (the run's eval.tasks: original)`},
		{[]string{"eval", a, "--task", "original"}, `unknown task "original": the run has no eval.tasks`},
		{[]string{"eval", b, "--set", "env.params.lenght=1"}, "lenght"},
		{[]string{"eval", b, "--set", "ppo.epochs=1"}, "only env.id, env.params.NAME and env.external.dir"},
		{append([]string{"train", "--out", filepath.Join(tmp, "c"), "--set", "init.checkpoint=" + filepath.Join(tmp, "none.ckpt")}, tiny...), "init.checkpoint: "},
		{append([]string{"train", "--out", filepath.Join(tmp, "c"), "--set", "init.checkpoint=" + ckpt, "--set", "policy.hidden=[8]"}, tiny...), "policy.hidden (checkpoint [64 64], run [8])"},
		{append([]string{"train", "--out", filepath.Join(tmp, "c"), "--set", "kl.reference.placement=rewards"}, tiny...), `kl.reference.placement: unknown value "rewards"`},
		{append([]string{"train", "--out", filepath.Join(tmp, "c"), "--set", "eval.tasks=[{name: x, params: {lenght: 1}}]"}, tiny...), "eval.tasks[0] (x)"},
	} {
		code, _, errs := runCLI(tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line naming %q", tc.args[:2], code, errs, tc.want)
		}
	}
}
