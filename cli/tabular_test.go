package cli

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"ppo/internal/tabular"
)

// TestTabular runs ppo tabular on short FrozenLake-v1 and Taxi-v3 runs. A run's optimum is
// value iteration's (0.7442 for slippery 4x4 within 100 steps, TestOptima in package tabular),
// its exact returns are success probabilities in [0, 1], and eval.json is reported. Two seeds'
// policies differ (KL > 0, mean ≤ max), a run against itself has KL exactly 0, three runs give
// three pairs, and Taxi's masked policy evaluates. Runs of different envs, a run of an env without a table, or no run
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
	var got tabular.Report
	code, out, errs := runCLI("tabular", a, b, "--json")
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("tabular: exit %d, %v: %s %s", code, err, out, errs)
	}
	for _, r := range got.Runs {
		if r.Env != "FrozenLake-v1" || r.Horizon != 100 || math.Abs(r.Optimal-0.7442) > 1e-4 || r.Mode == nil ||
			!(r.Policy >= 0 && r.Policy <= r.Optimal) || !(*r.Mode >= 0 && *r.Mode <= r.Optimal) || r.EvalReturn == nil {
			t.Errorf("run: %+v", r)
		}
	}
	if len(got.Pairs) != 1 {
		t.Fatalf("pairs: %+v", got.Pairs)
	}
	if p := got.Pairs[0]; !(p.AB.Mean > 0 && p.AB.Mean <= p.AB.Max) || !(p.BA.Mean > 0 && p.BA.Mean <= p.BA.Max) || p.AB.States != 16 {
		t.Errorf("KL between seeds: %+v", p)
	}
	code, out, _ = runCLI("tabular", a, a, b, "--json")
	got = tabular.Report{}
	if json.Unmarshal([]byte(out), &got); code != 0 || len(got.Pairs) != 3 || got.Pairs[0].AB.Max != 0 || got.Pairs[0].BA.UniformMax != 0 || got.Pairs[1].B != 2 {
		t.Errorf("a run against itself and a third: %s", out)
	}
	code, out, errs = runCLI("tabular", a, b)
	if code != 0 || !strings.Contains(out, "optimal return     0.7442") || !strings.Contains(out, "KL(1‖2), 1's visits") {
		t.Errorf("text: exit %d: %s %s", code, out, errs)
	}

	taxi := train("taxi", "env.id=Taxi-v3", "policy.action_masking=true")
	code, out, errs = runCLI("tabular", taxi, taxi, "--json")
	got = tabular.Report{}
	if json.Unmarshal([]byte(out), &got); code != 0 || len(got.Runs) != 2 || math.Abs(got.Runs[0].Optimal-7.93) > 1e-9 {
		t.Errorf("taxi: exit %d: %s %s", code, out, errs)
	}

	cart := train("cart", "env.id=CartPole-v1")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tabular"}, "name a run directory"},
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
