package graphop

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Float is the element type of a graph.
type Float interface{ ~float32 | ~float64 }

// Kernel is what a fused op computes: the forward value from its inputs,
// and gradient piece i from the output's gradient.
type Kernel interface {
	Forward(in []G.Value) (G.Value, error)
	// Backward returns gradient piece i, after Forward ran on the same
	// inputs: the tape runs the forward op first (its output is an input
	// of every gradient op) and no op writes into the inputs in between.
	// A returned value may be overwritten by the ops that consume it.
	Backward(i int, g G.Value) (G.Value, error)
}

// Apply applies a fused op computed by k to [n, k] inputs; the result has
// shape out. Input i's gradient is the kernel's piece pieces[i], -1 for
// none (data inputs). An input may be passed twice to receive two separate
// gradient contributions, which gorgonia then adds to the input's other
// contributions in its own order, as it would add the pieces of the
// composed expression the op replaces.
func Apply(name string, k Kernel, out tensor.Shape, pieces []int, inputs ...*G.Node) (*G.Node, error) {
	if len(pieces) != len(inputs) || len(inputs) == 0 {
		return nil, fmt.Errorf("graphop: %s: %d gradient pieces for %d inputs", name, len(pieces), len(inputs))
	}
	in := inputs[0].Shape()
	op := &fusedOp{Base{Name: fmt.Sprintf("%s%v@%p", name, in, k)}, len(inputs), pieces, in.Clone(), out.Clone(), k}
	return G.ApplyOp(op, inputs...)
}

// fusedOp is a fused forward op: inputs of one shape in, out out.
type fusedOp struct {
	Base
	arity   int
	pieces  []int
	in, out tensor.Shape
	kern    Kernel
}

func (op *fusedOp) Arity() int { return op.arity }
func (op *fusedOp) Type() hm.Type {
	d := make([]int, op.arity+1)
	for i := range op.arity {
		d[i] = len(op.in)
	}
	d[op.arity] = len(op.out)
	return FnType(d...)
}

func (op *fusedOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	for _, d := range ds {
		if s, ok := d.(tensor.Shape); !ok || !s.Eq(op.in) {
			return nil, fmt.Errorf("graphop: %s: input shape %v, want %v", op.Name, d, op.in)
		}
	}
	return op.out.Clone(), nil
}

func (op *fusedOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.arity {
		return nil, fmt.Errorf("graphop: %s takes %d inputs, got %d", op.Name, op.arity, len(vals))
	}
	return op.kern.Forward(vals)
}

func (op *fusedOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = i < len(op.pieces) && op.pieces[i] >= 0
	}
	return d
}

func (op *fusedOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.arity {
		return nil, fmt.Errorf("graphop: %s: %d inputs to differentiate", op.Name, len(inputs))
	}
	out := make(G.Nodes, len(inputs))
	for i, piece := range op.pieces {
		if piece < 0 {
			continue
		}
		gop := &fusedGradOp{Base{Name: fmt.Sprintf("∂%d%s", piece, op.Name)}, op, piece}
		d, err := G.ApplyOp(gop, output, grad)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// fusedGradOp delivers one piece of a fused op's gradients: the forward
// output (which orders it after the forward op) and its gradient in, an
// input's shape out.
type fusedGradOp struct {
	Base
	fwd   *fusedOp
	piece int
}

func (op *fusedGradOp) Arity() int { return 2 }
func (op *fusedGradOp) Type() hm.Type {
	return FnType(len(op.fwd.out), len(op.fwd.out), len(op.fwd.in))
}
func (op *fusedGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.fwd.in.Clone(), nil
}

func (op *fusedGradOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 2 {
		return nil, fmt.Errorf("graphop: %s takes 2 inputs, got %d", op.Name, len(vals))
	}
	return op.fwd.kern.Backward(op.piece, vals[1])
}

func (op *fusedGradOp) DiffWRT(n int) []bool { return make([]bool, n) }

func (op *fusedGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("graphop: second derivatives of %s are not implemented", op.fwd.Name)
}

// Elems returns the n elements of a float32 or float64 tensor value.
func Elems[T Float](v G.Value, n int) ([]T, error) {
	d, ok := v.Data().([]T)
	if !ok || len(d) != n {
		return nil, fmt.Errorf("graphop: input of %d %T values wanted, got %T of shape %v", n, *new(T), v.Data(), v.Shape())
	}
	return d, nil
}

// InPlace returns gorgonia's own elementwise op f (G.Exp, G.Log, G.Expm1)
// on dtype dt as an in-place function on tensors, so that a fused op's
// float32 values are the bits gorgonia's op would give.
func InPlace(f func(*G.Node) (*G.Node, error), dt tensor.Dtype) func(*tensor.Dense) {
	g := G.NewGraph()
	x := G.NewVector(g, dt, G.WithShape(1), G.WithName("x"))
	y := G.Must(f(x))
	op, ok := y.Op().(G.UnsafeDoer)
	if !ok {
		panic(fmt.Sprintf("graphop: gorgonia op %v cannot run in place", y.Op()))
	}
	return func(t *tensor.Dense) {
		if _, err := op.UnsafeDo(t); err != nil {
			panic(fmt.Sprintf("graphop: %v: %v", y.Op(), err))
		}
	}
}

// Buf is a scratch slice with a tensor view of it, for InPlace functions.
type Buf[T Float] struct {
	V []T
	T *tensor.Dense
}

// NewBuf returns a Buf of n elements.
func NewBuf[T Float](n int) Buf[T] {
	v := make([]T, n)
	return Buf[T]{v, tensor.New(tensor.WithShape(n), tensor.WithBacking(v))}
}
