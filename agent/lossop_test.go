package agent

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/fdcheck"
)

// composed builds each fused term from gorgonia's own ops, as the loss
// graph did before fusion: the independent reference for the values.
func composed(t *testing.T, f lossFn, in []*G.Node) *G.Node {
	t.Helper()
	g := in[0].Graph()
	dt := in[0].Dtype()
	n := in[0].Shape()[0]
	c := func(v float64) *G.Node {
		if dt == tensor.Float64 {
			return G.NewConstant(v)
		}
		return G.NewConstant(float32(v))
	}
	full := func(v float64, name string) *G.Node {
		back := make([]float64, n)
		for i := range back {
			back[i] = v
		}
		var tt *tensor.Dense
		if dt == tensor.Float64 {
			tt = tensor.New(tensor.WithShape(n), tensor.WithBacking(back))
		} else {
			tt = tensor.New(tensor.WithShape(n), tensor.WithBacking(toF32(back)))
		}
		return G.NewVector(g, dt, G.WithShape(n), G.WithName(name), G.WithValue(tt))
	}
	m := func(x *G.Node) *G.Node { return G.Must(G.Mean(x)) }
	switch f := f.(type) {
	case meanFn:
		return m(in[0])
	case surrogateFn:
		r := G.Must(G.Exp(in[0]))
		s := G.Must(G.HadamardProd(r, in[1]))
		if f.clip {
			cl := G.Must(G.MinBetween(G.Must(G.MaxBetween(r, full(1-*f.eps, "lo"))), full(1+*f.eps, "hi")))
			s = G.Must(G.MinBetween(s, G.Must(G.HadamardProd(cl, in[1]))))
		}
		return G.Must(G.Neg(m(s)))
	case valueLossFn:
		e := G.Must(G.Square(G.Must(G.Sub(in[0], in[1]))))
		if f.clip > 0 {
			d := G.Must(G.MinBetween(G.Must(G.MaxBetween(G.Must(G.Sub(in[0], in[2])), full(-f.clip, "vlo"))), full(f.clip, "vhi")))
			e2 := G.Must(G.Square(G.Must(G.Sub(G.Must(G.Add(in[2], d)), in[1]))))
			e = G.Must(G.MaxBetween(e, e2))
		}
		return G.Must(G.Mul(m(e), c(0.5)))
	}
	t.Fatalf("no composed form of %T", f)
	return nil
}

func toF32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// TestLossOps checks each fused loss term against the same term composed
// of gorgonia ops (values), and its gradient against central differences
// of the fused op. Tolerances: values agree to rounding, 1e-12 in float64
// and 1e-5 relative in float32 (the composed form rounds every op to
// float32); gradients as TestLossGradients in float64 (step 1e-6, 1e-6
// absolute) and, in float32, step 1e-2 with 2e-3 + 1e-2·|g| (rounding
// ε32·|loss|/h ≈ 1e-4 plus truncation h²·f‴ ≈ 1e-4). Components whose
// step crosses a clip kink (one-sided slopes differing by more than 30%,
// where smooth terms differ by about h·f″/f′ ≈ 2%) are skipped; at most a
// tenth of them.
func TestLossOps(t *testing.T) {
	const n = 24
	for _, f := range []lossFn{meanFn{}, surrogateFn{}, surrogateFn{clip: true, eps: new(0.2)},
		valueLossFn{}, valueLossFn{clip: 0.2}} {
		for _, f64 := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/f64=%v", f.name(), f64), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(21, uint64(f.arity())))
				dt := tensor.Float32
				if f64 {
					dt = tensor.Float64
				}
				g := G.NewGraph()
				var nodes []*G.Node
				var data [][]float64
				for a := 0; a < f.arity(); a++ {
					v := make([]float64, n)
					for i := range v {
						v[i] = 0.4 * rng.NormFloat64() // log-ratios spanning ±0.2, values near their targets
					}
					data = append(data, v)
					var tt *tensor.Dense
					if f64 {
						tt = tensor.New(tensor.WithShape(n), tensor.WithBacking(v))
					} else {
						tt = tensor.New(tensor.WithShape(n), tensor.WithBacking(toF32(v)))
					}
					nodes = append(nodes, G.NewVector(g, dt, G.WithShape(n), G.WithName(fmt.Sprint("in", a)), G.WithValue(tt)))
				}
				fused, err := newLossOp(f, nodes...)
				if err != nil {
					t.Fatal(err)
				}
				ref := composed(t, f, nodes)
				grads, err := G.Grad(fused, nodes[0])
				if err != nil {
					t.Fatal(err)
				}
				var fv, rv, gv G.Value
				G.Read(fused, &fv)
				G.Read(ref, &rv)
				G.Read(grads[0], &gv)
				vm := G.NewTapeMachine(g)
				run := func() float64 {
					if err := vm.RunAll(); err != nil {
						t.Fatal(err)
					}
					vm.Reset()
					return scalarOf(fv)
				}
				base := run()
				tol := 1e-12
				if !f64 {
					tol = 1e-5 * (1 + math.Abs(base))
				}
				if d := math.Abs(base - scalarOf(rv)); d > tol {
					t.Errorf("fused %v, composed of gorgonia ops %v", base, scalarOf(rv))
				}
				analytic := valuesOf(gv)
				step, abs, rel := 1e-6, 1e-6, 0.0
				if !f64 {
					step, abs, rel = 1e-2, 2e-3, 1e-2
				}
				set := func(j int, v float64) {
					switch d := nodes[0].Value().Data().(type) {
					case []float32:
						d[j] = float32(v)
					case []float64:
						d[j] = v
					}
				}
				kinks, checked := 0, 0
				for j, x := range data[0] {
					p := fdcheck.Central(run, func(v float64) { set(j, v) }, x, step, nil)
					if p.Kink(base, 0.3, 1e-7) {
						kinks++
						continue
					}
					checked++
					num := p.Num
					if !fdcheck.Within(analytic[j], num, abs, rel) {
						t.Errorf("∂/∂in0[%d]: op %v, central difference %v", j, analytic[j], num)
					}
				}
				if kinks > checked/10 {
					t.Errorf("%d of %d components skipped at kinks", kinks, n)
				}
			})
		}
	}
}
