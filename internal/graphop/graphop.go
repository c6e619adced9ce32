// Package graphop holds what the module's hand-written gorgonia ops share:
// their names and hashes, their type signatures, the float64 staging of
// float32 or float64 values, and the plumbing of fused ops whose gradient
// comes in pieces (Apply). It imports nothing from the module.
package graphop

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Base answers the gorgonia Op methods every fused op answers the same
// way; embed it and set Name, which must be unique per op instance (the
// tape machine tells ops apart by their hash).
type Base struct{ Name string }

// ReturnsPtr is false: ops return their own preallocated values.
func (o Base) ReturnsPtr() bool { return false }

// CallsExtern is false: ops run on the CPU in Go.
func (o Base) CallsExtern() bool { return false }

// OverwritesInput is -1: no op writes into an input.
func (o Base) OverwritesInput() int { return -1 }

// String is the op's name.
func (o Base) String() string { return o.Name }

// WriteHash writes the name, which identifies the op.
func (o Base) WriteHash(h hash.Hash) { fmt.Fprint(h, o.Name) }

// Hashcode is the FNV-1a hash of the name.
func (o Base) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// TensorType is a tensor type of the given rank over the type variable a,
// or a itself for rank 0.
func TensorType(dims int) hm.Type {
	if dims == 0 {
		return hm.TypeVariable('a')
	}
	return G.TensorType{Dims: dims, Of: hm.TypeVariable('a')}
}

// FnType is the type of a function whose arguments and result (last) are
// tensors of the given ranks over one element type a.
func FnType(dims ...int) hm.Type {
	ts := make([]hm.Type, len(dims))
	for i, d := range dims {
		ts[i] = TensorType(d)
	}
	return hm.NewFnType(ts...)
}

// ToFloat64 copies the float32 or float64 value v, which must hold
// len(dst) elements, into dst.
func ToFloat64(dst []float64, v G.Value) error {
	switch d := v.Data().(type) {
	case []float32:
		if len(d) != len(dst) {
			break
		}
		for i, x := range d {
			dst[i] = float64(x)
		}
		return nil
	case []float64:
		if len(d) != len(dst) {
			break
		}
		copy(dst, d)
		return nil
	}
	return fmt.Errorf("graphop: input of %d values wanted, got %T of shape %v", len(dst), v.Data(), v.Shape())
}

// FromFloat64 writes src into the float32 or float64 tensor t, rounding
// to float32 if need be.
func FromFloat64(t *tensor.Dense, src []float64) {
	switch d := t.Data().(type) {
	case []float32:
		for i, v := range src {
			d[i] = float32(v)
		}
	case []float64:
		copy(d, src)
	}
}
