package agent

import (
	"fmt"

	"ppo/internal/optim"
	"ppo/policy"
)

// updater is the optimiser step on the policy's weights, typed once at
// construction by the policy's dtype (weights[float32] or
// weights[float64]) so the update itself never switches on types. It
// encodes the optimiser's state for checkpoints.
type updater interface {
	// loadGrads points the gradients at mb's buffers of its last run.
	loadGrads(mb *minibatch) error
	// sumGrads points the gradients at the shards' weighted sum (shard.go).
	sumGrads(mbs []*minibatch, frac []float64) error
	// zeroGrads clears the graphs' gradient buffers (see minibatch.zeroGrads).
	zeroGrads()
	// clipGrads is optim.ClipGradNorm on the gradients.
	clipGrads(maxNorm float64) float64
	// step is one Adam step of size lr.
	step(lr float64)
	// stepSplit is step with the tensors i where critic[i] updated on h (split.go).
	stepSplit(lr float64, h *helper, critic []bool) error
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// weights holds the policy's weight slices, in Policy.Params order, the
// views of the gradient buffers of the last graph run, and the optimiser.
type weights[T optim.Float] struct {
	params, grads [][]T
	sum           [][]T   // with shards, the summed gradient
	views         [][][]T // with shards, each shard's gradient buffers
	active        int     // shards in the last sum; 0 after loadGrads
	*optim.Adam[T]
}

// newUpdater returns the updater for p's dtype.
func newUpdater(p *policy.Policy, eps float64) (updater, error) {
	if p.Spec.Float64 {
		return newWeights[float64](p, eps)
	}
	return newWeights[float32](p, eps)
}

func newWeights[T optim.Float](p *policy.Policy, eps float64) (*weights[T], error) {
	w := &weights[T]{}
	sizes := []int{}
	for _, prm := range p.Params() {
		d, ok := prm.T.Data().([]T)
		if !ok {
			return nil, fmt.Errorf("agent: parameter %s is %T, want %T", prm.Name, prm.T.Data(), d)
		}
		w.params = append(w.params, d)
		sizes = append(sizes, len(d))
	}
	w.grads = make([][]T, len(w.params))
	w.Adam = optim.NewAdam[T](sizes, eps)
	return w, nil
}

func (w *weights[T]) loadGrads(mb *minibatch) error {
	w.active = 0
	return gradsOf(mb, w.grads)
}

func (w *weights[T]) zeroGrads() {
	if w.active == 0 {
		zeroGrads(w.grads)
		return
	}
	for _, v := range w.views[:w.active] {
		zeroGrads(v)
	}
}
func (w *weights[T]) clipGrads(maxNorm float64) float64 {
	return optim.ClipGradNorm(w.grads, maxNorm)
}
func (w *weights[T]) step(lr float64) { w.Update(w.params, w.grads, lr) }
