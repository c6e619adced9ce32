package kl

import (
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/detmath"
)

// ExpNode is the elementwise exponential of x. For Float64 nodes it
// computes detmath.Exp, whose bits do not depend on the CPU (gorgonia's Exp
// calls math.Exp, which on amd64 takes another path when the CPU has FMA);
// Float32 nodes use gorgonia's Exp, whose float32 code is CPU-independent.
// Its gradient is grad·exp(x).
func ExpNode(x *G.Node) (*G.Node, error) {
	if x.Dtype() != tensor.Float64 {
		return G.Exp(x)
	}
	return G.ApplyOp(expOp{}, x)
}

// expm1Node is the elementwise e^x - 1 of x. For Float64 nodes its value is
// math.Expm1 (pure Go on every architecture but s390x) and its gradient
// grad·ExpNode(x): gorgonia's own Expm1 differentiates through math.Exp.
func expm1Node(x *G.Node) (*G.Node, error) {
	if x.Dtype() != tensor.Float64 {
		return G.Expm1(x)
	}
	return G.ApplyOp(expOp{m1: true}, x)
}

// expOp is the float64 op of ExpNode, or with m1 of expm1Node.
type expOp struct{ m1 bool }

func (o expOp) f(x float64) float64 {
	if o.m1 {
		return math.Expm1(x)
	}
	return detmath.Exp(x)
}

func (expOp) Arity() int { return 1 }

func (expOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (expOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, ok := ds[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("kl: exp: input shape is %T", ds[0])
	}
	return s.Clone(), nil
}

func (o expOp) Do(vals ...G.Value) (G.Value, error) {
	switch v := vals[0].(type) {
	case *tensor.Dense:
		x, ok := v.Data().([]float64)
		if !ok {
			return nil, fmt.Errorf("kl: exp: input holds %T, want []float64", v.Data())
		}
		y := make([]float64, len(x))
		for i, xi := range x {
			y[i] = o.f(xi)
		}
		return tensor.New(tensor.WithShape(v.Shape().Clone()...), tensor.WithBacking(y)), nil
	case *G.F64:
		return G.NewF64(o.f(float64(*v))), nil
	}
	return nil, errors.New("kl: exp: want a float64 tensor or scalar")
}

func (expOp) ReturnsPtr() bool     { return false }
func (expOp) CallsExtern() bool    { return false }
func (expOp) OverwritesInput() int { return -1 }
func (o expOp) String() string {
	if o.m1 {
		return "detexpm1"
	}
	return "detexp"
}

func (o expOp) WriteHash(h hash.Hash) { fmt.Fprint(h, o.String()) }

func (o expOp) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

func (expOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff: d exp(x)/dx = exp(x), the exp op's own output; for expm1 it
// is computed afresh rather than as output + 1, which would round.
func (o expOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	e := output
	if o.m1 {
		var err error
		if e, err = ExpNode(inputs[0]); err != nil {
			return nil, err
		}
	}
	d, err := G.HadamardProd(grad, e)
	return G.Nodes{d}, err
}
