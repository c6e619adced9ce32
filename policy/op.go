package policy

import (
	"errors"
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/graphop"
)

// Fused graph ops. Gorgonia runs a dense layer as five ops (matrix
// product, reshape, repeat, add, activation) and its gradient as about as
// many again, each dispatched and allocated on every run; for the small
// networks of PPO that overhead, not arithmetic, dominated the update.
// towerOp runs a whole tower (tower.go) as one op whose output and
// scratch are allocated once; its symbolic derivative is a towerGradOp
// computing every parameter gradient (and the input's, when needed) in
// one pass, sliced per parameter by gradViewOps, which cost no copy.
//
// The ops of one tower share its towerRunner: the gradient op reads the
// activations the forward op stored. That is sound because the gradient
// op takes the forward op's output as an input, so the tape machine
// always runs the forward pass first.

// towerRunner runs a tower of one dtype on gorgonia values.
type towerRunner interface {
	forward(in []G.Value) (G.Value, error)
	backward(in []G.Value) (G.Value, error)
	shape() towerShape
	squeezed() bool // output [n] rather than [n, 1]
	wantsDX() bool  // the gradient includes the input's
}

type runner[T float] struct {
	buf     *towerBuf[T]
	n       int
	squeeze bool // output [n] rather than [n, 1]
	wantDX  bool
	ws      [][]T
	out     *tensor.Dense // the forward output, backed by y
	y       []T
	flat    *tensor.Dense // the gradient, backed by buf.grad
}

func newRunner[T float](s towerShape, n int, squeeze, wantDX bool) *runner[T] {
	r := &runner[T]{buf: newTowerBuf[T](s), n: n, squeeze: squeeze, wantDX: wantDX}
	r.buf.reserve(n)
	r.ws = make([][]T, 2*len(s.outs))
	shape := []int{n, s.out()}
	if squeeze {
		shape = []int{n}
	}
	r.y = make([]T, n*s.out())
	r.out = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(r.y))
	size := s.numParams()
	if wantDX {
		size += n * s.in
	}
	r.flat = tensor.New(tensor.WithShape(size), tensor.WithBacking(r.buf.grad[:size]))
	return r
}

func (r *runner[T]) shape() towerShape { return r.buf.towerShape }
func (r *runner[T]) squeezed() bool    { return r.squeeze }
func (r *runner[T]) wantsDX() bool     { return r.wantDX }

// data extracts the []T behind each value.
func data[T float](dst [][]T, vals []G.Value) error {
	for i, v := range vals {
		d, ok := v.Data().([]T)
		if !ok {
			return fmt.Errorf("policy: tower input %d is %T, want %T", i, v.Data(), d)
		}
		dst[i] = d
	}
	return nil
}

// unpack returns the tower input x from in[0] and points r.ws at the
// weights and biases that follow it.
func (r *runner[T]) unpack(in []G.Value) ([]T, error) {
	var x [1][]T
	if err := data(x[:], in[:1]); err != nil {
		return nil, err
	}
	if len(x[0]) != r.n*r.buf.in {
		return nil, fmt.Errorf("policy: tower input has %d values, want %d×%d", len(x[0]), r.n, r.buf.in)
	}
	return x[0], data(r.ws, in[1:1+len(r.ws)])
}

func (r *runner[T]) forward(in []G.Value) (G.Value, error) {
	x, err := r.unpack(in)
	if err != nil {
		return nil, err
	}
	copy(r.y, r.buf.forward(x, r.n, r.ws))
	return r.out, nil
}

func (r *runner[T]) backward(in []G.Value) (G.Value, error) {
	x, err := r.unpack(in)
	if err != nil {
		return nil, err
	}
	g, ok := in[len(in)-1].Data().([]T)
	if !ok || len(g) != r.n*r.buf.out() {
		return nil, errors.New("policy: tower gradient has the wrong type or size")
	}
	r.buf.backward(x, r.n, r.ws, g, r.wantDX)
	return r.flat, nil
}

// towerOp is the forward pass of a tower: inputs x, W0, b0, W1, b1, ...
type towerOp struct {
	graphop.Base
	r towerRunner
}

// newTowerOp names the op after its runner's address so that no two
// towers ever hash alike (gorgonia may merge nodes of equal hash).
func newTowerOp(r towerRunner, label string) *towerOp {
	s := r.shape()
	return &towerOp{graphop.Base{Name: fmt.Sprintf("tower[%s %d→%v]@%p", label, s.in, s.outs, r)}, r}
}

func (op *towerOp) Arity() int { return 1 + 2*len(op.r.shape().outs) }

func (op *towerOp) Type() hm.Type {
	dims := make([]int, op.Arity()+1)
	for i := range dims {
		dims[i] = 2
	}
	if op.r.squeezed() {
		dims[len(dims)-1] = 1
	}
	return graphop.FnType(dims...)
}

func (op *towerOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != op.Arity() {
		return nil, fmt.Errorf("policy: %s takes %d inputs, got %d", op.Name, op.Arity(), len(ds))
	}
	x, ok := ds[0].(tensor.Shape)
	if !ok || len(x) != 2 || x[1] != op.r.shape().in {
		return nil, fmt.Errorf("policy: %s: input shape %v", op.Name, ds[0])
	}
	if op.r.squeezed() {
		return tensor.Shape{x[0]}, nil
	}
	return tensor.Shape{x[0], op.r.shape().out()}, nil
}

func (op *towerOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("policy: %s takes %d inputs, got %d", op.Name, op.Arity(), len(vals))
	}
	return op.r.forward(vals)
}

// DiffWRT: the parameters always; the input x only when the runner was
// built to return its gradient (a head on a shared trunk), so that no
// gradient of the observations is ever computed.
func (op *towerOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = i > 0 || op.r.wantsDX()
	}
	return d
}

func (op *towerOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("policy: %s: %d inputs to differentiate", op.Name, len(inputs))
	}
	gop := &towerGradOp{graphop.Base{Name: "∂" + op.Name}, op.r, op.Arity()}
	args := append(append(G.Nodes{}, inputs...), output, grad)
	flat, err := G.ApplyOp(gop, args...)
	if err != nil {
		return nil, err
	}
	out := make(G.Nodes, len(inputs))
	s := op.r.shape()
	off := 0
	for i := range s.outs {
		in, o := s.inOf(i), s.outs[i]
		if out[1+2*i], err = view(flat, off, tensor.Shape{in, o}); err != nil {
			return nil, err
		}
		off += in * o
		if out[2+2*i], err = view(flat, off, tensor.Shape{1, o}); err != nil {
			return nil, err
		}
		off += o
	}
	if op.r.wantsDX() {
		if out[0], err = view(flat, off, inputs[0].Shape().Clone()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func view(flat *G.Node, off int, s tensor.Shape) (*G.Node, error) {
	return G.ApplyOp(&gradViewOp{Base: graphop.Base{Name: fmt.Sprintf("view[%d:%v]@%p", off, s, flat)}, off: off, shape: s}, flat)
}

// towerGradOp computes the flat gradient of a tower: inputs x, W0, b0,
// ..., the tower's output (for ordering only) and the output's gradient.
type towerGradOp struct {
	graphop.Base
	r     towerRunner
	arity int // of the forward op
}

func (op *towerGradOp) Arity() int { return op.arity + 2 }

func (op *towerGradOp) Type() hm.Type {
	dims := make([]int, op.Arity()+1)
	for i := range dims {
		dims[i] = 2
	}
	if op.r.squeezed() {
		dims[op.Arity()-2], dims[op.Arity()-1] = 1, 1 // output and its gradient
	}
	dims[len(dims)-1] = 1
	return graphop.FnType(dims...)
}

func (op *towerGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	x, ok := ds[0].(tensor.Shape)
	if !ok || len(x) != 2 {
		return nil, fmt.Errorf("policy: %s: input shape %v", op.Name, ds[0])
	}
	n := op.r.shape().numParams()
	if op.r.wantsDX() {
		n += x[0] * x[1]
	}
	return tensor.Shape{n}, nil
}

func (op *towerGradOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("policy: %s takes %d inputs, got %d", op.Name, op.Arity(), len(vals))
	}
	// vals: x, weights..., output (unused), gradient.
	in := append(vals[:op.arity:op.arity], vals[op.arity+1])
	return op.r.backward(in)
}

func (op *towerGradOp) DiffWRT(n int) []bool { return make([]bool, n) }

func (op *towerGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.New("policy: second derivatives of a tower are not implemented")
}

// gradViewOp presents part of a flat gradient as a tensor of its own,
// sharing the memory.
type gradViewOp struct {
	graphop.Base
	off   int
	shape tensor.Shape
	flat  G.Value       // the last flat gradient seen
	v     *tensor.Dense // and the view of it
}

func (op *gradViewOp) Arity() int    { return 1 }
func (op *gradViewOp) Type() hm.Type { return graphop.FnType(1, len(op.shape)) }
func (op *gradViewOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}

func (op *gradViewOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, fmt.Errorf("policy: %s takes 1 input, got %d", op.Name, len(vals))
	}
	if vals[0] == op.flat {
		return op.v, nil // the runner reuses its buffer: the view still holds
	}
	size := op.shape.TotalSize()
	var backing any
	switch d := vals[0].Data().(type) {
	case []float32:
		backing = d[op.off : op.off+size]
	case []float64:
		backing = d[op.off : op.off+size]
	default:
		return nil, fmt.Errorf("policy: %s: unsupported input %T", op.Name, vals[0].Data())
	}
	op.flat, op.v = vals[0], tensor.New(tensor.WithShape(op.shape...), tensor.WithBacking(backing))
	return op.v, nil
}

func (op *gradViewOp) DiffWRT(n int) []bool { return make([]bool, n) }

func (op *gradViewOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.New("policy: gradient views are not differentiable")
}
