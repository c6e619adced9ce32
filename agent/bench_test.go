package agent

import (
	"fmt"
	"testing"

	"ppo/configs"
	"ppo/internal/bench/rusage"
)

// benchSets are the two benchmark configurations of configs/bench, as
// overrides of the defaults, so the benchmarks read no files; only the
// keys that shape the work are set.
var benchSets = []struct {
	name string
	sets []string
}{
	{"cleanrl", []string{"env.num_envs=4", "ppo.rollout_steps=128", "ppo.epochs=4", "ppo.minibatch_size=128",
		"ppo.objective=clip", "ppo.value_clip=0.2", "ppo.entropy_coef=0.01", "total_timesteps=500000",
		"ppo.gamma=0.99", "ppo.gae_lambda=0.95", "ppo.learning_rate=2.5e-4"}},
	{"zoo", []string{"env.num_envs=8", "ppo.rollout_steps=32", "ppo.epochs=20", "ppo.minibatch_size=256",
		"ppo.objective=clip", "ppo.value_clip=0", "ppo.entropy_coef=0", "total_timesteps=100000"}},
	// zoo's shapes with the exact KL penalty instead of clipping.
	{"zoo-kl", []string{"env.num_envs=8", "ppo.rollout_steps=32", "ppo.epochs=20", "ppo.minibatch_size=256",
		"ppo.objective=kl_penalty", "ppo.value_clip=0", "ppo.entropy_coef=0", "total_timesteps=100000"}},
	// configs/pendulum-adaptive-kl.yaml's shapes: Gaussian policy, exact KL penalty.
	{"pendulum", []string{"env.id=Pendulum-v1", "env.num_envs=4", "ppo.rollout_steps=1024", "ppo.epochs=10",
		"ppo.minibatch_size=256", "ppo.objective=kl_penalty", "total_timesteps=500000"}},
}

func benchTrainer(b *testing.B, sets []string) *Trainer {
	b.Helper()
	cfg := configs.Default()
	for _, s := range sets {
		if err := cfg.Set(s); err != nil {
			b.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	t, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	obs, err := t.vec.Reset()
	if err != nil {
		b.Fatal(err)
	}
	t.lastObs = append([]float64(nil), obs...)
	return t
}

// BenchmarkMinibatchStep is one optimiser step on one minibatch: gather
// the rows, run the loss graph forward and backward, clip and apply Adam.
func BenchmarkMinibatchStep(b *testing.B) {
	for _, bc := range benchSets {
		t := benchTrainer(b, bc.sets)
		if err := t.collect(); err != nil {
			b.Fatal(err)
		}
		t.buf.advantages(t.cfg.PPO.Gamma, t.cfg.PPO.GAELambda)
		mbs := t.cfg.PPO.MinibatchSize
		idx := make([]int, mbs)
		for i := range idx {
			idx[i] = (i * 7) % t.buf.size()
		}
		b.Run(fmt.Sprintf("%s/n=%d", bc.name, mbs), func(b *testing.B) {
			if _, err := t.step(idx, 1e-4, 1, 0); err != nil { // builds the graph
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := rusage.CPU()
			for i := 0; i < b.N; i++ {
				if _, err := t.step(idx, 1e-4, 1, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rusage.CPU()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.N*mbs)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkCollect is one rollout: acting with the plain-Go forward pass,
// sampling and stepping the vector env.
func BenchmarkCollect(b *testing.B) {
	for _, bc := range benchSets {
		t := benchTrainer(b, bc.sets)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := rusage.CPU()
			for i := 0; i < b.N; i++ {
				if err := t.collect(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rusage.CPU()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.N*t.buf.size())/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// BenchmarkUpdate is one whole policy update: rollout, advantages, every
// epoch of minibatches and the after-update measurements.
func BenchmarkUpdate(b *testing.B) {
	for _, bc := range benchSets {
		t := benchTrainer(b, bc.sets)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := rusage.CPU()
			for i := 0; i < b.N; i++ {
				if err := t.collect(); err != nil {
					b.Fatal(err)
				}
				t.buf.advantages(t.cfg.PPO.Gamma, t.cfg.PPO.GAELambda)
				m, err := t.optimise(1e-4, 1, 0)
				if err != nil {
					b.Fatal(err)
				}
				if err := t.measure(&m); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rusage.CPU()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.N*t.buf.size())/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// BenchmarkGAE is the advantage pass over one rollout of each benchmark's shape.
func BenchmarkGAE(b *testing.B) {
	for _, sh := range []struct{ steps, envs int }{{128, 4}, {32, 8}} {
		b.Run(fmt.Sprintf("T=%d/n=%d", sh.steps, sh.envs), func(b *testing.B) {
			r := newRollout(sh.steps, sh.envs, 4, 2, 1)
			for k := range r.rewards {
				r.rewards[k] = 1
				r.values[k] = float64(k%17) / 17
				r.ended[k] = k%53 == 0
			}
			b.ReportAllocs()
			cpu0 := rusage.CPU()
			for i := 0; i < b.N; i++ {
				r.advantages(0.99, 0.95)
			}
			b.ReportMetric(float64(rusage.CPU()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.N*r.size())/b.Elapsed().Seconds(), "steps/s")
		})
	}
}
