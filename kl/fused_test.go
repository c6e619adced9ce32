package kl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestFusedMatchesComposed: the fused KL ops give the composed nodes'
// values and gradients bit for bit, in both dtypes and directions, with
// tied maxima, extreme logits and masked entries, and with other consumers
// of the same inputs built before and after (the order in which gorgonia
// adds the gradient contributions of the loss graph's logits: entropy,
// KL, log-probability).
func TestFusedMatchesComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	m := func(r, c int, v ...float64) input { return input{tensor.Shape{r, c}, v} }
	tied := m(3, 3, 1, 1, 0, 0.5, 0.5, 0.5, -2, 3, 3)
	extP := m(4, 3, 1000, 0, -1000, 1000, 1000, -1000, -1000, -1000, -1000, 0.5, -1000, 1000)
	extQ := m(4, 3, -1000, 0, 1000, 0, 0, 0, 1000, -1000, 0, -1000, 1000, 0.25)
	masked := m(3, 3, 0.3, MaskBias+0.3, -0.2, MaskBias-1, 2, 0.1, 0, 0, MaskBias)
	gauss := func(n int) []input {
		s := tensor.Shape{n, 2}
		return []input{randInput(rng, s, 0, 1), randInput(rng, s, 0, 0.7), randInput(rng, s, 0, 1), randInput(rng, s, 0, 0.7)}
	}
	// around adds consumers of every input before and after f, as the loss
	// graph has them.
	around := func(f func([]*G.Node) (*G.Node, error)) func([]*G.Node) (*G.Node, error) {
		return func(n []*G.Node) (*G.Node, error) {
			var b builder
			before := b.do(G.Sum(b.bin(G.HadamardProd, n[0], n[len(n)-1]), 1))
			k := b.do(f(n))
			after := b.do(G.Sum(b.un(G.Square, n[1]), 1))
			return b.bin(G.Add, b.bin(G.Add, k, before), after), b.err
		}
	}
	type pair struct {
		name            string
		ins             []input
		fused, composed func([]*G.Node) (*G.Node, error)
	}
	cat := func(dir Direction, f func(a, b *G.Node) (*G.Node, error)) func([]*G.Node) (*G.Node, error) {
		return func(n []*G.Node) (*G.Node, error) {
			if dir == NewOld {
				return f(n[1], n[0])
			}
			return f(n[0], n[1])
		}
	}
	gs := func(dir Direction, f func(a, b, c, d *G.Node) (*G.Node, error)) func([]*G.Node) (*G.Node, error) {
		return func(n []*G.Node) (*G.Node, error) {
			if dir == NewOld {
				return f(n[2], n[3], n[0], n[1])
			}
			return f(n[0], n[1], n[2], n[3])
		}
	}
	var cases []pair
	for _, dir := range []Direction{OldNew, NewOld} {
		for _, c := range []struct {
			name string
			ins  []input
		}{
			{"random2", []input{randInput(rng, tensor.Shape{6, 2}, 0, 1.5), randInput(rng, tensor.Shape{6, 2}, 0, 1.5)}},
			{"random5", []input{randInput(rng, tensor.Shape{4, 5}, 0, 1.5), randInput(rng, tensor.Shape{4, 5}, 0, 1.5)}},
			{"tied", []input{tied, randInput(rng, tensor.Shape{3, 3}, 0, 1)}},
			{"extreme", []input{extP, extQ}},
			{"masked", []input{masked, m(3, 3, 1, MaskBias-2, 0.5, MaskBias, 1, -1, 0.7, 0.2, MaskBias+5)}},
		} {
			cases = append(cases, pair{fmt.Sprintf("categorical/%v/%s", dir, c.name), c.ins,
				around(cat(dir, categoricalPQ)), around(cat(dir, categoricalComposed))})
		}
		for _, n := range []int{1, 5} {
			cases = append(cases, pair{fmt.Sprintf("gaussian/%v/n=%d", dir, n), gauss(n),
				around(gs(dir, diagGaussianPQ)), around(gs(dir, diagGaussianComposed))})
		}
	}
	for ci, c := range cases {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, dt), func(t *testing.T) {
				x := round(dt, c.ins)
				f := newRig(t, dt, c.ins, c.fused, uint64(ci))
				g := newRig(t, dt, c.ins, c.composed, uint64(ci))
				fo, fc, fg := f.run(t, x)
				for rep := range 2 { // the second run checks that no state leaks between runs
					go_, gc, gg := g.run(t, x)
					if !sameBits(fo, go_) || math.Float64bits(fc) != math.Float64bits(gc) {
						t.Fatalf("run %d: fused output %v, composed %v", rep, fo, go_)
					}
					for i := range gg {
						if !sameBits(fg[i], gg[i]) {
							t.Fatalf("run %d: gradient of input %d: fused %v, composed %v", rep, i, fg[i], gg[i])
						}
					}
					fo, fc, fg = f.run(t, x)
				}
			})
		}
	}
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}
