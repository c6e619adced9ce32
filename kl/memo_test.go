package kl

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestMemoKeepsBits: a categorical KL op whose memo has seen earlier
// minibatches gives, output and every gradient piece, the bits of a fresh
// op: for a permutation of rows seen before (all hits on the fixed side),
// a minibatch with two new rows (a miss), and after the memo has given up
// on a side whose rows never repeat. Both dtypes, both sides fixed.
func TestMemoKeepsBits(t *testing.T) {
	const n, k = 8, 3
	rng := rand.New(rand.NewPCG(7, 8))
	logits := func() []float64 {
		v := make([]float64, n*k)
		for i := range v {
			v[i] = 1.5 * rng.NormFloat64()
		}
		v[2*k] = v[2*k+1] // a tie in row 2
		return v
	}
	for _, dt := range dtypes {
		for fixed := range 2 {
			t.Run(fmt.Sprintf("%v/fixed=%d", dt, fixed), func(t *testing.T) {
				var kept, fresh interface {
					Forward([]G.Value) (G.Value, error)
					Backward(int, G.Value) (G.Value, error)
				}
				var memo func(side int) int // misses in a row
				if dt == tensor.Float32 {
					c := newCatKL[float32](n, k, dt)
					kept, memo = c, func(side int) int { return c.memo[side].misses }
				} else {
					c := newCatKL[float64](n, k, dt)
					kept, memo = c, func(side int) int { return c.memo[side].misses }
				}
				base := logits()
				perm := rng.Perm(n)
				permuted := make([]float64, n*k)
				for i, p := range perm {
					copy(permuted[i*k:(i+1)*k], base[p*k:(p+1)*k])
				}
				twoNew := append([]float64(nil), permuted...)
				copy(twoNew[3*k:5*k], logits()[:2*k])
				check := func(step string, f []float64, wantMiss int) {
					t.Helper()
					ins := [2][]float64{}
					ins[fixed], ins[1-fixed] = f, logits()
					if dt == tensor.Float32 {
						fresh = newCatKL[float32](n, k, dt)
					} else {
						fresh = newCatKL[float64](n, k, dt)
					}
					vals := []G.Value{value(dt, ins[0]), value(dt, ins[1]), value(dt, ins[0]), value(dt, ins[1])}
					a, err := kept.Forward(vals)
					if err != nil {
						t.Fatal(err)
					}
					b, err := fresh.Forward(vals)
					if err != nil {
						t.Fatal(err)
					}
					if !sameBits(floats(a), floats(b)) {
						t.Fatalf("%s: output %v, fresh op %v", step, floats(a), floats(b))
					}
					if wantMiss >= 0 && memo(fixed) != wantMiss {
						t.Fatalf("%s: fixed side misses in a row %d, want %d", step, memo(fixed), wantMiss)
					}
					g := make([]float64, n)
					for i := range g {
						g[i] = rng.NormFloat64()
					}
					for piece := range 4 {
						ga, err := kept.Backward(piece, value(dt, g))
						if err != nil {
							t.Fatal(err)
						}
						gb, err := fresh.Backward(piece, value(dt, g))
						if err != nil {
							t.Fatal(err)
						}
						if !sameBits(floats(ga), floats(gb)) {
							t.Fatalf("%s: gradient piece %d %v, fresh op %v", step, piece, floats(ga), floats(gb))
						}
					}
				}
				check("first", base, 1)
				check("permuted", permuted, 0)
				check("two new rows", twoNew, 1)
				check("two new rows again", twoNew, 0)
				if memo(1-fixed) < 4 {
					t.Errorf("the network's side hit its memo: %d misses in a row", memo(1-fixed))
				}
				for range missStreak {
					check("new rows", logits(), -1)
				}
				if memo(fixed) < missStreak {
					t.Errorf("%d minibatches of new rows: the fixed side still remembers", missStreak)
				}
				check("after giving up", base, missStreak)
			})
		}
	}
}

func value(dt tensor.Dtype, v []float64) G.Value {
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithBacking(append([]float64(nil), v...)))
}

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
