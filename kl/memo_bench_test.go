package kl

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BenchmarkCatKL is the categorical KL op's forward pass, and its backward
// pass for the network's side (the pieces a penalty asks for), on a
// CartPole-sized minibatch (256 rows of 2 logits, float32): the behaviour
// policy's side recalled from the memo, as in every epoch after an
// update's first, and computed afresh.
func BenchmarkCatKL(b *testing.B) {
	const n, k = 256, 2
	rng := rand.New(rand.NewPCG(1, 2))
	p, q := make([]float32, n*k), make([]float32, n*k)
	for i := range p {
		p[i], q[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	pt := tensor.New(tensor.WithShape(n, k), tensor.WithBacking(p))
	qt := tensor.New(tensor.WithShape(n, k), tensor.WithBacking(q))
	in := []G.Value{pt, qt, pt, qt}
	g := make([]float32, n)
	for i := range g {
		g[i] = 1.0 / n
	}
	gt := tensor.New(tensor.WithShape(n), tensor.WithBacking(g))
	for _, memo := range []bool{true, false} {
		name := "recalled"
		if !memo {
			name = "computed"
		}
		b.Run(name, func(b *testing.B) {
			c := newCatKL[float32](n, k, tensor.Float32)
			c.memo[1].misses = missStreak // the network's side never repeats
			if !memo {
				c.memo[0].misses = missStreak
			}
			if _, err := c.Forward(in); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := c.Forward(in); err != nil {
					b.Fatal(err)
				}
				for _, piece := range []int{1, 3} {
					if _, err := c.Backward(piece, gt); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
