package dist

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/detmath"
	"ppo/internal/graphop"
)

// squaredZ returns Σ_j z_j² per row with z = (a - μ)⊙exp(-log σ), for
// [n, d] actions, means and log-stds, as one fused op: the part of the
// Gaussian log-probability with the most gorgonia ops (six forward, ten
// backward). It repeats the composed nodes' arithmetic (logProbComposed)
// in the graph's dtype, in their order, so values and gradients are
// bit-identical to theirs. For an upstream gradient g of a row,
//
//	dz = (z·2)·g    dμ = -(e·dz)    dlog σ = -(e·((a-μ)·dz))    with e = exp(-log σ).
func squaredZ(actions, mean, logStd *G.Node) (*G.Node, error) {
	s := mean.Shape()
	if len(s) != 2 || !actions.Shape().Eq(s) || !logStd.Shape().Eq(s) {
		return nil, fmt.Errorf("dist: Gaussian log-probability of shapes %v, %v, %v", actions.Shape(), s, logStd.Shape())
	}
	var k graphop.Kernel
	switch mean.Dtype() {
	case tensor.Float32:
		k = newSqZ[float32](s[0], s[1], graphop.InPlace(G.Exp, tensor.Float32))
	case tensor.Float64:
		k = newSqZ[float64](s[0], s[1], func(t *tensor.Dense) {
			d := t.Data().([]float64)
			for i, v := range d {
				d[i] = detmath.Exp(v) // kl.ExpNode's float64 values
			}
		})
	default:
		return nil, fmt.Errorf("dist: Gaussian log-probability of dtype %v", mean.Dtype())
	}
	return graphop.Apply("sqz", k, tensor.Shape{s[0]}, []int{-1, 0, 1}, actions, mean, logStd)
}

type sqZ[T graphop.Float] struct {
	n, d  int
	exp   func(*tensor.Dense)
	e     graphop.Buf[T] // exp(-log σ)
	diff  []T            // a - μ
	z     []T
	out   []T
	outT  *tensor.Dense
	dz    []T
	done  bool
	grads [2]*tensor.Dense
}

func newSqZ[T graphop.Float](n, d int, exp func(*tensor.Dense)) *sqZ[T] {
	k := &sqZ[T]{n: n, d: d, exp: exp, e: graphop.NewBuf[T](n * d), diff: make([]T, n*d), z: make([]T, n*d), out: make([]T, n), dz: make([]T, n*d)}
	k.outT = tensor.New(tensor.WithShape(n), tensor.WithBacking(k.out))
	for i := range k.grads {
		k.grads[i] = tensor.New(tensor.WithShape(n, d), tensor.WithBacking(make([]T, n*d)))
	}
	return k
}

func (k *sqZ[T]) Forward(in []G.Value) (G.Value, error) {
	nd := k.n * k.d
	var x [3][]T
	for i := range x {
		var err error
		if x[i], err = graphop.Elems[T](in[i], nd); err != nil {
			return nil, err
		}
	}
	a, mu, ls := x[0], x[1], x[2]
	for j := range nd {
		k.diff[j] = a[j] - mu[j]
		k.e.V[j] = -ls[j]
	}
	k.exp(k.e.T)
	for i := range k.n {
		var s T
		for j := i * k.d; j < (i+1)*k.d; j++ {
			k.z[j] = k.diff[j] * k.e.V[j]
			s += T(k.z[j] * k.z[j])
		}
		k.out[i] = s
	}
	k.done = false
	return k.outT, nil
}

// Backward pieces: 0 the means' gradient, 1 the log-stds'.
func (k *sqZ[T]) Backward(piece int, gv G.Value) (G.Value, error) {
	g, err := graphop.Elems[T](gv, k.n)
	if err != nil {
		return nil, err
	}
	if !k.done {
		for i := range k.n {
			for j := i * k.d; j < (i+1)*k.d; j++ {
				k.dz[j] = (k.z[j] * 2) * g[i]
			}
		}
		k.done = true
	}
	dst := k.grads[piece].Data().([]T)
	for j := range dst {
		if piece == 0 {
			dst[j] = -(k.e.V[j] * k.dz[j])
		} else {
			dst[j] = -(k.e.V[j] * T(k.diff[j]*k.dz[j]))
		}
	}
	return k.grads[piece], nil
}
