package agent

import (
	"fmt"
	"math"
	"testing"
)

// TestShardsSumToTheMinibatch: a minibatch step in 2 or 3 shards moves the
// weights as the unsharded step does, up to rounding. In float64 the
// shards' means and products round differently, by ~1e-16 relative; one
// Adam step of size 1e-3 turns that into weight differences far below
// 1e-12. The shards' loss diagnostics agree to 1e-12 too.
func TestShardsSumToTheMinibatch(t *testing.T) {
	for _, sets := range [][]string{
		{"ppo.objective=kl_penalty"},
		{"env.id=Pendulum-v1", "ppo.objective=clip_kl", "ppo.value_clip=0.2"},
	} {
		step := func(shards int) ([][]float64, stepStats) {
			tr := steppable(t, append([]string{"policy.dtype=float64", "env.num_envs=4", "ppo.rollout_steps=32",
				"ppo.minibatch_size=100", fmt.Sprintf("ppo.shards=%d", shards)}, sets...)...)
			idx := make([]int, 100)
			for i := range idx {
				idx[i] = (i * 7) % tr.buf.size()
			}
			var (
				st  stepStats
				err error
			)
			for range 3 { // later steps see different weights
				if st, err = tr.step(idx, 1e-3, 0.7, 0); err != nil {
					t.Fatal(err)
				}
			}
			return tr.upd.(*weights[float64]).params, st
		}
		w1, s1 := step(1)
		for _, shards := range []int{2, 3} {
			w, s := step(shards)
			for i := range w1 {
				for j := range w1[i] {
					if d := math.Abs(w[i][j] - w1[i][j]); d > 1e-12 {
						t.Fatalf("%v, %d shards: weight %d[%d] = %v, unsharded %v", sets, shards, i, j, w[i][j], w1[i][j])
					}
				}
			}
			for _, c := range [][2]float64{{s.pg, s1.pg}, {s.v, s1.v}, {s.ent, s1.ent}, {s.gradNorm, s1.gradNorm}, {s.clip, s1.clip}} {
				if math.Abs(c[0]-c[1]) > 1e-12*math.Max(1, math.Abs(c[1])) {
					t.Errorf("%v, %d shards: diagnostics %+v, unsharded %+v", sets, shards, s, s1)
				}
			}
		}
	}
}
