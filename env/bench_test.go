package env_test

import (
	"math/rand/v2"
	"testing"

	"ppo/env"
)

// BenchmarkStep measures single-env steps per second (Make's wrapper included), resetting at episode ends.
func BenchmarkStep(b *testing.B) {
	for _, id := range env.IDs() {
		b.Run(id, func(b *testing.B) {
			e, err := env.Make(id, env.WithSeed(1))
			if err != nil {
				b.Fatal(err)
			}
			const k = 1024
			actions := make([]float64, k*e.ActionSpace().Dim())
			randomActions(rand.New(rand.NewPCG(1, 2)), e.ActionSpace(), k, actions)
			d := e.ActionSpace().Dim()
			e.Reset()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % k
				res, err := e.Step(actions[j*d : (j+1)*d])
				if err != nil {
					b.Fatal(err)
				}
				if res.Terminated || res.Truncated {
					e.Reset()
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// BenchmarkVecStep measures env steps per second through a Vec of 16 CartPoles, sequential and on 2 workers.
func BenchmarkVecStep(b *testing.B) {
	for _, tc := range []struct {
		name    string
		workers int
		check   bool
	}{{"CartPole-v1/n=16/seq", 1, false}, {"CartPole-v1/n=16/seq/nan_check", 1, true},
		{"CartPole-v1/n=16/workers=2", 2, false}} {
		b.Run(tc.name, func(b *testing.B) {
			const n = 16
			v, err := env.MakeVec("CartPole-v1", n, 1, env.WithWorkers(tc.workers))
			if err != nil {
				b.Fatal(err)
			}
			v.SetCheck(tc.check)
			v.Reset()
			actions := make([]float64, n)
			rng := rand.New(rand.NewPCG(1, 2))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				actions[i%n] = float64(rng.IntN(2))
				if _, err := v.Step(actions); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}
