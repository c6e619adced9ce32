package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/fdcheck"
)

// TestRowOpGradients checks the fused categorical log-probability and
// entropy ops against central differences in float64 and float32, and
// their values against the plain Categorical distribution, on logits
// spread up to ±40 so the log-sum-exp must be stable. float64: step 1e-6,
// truncation O(h²) and rounding O(ε/h) ≈ 1e-10, so 1e-6 absolute is ample.
// float32: step 1e-2 keeps rounding (ε32·|loss|/h ≈ 1e-4) and truncation
// (h²·f‴ ≈ 1e-4) small; 2e-3 + 1e-2·|g| absolute covers both. Values
// agree to float32 rounding of the logits (2e-5 of their magnitude).
func TestRowOpGradients(t *testing.T) {
	const n, k = 5, 4
	for _, f := range []rowFn{rowLogProb, rowEntropy} {
		for _, f64 := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/f64=%v", f, f64), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(11, uint64(f)))
				dt := tensor.Float32
				if f64 {
					dt = tensor.Float64
				}
				h := make([]float64, n*k)
				for i := range h {
					h[i] = 3 * rng.NormFloat64()
					if i%k == 0 {
						h[i] += 40 * float64(i%3-1)
					}
				}
				if !f64 {
					copy(h, floats64(toF32(h)))
				}
				a, actions := make([]float64, n*k), make([]float64, n)
				for i := range actions {
					actions[i] = float64(rng.IntN(k))
					a[i*k+int(actions[i])] = 1
				}
				c := make([]float64, n)
				for i := range c {
					c[i] = rng.NormFloat64()
				}
				g := G.NewGraph()
				hn := G.NewMatrix(g, dt, G.WithShape(n, k), G.WithName("h"), G.WithValue(tensorOf(f64, h, n, k)))
				args := G.Nodes{hn}
				if f == rowLogProb {
					args = append(args, G.NewMatrix(g, dt, G.WithShape(n, k), G.WithName("a"), G.WithValue(tensorOf(f64, a, n, k))))
				}
				y, err := G.ApplyOp(newRowOp(f, n, k, nil, dt), args...)
				if err != nil {
					t.Fatal(err)
				}
				var yv G.Value
				G.Read(y, &yv)
				run, grad := weightedSum(t, hn, y, c, f64)
				run()
				for i := 0; i < n; i++ {
					row := h[i*k : (i+1)*k]
					want := Categorical{}.Entropy(row)
					if f == rowLogProb {
						want = Categorical{}.LogProb(row, actions[i:i+1])
					}
					if d := math.Abs(at(yv, i) - want); d > 1e-12+2e-5*40*boolF(!f64) {
						t.Errorf("row %d: op %v, Categorical %v", i, at(yv, i), want)
					}
				}
				analytic := grad()
				step, abs, rel := 1e-6, 1e-6, 0.0
				if !f64 {
					step, abs, rel = 1e-2, 2e-3, 1e-2
				}
				d := hn.Value().Data()
				set := func(j int, v float64) {
					switch d := d.(type) {
					case []float32:
						d[j] = float32(v)
					case []float64:
						d[j] = v
					}
				}
				for j, x := range h {
					num := fdcheck.Central(run, func(v float64) { set(j, v) }, x, step, nil).Num
					if !fdcheck.Within(analytic[j], num, abs, rel) {
						t.Errorf("∂/∂h[%d]: op %v, central difference %v", j, analytic[j], num)
					}
				}
			})
		}
	}
}

func tensorOf(f64 bool, v []float64, shape ...int) *tensor.Dense {
	if f64 {
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(toF32(v)))
}

func toF32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func floats64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// at reads element i of a float tensor, or a scalar, as float64.
func at(v G.Value, i int) float64 {
	switch d := v.Data().(type) {
	case []float32:
		return float64(d[i])
	case []float64:
		return d[i]
	case float32:
		return float64(d)
	case float64:
		return d
	}
	panic(fmt.Sprintf("unsupported value %T", v.Data()))
}

// weightedSum adds loss = Σ_i c_i y_i, its gradient with respect to x and
// a tape machine to y's graph. run evaluates the graph and returns the
// loss; grad returns x's gradient from the last run.
func weightedSum(t *testing.T, x, y *G.Node, c []float64, f64 bool) (run func() float64, grad func() []float64) {
	t.Helper()
	cn := G.NewVector(y.Graph(), y.Dtype(), G.WithShape(len(c)), G.WithName("c"), G.WithValue(tensorOf(f64, c, len(c))))
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, cn))))
	gr, err := G.Grad(loss, x)
	if err != nil {
		t.Fatal(err)
	}
	var lv, gv G.Value
	G.Read(loss, &lv)
	G.Read(gr[0], &gv)
	vm := G.NewTapeMachine(y.Graph())
	t.Cleanup(func() { vm.Close() })
	run = func() float64 {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
		return at(lv, 0)
	}
	grad = func() []float64 {
		g := make([]float64, x.Shape().TotalSize())
		for i := range g {
			g[i] = at(gv, i)
		}
		return g
	}
	return run, grad
}
