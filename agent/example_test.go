package agent_test

import (
	"context"
	"fmt"

	"ppo/agent"
	"ppo/configs"
)

// Training in memory: a Trainer from a config, one row of metrics per
// update through OnUpdate (package internal/rundir writes them to a run
// directory), and the trained policy's evaluation.
func Example() {
	cfg := configs.Default()
	for _, s := range []string{"total_timesteps=2048", "env.num_envs=4", "ppo.rollout_steps=128", "ppo.epochs=2"} {
		if err := cfg.Set(s); err != nil {
			fmt.Println(err)
			return
		}
	}
	t, err := agent.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer t.Close()
	t.OnUpdate = func(m agent.Metrics) error {
		fmt.Printf("update %d: %d steps, KL measured: %v\n", m.Update, m.Timesteps, m.KL > 0)
		return nil
	}
	if err := t.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	r, err := t.Evaluator().Run(3, 7, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("evaluated episodes:", r.Episodes)
	// Output:
	// update 1: 512 steps, KL measured: true
	// update 2: 1024 steps, KL measured: true
	// update 3: 1536 steps, KL measured: true
	// update 4: 2048 steps, KL measured: true
	// evaluated episodes: 3
}
