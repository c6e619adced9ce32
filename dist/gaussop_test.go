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

// gaussRig is a loss-like graph on a diagonal Gaussian batch: cost =
// Σ w1⊙logπ(a) + Σ w2⊙KL(old‖cur) + Σ w3⊙H, built in the loss graph's order
// (log-probability, KL, entropy), with the log-probability from lp.
type gaussRig struct {
	head, ls, act *G.Node
	cost          *G.Node
	vm            G.VM
}

func newGaussRig(t *testing.T, dt tensor.Dtype, n, d int, lp func(Batch, *G.Node) (*G.Node, error), vals [5][]float64, w [3][]float64) *gaussRig {
	t.Helper()
	g := G.NewGraph()
	mat := func(name string, v []float64) *G.Node {
		return G.NewMatrix(g, dt, G.WithShape(n, d), G.WithName(name), G.WithValue(tensorOf(dt == tensor.Float64, v, n, d)))
	}
	vec := func(v []float64) *G.Node {
		return G.NewConstant(tensor.New(tensor.WithShape(n), tensor.WithBacking(tensorOf(dt == tensor.Float64, v, n, 1).Data())))
	}
	r := &gaussRig{head: mat("head", vals[0]), ls: mat("ls", vals[1]), act: mat("act", vals[2])}
	cur := Batch{Head: r.head, LogStd: r.ls}
	old := Batch{Head: mat("old_head", vals[3]), LogStd: mat("old_ls", vals[4])}
	l := G.Must(lp(cur, r.act))
	k := G.Must(DiagGaussian{}.KLNode(kl.OldNew, old, cur))
	h := G.Must(DiagGaussian{}.EntropyNode(cur))
	sum := func(x *G.Node, w []float64) *G.Node { return G.Must(G.Sum(G.Must(G.HadamardProd(x, vec(w))))) }
	r.cost = G.Must(G.Add(G.Must(G.Add(sum(l, w[0]), sum(k, w[1]))), sum(h, w[2])))
	if _, err := G.Grad(r.cost, r.head, r.ls); err != nil {
		t.Fatal(err)
	}
	r.vm = G.NewTapeMachine(g)
	t.Cleanup(func() { r.vm.Close() })
	return r
}

func (r *gaussRig) run(t *testing.T) (cost float64, dHead, dLs []float64) {
	t.Helper()
	if err := r.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	defer r.vm.Reset()
	gh, _ := r.head.Grad()
	gl, _ := r.ls.Grad()
	return at(r.cost.Value(), 0), all(gh), all(gl)
}

func all(v G.Value) []float64 {
	out := make([]float64, v.Shape().TotalSize())
	for i := range out {
		out[i] = at(v, i)
	}
	return out
}

// TestSquaredZMatchesComposed: the fused Σz² gives the composed
// log-probability's cost and gradients bit for bit, float32 and float64,
// inside a loss-like graph (so gorgonia adds the gradient pieces of the
// means and log-stds in the same order), and its gradient agrees with
// central differences (float64, eps 1e-6: truncation ~1e-12, rounding
// ~1e-10 on costs of order 10, so 1e-7 relative with floor 1 is loose).
func TestSquaredZMatchesComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 4} {
		const d = 3
		var vals [5][]float64
		for i := range vals {
			vals[i] = make([]float64, n*d)
			for j := range vals[i] {
				vals[i][j] = float64(float32(rng.NormFloat64()))
				if i == 1 || i == 4 {
					vals[i][j] *= 0.5
				}
			}
		}
		var w [3][]float64
		for i := range w {
			w[i] = make([]float64, n)
			for j := range w[i] {
				w[i][j] = float64(float32(rng.Float64()*2 - 1))
			}
		}
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			t.Run(fmt.Sprintf("n=%d/%v", n, dt), func(t *testing.T) {
				f := newGaussRig(t, dt, n, d, DiagGaussian{}.LogProbNode, vals, w)
				c := newGaussRig(t, dt, n, d, logProbComposed, vals, w)
				for rep := range 2 {
					fc, fh, fl := f.run(t)
					cc, ch, cl := c.run(t)
					if math.Float64bits(fc) != math.Float64bits(cc) || !sameBits(fh, ch) || !sameBits(fl, cl) {
						t.Fatalf("run %d: fused cost %v ∂μ %v ∂logσ %v; composed %v %v %v", rep, fc, fh, fl, cc, ch, cl)
					}
				}
				if dt != tensor.Float64 {
					return
				}
				_, dh, dl := f.run(t)
				for which, x := range []*G.Node{f.head, f.ls} {
					an := [][]float64{dh, dl}[which]
					v := x.Value().Data().([]float64)
					for j := range v {
						cost := func() float64 { c, _, _ := f.run(t); return c }
						fd := fdcheck.Central(cost, func(x float64) { v[j] = x }, v[j], 1e-6, nil).Num
						if !fdcheck.Within(an[j], fd, 1e-7, 1e-7) { // 1e-7·max(1, |fd|), to within 1e-7
							t.Errorf("%s[%d]: gradient %v, central difference %v", x.Name(), j, an[j], fd)
						}
					}
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
