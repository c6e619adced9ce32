package cli

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestBenchJSON runs ppo bench on a tiny run and checks the report adds
// up: the steps and updates of the run, phases that partition the wall
// time, and the analytic flop count (CartPole 4-64-64, separate towers:
// 2·(2·(4·64+64·64+64·2) + 64·64+64·2 + 2·(4·64+64·64+64) + 64·64+64)
// = 52352 flops per sample, times 2 epochs × 128 samples).
func TestBenchJSON(t *testing.T) {
	code, out, errs := runCLI("bench", "--set", "total_timesteps=1024", "--set", "env.num_envs=2", "--set", "ppo.rollout_steps=64",
		"--set", "ppo.minibatch_size=64", "--set", "ppo.epochs=2", "--updates", "1", "--json")
	if code != 0 {
		t.Fatalf("bench exit %d: %s", code, errs)
	}
	var r struct {
		Updates                      int     `json:"updates"`
		Steps                        int     `json:"env_steps"`
		Seconds                      float64 `json:"seconds"`
		StepsPerSec                  float64 `json:"env_steps_per_sec"`
		LearnFLOPs                   float64 `json:"learn_flops"`
		Acting, Env, Learning, Other struct {
			Seconds float64 `json:"seconds"`
		}
		Allocs [2]float64 `json:"allocs_per_update"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench --json printed %q: %v", out, err)
	}
	if r.Updates != 1 || r.Steps != 128 {
		t.Errorf("%d updates, %d steps; want 1, 128", r.Updates, r.Steps)
	}
	sum := r.Acting.Seconds + r.Env.Seconds + r.Learning.Seconds + r.Other.Seconds
	if math.Abs(sum-r.Seconds) > 1e-9*r.Seconds+1e-9 || r.Learning.Seconds <= 0 || r.Other.Seconds < 0 {
		t.Errorf("phases %+v %+v %+v %+v do not partition %v s", r.Acting, r.Env, r.Learning, r.Other, r.Seconds)
	}
	if math.Abs(r.StepsPerSec-float64(r.Steps)/r.Seconds) > 1e-6*r.StepsPerSec {
		t.Errorf("env_steps_per_sec %v, want %v", r.StepsPerSec, float64(r.Steps)/r.Seconds)
	}
	if want := 52352.0 * 2 * 128; r.LearnFLOPs != want {
		t.Errorf("learn_flops %v, want %v", r.LearnFLOPs, want)
	}
	code, out, _ = runCLI("bench", "--set", "total_timesteps=1024", "--set", "env.num_envs=2", "--set", "ppo.rollout_steps=64",
		"--set", "ppo.minibatch_size=64", "--set", "ppo.epochs=1", "--updates", "1")
	if code != 0 || !strings.Contains(out, "env-steps/s") || !strings.Contains(out, "learning") {
		t.Errorf("text report: exit %d, %q", code, out)
	}
}

// TestBenchRefusals: each bad input gives exit 2 and one line naming it.
func TestBenchRefusals(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--updates", "-1"}, "--updates"},
		{[]string{"--updates", "x"}, "updates"},
		{[]string{"--frobnicate"}, "frobnicate"},
		{[]string{"extra"}, "extra"},
		{[]string{"--config", "/nonexistent/config.yaml"}, "config"},
		{[]string{"--set", "ppo.epochs=0"}, "ppo.epochs"},
		{[]string{"--set", "env.id=NoSuchEnv-v0"}, "NoSuchEnv"},
	} {
		code, out, errs := runCLI(append([]string{"bench"}, tc.args...)...)
		if code != 2 || out != "" || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("bench %v: exit %d, stdout %q, stderr %q; want 2 and one line naming %q", tc.args, code, out, errs, tc.want)
		}
	}
}
