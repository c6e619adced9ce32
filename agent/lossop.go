package agent

import (
	"errors"
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/detmath"
	"ppo/internal/graphop"
)

// Fused loss terms. Each is a scalar function of a few [n] vectors with a
// hand-written gradient with respect to the first of them, run as one
// gorgonia op (and one op for the gradient) instead of the ten to thirty
// elementwise ops, reductions and broadcasts gorgonia would otherwise
// dispatch and allocate on every minibatch. They compute in float64
// whatever the graph's dtype.

// lossFn is one fused term.
type lossFn interface {
	// name labels the op.
	name() string
	// arity is the number of [n] inputs.
	arity() int
	// value is the term on inputs in (each n long).
	value(in [][]float64) float64
	// grad writes g·∂value/∂in[0] into d.
	grad(in [][]float64, g float64, d []float64)
}

// meanFn is mean(x).
type meanFn struct{}

func (meanFn) name() string { return "mean" }
func (meanFn) arity() int   { return 1 }
func (meanFn) value(in [][]float64) float64 {
	s := 0.0
	for _, v := range in[0] {
		s += v
	}
	return s / float64(len(in[0]))
}
func (meanFn) grad(in [][]float64, g float64, d []float64) {
	for i := range d {
		d[i] = g / float64(len(d))
	}
}

// scaledMeanFn is c·mean(x) for a coefficient c read through a pointer at
// every run (β, set for each update), as the graph Mul(c, mean(x)) computes
// it in the dtype of the graph: the mean rounded to it, then the product
// rounded (in float64 the product of two float32s is exact, so rounding
// it once is float32 multiplication). Its gradient is mean's for the
// upstream gradient c·g, rounded likewise, which is what the graph's Mul
// hands the mean. One op instead of three of gorgonia's, and no gradient
// for the coefficient, which nothing reads.
type scaledMeanFn struct {
	coef *float64
	f32  bool
}

func (f scaledMeanFn) name() string { return "scaled_mean" }
func (f scaledMeanFn) arity() int   { return 1 }

// round rounds v to the graph's dtype.
func (f scaledMeanFn) round(v float64) float64 {
	if f.f32 {
		return float64(float32(v))
	}
	return v
}
func (f scaledMeanFn) value(in [][]float64) float64 {
	return f.round(*f.coef) * f.round(meanFn{}.value(in))
}
func (f scaledMeanFn) grad(in [][]float64, g float64, d []float64) {
	meanFn{}.grad(in, f.round(f.round(*f.coef)*g), d)
}

// surrogateFn is the PPO policy loss on logr = log π/π_old and
// advantages A, with r = exp(logr):
//
//	clip:    -mean(min(r·A, clamp(r, 1-ε, 1+ε)·A))
//	no clip: -mean(r·A)
//
// Where the clipped term is the smaller the gradient is zero (r is then
// outside the range); elsewhere, ties included, it is -r·A/n.
//
// ε is read through a pointer at every run, so that a schedule can move it
// without rebuilding the graph.
type surrogateFn struct {
	clip bool
	eps  *float64
}

func (f surrogateFn) name() string {
	if !f.clip {
		return "surrogate(clip=false)"
	}
	return fmt.Sprintf("surrogate(clip=true,ε=%g)", *f.eps)
}
func (f surrogateFn) arity() int { return 2 }

// term returns min(r·A, clamp(r)·A) (or r·A) and whether the gradient
// flows, for one sample.
func (f surrogateFn) term(logr, a float64) (v float64, flows bool, r float64) {
	r = detmath.Exp(logr)
	v = r * a
	if !f.clip {
		return v, true, r
	}
	eps := *f.eps
	c := min(max(r, 1-eps), 1+eps) * a
	if c < v {
		return c, false, r
	}
	return v, true, r
}

func (f surrogateFn) value(in [][]float64) float64 {
	s := 0.0
	for i, lr := range in[0] {
		v, _, _ := f.term(lr, in[1][i])
		s += v
	}
	return -s / float64(len(in[0]))
}

func (f surrogateFn) grad(in [][]float64, g float64, d []float64) {
	n := float64(len(d))
	for i, lr := range in[0] {
		d[i] = 0
		if _, flows, r := f.term(lr, in[1][i]); flows {
			d[i] = -g * r * in[1][i] / n
		}
	}
}

// valueLossFn is the critic loss on values V, returns R and the old
// values V_old:
//
//	no clip: ½ mean((V-R)²)
//	clip c:  ½ mean(max((V-R)², (V_old + clamp(V-V_old, -c, c) - R)²))
//
// With clipping the gradient follows the larger term (the unclipped one
// on ties), and the clipped term passes none outside the range.
type valueLossFn struct{ clip float64 }

func (f valueLossFn) name() string { return fmt.Sprintf("valueloss(clip=%g)", f.clip) }
func (f valueLossFn) arity() int   { return 3 }

// term returns the squared error used and its derivative in V.
func (f valueLossFn) term(v, ret, old float64) (sq, dv float64) {
	e := v - ret
	if f.clip <= 0 {
		return e * e, 2 * e
	}
	d := v - old
	dc := min(max(d, -f.clip), f.clip)
	ec := old + dc - ret
	if ec*ec > e*e {
		if dc != d {
			return ec * ec, 0
		}
		return ec * ec, 2 * ec
	}
	return e * e, 2 * e
}

func (f valueLossFn) value(in [][]float64) float64 {
	s := 0.0
	for i, v := range in[0] {
		sq, _ := f.term(v, in[1][i], in[2][i])
		s += sq
	}
	return 0.5 * s / float64(len(in[0]))
}

func (f valueLossFn) grad(in [][]float64, g float64, d []float64) {
	n := float64(len(d))
	for i, v := range in[0] {
		_, dv := f.term(v, in[1][i], in[2][i])
		d[i] = 0.5 * g * dv / n
	}
}

// lossKernel holds the float64 copies of a term's inputs.
type lossKernel struct {
	f   lossFn
	n   int
	dt  tensor.Dtype
	in  [][]float64
	out *tensor.Dense // the gradient op's output
	d   []float64
}

func newLossKernel(f lossFn, n int, dt tensor.Dtype) *lossKernel {
	k := &lossKernel{f: f, n: n, dt: dt, d: make([]float64, n)}
	for range f.arity() {
		k.in = append(k.in, make([]float64, n))
	}
	k.out = tensor.New(tensor.Of(dt), tensor.WithShape(n))
	return k
}

func (k *lossKernel) load(vals []G.Value) error {
	for i, v := range vals[:k.f.arity()] {
		if err := graphop.ToFloat64(k.in[i], v); err != nil {
			return fmt.Errorf("agent: %s: input %d: %w", k.f.name(), i, err)
		}
	}
	return nil
}

func (k *lossKernel) scalar(v float64) G.Value {
	if k.dt == tensor.Float64 {
		return G.NewF64(v)
	}
	return G.NewF32(float32(v))
}

// lossBase is what every fused term's ops share: the name and the kernel.
type lossBase struct {
	graphop.Base
	k *lossKernel
}

// ones is n ones: the ranks of n vector arguments.
func ones(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = 1
	}
	return r
}

// lossOp is a fused term: [n] vectors in, a scalar out.
type lossOp struct{ lossBase }

// newLossOp applies the term f to the [n] nodes in.
func newLossOp(f lossFn, in ...*G.Node) (*G.Node, error) {
	if len(in) != f.arity() || len(in) == 0 {
		return nil, fmt.Errorf("agent: %s takes %d inputs, got %d", f.name(), f.arity(), len(in))
	}
	k := newLossKernel(f, in[0].Shape().TotalSize(), in[0].Dtype())
	return G.ApplyOp(&lossOp{lossBase{graphop.Base{Name: fmt.Sprintf("%s@%p", f.name(), k)}, k}}, in...)
}

func (op *lossOp) Arity() int    { return op.k.f.arity() }
func (op *lossOp) Type() hm.Type { return graphop.FnType(append(ones(op.Arity()), 0)...) }
func (op *lossOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	for _, d := range ds {
		if s, ok := d.(tensor.Shape); !ok || s.TotalSize() != op.k.n || len(s) != 1 {
			return nil, fmt.Errorf("agent: %s: input shape %v, want (%d)", op.Name, d, op.k.n)
		}
	}
	return tensor.ScalarShape(), nil
}

func (op *lossOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("agent: %s takes %d inputs, got %d", op.Name, op.Arity(), len(vals))
	}
	if err := op.k.load(vals); err != nil {
		return nil, err
	}
	return op.k.scalar(op.k.f.value(op.k.in)), nil
}

// DiffWRT: the first input only; the rest (advantages, returns, old
// values) are data.
func (op *lossOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	d[0] = true
	return d
}

func (op *lossOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("agent: %s: %d inputs to differentiate", op.Name, len(inputs))
	}
	k := newLossKernel(op.k.f, op.k.n, op.k.dt)
	d, err := G.ApplyOp(&lossGradOp{lossBase{graphop.Base{Name: "∂" + op.Name}, k}}, append(append(G.Nodes{}, inputs...), grad)...)
	if err != nil {
		return nil, err
	}
	out := make(G.Nodes, len(inputs))
	out[0] = d
	return out, nil
}

// lossGradOp is a term's gradient with respect to its first input: the
// term's inputs and the scalar output gradient in, [n] out.
type lossGradOp struct{ lossBase }

func (op *lossGradOp) Arity() int { return op.k.f.arity() + 1 }
func (op *lossGradOp) Type() hm.Type {
	return graphop.FnType(append(ones(op.k.f.arity()), 0, 1)...)
}

func (op *lossGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.k.n}, nil
}

func (op *lossGradOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("agent: %s takes %d inputs, got %d", op.Name, op.Arity(), len(vals))
	}
	if err := op.k.load(vals); err != nil {
		return nil, err
	}
	var g float64
	switch v := vals[len(vals)-1].Data().(type) {
	case float32:
		g = float64(v)
	case float64:
		g = v
	default:
		return nil, fmt.Errorf("agent: %s: output gradient is %T", op.Name, v)
	}
	op.k.f.grad(op.k.in, g, op.k.d)
	graphop.FromFloat64(op.k.out, op.k.d)
	return op.k.out, nil
}

func (op *lossGradOp) DiffWRT(n int) []bool { return make([]bool, n) }

func (op *lossGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.New("agent: second derivatives of loss terms are not implemented")
}
