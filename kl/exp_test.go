package kl

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/detmath"
)

// TestExpNode: float64 values are detmath.Exp's bits (math.Expm1's for
// expm1Node), and the gradient of Σ f(x) is exp(x) exactly, for a matrix and
// a vector; float32 nodes are gorgonia's own.
func TestExpNode(t *testing.T) {
	for _, m1 := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, shape := range [][]int{{3, 4}, {5}} {
			n := 1
			for _, s := range shape {
				n *= s
			}
			x := make([]float64, n)
			for i := range x {
				x[i] = 40 * (rng.Float64() - 0.5)
			}
			g := G.NewGraph()
			xn := G.NewTensor(g, tensor.Float64, len(shape), G.WithShape(shape...), G.WithName("x"),
				G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), x...)))))
			node := ExpNode
			if m1 {
				node = expm1Node
			}
			e, err := node(xn)
			if err != nil {
				t.Fatal(err)
			}
			cost := G.Must(G.Sum(e))
			if _, err := G.Grad(cost, xn); err != nil {
				t.Fatal(err)
			}
			var ev G.Value
			G.Read(e, &ev)
			vm := G.NewTapeMachine(g, G.BindDualValues(xn))
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			gv, err := xn.Grad()
			if err != nil {
				t.Fatal(err)
			}
			got, grad := ev.Data().([]float64), gv.Data().([]float64)
			for i, xi := range x {
				want, wantG := detmath.Exp(xi), detmath.Exp(xi)
				if m1 {
					want = math.Expm1(xi)
				}
				if math.Float64bits(got[i]) != math.Float64bits(want) || math.Float64bits(grad[i]) != math.Float64bits(wantG) {
					t.Fatalf("expm1 %v, shape %v, x=%v: value %v, gradient %v, want %v and %v", m1, shape, xi, got[i], grad[i], want, wantG)
				}
			}
			vm.Close()
		}
	}
	g := G.NewGraph()
	x32 := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 2), G.WithName("x"))
	e, err := ExpNode(x32)
	if err != nil || e.Op().String() != G.Must(G.Exp(x32)).Op().String() {
		t.Fatalf("float32: %v, op %v", err, e.Op())
	}
}
