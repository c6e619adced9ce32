package rundir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ppo/agent"
)

// TestTrainMultiDiscrete trains on MultiDiscrete actions end to end: the policy learns
// AxisGrid-v0 (5×5, deterministic) to its optimum, the diagonal in 4 steps for a return of -3,
// which needs both components right at every step (a random policy takes about 25 steps). The
// run directory's checkpoint evaluates to the run's eval.json, and the measured KL stayed finite
// and positive. Action masking is refused for MultiDiscrete actions in one line.
func TestTrainMultiDiscrete(t *testing.T) {
	dir, _ := trainRun(t, smallConfig(t, "env.id=AxisGrid-v0", "env.num_envs=8",
		"ppo.rollout_steps=128", "ppo.minibatch_size=256", "ppo.epochs=10", "ppo.learning_rate=1e-3",
		"total_timesteps=16384", "eval.episodes=10"))
	ev, err := LoadEvaluator(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ev.Run(ev.Episodes, ev.Seed, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.MeanReturn != -3 {
		t.Errorf("AxisGrid: eval return %v, want the optimum -3", r.MeanReturn)
	}
	got, _ := json.MarshalIndent(r, "", "  ")
	want, _ := os.ReadFile(filepath.Join(dir, EvalFile))
	if string(got)+"\n" != string(want) {
		t.Errorf("evaluation of the checkpoint\n%s\nwant eval.json\n%s", got, want)
	}
	for _, row := range readRows(t, dir) {
		if kl, ok := row["kl"].(float64); !ok || !(kl > 0) {
			t.Errorf("update %v: kl %v", row["update"], row["kl"])
		}
	}
	err = agent.Check(smallConfig(t, "env.id=AxisGrid-v0", "policy.action_masking=true"))
	if err == nil || !strings.Contains(err.Error(), "policy.action_masking") || strings.Contains(err.Error(), "\n") {
		t.Errorf("masking with MultiDiscrete actions: %v", err)
	}
}
