package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalReproducesEvalJSON: ppo eval DIR --deterministic, with no seed
// and no episode count, reproduces the run's eval.json exactly; the same
// holds for the run's final checkpoint given by path or --checkpoint.
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
	} {
		code, _, errs := runCLI(tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line naming %q", tc.args, code, errs, tc.want)
		}
	}
}
