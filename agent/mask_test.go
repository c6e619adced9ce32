package agent

import (
	"math"
	"testing"

	"ppo/configs"
	"ppo/env"
	"ppo/kl"
)

// TestMaskedRollout collects Taxi-v3 rollouts with policy.action_masking: every stored mask is
// the table's mask of the state the policy saw, no sampled action is masked, every stored
// log-probability is finite, and a masked action's stored probability is exactly 0. Then one
// update runs and the measured KL is finite. Without masking, the same first row samples a
// masked action (so the check can fail).
func TestMaskedRollout(t *testing.T) {
	tab := env.TaxiTable()
	for _, masking := range []bool{true, false} {
		cfg := configs.Default()
		for _, s := range []string{"env.id=Taxi-v3", "env.num_envs=4", "ppo.rollout_steps=64", "ppo.minibatch_size=64",
			"ppo.epochs=2", "total_timesteps=256"} {
			if err := cfg.Set(s); err != nil {
				t.Fatal(err)
			}
		}
		cfg.Policy.ActionMasking = masking
		tr, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		obs, err := tr.vec.Reset()
		if err != nil {
			t.Fatal(err)
		}
		tr.lastObs = append([]float64(nil), obs...)
		// The states behind the rollout's first row (collect runs the whole rollout).
		var states []int
		for i := 0; i < tr.buf.envs; i++ {
			states = append(states, int(tr.vec.Env(i).(env.Stateful).State()[0]))
		}
		if err := tr.collect(); err != nil {
			t.Fatal(err)
		}
		b := tr.buf
		maskedTaken := 0
		for k := 0; k < b.size(); k++ {
			a := int(b.actions[k])
			if math.IsNaN(b.logp[k]) || math.IsInf(b.logp[k], 0) {
				t.Fatalf("masking %v: log-probability %d is %v", masking, k, b.logp[k])
			}
			if masking {
				h := b.head[k*b.actDim : (k+1)*b.actDim]
				lp := kl.LogSoftmax(nil, h)
				for j := range h {
					if b.maskBias[k*b.actDim+j] != 0 && math.Exp(lp[j]) != 0 {
						t.Fatalf("row %d: masked action %d has probability %v", k, j, math.Exp(lp[j]))
					}
				}
				if b.maskBias[k*b.actDim+a] != 0 {
					maskedTaken++
				}
			}
			if k < len(states) {
				s := states[k]
				for j := range b.actDim {
					if masking && (b.maskBias[k*b.actDim+j] == 0) != tab.Mask[s][j] {
						t.Fatalf("row %d (state %d): bias %v, table mask %v", k, s, b.maskBias[k*b.actDim:(k+1)*b.actDim], tab.Mask[s])
					}
				}
				if !masking && !tab.Mask[s][a] {
					maskedTaken++
				}
			}
		}
		if masking && maskedTaken > 0 {
			t.Errorf("masking: %d masked actions sampled", maskedTaken)
		}
		if !masking && maskedTaken == 0 {
			t.Errorf("without masking no masked action was sampled in the first step; the check is vacuous")
		}
		b.advantages(cfg.PPO.Gamma, cfg.PPO.GAELambda)
		m, err := tr.optimise(cfg.PPO.LearningRate, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.measure(&m); err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(m.KL) || math.IsInf(m.KL, 0) || m.KL < 0 {
			t.Errorf("masking %v: KL %v", masking, m.KL)
		}
	}
}
