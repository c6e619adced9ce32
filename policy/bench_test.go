package policy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"ppo/internal/bench/rusage"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BenchmarkForwarder is the plain-Go acting pass of the CartPole
// network of both benchmark configs (4-64-64, separate actor and critic):
// n=4 and n=8 are the acting batches, n=512 the after-update measurement.
func BenchmarkForwarder(b *testing.B) {
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
			e := NewForwarder(p)
			b.ReportAllocs()
			cpu0 := rusage.CPU()
			for i := 0; i < b.N; i++ {
				e.Forward(obs, n, head, value)
			}
			b.ReportMetric(float64(rusage.CPU()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkGemm compares the dense-layer kernel with gonum's Sgemm on the
// learning's products for a 64-wide layer and a 256-row minibatch: the
// forward x·W (NN) and the weight gradient xᵀ·dz (TN). gonum splits
// these into goroutines; the serial variant pins it to one thread.
func BenchmarkGemm(b *testing.B) {
	const m, n, k = 256, 64, 64
	x, w, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	for i := range w {
		w[i] = float32(i%5) / 5
	}
	flops := func(b *testing.B) { b.ReportMetric(2*m*n*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s") }
	b.Run("NN/kernel", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			gemm(m, n, k, x, k, 1, w, n, c, n, false)
		}
		flops(b)
	})
	b.Run("TN/kernel", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			gemm(k, n, m, x, 1, k, c, n, w, n, false)
		}
		flops(b)
	})
	var impl gonum.Implementation
	for _, procs := range []int{0, 1} {
		name := "gonum"
		if procs == 1 {
			name = "gonum-serial"
		}
		b.Run("NN/"+name, func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			for i := 0; i < b.N; i++ {
				impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, x, k, w, n, 0, c, n)
			}
			flops(b)
		})
		b.Run("TN/"+name, func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			for i := 0; i < b.N; i++ {
				impl.Sgemm(blas.Trans, blas.NoTrans, k, n, m, 1, x, k, c, n, 0, w, n)
			}
			flops(b)
		})
	}
}

// BenchmarkTanh compares float32 tanh over a 256×64 activation: the
// vector kernel, its scalar Go form, and math.Tanh in float64 (what the
// evaluator used before).
func BenchmarkTanh(b *testing.B) {
	x := make([]float32, 256*64)
	for i := range x {
		x[i] = float32(i%200)/50 - 2
	}
	y := make([]float32, len(x))
	elems := func(b *testing.B) { b.ReportMetric(float64(len(x)*b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s") }
	b.Run("kernel", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			copy(y, x)
			tanhAll(y)
		}
		elems(b)
	})
	b.Run("tanh32", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for j, v := range x {
				y[j] = tanh32(v)
			}
		}
		elems(b)
	})
	b.Run("math.Tanh", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for j, v := range x {
				y[j] = float32(math.Tanh(float64(v)))
			}
		}
		elems(b)
	})
}
