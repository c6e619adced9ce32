// Package optim holds the optimiser and gradient clipping the trainer uses. It imports
// nothing from the module.
package optim

import (
	"encoding/binary"
	"errors"
	"math"
)

// Float is the element type of parameter and gradient tensors.
type Float interface{ ~float32 | ~float64 }

// Adam is the Adam optimiser (Kingma & Ba 2015) in PyTorch's formulation,
// for parameter tensors of element type T, with its state exported so
// checkpoints can restore it exactly; gorgonia's solver keeps its moments
// private. The state is float64 whatever T, so it encodes the same way.
type Adam[T Float] struct {
	Beta1, Beta2, Eps float64
	// Step counts the updates taken; M and V are the first and second
	// moment estimates, one slice per parameter tensor.
	Step int
	M, V [][]float64
}

// NewAdam returns an optimiser for tensors of the given sizes with
// PyTorch's default betas (0.9, 0.999).
func NewAdam[T Float](sizes []int, eps float64) *Adam[T] {
	a := &Adam[T]{Beta1: 0.9, Beta2: 0.999, Eps: eps}
	for _, n := range sizes {
		a.M = append(a.M, make([]float64, n))
		a.V = append(a.V, make([]float64, n))
	}
	return a
}

// Update applies one step of size lr to params given their gradients,
// pairwise (params[i] has the length of grads[i] and of M[i]):
//
//	m ← β1 m + (1-β1) g,  v ← β2 v + (1-β2) g²
//	p ← p - lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε)
//
// It is Advance, then Apply on every tensor.
func (a *Adam[T]) Update(params, grads [][]T, lr float64) {
	s := a.Advance(lr)
	for i := range params {
		a.Apply(s, i, params[i], grads[i])
	}
}

// AdamStep holds what one step's tensors share: the bias-corrected step
// size lr/(1-β1ᵗ) and √(1-β2ᵗ).
type AdamStep struct{ step, bc2 float64 }

// Advance counts one more step, of size lr, and returns its constants for
// Apply. A tensor's update reads and writes only its own weights and
// moments, so the tensors of one step may be applied concurrently.
func (a *Adam[T]) Advance(lr float64) AdamStep {
	a.Step++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	return AdamStep{step: lr / bc1, bc2: math.Sqrt(1 - math.Pow(a.Beta2, float64(a.Step)))}
}

// Apply updates tensor i, the weights p with gradient g, by step s.
func (a *Adam[T]) Apply(s AdamStep, i int, p, g []T) {
	adamStep(p, g, a.M[i], a.V[i], a.Beta1, a.Beta2, a.Eps, s.step, s.bc2)
}

// adamStep updates one tensor in float64, rounding only the new weights
// to T.
func adamStep[T Float](p, g []T, m, v []float64, b1, b2, eps, step, bc2 float64) {
	for j, gj := range g {
		gf := float64(gj)
		m[j] = b1*m[j] + (1-b1)*gf
		v[j] = b2*v[j] + (1-b2)*gf*gf
		p[j] -= T(step * m[j] / (math.Sqrt(v[j])/bc2 + eps))
	}
}

// ClipGradNorm scales grads in place so their global L2 norm is at most
// maxNorm (as torch.nn.utils.clip_grad_norm_, with its 1e-6 guard) and
// returns the norm before clipping. maxNorm <= 0 only measures. The norm
// is accumulated in float64 whatever T.
func ClipGradNorm[T Float](grads [][]T, maxNorm float64) float64 {
	ss := 0.0
	for _, g := range grads {
		for _, v := range g {
			ss += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(ss)
	if maxNorm <= 0 || norm <= maxNorm {
		return norm
	}
	c := maxNorm / (norm + 1e-6)
	for _, g := range grads {
		for j := range g {
			g[j] *= T(c)
		}
	}
	return norm
}

// MarshalBinary encodes the step and moments (little-endian float64s).
func (a *Adam[T]) MarshalBinary() ([]byte, error) {
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
func (a *Adam[T]) UnmarshalBinary(b []byte) error {
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
