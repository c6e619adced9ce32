package policy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/fdcheck"
)

// towerRig is a graph holding one tower op on random inputs and the
// scalar loss Σ c⊙y with fixed random c, so ∂loss/∂y = c.
type towerRig struct {
	f64    bool
	x      []float64 // the input values, n×in
	ws     [][]float64
	c      []float64
	xNode  *G.Node
	params []*G.Node
	loss   *G.Node
	lossV  G.Value
	grads  []G.Value // of params, then of x when wanted
	vm     G.VM
}

func tensorOf(f64 bool, v []float64, shape ...int) *tensor.Dense {
	if f64 {
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(toF32(v)))
}

func newTowerRig(t *testing.T, s towerShape, n int, f64, squeeze, wantDX bool, rng *rand.Rand) *towerRig {
	t.Helper()
	r := &towerRig{f64: f64}
	rnd := func(k int) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = 0.7 * rng.NormFloat64()
		}
		return v
	}
	g := G.NewGraph()
	dt := tensor.Float32
	if f64 {
		dt = tensor.Float64
	}
	r.x = rnd(n * s.in)
	r.xNode = G.NewMatrix(g, dt, G.WithShape(n, s.in), G.WithName("x"), G.WithValue(tensorOf(f64, r.x, n, s.in)))
	args := G.Nodes{r.xNode}
	for i, o := range s.outs {
		w, b := rnd(s.inOf(i)*o), rnd(o)
		r.ws = append(r.ws, w, b)
		wn := G.NewMatrix(g, dt, G.WithShape(s.inOf(i), o), G.WithName(fmt.Sprintf("w%d", i)), G.WithValue(tensorOf(f64, w, s.inOf(i), o)))
		bn := G.NewMatrix(g, dt, G.WithShape(1, o), G.WithName(fmt.Sprintf("b%d", i)), G.WithValue(tensorOf(f64, b, 1, o)))
		r.params = append(r.params, wn, bn)
		args = append(args, wn, bn)
	}
	var run towerRunner
	if f64 {
		run = newRunner[float64](s, n, squeeze, wantDX)
	} else {
		run = newRunner[float32](s, n, squeeze, wantDX)
	}
	y, err := G.ApplyOp(newTowerOp(run, "test"), args...)
	if err != nil {
		t.Fatal(err)
	}
	r.c = rnd(n * s.out())
	cShape := []int{n, s.out()}
	if squeeze {
		cShape = []int{n}
	}
	var cNode *G.Node
	if squeeze {
		cNode = G.NewVector(g, dt, G.WithShape(n), G.WithName("c"), G.WithValue(tensorOf(f64, r.c, cShape...)))
	} else {
		cNode = G.NewMatrix(g, dt, G.WithShape(cShape...), G.WithName("c"), G.WithValue(tensorOf(f64, r.c, cShape...)))
	}
	if r.loss, err = G.Sum(G.Must(G.HadamardProd(y, cNode))); err != nil {
		t.Fatal(err)
	}
	wrt := append(G.Nodes{}, r.params...)
	if wantDX {
		wrt = append(wrt, r.xNode)
	}
	gn, err := G.Grad(r.loss, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	r.grads = make([]G.Value, len(gn))
	for i, nd := range gn {
		G.Read(nd, &r.grads[i])
	}
	G.Read(r.loss, &r.lossV)
	r.vm = G.NewTapeMachine(g)
	return r
}

func (r *towerRig) run(t *testing.T) float64 {
	t.Helper()
	if err := r.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	r.vm.Reset()
	switch v := r.lossV.Data().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	t.Fatalf("loss is %T", r.lossV.Data())
	return 0
}

// set writes v into the i-th input tensor (0: x, then W0, b0, ...).
func (r *towerRig) set(i, j int, v float64) {
	nd := r.xNode
	if i > 0 {
		nd = r.params[i-1]
	}
	switch d := nd.Value().Data().(type) {
	case []float32:
		d[j] = float32(v)
	case []float64:
		d[j] = v
	}
}

// TestTowerOpGradients checks the fused tower op's gradients (weights,
// biases and, for heads on a shared trunk, the input) against central
// differences of the graph's own loss. float64: step 1e-6, truncation
// O(h²) and rounding O(ε/h) ≈ 1e-10, so 1e-6 absolute is ample away from
// relu kinks, which the inputs straddle with probability ~h. float32:
// step 1e-2 keeps rounding (ε32·|loss|/h ≈ 1e-4) and truncation (h²·f‴
// ≈ 1e-4) small; 2e-3 + 1e-2·|g| absolute covers both. Components whose
// step crosses a relu kink are skipped (at most a tenth of them).
func TestTowerOpGradients(t *testing.T) {
	cases := []struct {
		name            string
		s               towerShape
		n               int
		squeeze, wantDX bool
	}{
		{"actor-tanh", towerShape{in: 4, outs: []int{20, 17, 2}}, 5, false, false},
		{"critic-tanh-squeeze", towerShape{in: 3, outs: []int{16, 9, 1}}, 9, true, false},
		{"trunk-relu-actlast", towerShape{in: 6, outs: []int{24, 8}, relu: true, actLast: true}, 6, false, false},
		{"head-dx", towerShape{in: 33, outs: []int{3}}, 4, false, true},
		{"value-head-dx", towerShape{in: 10, outs: []int{1}}, 7, true, true},
	}
	for _, tc := range cases {
		for _, f64 := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/f64=%v", tc.name, f64), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, uint64(len(tc.name))))
				r := newTowerRig(t, tc.s, tc.n, f64, tc.squeeze, tc.wantDX, rng)
				r.run(t)
				analytic := make([][]float64, len(r.grads))
				for i, g := range r.grads {
					switch d := g.Data().(type) {
					case []float32:
						for _, v := range d {
							analytic[i] = append(analytic[i], float64(v))
						}
					case []float64:
						analytic[i] = append([]float64(nil), d...)
					}
				}
				h, abs, rel := 1e-6, 1e-6, 0.0
				if !f64 {
					h, abs, rel = 1e-2, 2e-3, 1e-2
				}
				inputs := append([][]float64{}, r.ws...)
				if tc.wantDX {
					inputs = append(inputs, r.x)
				}
				base, kinks, checked := r.run(t), 0, 0
				for i, vals := range inputs {
					slot := i + 1 // params follow x
					if tc.wantDX && i == len(r.ws) {
						slot = 0
					}
					if len(analytic[i]) != len(vals) {
						t.Fatalf("gradient %d has %d values, want %d", i, len(analytic[i]), len(vals))
					}
					for j, x := range vals {
						p := fdcheck.Central(func() float64 { return r.run(t) }, func(v float64) { r.set(slot, j, v) }, x, h, nil)
						num := p.Num
						// A relu kink between x-h and x+h shows as one-sided
						// slopes that disagree by far more than h·f″.
						if tc.s.relu && math.Abs((p.Up-base)-(base-p.Down))/h > 0.05 {
							kinks++
							continue
						}
						checked++
						if !fdcheck.Within(analytic[i][j], num, abs, rel) {
							t.Errorf("input %d[%d]: op %v, central difference %v", i, j, analytic[i][j], num)
						}
					}
				}
				if kinks > checked/10 {
					t.Errorf("%d of %d components skipped at relu kinks", kinks, kinks+checked)
				}
			})
		}
	}
}
