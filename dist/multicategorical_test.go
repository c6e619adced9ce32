package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/kl"

	"ppo/internal/fdcheck"
)

// joint enumerates every action of a MultiDiscrete with components nvec.
func joint(nvec []int) [][]float64 {
	all := [][]float64{{}}
	for _, n := range nvec {
		var next [][]float64
		for _, a := range all {
			for i := 0; i < n; i++ {
				next = append(next, append(append([]float64{}, a...), float64(i)))
			}
		}
		all = next
	}
	return all
}

// TestMultiCategoricalJoint checks MultiCategorical against the joint
// distribution written out action by action: the probabilities
// exp(LogProb) over all Π nvec actions sum to 1, and the entropy and KL
// equal -Σ p log p and Σ p log(p/q) over them; the mode is the joint
// argmax. Sums of ≤ 60 float64 terms of magnitude ≤ 10: 1e-12 absolute.
func TestMultiCategoricalJoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 13))
	for _, nvec := range [][]int{{1}, {4}, {2, 3}, {3, 1, 5}, {2, 2, 2, 2}} {
		t.Run(fmt.Sprint(nvec), func(t *testing.T) {
			m := MultiCategorical{Nvec: nvec}
			k := 0
			for _, n := range nvec {
				k += n
			}
			p, q := make([]float64, k), make([]float64, k)
			for i := range p {
				p[i], q[i] = 3*rng.NormFloat64(), 3*rng.NormFloat64()
			}
			var sum, ent, div, best float64
			best = math.Inf(-1)
			var argmax []float64
			for _, a := range joint(nvec) {
				lp, lq := m.LogProb(p, a), m.LogProb(q, a)
				sum += math.Exp(lp)
				ent -= math.Exp(lp) * lp
				div += math.Exp(lp) * (lp - lq)
				if lp > best {
					best, argmax = lp, a
				}
			}
			mode := make([]float64, len(nvec))
			m.Mode(p, mode)
			for _, c := range []struct {
				what      string
				got, want float64
			}{
				{"Σ p", sum, 1},
				{"entropy", m.Entropy(p), ent},
				{"KL", m.KL(kl.OldNew, Params{Head: p}, Params{Head: q}), div},
				{"mode's log-prob", m.LogProb(p, mode), m.LogProb(p, argmax)},
			} {
				if math.Abs(c.got-c.want) > 1e-12 {
					t.Errorf("%s: %v, joint %v", c.what, c.got, c.want)
				}
			}
		})
	}
}

// TestMultiCategoricalSample: each component's sampled frequencies over
// 40000 draws match its softmax within 4 standard errors, and the
// components are drawn independently (the joint frequency of (0, 0)
// matches the product of the marginals within 4 SE).
func TestMultiCategoricalSample(t *testing.T) {
	const draws = 40000
	m := MultiCategorical{Nvec: []int{2, 3}}
	head := []float64{0.3, -0.4, 1, 0, -1}
	rng := rand.New(rand.NewPCG(1, 99))
	count := make([]float64, 5)
	both := 0.0
	a := make([]float64, 2)
	for range draws {
		m.Sample(head, rng, a)
		count[int(a[0])]++
		count[2+int(a[1])]++
		if a[0] == 0 && a[1] == 0 {
			both++
		}
	}
	check := func(what string, n, p float64) {
		se := math.Sqrt(p * (1 - p) / draws)
		if f := n / draws; math.Abs(f-p) > 4*se {
			t.Errorf("%s: frequency %v, probability %v (4 SE = %v)", what, f, p, 4*se)
		}
	}
	p0 := math.Exp(Categorical{}.LogProb(head[:2], []float64{0}))
	for j := range 3 {
		p := math.Exp(Categorical{}.LogProb(head[2:], []float64{float64(j)}))
		check(fmt.Sprintf("component 1 = %d", j), count[2+j], p)
	}
	check("component 0 = 0", count[0], p0)
	check("(0, 0)", both, math.Exp(m.LogProb(head, []float64{0, 0})))
}

// TestMultiCategoricalGraph checks the graph forms against the plain ones
// and kl's multi-categorical KL row by row, and their gradients in the
// head against central differences, in float64 (step 1e-6: truncation
// and rounding ≈ 1e-10, so 1e-6 absolute is ample). The loss is
// Σ_i c_i (log π(a_i) + H_i + KL_i) with random weights c, so every
// form's gradient is checked at once and in each row.
func TestMultiCategoricalGraph(t *testing.T) {
	const n = 4
	nvec := []int{2, 3, 1}
	const k = 6
	m := MultiCategorical{Nvec: nvec}
	rng := rand.New(rand.NewPCG(5, 8))
	for _, dir := range []kl.Direction{kl.OldNew, kl.NewOld} {
		t.Run(dir.String(), func(t *testing.T) {
			h, old := make([]float64, n*k), make([]float64, n*k)
			for i := range h {
				h[i], old[i] = 3*rng.NormFloat64(), 3*rng.NormFloat64()
			}
			acts := make([][]float64, n)
			oneHot := make([]float64, n*k)
			for i := range acts {
				acts[i] = make([]float64, len(nvec))
				off := 0
				for c, w := range nvec {
					a := rng.IntN(w)
					acts[i][c] = float64(a)
					oneHot[i*k+off+a] = 1
					off += w
				}
			}
			c := make([]float64, n)
			for i := range c {
				c[i] = rng.NormFloat64()
			}
			g := G.NewGraph()
			mat := func(name string, v []float64) *G.Node {
				return G.NewMatrix(g, tensor.Float64, G.WithShape(n, k), G.WithName(name), G.WithValue(tensorOf(true, v, n, k)))
			}
			hn := mat("h", h)
			cur, prev := Batch{Head: hn}, Batch{Head: mat("old", old)}
			lp := G.Must(m.LogProbNode(cur, mat("a", oneHot)))
			ent := G.Must(m.EntropyNode(cur))
			div := G.Must(m.KLNode(dir, prev, cur))
			run, grad := weightedSum(t, hn, G.Must(G.Add(G.Must(G.Add(lp, ent)), div)), c, true)
			run()
			for i := 0; i < n; i++ {
				row, orow := h[i*k:(i+1)*k], old[i*k:(i+1)*k]
				p, q := orow, row
				if dir == kl.NewOld {
					p, q = row, orow
				}
				for _, cmp := range []struct {
					what      string
					got, want float64
				}{
					{"log-prob", at(lp.Value(), i), m.LogProb(row, acts[i])},
					{"entropy", at(ent.Value(), i), m.Entropy(row)},
					{"KL", at(div.Value(), i), m.KL(kl.OldNew, Params{Head: p}, Params{Head: q})},
				} {
					if math.Abs(cmp.got-cmp.want) > 1e-12 {
						t.Errorf("row %d %s: graph %v, plain %v", i, cmp.what, cmp.got, cmp.want)
					}
				}
			}
			analytic := grad()
			d := hn.Value().Data().([]float64)
			const step = 1e-6
			for j, x := range h {
				if num := fdcheck.Central(run, func(v float64) { d[j] = v }, x, step, nil).Num; !fdcheck.Within(analytic[j], num, 1e-6, 0) {
					t.Errorf("∂/∂h[%d]: graph %v, central difference %v", j, analytic[j], num)
				}
			}
		})
	}
}

// TestMultiCategoricalErrors: a head whose width is not Σ Nvec, or an
// empty component, is an error, not a panic.
func TestMultiCategoricalErrors(t *testing.T) {
	g := G.NewGraph()
	h := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 5), G.WithName("h"))
	for name, m := range map[string]MultiCategorical{
		"wrong width":     {Nvec: []int{2, 2}},
		"empty component": {Nvec: []int{5, 0}},
		"no components":   {},
	} {
		if _, err := m.EntropyNode(Batch{Head: h}); err == nil {
			t.Errorf("%s: entropy: no error", name)
		}
		if _, err := m.LogProbNode(Batch{Head: h}, h); err == nil {
			t.Errorf("%s: log-prob: no error", name)
		}
		if _, err := m.KLNode(kl.OldNew, Batch{Head: h}, Batch{Head: h}); err == nil {
			t.Errorf("%s: KL: no error", name)
		}
	}
}
