package kl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// testMask is a [3, 5] mask: rows with one, three and all five actions allowed.
var testMask = [][]bool{
	{false, false, true, false, false},
	{true, false, true, false, true},
	{true, true, true, true, true},
}

// biasConst is testMask as a MaskBias constant in logits' graph and dtype.
func biasConst(logits *G.Node) *G.Node {
	dt := logits.Dtype()
	b := make([]float64, 0, 15)
	for _, row := range testMask {
		for _, ok := range row {
			b = append(b, map[bool]float64{true: 0, false: MaskBias}[ok])
		}
	}
	return G.NewMatrix(logits.Graph(), dt, G.WithShape(3, 5), G.WithName("mask_bias"),
		G.WithValue(tensor.New(tensor.WithShape(3, 5), tensor.WithBacking(cast(dt, b)))))
}

// maskedGradCases join TestNodeGradients: the masked and multi-categorical KL nodes'
// gradients against central differences. A masked logit's central difference is exactly 0
// (logit + MaskBias rounds back to MaskBias), so the check also asserts its gradient is 0.
func maskedGradCases(rng *rand.Rand) []gradCase {
	ins := func() []input {
		return []input{randInput(rng, tensor.Shape{3, 5}, 0, 1.5), randInput(rng, tensor.Shape{3, 5}, 0, 1.5)}
	}
	var cs []gradCase
	for _, d := range []Direction{OldNew, NewOld} {
		cs = append(cs, gradCase{fmt.Sprintf("maskedCategoricalNode/%v", d), ins(), func(n []*G.Node) (*G.Node, error) {
			return maskedCategoricalNode(d, n[0], n[1], biasConst(n[0]))
		}, oldData(2)})
		cs = append(cs, gradCase{fmt.Sprintf("MultiCategoricalNode/%v", d), ins(), func(n []*G.Node) (*G.Node, error) {
			return MultiCategoricalNode(d, n[0], n[1], []int{2, 3})
		}, oldData(2)})
	}
	cs = append(cs, gradCase{"MaskedCategoricalEntropy", ins()[:1], func(n []*G.Node) (*G.Node, error) {
		m, err := MaskNode(n[0], biasConst(n[0]))
		if err != nil {
			return nil, err
		}
		return categoricalEntropyNode(m)
	}, nil})
	return cs
}

// allowed returns the entries of x where mask is true: the restricted distribution's logits.
func allowed(x []float64, mask []bool) []float64 {
	var y []float64
	for i, ok := range mask {
		if ok {
			y = append(y, x[i])
		}
	}
	return y
}

// TestMaskedPlain checks the masked KL and entropy against the same quantities computed on the
// allowed actions alone, and that masked actions have probability exactly 0 and finite
// log-probabilities. Tolerance 1e-14 absolute plus relative: the two computations sum the same
// nonzero terms in the same order, differing only through the masked zeros.
func TestMaskedPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for trial := range 200 {
		k := 2 + rng.IntN(6)
		p, q, mask := make([]float64, k), make([]float64, k), make([]bool, k)
		scale := []float64{0.1, 1, 30}[trial%3]
		for i := range p {
			p[i], q[i] = scale*rng.NormFloat64(), scale*rng.NormFloat64()
			mask[i] = rng.IntN(2) == 0
		}
		mask[rng.IntN(k)] = true
		got, want := maskedCategoricalLogits(p, q, mask), CategoricalLogits(allowed(p, mask), allowed(q, mask))
		if math.Abs(got-want) > 1e-14*(1+math.Abs(want)) || math.IsNaN(got) {
			t.Fatalf("trial %d: masked KL %v, KL over the allowed actions %v", trial, got, want)
		}
		gotH, wantH := maskedCategoricalEntropyLogits(p, mask), CategoricalEntropyLogits(allowed(p, mask))
		if math.Abs(gotH-wantH) > 1e-14*(1+math.Abs(wantH)) {
			t.Fatalf("trial %d: masked entropy %v, entropy over the allowed actions %v", trial, gotH, wantH)
		}
		lp := LogSoftmax(nil, MaskLogits(nil, p, mask))
		for i, v := range lp {
			if math.IsNaN(v) || math.IsInf(v, 0) || !mask[i] && math.Exp(v) != 0 {
				t.Fatalf("trial %d: log-probability %d is %v (masked %v)", trial, i, v, !mask[i])
			}
		}
	}
}

// TestMultiCategoricalPlain checks the multi-categorical KL and entropy against the sums of
// the components' categorical values computed one by one.
func TestMultiCategoricalPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	nvec := []int{3, 1, 4, 2}
	p, q := make([]float64, 10), make([]float64, 10)
	for trial := range 50 {
		for i := range p {
			p[i], q[i] = 2*rng.NormFloat64(), 2*rng.NormFloat64()
		}
		var want, wantH float64
		off := 0
		for _, n := range nvec {
			want += CategoricalProbs(softmax(p[off:off+n]), softmax(q[off:off+n]))
			wantH += CategoricalEntropy(softmax(p[off : off+n]))
			off += n
		}
		if got := MultiCategoricalLogits(p, q, nvec); math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: KL %v, component sum %v", trial, got, want)
		}
		if got := MultiCategoricalEntropyLogits(p, nvec); math.Abs(got-wantH) > 1e-12 {
			t.Fatalf("trial %d: entropy %v, component sum %v", trial, got, wantH)
		}
	}
}

// TestMaskedNodesMatchPlain checks the masked and multi-categorical KL nodes against the plain
// functions row by row: float64 within 1e-12, float32 within 1e-4 relative (floor 1; ~1000 ulps
// of exp/log chains).
func TestMaskedNodesMatchPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	ins := []input{randInput(rng, tensor.Shape{3, 5}, 0, 2), randInput(rng, tensor.Shape{3, 5}, 0, 2)}
	for _, dt := range dtypes {
		x := round(dt, ins)
		masked := evalNode(t, dt, x, func(n []*G.Node) (*G.Node, error) {
			return maskedCategoricalNode(OldNew, n[0], n[1], biasConst(n[0]))
		})
		multi := evalNode(t, dt, x, func(n []*G.Node) (*G.Node, error) {
			return MultiCategoricalNode(NewOld, n[0], n[1], []int{2, 3})
		})
		// One-action components (KL 0, skipped), alone or with others.
		ones := evalNode(t, dt, x, func(n []*G.Node) (*G.Node, error) {
			return MultiCategoricalNode(NewOld, n[0], n[1], []int{1, 1, 1, 1, 1})
		})
		mixed := evalNode(t, dt, x, func(n []*G.Node) (*G.Node, error) {
			return MultiCategoricalNode(OldNew, n[0], n[1], []int{1, 3, 1})
		})
		tol := 1e-12
		if dt == tensor.Float32 {
			tol = 1e-4
		}
		for r := range 3 {
			p, q := x[0].vals[r*5:(r+1)*5], x[1].vals[r*5:(r+1)*5]
			if want := maskedCategoricalLogits(p, q, testMask[r]); math.Abs(masked[r]-want) > tol*math.Max(1, want) {
				t.Errorf("%v row %d: masked KL node %v, plain %v", dt, r, masked[r], want)
			}
			if want := MultiCategoricalLogits(q, p, []int{2, 3}); math.Abs(multi[r]-want) > tol*math.Max(1, want) {
				t.Errorf("%v row %d: multi-categorical KL node %v, plain %v", dt, r, multi[r], want)
			}
			if ones[r] != 0 {
				t.Errorf("%v row %d: KL of one-action components %v, want 0", dt, r, ones[r])
			}
			if want := MultiCategoricalLogits(p, q, []int{1, 3, 1}); math.Abs(mixed[r]-want) > tol*math.Max(1, want) {
				t.Errorf("%v row %d: multi-categorical KL node [1 3 1] %v, plain %v", dt, r, mixed[r], want)
			}
		}
	}
}
