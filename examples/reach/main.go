// Command reach is the ppo command with one more environment, Reach1D-v0,
// defined in this module: every ppo command (train, eval, sweep, plot,
// envs, ...) works with it, including in configs and sweeps.
//
//	go run . train --set env.id=Reach1D-v0 --set total_timesteps=50000
package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"ppo/cli"
	"ppo/env"
)

// reach moves a point on [-1, 1] towards a target drawn at reset. The action
// is a velocity in [-1, 1] scaled by speed; the reward is minus the distance
// to the target after the move, so the return is best when the point gets
// there fast and stays.
type reach struct {
	speed       float64
	rng         *rand.Rand
	pos, target float64
}

func newReach(cfg env.Config) (env.Env, error) {
	speed := cfg.Params["speed"]
	if !(speed > 0 && speed <= 1) {
		return nil, fmt.Errorf("speed %v: want a value in (0, 1]", speed)
	}
	return &reach{speed: speed, rng: rand.New(cfg.Source())}, nil
}

func (r *reach) ObservationSpace() env.Space {
	return env.Box{Low: []float64{-1, -1}, High: []float64{1, 1}}
}

func (r *reach) ActionSpace() env.Space {
	return env.Box{Low: []float64{-1}, High: []float64{1}}
}

func (r *reach) Reset() ([]float64, error) {
	r.pos, r.target = 2*r.rng.Float64()-1, 2*r.rng.Float64()-1
	return []float64{r.pos, r.target}, nil
}

func (r *reach) Step(a []float64) (env.StepResult, error) {
	if len(a) != 1 || math.IsNaN(a[0]) {
		return env.StepResult{}, fmt.Errorf("%w: %v", env.ErrInvalidAction, a)
	}
	v := math.Max(-1, math.Min(1, a[0]))
	r.pos = math.Max(-1, math.Min(1, r.pos+r.speed*v))
	return env.StepResult{Obs: []float64{r.pos, r.target}, Reward: -math.Abs(r.pos - r.target)}, nil
}

func main() {
	err := env.Register(env.Spec{
		ID:              "Reach1D-v0",
		Doc:             "move a point on [-1, 1] to a target; reward -distance",
		New:             newReach,
		MaxEpisodeSteps: 50,
		Params:          []env.Param{{Name: "speed", Default: 0.1, Doc: "largest move per step"}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
