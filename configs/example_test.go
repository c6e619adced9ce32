package configs_test

import (
	"fmt"

	"ppo/configs"
)

func ExampleConfig_Set() {
	c, err := configs.Embedded()
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"ppo.learning_rate=1e-3", "policy.hidden=[128,128]", "env.params.length=0.7"} {
		if err := c.Set(s); err != nil {
			panic(err)
		}
	}
	// Overrides are checked together once the last one is in.
	if err := c.Validate(); err != nil {
		panic(err)
	}
	fmt.Println(c.PPO.LearningRate, c.Policy.Hidden, c.Env.Params, c.BatchSize())

	fmt.Println(c.Set("ppo.epochs=2.5"))
	fmt.Println(c.Set("ppo.epocs=3"))
	// Output:
	// 0.001 [128 128] map[length:0.7] 256
	// config: ppo.epochs: must be an integer, got 2.5
	// config: ppo.epocs: unknown field "epocs" (did you mean "epochs"?)
}

func ExampleParse() {
	_, err := configs.Parse([]byte("ppo:\n  learning_rate: -1\n"))
	fmt.Println(err)
	// Output:
	// config: ppo.learning_rate: must be > 0, got -1
}

func ExampleFields() {
	for _, f := range configs.Fields()[:3] {
		fmt.Printf("%s (%s, default %s)\n", f.Path, f.Type, f.Default)
	}
	// Output:
	// name (string, default "cartpole-adaptive-kl")
	// seed (uint64, default 1)
	// total_timesteps (int, default 100000)
}
