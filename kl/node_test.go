package kl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/fdcheck"
)

var dtypes = []tensor.Dtype{tensor.Float64, tensor.Float32}

// input is one input node's shape and values, row-major.
type input struct {
	shape tensor.Shape
	vals  []float64
}

// rig is a graph with inputs, an output, cost = Σ output ⊙ w for fixed
// random weights w (so every output element's gradient is exercised), the
// symbolic gradient of the cost, and one TapeMachine reused for every run.
type rig struct {
	dt   tensor.Dtype
	in   []*G.Node
	out  *G.Node
	cost *G.Node
	w    []float64
	vm   G.VM
	data []bool // inputs without a gradient; nil: none
}

func newRig(t *testing.T, dt tensor.Dtype, ins []input, build func([]*G.Node) (*G.Node, error), seed uint64) *rig {
	t.Helper()
	return newDataRig(t, dt, ins, build, seed, nil)
}

// newDataRig is newRig where the inputs data[i] are data: the graph has no
// gradient with respect to them (run returns nil for them).
func newDataRig(t *testing.T, dt tensor.Dtype, ins []input, build func([]*G.Node) (*G.Node, error), seed uint64, data []bool) *rig {
	t.Helper()
	g := G.NewGraph()
	r := &rig{dt: dt, data: data}
	for i, in := range ins {
		r.in = append(r.in, G.NewTensor(g, dt, len(in.shape), G.WithShape(in.shape...), G.WithName(fmt.Sprintf("in%d", i))))
	}
	out, err := build(r.in)
	if err != nil {
		t.Fatal(err)
	}
	r.out = out
	var wrt []*G.Node
	for i, n := range r.in {
		if !r.isData(i) {
			wrt = append(wrt, n)
		}
	}
	if len(wrt) > 0 {
		// Without a gradient to compute the cost is left out: gorgonia would
		// compute its product in place, over the output.
		rng := rand.New(rand.NewPCG(seed, 99))
		r.w = make([]float64, out.Shape().TotalSize())
		for i := range r.w {
			r.w[i] = rng.Float64()*2 - 1
		}
		wn := G.NewConstant(tensor.New(tensor.WithShape(out.Shape()...), tensor.WithBacking(cast(dt, r.w))))
		prod, err := G.HadamardProd(out, wn)
		if err != nil {
			t.Fatal(err)
		}
		if r.cost, err = G.Sum(prod); err != nil {
			t.Fatal(err)
		}
		if _, err := G.Grad(r.cost, wrt...); err != nil {
			t.Fatal(err)
		}
	}
	r.vm = G.NewTapeMachine(g)
	t.Cleanup(func() { r.vm.Close() })
	return r
}

// run evaluates the graph at vals and returns the output, the cost and the
// gradient of the cost with respect to each input.
func (r *rig) run(t *testing.T, ins []input) (out []float64, cost float64, grads [][]float64) {
	t.Helper()
	for i, in := range ins {
		v := tensor.New(tensor.WithShape(in.shape...), tensor.WithBacking(cast(r.dt, in.vals)))
		if err := G.Let(r.in[i], v); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	defer r.vm.Reset()
	out = floats(r.out.Value())
	if r.cost != nil {
		cost = floats(r.cost.Value())[0]
	}
	for i, n := range r.in {
		if r.isData(i) {
			grads = append(grads, nil)
			continue
		}
		gv, err := n.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grads = append(grads, floats(gv))
	}
	return out, cost, grads
}

func (r *rig) isData(i int) bool { return r.data != nil && r.data[i] }

func cast(dt tensor.Dtype, x []float64) any {
	if dt == tensor.Float32 {
		y := make([]float32, len(x))
		for i, v := range x {
			y[i] = float32(v)
		}
		return y
	}
	return append([]float64(nil), x...)
}

func floats(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		y := make([]float64, len(d))
		for i, x := range d {
			y[i] = float64(x)
		}
		return y
	case float64:
		return []float64{d}
	case float32:
		return []float64{float64(d)}
	}
	panic(fmt.Sprintf("unexpected value type %T", v.Data()))
}

// round returns ins with every value rounded to dt, the point the graph
// actually evaluates.
func round(dt tensor.Dtype, ins []input) []input {
	out := make([]input, len(ins))
	for i, in := range ins {
		v := append([]float64(nil), in.vals...)
		if dt == tensor.Float32 {
			for j := range v {
				v[j] = float64(float32(v[j]))
			}
		}
		out[i] = input{in.shape, v}
	}
	return out
}

func randInput(rng *rand.Rand, shape tensor.Shape, mean, scale float64) input {
	v := make([]float64, shape.TotalSize())
	for i := range v {
		v[i] = mean + scale*rng.NormFloat64()
	}
	return input{shape, v}
}

// oldData marks the old policy's inputs of a KL(dir, old..., new...) node
// with n inputs as data: the first half.
func oldData(n int) []bool {
	d := make([]bool, n)
	for i := range n / 2 {
		d[i] = true
	}
	return d
}

type gradCase struct {
	name  string
	ins   []input
	build func([]*G.Node) (*G.Node, error)
	data  []bool // inputs without a gradient (the old policy of a KL penalty); nil: none
}

func gradCases() []gradCase {
	rng := rand.New(rand.NewPCG(11, 12))
	m := func(r, c int, v ...float64) input { return input{tensor.Shape{r, c}, v} }
	// Rows of magnitude-1000 logits: near one-hot, two tied maxima, all
	// equal, and opposite extremes between P and Q.
	extP := m(4, 3, 1000, 0, -1000, 1000, 1000, -1000, -1000, -1000, -1000, 0.5, -1000, 1000)
	extQ := m(4, 3, -1000, 0, 1000, 0, 0, 0, 1000, -1000, 0, -1000, 1000, 0.25)
	cat := func(f func(a, b *G.Node) (*G.Node, error)) func([]*G.Node) (*G.Node, error) {
		return func(n []*G.Node) (*G.Node, error) { return f(n[0], n[1]) }
	}
	gauss := func(f func(a, b, c, d *G.Node) (*G.Node, error)) func([]*G.Node) (*G.Node, error) {
		return func(n []*G.Node) (*G.Node, error) { return f(n[0], n[1], n[2], n[3]) }
	}
	gIns := func() []input {
		s := tensor.Shape{3, 2}
		return []input{randInput(rng, s, 0, 1), randInput(rng, s, 0, 0.7), randInput(rng, s, 0, 1), randInput(rng, s, 0, 0.7)}
	}
	cs := []gradCase{
		{"LogSoftmax", []input{randInput(rng, tensor.Shape{3, 4}, 0, 2)}, func(n []*G.Node) (*G.Node, error) { return LogSoftmaxNode(n[0]) }, nil},
		{"LogSoftmax/extreme", []input{extP}, func(n []*G.Node) (*G.Node, error) { return LogSoftmaxNode(n[0]) }, nil},
		{"LogSoftmax/batch1", []input{randInput(rng, tensor.Shape{1, 5}, 0, 1)}, func(n []*G.Node) (*G.Node, error) { return LogSoftmaxNode(n[0]) }, nil},
		{"Categorical", []input{randInput(rng, tensor.Shape{4, 5}, 0, 1.5), randInput(rng, tensor.Shape{4, 5}, 0, 1.5)}, cat(categoricalPQ), nil},
		{"Categorical/extreme", []input{extP, extQ}, cat(categoricalPQ), nil},
		{"CategoricalEntropy", []input{randInput(rng, tensor.Shape{4, 5}, 0, 1.5)}, func(n []*G.Node) (*G.Node, error) { return categoricalEntropyNode(n[0]) }, nil},
		{"CategoricalEntropy/extreme", []input{extQ}, func(n []*G.Node) (*G.Node, error) { return categoricalEntropyNode(n[0]) }, nil},
		{"CategoricalNode/old_new", []input{randInput(rng, tensor.Shape{2, 3}, 0, 1), randInput(rng, tensor.Shape{2, 3}, 0, 1)},
			func(n []*G.Node) (*G.Node, error) { return CategoricalNode(OldNew, n[0], n[1]) }, oldData(2)},
		{"CategoricalNode/new_old", []input{randInput(rng, tensor.Shape{2, 3}, 0, 1), randInput(rng, tensor.Shape{2, 3}, 0, 1)},
			func(n []*G.Node) (*G.Node, error) { return CategoricalNode(NewOld, n[0], n[1]) }, oldData(2)},
		{"DiagGaussian", gIns(), gauss(diagGaussianPQ), nil},
		{"DiagGaussian/wide", []input{m(1, 2, 5, -5), m(1, 2, 3, -3), m(1, 2, -5, 5), m(1, 2, -2, 2)}, gauss(diagGaussianPQ), nil},
		{"DiagGaussianEntropy", []input{randInput(rng, tensor.Shape{3, 4}, 0, 1)}, func(n []*G.Node) (*G.Node, error) { return DiagGaussianEntropyNode(n[0]) }, nil},
		{"DiagGaussianNode/old_new", gIns(), gauss(func(a, b, c, d *G.Node) (*G.Node, error) { return DiagGaussianNode(OldNew, a, b, c, d) }), oldData(4)},
		{"DiagGaussianNode/new_old", gIns(), gauss(func(a, b, c, d *G.Node) (*G.Node, error) { return DiagGaussianNode(NewOld, a, b, c, d) }), oldData(4)},
	}
	cs = append(cs, maskedGradCases(rng)...)
	logr := input{tensor.Shape{7}, []float64{-2, -0.7, -0.05, 1e-3, 0.3, 0.9, 1.8}}
	for _, d := range []Direction{OldNew, NewOld} {
		for _, e := range []Estimator{K1, K2, K3} {
			cs = append(cs, gradCase{fmt.Sprintf("Estimate/%v/%v", e, d), []input{logr},
				func(n []*G.Node) (*G.Node, error) { return EstimateNode(e, d, n[0]) }, nil})
		}
	}
	return cs
}

// TestNodeGradients compares each node's symbolic gradient with central
// differences of the same graph, in float64 and float32.
//
// Tolerances: the central difference has truncation error ~eps² times the
// third derivative and rounding error ~u·C/eps, where u is the unit
// roundoff and C = Σ|w_i out_i| the cost's magnitude. float64: eps = 1e-6 gives ~1e-12 + 1e-10·C, so
// 1e-6 relative (floor 1) plus 1e-9·C is loose by orders of magnitude.
// float32: eps = 1e-2 gives ~1e-4 + 6e-6·C; we allow 1e-2 relative plus
// 4·u·C/eps (u = 2^-24, 4 ulps of accumulated rounding in the cost). The
// extreme-logit cases have C ~ 2000, where the rounding term dominates.
func TestNodeGradients(t *testing.T) {
	for ci, c := range gradCases() {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, dt), func(t *testing.T) {
				r := newDataRig(t, dt, c.ins, c.build, uint64(ci), c.data)
				x := round(dt, c.ins)
				out, _, grads := r.run(t, x)
				var C float64
				for i, o := range out {
					if math.IsNaN(o) || math.IsInf(o, 0) {
						t.Fatalf("output %d is %v", i, o)
					}
					C += math.Abs(o * r.w[i])
				}
				eps, rel, abs := 1e-6, 1e-6, 1e-9*C
				if dt == tensor.Float32 {
					eps, rel = 1e-2, 1e-2
					abs = 4 * 0x1p-24 * C / eps
				}
				for i := range x {
					if r.isData(i) {
						continue
					}
					for j := range x[i].vals {
						an := grads[i][j]
						if math.IsNaN(an) || math.IsInf(an, 0) {
							t.Fatalf("gradient [%d][%d] is %v", i, j, an)
						}
						x0 := x[i].vals[j]
						var round func(float64) float64
						if dt == tensor.Float32 {
							round = func(v float64) float64 { return float64(float32(v)) }
						}
						cost := func() float64 { _, c, _ := r.run(t, x); return c }
						fd := fdcheck.Central(cost, func(v float64) { x[i].vals[j] = v }, x0, eps, round).Num
						if d := math.Abs(an - fd); !fdcheck.Within(an, fd, abs+rel, rel) { // rel·max(1, |fd|) + abs, to within rel
							t.Errorf("input %d[%d] = %v: gradient %.10g, central difference %.10g (diff %.3g)", i, j, x0, an, fd, d)
						}
					}
				}
			})
		}
	}
}

// TestNodeFloat32MatchesFloat64 checks float32 values and gradients against
// the float64 graph at the same (float32-representable) point. The bound
// 1e-4 relative (floor 1) is ~1000 float32 ulps, room for the roundoff of
// exp/log chains on logits of magnitude 1000 (absolute error ~1e-4 on
// values ~2000 is scaled by the floor-1 rule per element).
func TestNodeFloat32MatchesFloat64(t *testing.T) {
	for ci, c := range gradCases() {
		x := round(tensor.Float32, c.ins)
		o64, _, g64 := newDataRig(t, tensor.Float64, x, c.build, uint64(ci), c.data).run(t, x)
		o32, _, g32 := newDataRig(t, tensor.Float32, x, c.build, uint64(ci), c.data).run(t, x)
		for i := range o64 {
			if d := math.Abs(o32[i] - o64[i]); d > 1e-4*math.Max(1, math.Abs(o64[i])) {
				t.Errorf("%s: output %d float32 %.9g, float64 %.9g", c.name, i, o32[i], o64[i])
			}
		}
		for i := range g64 {
			for j := range g64[i] {
				if d := math.Abs(g32[i][j] - g64[i][j]); d > 1e-4*math.Max(1, math.Abs(g64[i][j])) {
					t.Errorf("%s: gradient %d[%d] float32 %.9g, float64 %.9g", c.name, i, j, g32[i][j], g64[i][j])
				}
			}
		}
	}
}

// evalNode runs build once on ins and returns its output.
func evalNode(t *testing.T, dt tensor.Dtype, ins []input, build func([]*G.Node) (*G.Node, error)) []float64 {
	t.Helper()
	all := make([]bool, len(ins))
	for i := range all {
		all[i] = true
	}
	out, _, _ := newDataRig(t, dt, ins, build, 0, all).run(t, ins)
	return out
}

// nodeTol is the value tolerance against scipy: the 1e-9 for
// float64; for float32, 1e-5 relative plus 1e-5 absolute covers the ~1e-7
// relative roundoff of each term times the ratio of Σ|terms| to the result.
func nodeTol(dt tensor.Dtype, want float64) float64 {
	if dt == tensor.Float32 {
		return 1e-5 + 1e-5*math.Abs(want)
	}
	return goldenTol * math.Abs(want)
}

func TestNodeGolden(t *testing.T) {
	g := loadGolden(t)
	for _, dt := range dtypes {
		for i, c := range g.Cases.Categorical {
			k := len(c.PLogits)
			// Two rows, [p; q] against [q; p]: both directions at once.
			pq := input{tensor.Shape{2, k}, append(append([]float64(nil), c.PLogits...), c.QLogits...)}
			qp := input{tensor.Shape{2, k}, append(append([]float64(nil), c.QLogits...), c.PLogits...)}
			kl := evalNode(t, dt, []input{pq, qp}, func(n []*G.Node) (*G.Node, error) { return categoricalPQ(n[0], n[1]) })
			h := evalNode(t, dt, []input{pq}, func(n []*G.Node) (*G.Node, error) { return categoricalEntropyNode(n[0]) })
			// CategoricalNode(dir, old, new) with old = p, new = q.
			on := evalNode(t, dt, []input{pq, qp}, func(n []*G.Node) (*G.Node, error) { return CategoricalNode(OldNew, n[0], n[1]) })
			no := evalNode(t, dt, []input{pq, qp}, func(n []*G.Node) (*G.Node, error) { return CategoricalNode(NewOld, n[0], n[1]) })
			for _, chk := range []struct {
				name      string
				got, want float64
			}{
				{"KL(p||q)", kl[0], c.KLPQ}, {"KL(q||p)", kl[1], c.KLQP}, {"H(p)", h[0], c.EntropyP},
				{"CategoricalNode old_new", on[0], c.KLPQ}, {"CategoricalNode new_old", no[0], c.KLQP},
			} {
				if d := math.Abs(chk.got - chk.want); !(d <= nodeTol(dt, chk.want)) {
					t.Errorf("%v categorical case %d: %s = %.17g, scipy %.17g", dt, i, chk.name, chk.got, chk.want)
				}
			}
		}
		for i, c := range g.Cases.DiagGaussian {
			d := len(c.PMean)
			row := func(v []float64, log bool) input {
				x := append([]float64(nil), v...)
				if log {
					for j := range x {
						x[j] = math.Log(x[j])
					}
				}
				return input{tensor.Shape{1, d}, x}
			}
			ins := []input{row(c.PMean, false), row(c.PStd, true), row(c.QMean, false), row(c.QStd, true)}
			kl := evalNode(t, dt, ins, func(n []*G.Node) (*G.Node, error) { return diagGaussianPQ(n[0], n[1], n[2], n[3]) })
			on := evalNode(t, dt, ins, func(n []*G.Node) (*G.Node, error) { return DiagGaussianNode(OldNew, n[0], n[1], n[2], n[3]) })
			no := evalNode(t, dt, ins, func(n []*G.Node) (*G.Node, error) { return DiagGaussianNode(NewOld, n[0], n[1], n[2], n[3]) })
			h := evalNode(t, dt, ins[1:2], func(n []*G.Node) (*G.Node, error) { return DiagGaussianEntropyNode(n[0]) })
			rev := DiagGaussian(c.QMean, c.QStd, c.PMean, c.PStd) // checked against scipy's forward values elsewhere
			for _, chk := range []struct {
				name      string
				got, want float64
			}{
				{"KL(p||q)", kl[0], c.KLPQ}, {"DiagGaussianNode old_new", on[0], c.KLPQ},
				{"DiagGaussianNode new_old", no[0], rev}, {"H(p)", h[0], c.EntropyP},
			} {
				if d := math.Abs(chk.got - chk.want); !(d <= nodeTol(dt, chk.want)) {
					t.Errorf("%v Gaussian case %d: %s = %.17g, want %.17g", dt, i, chk.name, chk.got, chk.want)
				}
			}
		}
	}
}

func TestEstimateNodeMatchesPlain(t *testing.T) {
	logr := []float64{-3, -0.7, -0.05, 0, 1e-3, 0.3, 0.9, 2.5}
	for _, dt := range dtypes {
		for _, d := range []Direction{OldNew, NewOld} {
			for _, e := range []Estimator{K1, K2, K3} {
				got := evalNode(t, dt, []input{{tensor.Shape{len(logr)}, logr}},
					func(n []*G.Node) (*G.Node, error) { return EstimateNode(e, d, n[0]) })
				for i, x := range logr {
					want := EstimateDir(e, d, float64(float32(x)))
					if dt == tensor.Float64 {
						want = EstimateDir(e, d, x)
					}
					// float64: the graph's expm1(x) - x loses ~|x|/k3 ulps near 0
					// against the series; 1e-12 absolute covers that.
					tol := 1e-12 + 1e-14*math.Abs(want)
					if dt == tensor.Float32 {
						tol = 1e-6 + 1e-6*math.Abs(want)
					}
					if math.Abs(got[i]-want) > tol {
						t.Errorf("%v %v %v at %v: node %.17g, plain %.17g", dt, e, d, x, got[i], want)
					}
				}
			}
		}
	}
}

func TestNodeExtremeValues(t *testing.T) {
	// Hand-worked: P ≈ e0 and log Q = [-2000, -1000, 0], so KL(P||Q) = 2000;
	// KL(Q||P) = 2000 too by symmetry of the construction; H(P) ≈ 0 (the
	// other terms are ~1000·e^-1000, which underflow).
	p := input{tensor.Shape{1, 3}, []float64{1000, 0, -1000}}
	q := input{tensor.Shape{1, 3}, []float64{-1000, 0, 1000}}
	for _, dt := range dtypes {
		kl := evalNode(t, dt, []input{p, q}, func(n []*G.Node) (*G.Node, error) { return categoricalPQ(n[0], n[1]) })
		h := evalNode(t, dt, []input{p}, func(n []*G.Node) (*G.Node, error) { return categoricalEntropyNode(n[0]) })
		ls := evalNode(t, dt, []input{p}, func(n []*G.Node) (*G.Node, error) { return LogSoftmaxNode(n[0]) })
		if kl[0] != 2000 || h[0] != 0 {
			t.Errorf("%v: KL = %v, H = %v; want 2000, 0", dt, kl[0], h[0])
		}
		if ls[0] != 0 || ls[1] != -1000 || ls[2] != -2000 {
			t.Errorf("%v: log-softmax = %v, want [0 -1000 -2000]", dt, ls)
		}
	}
}

func TestNodeErrors(t *testing.T) {
	g := G.NewGraph()
	m := func(dt tensor.Dtype, r, c int) *G.Node { return G.NewMatrix(g, dt, G.WithShape(r, c)) }
	a, b := m(tensor.Float64, 2, 3), m(tensor.Float64, 2, 4)
	f32 := m(tensor.Float32, 2, 3)
	ints := m(tensor.Int, 2, 3)
	vec := G.NewVector(g, tensor.Float64, G.WithShape(3))
	other := G.NewMatrix(G.NewGraph(), tensor.Float64, G.WithShape(2, 3))
	for name, f := range map[string]func() (*G.Node, error){
		"shape mismatch":       func() (*G.Node, error) { return categoricalPQ(a, b) },
		"dtype mismatch":       func() (*G.Node, error) { return categoricalPQ(a, f32) },
		"int dtype":            func() (*G.Node, error) { return LogSoftmaxNode(ints) },
		"vector logits":        func() (*G.Node, error) { return categoricalEntropyNode(vec) },
		"nil logits":           func() (*G.Node, error) { return LogSoftmaxNode(nil) },
		"other graph":          func() (*G.Node, error) { return categoricalPQ(a, other) },
		"gaussian mismatch":    func() (*G.Node, error) { return diagGaussianPQ(a, a, a, b) },
		"gaussian entropy vec": func() (*G.Node, error) { return DiagGaussianEntropyNode(vec) },
		"bad direction":        func() (*G.Node, error) { return CategoricalNode(Direction(9), a, a) },
		"bad direction gauss":  func() (*G.Node, error) { return DiagGaussianNode(Direction(9), a, a, a, a) },
		"exact estimator":      func() (*G.Node, error) { return EstimateNode(Exact, OldNew, vec) },
		"unknown estimator":    func() (*G.Node, error) { return EstimateNode(Estimator(9), OldNew, vec) },
		"estimate direction":   func() (*G.Node, error) { return EstimateNode(K1, Direction(9), vec) },
		"estimate nil":         func() (*G.Node, error) { return EstimateNode(K1, OldNew, nil) },
		"estimate int":         func() (*G.Node, error) { return EstimateNode(K1, OldNew, ints) },
	} {
		if n, err := f(); err == nil {
			t.Errorf("%s: no error (node %v)", name, n)
		}
	}
}

// TestKLOldIsData: the direction-aware KL nodes give the old policy no
// gradient (a penalty's reference is data), the new one its gradient.
func TestKLOldIsData(t *testing.T) {
	for _, dir := range []Direction{OldNew, NewOld} {
		for _, c := range []struct {
			name  string
			n     int
			build func(dir Direction, in []*G.Node) (*G.Node, error)
		}{
			{"categorical", 2, func(dir Direction, in []*G.Node) (*G.Node, error) { return CategoricalNode(dir, in[0], in[1]) }},
			{"gaussian", 4, func(dir Direction, in []*G.Node) (*G.Node, error) {
				return DiagGaussianNode(dir, in[0], in[1], in[2], in[3])
			}},
		} {
			for old := range c.n / 2 {
				g := G.NewGraph()
				var in []*G.Node
				for i := range c.n {
					in = append(in, G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName(fmt.Sprintf("in%d", i))))
				}
				out, err := c.build(dir, in)
				if err != nil {
					t.Fatal(err)
				}
				cost := G.Must(G.Sum(out))
				if _, err := G.Grad(cost, in[old]); err == nil {
					t.Errorf("%s %v: a gradient with respect to the old policy's input %d", c.name, dir, old)
				}
				if _, err := G.Grad(cost, in[c.n/2:]...); err != nil {
					t.Errorf("%s %v: no gradient with respect to the new policy: %v", c.name, dir, err)
				}
			}
		}
	}
}
