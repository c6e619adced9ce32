package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ppo/internal/rundir"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}

var tiny = []string{"--set", "total_timesteps=512", "--set", "env.num_envs=2", "--set", "ppo.rollout_steps=128",
	"--set", "ppo.minibatch_size=64", "--set", "ppo.epochs=2", "--set", "eval.episodes=2", "--quiet"}

func TestTrainEvalCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	code, out, errs := runCLI(append([]string{"train", "--out", dir, "--seed", "3"}, tiny...)...)
	if code != 0 {
		t.Fatalf("train exit %d: %s %s", code, out, errs)
	}
	if !strings.Contains(out, "done: 2 updates, 512 steps") {
		t.Errorf("train output: %q", out)
	}
	code, out, errs = runCLI("eval", "--run", dir, "--episodes", "3", "--deterministic", "--json")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, errs)
	}
	var r struct {
		Mean     *float64 `json:"mean_return"`
		Std      *float64 `json:"std_return"`
		Episodes int      `json:"episodes"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Mean == nil || r.Std == nil || r.Episodes != 3 {
		t.Fatalf("eval --json printed %q (%v)", out, err)
	}
	// The same directory again is refused, and what is there survives.
	before, _ := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	code, _, errs = runCLI(append([]string{"train", "--out", dir}, tiny...)...)
	after, _ := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if code != 2 || !bytes.Equal(before, after) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("reusing a run directory: exit %d, stderr %q, metrics changed %v", code, errs, !bytes.Equal(before, after))
	}
	// A resume while another process holds the directory is refused.
	release, err := rundir.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	code, _, errs = runCLI("train", "--resume", dir)
	if code != 2 || !strings.Contains(errs, "is in use by another ppo process") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("resuming a run in use: exit %d, stderr %q", code, errs)
	}
}

// TestTrainRefusals: each bad input gives exit 2 and one line naming it.
func TestTrainRefusals(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(tmp, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--config", filepath.Join(tmp, "missing.yaml")}, "missing.yaml"},
		{[]string{"train", "--config", write("unknown.yaml", "ppo:\n  epocs: 3\n")}, "ppo.epocs"},
		{[]string{"train", "--set", "ppo.learning_rate=-1"}, "config: ppo.learning_rate: must be > 0, got -1"},
		{[]string{"train", "--set", "ppo.epochs=2.5"}, "ppo.epochs"},
		{[]string{"train", "--set", "env.id=Nope-v0"}, `env.id: unknown environment "Nope-v0"`},
		{[]string{"train", "--set", "ppo.objective=trpo"}, "ppo.objective"},
		{[]string{"train", "--set", "kl.controller.kind=pid"}, "kl.controller.kind"},
		{[]string{"train", "--set", "env.params.nonsense=1", "--out", filepath.Join(tmp, "r1")}, "nonsense"},
		{[]string{"train", "--set", "kl.reference.checkpoint=" + write("bad.ckpt", "garbage"), "--out", filepath.Join(tmp, "r2")}, "kl.reference.checkpoint"},
		// Too big for memory: refused from the config, before allocating.
		{[]string{"train", "--set", "policy.hidden=[100000000]"}, "over the limit of"},
		{[]string{"train", "--set", "env.num_envs=100000000", "--set", "total_timesteps=1e12"}, "resources.max_memory: auto"},
		{[]string{"train", "--set", "resources.max_memory=1MB"}, "(resources.max_memory: 1MB); raise it with --set resources.max_memory="},
		{[]string{"train", "--set", "resources.max_memory=8"}, `config: resources.max_memory: must be auto or a size`},
		{[]string{"train", "extra"}, "unexpected argument"},
		{[]string{"train", "--resume", filepath.Join(tmp, "a"), "--out", filepath.Join(tmp, "b")}, "--resume takes one run directory"},
		{[]string{"train", "--bogus"}, "bogus"},
		{[]string{"eval"}, "--run"},
		{[]string{"eval", "--run", filepath.Join(tmp, "none")}, "run directory"},
		{[]string{"eval", "--run", tmp, "--episodes", "0"}, "--episodes"},
		{[]string{"nosuch"}, "unknown command"},
	}
	for _, tc := range cases {
		code, _, errs := runCLI(tc.args...)
		wantRefusal(t, tc.args, code, errs, tc.want)
	}
	// A corrupt checkpoint in a run directory is refused by eval.
	bad := filepath.Join(tmp, "badrun")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "final.ckpt"), []byte("PPOCKPT1 but not really"), 0o644)
	if code, _, errs := runCLI("eval", "--run", bad); code != 2 || !strings.Contains(errs, "checkpoint") {
		t.Errorf("corrupt checkpoint: exit %d, %q", code, errs)
	}
}

// TestTrainQuietStderr: a normal run writes nothing to stderr (no stray
// interrupt notice when the signal context is released).
func TestTrainQuietStderr(t *testing.T) {
	for i := 0; i < 3; i++ {
		dir := filepath.Join(t.TempDir(), "run")
		code, _, errs := runCLI(append([]string{"train", "--out", dir}, tiny...)...)
		if code != 0 || errs != "" {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
	}
}

// wantRefusal checks a refusal of bad input: exit status 2 and one line on
// stderr naming want.
func wantRefusal(t *testing.T, args []string, code int, errs, want string) {
	t.Helper()
	if code != 2 {
		t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errs)
		return
	}
	if !strings.Contains(errs, want) {
		t.Errorf("%v: stderr %q does not name %q", args, errs, want)
	}
	if lines := strings.Count(strings.TrimSpace(errs), "\n") + 1; lines != 1 {
		t.Errorf("%v: %d lines on stderr: %q", args, lines, errs)
	}
}
