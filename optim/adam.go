// Package optim holds the optimiser and gradient clipping the trainer uses. It imports
// nothing from the module.
package optim

import (
	"encoding/binary"
	"errors"
	"math"
)

// Adam is the Adam optimiser (Kingma & Ba 2015) in PyTorch's formulation,
// with its state exported so checkpoints can restore it exactly; gorgonia's
// solver keeps its moments private.
type Adam struct {
	Beta1, Beta2, Eps float64
	// Step counts the updates taken; M and V are the first and second
	// moment estimates, one slice per parameter tensor.
	Step int
	M, V [][]float64
}

// NewAdam returns an optimiser for tensors of the given sizes with
// PyTorch's default betas (0.9, 0.999).
func NewAdam(sizes []int, eps float64) *Adam {
	a := &Adam{Beta1: 0.9, Beta2: 0.999, Eps: eps}
	for _, n := range sizes {
		a.M = append(a.M, make([]float64, n))
		a.V = append(a.V, make([]float64, n))
	}
	return a
}

// Update applies one step of size lr to params given their gradients:
//
//	m ← β1 m + (1-β1) g,  v ← β2 v + (1-β2) g²
//	p ← p - lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε)
//
// params and grads are []float32 or []float64, matching pairwise.
func (a *Adam) Update(params, grads []any, lr float64) {
	a.Step++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	bc2 := math.Sqrt(1 - math.Pow(a.Beta2, float64(a.Step)))
	step := lr / bc1
	for i := range params {
		switch p := params[i].(type) {
		case []float32:
			adamStep(p, grads[i].([]float32), a.M[i], a.V[i], a.Beta1, a.Beta2, a.Eps, step, bc2)
		case []float64:
			adamStep(p, grads[i].([]float64), a.M[i], a.V[i], a.Beta1, a.Beta2, a.Eps, step, bc2)
		}
	}
}

func adamStep[T float32 | float64](p, g []T, m, v []float64, b1, b2, eps, step, bc2 float64) {
	for j, gj := range g {
		gf := float64(gj)
		m[j] = b1*m[j] + (1-b1)*gf
		v[j] = b2*v[j] + (1-b2)*gf*gf
		p[j] -= T(step * m[j] / (math.Sqrt(v[j])/bc2 + eps))
	}
}

// ClipGradNorm scales grads in place so their global L2 norm is at most
// maxNorm (as torch.nn.utils.clip_grad_norm_, with its 1e-6 guard) and
// returns the norm before clipping. maxNorm <= 0 only measures.
func ClipGradNorm(grads []any, maxNorm float64) float64 {
	ss := 0.0
	for _, g := range grads {
		switch g := g.(type) {
		case []float32:
			for _, v := range g {
				ss += float64(v) * float64(v)
			}
		case []float64:
			for _, v := range g {
				ss += v * v
			}
		}
	}
	norm := math.Sqrt(ss)
	if maxNorm <= 0 || norm <= maxNorm {
		return norm
	}
	c := maxNorm / (norm + 1e-6)
	for _, g := range grads {
		switch g := g.(type) {
		case []float32:
			for j := range g {
				g[j] *= float32(c)
			}
		case []float64:
			for j := range g {
				g[j] *= c
			}
		}
	}
	return norm
}

// MarshalBinary encodes the step and moments (little-endian float64s).
func (a *Adam) MarshalBinary() ([]byte, error) {
	b := binary.LittleEndian.AppendUint64(nil, uint64(a.Step))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(a.M)))
	for i := range a.M {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(a.M[i])))
		for _, s := range [][]float64{a.M[i], a.V[i]} {
			for _, v := range s {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
		}
	}
	return b, nil
}

// UnmarshalBinary restores a state written by MarshalBinary into an
// optimiser built for the same tensor sizes.
func (a *Adam) UnmarshalBinary(b []byte) error {
	bad := errors.New("adam state does not match the network")
	if len(b) < 12 {
		return bad
	}
	step := binary.LittleEndian.Uint64(b)
	n := binary.LittleEndian.Uint32(b[8:])
	b = b[12:]
	if int(n) != len(a.M) {
		return bad
	}
	for i := range a.M {
		if len(b) < 4 || int(binary.LittleEndian.Uint32(b)) != len(a.M[i]) {
			return bad
		}
		b = b[4:]
		for _, s := range [][]float64{a.M[i], a.V[i]} {
			if len(b) < 8*len(s) {
				return bad
			}
			for j := range s {
				s[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*j:]))
			}
			b = b[8*len(s):]
		}
	}
	if len(b) != 0 {
		return bad
	}
	a.Step = int(step)
	return nil
}
