package docs

import (
	"strings"
	"testing"
)

// TestStudyGenerators checks the study tables on a hand-made summary
// whose figures are worked out below.
//
// Table 1: random = mean first_return = (10+10+20+0)/4 = 10, best final
// = max(a: (40+60)/2 = 50, b: 30) = 50, best over the run = max(a: 25,
// b: 20) = 25. Scores: a (50−10)/(50−10) = 1.00 and (25−10)/(25−10) =
// 1.00; b (30−10)/40 = 0.50 and (20−10)/15 = 0.67.
//
// Estimators: one bin of 20 updates with ΣKL = 0.2 (mean 0.01), Σe of k1
// = 0.02 (bias 0.001 = +10% of the KL), Σe² = 0.00004 (sd √(2e-6 −
// 1e-6) = 0.001 = 10%).
func TestStudyGenerators(t *testing.T) {
	root := t.TempDir()
	bin := `{"late": false, "lo": 0.01, "hi": 0.1, "n": 20, "kl_sum": 0.2, "err_sum": [0.02, 0, -0.02], "err2_sum": [0.00004, 0, 0.00002]}`
	write(t, root, "s/summary.json", `{"config": "configs/x.yaml", "seeds": "1-2", "combos": [
 {"label": "a", "jobs": 2, "runs": [
  {"seed": 1, "updates": 5, "timesteps": 100, "eval_return": 50, "episode_return": 40, "return_auc": 20, "first_return": 10, "kl_mean": 0.01, "kl_in_band": 0.5, "kl_band": [0.005, 0.02], "kl_target_error": 0.5, "estimators": [`+bin+`]},
  {"seed": 2, "updates": 5, "timesteps": 100, "eval_return": 70, "episode_return": 60, "return_auc": 30, "first_return": 10, "kl_mean": 0.03, "kl_in_band": 0.25, "kl_band": [0.005, 0.02], "kl_target_error": 1.5}]},
 {"label": "b", "jobs": 2, "runs": [
  {"seed": 1, "updates": 5, "timesteps": 100, "eval_return": 30, "episode_return": 30, "return_auc": 20, "first_return": 20, "kl_mean": 0.01, "kl_in_band": 0.5, "kl_band": [0.005, 0.02]},
  {"seed": 2, "updates": 5, "timesteps": 100, "eval_return": 30, "episode_return": 30, "return_auc": 20, "first_return": 0, "kl_mean": 0.01, "kl_in_band": 0.5, "kl_band": [0.005, 0.02]}]}],
 "missing": []}`)
	// b's second run failed in another study.
	write(t, root, "f/summary.json", `{"config": "configs/x.yaml", "seeds": "1-2", "combos": [
 {"label": "a", "jobs": 2, "runs": [
  {"seed": 1, "updates": 5, "timesteps": 100, "eval_return": 50, "episode_return": 40, "return_auc": 20, "first_return": 10, "kl_mean": 0.01, "kl_in_band": 0.5, "kl_band": [0.005, 0.02]},
  {"seed": 2, "updates": 5, "timesteps": 100, "eval_return": 70, "episode_return": 60, "return_auc": 30, "first_return": 10, "kl_mean": 0.03, "kl_in_band": 0.25, "kl_band": [0.005, 0.02]}]},
 {"label": "b", "jobs": 2, "runs": [
  {"seed": 1, "updates": 5, "timesteps": 100, "eval_return": 30, "episode_return": 30, "return_auc": 20, "first_return": 10, "kl_mean": 0.01, "kl_in_band": 0.5, "kl_band": [0.005, 0.02]}]}],
 "missing": [{"job": 3, "label": "b", "seed": 2, "dir": "b/seed-2", "state": "failed: update 3: kl is NaN"}]}`)
	gens := Builtin()
	for _, tc := range []struct {
		gen  string
		args []string
		want []string
	}{
		{"table1", []string{"s"}, []string{"| a | 1.00 / 1.00 | **1.00** | 1.00 | – |", "| b | 0.50 / 0.67 | **0.50** | 0.67 | – |", "| x | 10.0 | 50.0 | 25.0 | `s/summary.json` |"}},
		{"table1", []string{"s", "s"}, []string{"| a | 1.00 / 1.00 | 1.00 / 1.00 | **1.00** | 1.00 | – |"}},
		{"study", []string{"s"}, []string{"| a | 2/2 | 60.0 ± 14.1 | 50.0 ± 14.1 | 25.0 ± 7.1 | 0.0200 ± 0.0141 | 38% ± 18% | 1.00 ± 0.71 |", "| b | 2/2 | 30.0 ± 0.0 |"}},
		{"estimators", []string{"s"}, []string{"| x | first | [1e-02, 1e-01) | 20 | 0.01 | +10% | 10% | +0% | 0% | -10% | 0% |"}},
	} {
		got, err := gens[tc.gen](root, tc.args)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.gen, tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %v:\n%s\nlacks %q", tc.gen, tc.args, got, w)
			}
		}
	}
	write(t, root, "g/summary.json", `{"config": "c.yaml", "jobs": 3, "combos": [{"label": "base", "jobs": 3, "runs": [
 {"seed": 7, "eval_return": 475}, {"seed": 8, "eval_return": 474.9}, {"seed": 9, "eval_return": 500}]}]}`)
	if got, err := gens["sweep-goal"](root, []string{"g", "475"}); err != nil || !strings.Contains(strings.ReplaceAll(got, "\n", " "),
		"2 of 3 runs (seeds 7-9, g/summary.json) reach a final evaluation return ≥ 475; below it: seeds 8.") {
		t.Errorf("sweep-goal: %q %v", got, err)
	}
	// A study: a row per setting; b's failed run in f counts as a job that does not reach it.
	if got, err := gens["sweep-goal"](root, []string{"f", "40"}); err != nil ||
		!strings.Contains(got, "| a | 2 of 2 | – |") || !strings.Contains(got, "| b | 0 of 2 | 1 |") {
		t.Errorf("sweep-goal of a study:\n%s%v", got, err)
	}
	// With b's failed run scored as the random policy (random is 10 again):
	// final (30+10)/2 = 20,
	// (20−10)/40 = 0.25; over the run (20+10)/2 = 15, (15−10)/15 = 0.33.
	got, err := gens["table1"](root, []string{"f"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "| b | 0.25 / 0.33 (1 failed) |") {
		t.Errorf("table1 with a failed run:\n%s", got)
	}
}
