package gorgoniax

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/graphop"
)

// runGraph builds loss = Σ tanh(x⊙w), its gradient in w, and a tape
// machine over them.
func runGraph(t *testing.T) (vm G.VM, loss, grad *G.Node) {
	t.Helper()
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{0.3, -1.2, 2.5}))))
	w := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{1.1, 0.7, -0.4}))))
	loss = G.Must(G.Sum(G.Must(G.Tanh(G.Must(G.HadamardProd(x, w))))))
	gs, err := G.Grad(loss, w)
	if err != nil {
		t.Fatal(err)
	}
	return G.NewTapeMachine(g, G.BindDualValues(w)), loss, gs[0]
}

// TestRunMatchesRunAll: Run and RunAll give the same loss and gradient
// bits, run after run (with Reset in between, as the trainer does), and
// both equal the closed form Σ tanh(x_i w_i), x_i (1 - tanh²(x_i w_i)).
func TestRunMatchesRunAll(t *testing.T) {
	vmA, lossA, gradA := runGraph(t)
	vmB, lossB, gradB := runGraph(t)
	defer vmA.Close()
	defer vmB.Close()
	if typ, queue := tapeMachine(); reflect.TypeOf(vmB) != typ || queue < 0 {
		t.Fatal("Run would fall back to RunAll for a tape machine")
	}
	x, w := []float64{0.3, -1.2, 2.5}, []float64{1.1, 0.7, -0.4}
	want, wantGrad := 0.0, make([]float64, 3)
	for i := range x {
		th := math.Tanh(x[i] * w[i])
		want += th
		wantGrad[i] = x[i] * (1 - th*th)
	}
	for run := 0; run < 3; run++ {
		if err := vmA.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := Run(vmB); err != nil {
			t.Fatal(err)
		}
		a, b := lossA.Value().Data().(float64), lossB.Value().Data().(float64)
		if math.Float64bits(a) != math.Float64bits(b) || math.Abs(a-want) > 1e-15 {
			t.Errorf("run %d: loss %v by Run, %v by RunAll, want %v", run, b, a, want)
		}
		ga, gb := gradA.Value().Data().([]float64), gradB.Value().Data().([]float64)
		for i := range ga {
			if math.Float64bits(ga[i]) != math.Float64bits(gb[i]) || math.Abs(ga[i]-wantGrad[i]) > 1e-15 {
				t.Errorf("run %d: gradient %d = %v by Run, %v by RunAll, want %v", run, i, gb[i], ga[i], wantGrad[i])
			}
		}
		vmA.Reset()
		vmB.Reset()
	}
}

// failOp fails when run.
type failOp struct{ graphop.Base }

func (failOp) Arity() int                                        { return 1 }
func (failOp) Type() hm.Type                                     { return graphop.FnType(1, 1) }
func (failOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) { return ds[0].(tensor.Shape), nil }
func (failOp) Do(...G.Value) (G.Value, error)                    { return nil, errors.New("failOp ran") }

// TestRunError: an op that fails at run time is Run's error, as RunAll's,
// not a hang or a panic.
func TestRunError(t *testing.T) {
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithValue(tensor.New(tensor.WithBacking([]float64{1, 2, 3}))))
	G.Must(G.ApplyOp(failOp{graphop.Base{Name: "fail"}}, x))
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := Run(vm); err == nil || !strings.Contains(err.Error(), "failOp ran") {
		t.Fatalf("Run of a failing op: error %v", err)
	}
}

// TestRunOtherVM: a VM that is not a tape machine runs with its RunAll.
func TestRunOtherVM(t *testing.T) {
	g := G.NewGraph()
	a := G.NewScalar(g, tensor.Float64, G.WithValue(2.0))
	b := G.Must(G.Mul(a, a))
	vm := G.NewLispMachine(g, G.ExecuteFwdOnly())
	defer vm.Close()
	if err := Run(vm); err != nil {
		t.Fatal(err)
	}
	if got := b.Value().Data().(float64); got != 4 {
		t.Errorf("a² = %v, want 4", got)
	}
}
