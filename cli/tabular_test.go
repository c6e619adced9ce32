package cli

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestTabular runs ppo tabular on short FrozenLake-v1 and Taxi-v3 runs. A run's optimum is
// value iteration's (0.7442 for slippery 4x4 within 100 steps, TestOptima in package tabular),
// its exact returns are success probabilities in [0, 1], and eval.json is reported. Two seeds'
// policies differ (KL > 0, mean ≤ max), a run against itself has KL exactly 0, and Taxi's masked
// policy gives a finite KL. Runs of different envs, a run of an env without a table, or no run
// are refused in one line with status 2.
func TestTabular(t *testing.T) {
	tmp := t.TempDir()
	train := func(name string, sets ...string) string {
		dir := filepath.Join(tmp, name)
		args := []string{"train", "--out", dir, "--quiet"}
		for _, s := range append([]string{"total_timesteps=1024", "env.num_envs=4", "ppo.rollout_steps=64",
			"ppo.minibatch_size=64", "ppo.epochs=2", "eval.episodes=5"}, sets...) {
			args = append(args, "--set", s)
		}
		if code, out, errs := runCLI(args...); code != 0 {
			t.Fatalf("train %s: exit %d: %s %s", name, code, out, errs)
		}
		return dir
	}
	a := train("a", "env.id=FrozenLake-v1", "seed=1")
	b := train("b", "env.id=FrozenLake-v1", "seed=2")
	type stats struct{ Mean, Max float64 }
	var got struct {
		Runs []struct {
			Env            string
			Horizon        int
			Optimal        float64  `json:"optimal_return"`
			Policy         float64  `json:"policy_return"`
			Mode           float64  `json:"mode_return"`
			EvalMeanReturn *float64 `json:"eval_mean_return"`
		}
		KL *struct {
			AB stats `json:"kl_ab"`
			BA stats `json:"kl_ba"`
		}
	}
	code, out, errs := runCLI("tabular", a, b, "--json")
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("tabular: exit %d, %v: %s %s", code, err, out, errs)
	}
	for _, r := range got.Runs {
		if r.Env != "FrozenLake-v1" || r.Horizon != 100 || math.Abs(r.Optimal-0.7442) > 1e-4 ||
			!(r.Policy >= 0 && r.Policy <= r.Optimal) || !(r.Mode >= 0 && r.Mode <= r.Optimal) || r.EvalMeanReturn == nil {
			t.Errorf("run: %+v", r)
		}
	}
	if k := got.KL; k == nil || !(k.AB.Mean > 0 && k.AB.Mean <= k.AB.Max) || !(k.BA.Mean > 0 && k.BA.Mean <= k.BA.Max) {
		t.Errorf("KL between seeds: %+v", got.KL)
	}
	code, out, _ = runCLI("tabular", a, a, "--json")
	if json.Unmarshal([]byte(out), &got); code != 0 || got.KL == nil || got.KL.AB != (stats{}) {
		t.Errorf("a run against itself: %s", out)
	}
	code, out, errs = runCLI("tabular", a, b)
	if code != 0 || !strings.Contains(out, "optimal return     0.7442") || !strings.Contains(out, "KL(A‖B)") {
		t.Errorf("text: exit %d: %s %s", code, out, errs)
	}

	taxi := train("taxi", "env.id=Taxi-v3", "policy.action_masking=true")
	code, out, errs = runCLI("tabular", taxi, taxi, "--json")
	if json.Unmarshal([]byte(out), &got); code != 0 || len(got.Runs) != 2 || math.Abs(got.Runs[0].Optimal-7.93) > 1e-9 {
		t.Errorf("taxi: exit %d: %s %s", code, out, errs)
	}

	cart := train("cart", "env.id=CartPole-v1")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tabular"}, "name one run directory"},
		{[]string{"tabular", a, b, a}, "name one run directory"},
		{[]string{"tabular", cart}, "has no transition table"},
		{[]string{"tabular", a, taxi}, "not runs of the same task"},
		{[]string{"tabular", filepath.Join(tmp, "nope")}, "no run directory"},
	} {
		code, _, errs := runCLI(tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, %q", tc.args[1:], code, errs)
		}
	}
}
