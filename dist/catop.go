package dist

import (
	"errors"
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/detmath"
	"ppo/internal/graphop"
	"ppo/kl"
)

// Fused row-wise ops on categorical logits, [n, k] in and [n] out, each
// with a hand-written gradient op. kl.LogSoftmaxNode builds a log-softmax
// from about a dozen gorgonia ops and twice as many for its gradient;
// these compute the stable log-sum-exp (kl.ShiftedExpSum) per row in
// float64 directly.
//
//	logProb:  ℓ_i = Σ_j a_ij (h_ij - lse_i)        ∂ℓ_i/∂h_ij = a_ij - p_ij Σ_j a_ij
//	entropy:  H_i = -Σ_j p_ij log p_ij             ∂H_i/∂h_ij = -p_ij (log p_ij + H_i)
//
// with p = softmax(h) and a the one-hot actions (any weights work). A row
// may be split into segments, the components of a product of independent
// categoricals (MultiCategorical): then lse, p, Σ_j a_ij and H_i are per
// segment in the formulas above, and ℓ_i and H_i the sums over segments.

type rowFn int

const (
	rowLogProb rowFn = iota // inputs: logits, actions
	rowEntropy              // inputs: logits
)

func (f rowFn) arity() int     { return 2 - int(f) }
func (f rowFn) String() string { return [...]string{"logprob", "entropy"}[f] }

// rowKernel holds the scratch of one op, sized for [n, k].
type rowKernel struct {
	f    rowFn
	n, k int
	segs []int // segment sizes, summing to k
	dt   tensor.Dtype
	h, a []float64 // inputs as float64
	g    []float64 // the output's gradient
	logp []float64 // log-softmax of the last rows seen, n×k
	y, d []float64 // output and logits' gradient, before conversion
	out  *tensor.Dense
	grad *tensor.Dense
}

func newRowKernel(f rowFn, n, k int, segs []int, dt tensor.Dtype) *rowKernel {
	if segs == nil {
		segs = []int{k}
	}
	r := &rowKernel{f: f, n: n, k: k, segs: segs, dt: dt, h: make([]float64, n*k), a: make([]float64, n*k), g: make([]float64, n),
		logp: make([]float64, n*k), y: make([]float64, n), d: make([]float64, n*k)}
	r.out = tensor.New(tensor.Of(dt), tensor.WithShape(n))
	r.grad = tensor.New(tensor.Of(dt), tensor.WithShape(n, k))
	return r
}

// load converts the inputs to float64 and computes the log-softmax rows.
func (r *rowKernel) load(vals []G.Value) error {
	if err := graphop.ToFloat64(r.h, vals[0]); err != nil {
		return err
	}
	if r.f == rowLogProb {
		if err := graphop.ToFloat64(r.a, vals[1]); err != nil {
			return err
		}
	}
	for i := 0; i < r.n; i++ {
		off := i * r.k
		for _, w := range r.segs {
			h, lp := r.h[off:off+w], r.logp[off:off+w]
			off += w
			m, s := kl.ShiftedExpSum(h)
			// m + log s first, then h - lse: kl.LogSoftmax rounds (h - m) - log s
			// instead; the order here is kept so float64 runs stay bit-identical
			// to earlier ones.
			lse := m + math.Log(s)
			for j, v := range h {
				lp[j] = v - lse
			}
		}
	}
	return nil
}

// segEntropy is -Σ p log p over one segment's log-probabilities.
func segEntropy(lp []float64) float64 {
	v := 0.0
	for _, l := range lp {
		v -= detmath.Exp(l) * l
	}
	return v
}

// row returns f of row i.
func (r *rowKernel) row(i int) float64 {
	lp := r.logp[i*r.k : (i+1)*r.k]
	v := 0.0
	if r.f == rowLogProb {
		for j, a := range r.a[i*r.k : (i+1)*r.k] {
			v += a * lp[j]
		}
		return v
	}
	return segEntropy(lp) // the sum over segments: the same sum, one loop
}

func (r *rowKernel) forward(vals []G.Value) (G.Value, error) {
	if err := r.load(vals); err != nil {
		return nil, err
	}
	for i := range r.y {
		r.y[i] = r.row(i)
	}
	graphop.FromFloat64(r.out, r.y)
	return r.out, nil
}

// backward takes the inputs, the forward output and its gradient g [n]
// last. It reuses the log-softmax the forward pass computed on the same
// inputs: the tape machine runs the forward op first (its output is an
// input here) and nothing changes the inputs in between.
func (r *rowKernel) backward(vals []G.Value) (G.Value, error) {
	if err := graphop.ToFloat64(r.g, vals[len(vals)-1]); err != nil {
		return nil, err
	}
	for i, gi := range r.g {
		off := i * r.k
		for _, w := range r.segs {
			lp, d := r.logp[off:off+w], r.d[off:off+w]
			switch r.f {
			case rowLogProb:
				a := r.a[off : off+w]
				sa := 0.0
				for _, v := range a {
					sa += v
				}
				for j, l := range lp {
					d[j] = gi * (a[j] - detmath.Exp(l)*sa)
				}
			case rowEntropy:
				h := segEntropy(lp)
				for j, l := range lp {
					d[j] = -gi * detmath.Exp(l) * (l + h)
				}
			}
			off += w
		}
	}
	graphop.FromFloat64(r.grad, r.d)
	return r.grad, nil
}

// rowOp is the forward op.
type rowOp struct {
	graphop.Base
	r *rowKernel
}

// newRowOp is the op of f on [n, k] rows split into segments segs (nil:
// one segment of k).
func newRowOp(f rowFn, n, k int, segs []int, dt tensor.Dtype) *rowOp {
	r := newRowKernel(f, n, k, segs, dt)
	return &rowOp{graphop.Base{Name: fmt.Sprintf("%v[%d×%d]@%p", f, n, k, r)}, r}
}

func (op *rowOp) Arity() int { return op.r.f.arity() }
func (op *rowOp) Type() hm.Type {
	if op.r.f == rowLogProb {
		return graphop.FnType(2, 2, 1)
	}
	return graphop.FnType(2, 1)
}

func (op *rowOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	for _, d := range ds {
		if s, ok := d.(tensor.Shape); !ok || !s.Eq(tensor.Shape{op.r.n, op.r.k}) {
			return nil, fmt.Errorf("dist: %s: input shape %v, want (%d, %d)", op.Name, d, op.r.n, op.r.k)
		}
	}
	return tensor.Shape{op.r.n}, nil
}

func (op *rowOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("dist: %s takes %d inputs, got %d", op.Name, op.Arity(), len(vals))
	}
	return op.r.forward(vals)
}

// DiffWRT: the logits only; actions are data.
func (op *rowOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	d[0] = true
	return d
}

func (op *rowOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("dist: %s: %d inputs to differentiate", op.Name, len(inputs))
	}
	gop := &rowGradOp{graphop.Base{Name: "∂" + op.Name}, op.r}
	d, err := G.ApplyOp(gop, append(append(G.Nodes{}, inputs...), output, grad)...)
	if err != nil {
		return nil, err
	}
	out := make(G.Nodes, len(inputs))
	out[0] = d
	return out, nil
}

// rowGradOp is the gradient op: the forward inputs, the forward output
// and its gradient in, the logits' gradient [n, k] out. It shares the
// forward op's kernel.
type rowGradOp struct {
	graphop.Base
	r *rowKernel
}

func (op *rowGradOp) Arity() int { return op.r.f.arity() + 2 }
func (op *rowGradOp) Type() hm.Type {
	if op.r.f == rowLogProb {
		return graphop.FnType(2, 2, 1, 1, 2)
	}
	return graphop.FnType(2, 1, 1, 2)
}

func (op *rowGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.r.n, op.r.k}, nil
}

func (op *rowGradOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("dist: %s takes %d inputs, got %d", op.Name, op.Arity(), len(vals))
	}
	return op.r.backward(vals)
}

func (op *rowGradOp) DiffWRT(n int) []bool { return make([]bool, n) }

func (op *rowGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.New("dist: second derivatives of categorical ops are not implemented")
}
