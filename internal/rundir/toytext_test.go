package rundir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ppo/agent"
)

// TestTrainDiscreteObservations trains on discrete observations end to end: the one-hot
// encoded policy solves the non-slippery 4x4 FrozenLake-v1 (deterministic, so a solved policy
// returns exactly 1) within 8 updates, and its run directory's checkpoint evaluates to the
// run's eval.json (the encoding survives the checkpoint). A Blackjack-v1 run covers a Tuple of
// discretes, a custom FrozenLake map the text params, and CliffWalking-v0 env.max_episode_steps.
func TestTrainDiscreteObservations(t *testing.T) {
	dir, _ := trainRun(t, smallConfig(t, "env.id=FrozenLake-v1", "env.params.is_slippery=0", "env.num_envs=8",
		"ppo.rollout_steps=256", "ppo.minibatch_size=256", "ppo.epochs=10", "ppo.learning_rate=1e-3",
		"ppo.entropy_coef=0.01", "total_timesteps=16384", "eval.episodes=10"))
	ev, err := LoadEvaluator(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ev.Run(ev.Episodes, ev.Seed, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.MeanReturn != 1 {
		t.Errorf("FrozenLake (not slippery): eval return %v, want 1 (solved)", r.MeanReturn)
	}
	got, _ := json.MarshalIndent(r, "", "  ")
	want, _ := os.ReadFile(filepath.Join(dir, EvalFile))
	if string(got)+"\n" != string(want) {
		t.Errorf("evaluation of the checkpoint\n%s\nwant eval.json\n%s", got, want)
	}

	for _, sets := range [][]string{
		{"env.id=Blackjack-v1"},
		{"env.id=FrozenLake-v1", "env.text_params.desc=SFFH/FHFF/FFFG"},
		{"env.id=CliffWalking-v0", "env.max_episode_steps=20"},
	} {
		dir, _ := trainRun(t, smallConfig(t, sets...))
		ev, err := LoadEvaluator(dir)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ev.Run(20, 1, false)
		if err != nil {
			t.Fatalf("%v: %v", sets, err)
		}
		if strings.Contains(sets[0], "CliffWalking") && r.MeanLength > 20 {
			t.Errorf("CliffWalking with max_episode_steps 20: mean length %v", r.MeanLength)
		}
	}

	// Normalising discrete observations is refused in one line naming the field.
	err = agent.Check(smallConfig(t, "env.id=Taxi-v3", "env.normalize_obs=true"))
	if err == nil || !strings.Contains(err.Error(), "env.normalize_obs") {
		t.Errorf("normalize_obs on Taxi: %v", err)
	}
}
