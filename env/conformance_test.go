package env_test

import (
	"testing"

	"ppo/env"
	"ppo/env/envtest"
)

// TestConformance runs envtest over every registered environment and some parameter variants.
func TestConformance(t *testing.T) {
	for _, id := range env.IDs() {
		t.Run(id, func(t *testing.T) { envtest.Check(t, id) })
	}
	variants := []struct {
		id     string
		params map[string]float64
	}{
		{"CartPole-v1", map[string]float64{"length": 1, "masspole": 0.2}},
		{"Pendulum-v1", map[string]float64{"g": 9.81, "max_torque": 1}},
		{"GridWorld-v0", map[string]float64{"size": 3, "slip": 1}},
		{"Bandit-v0", map[string]float64{"arms": 2, "noise": 0}},
	}
	for _, v := range variants {
		t.Run(v.id+"/variant", func(t *testing.T) { envtest.Check(t, v.id, env.WithParams(v.params)) })
	}
}
