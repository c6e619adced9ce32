package policy

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkEvaluatorForward is the plain-Go acting pass of the CartPole
// network of both benchmark configs (4-64-64, separate actor and critic):
// n=4 and n=8 are the acting batches, n=512 the after-update measurement.
func BenchmarkEvaluatorForward(b *testing.B) {
	spec := Spec{ObsDim: 4, Discrete: true, ActDim: 2, Hidden: []int{64, 64}, Activation: "tanh"}
	for _, n := range []int{1, 4, 8, 512} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			p, err := New(spec, 1)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			obs := make([]float64, n*spec.ObsDim)
			for i := range obs {
				obs[i] = rng.NormFloat64()
			}
			head, value := make([]float64, n*spec.ActDim), make([]float64, n)
			e := NewEvaluator(p)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				e.Forward(obs, n, head, value)
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
