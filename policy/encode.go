package policy

import "fmt"

// A policy over discrete observations (Spec.ObsCards set) sees each observation as the
// concatenation of one one-hot vector per component: index k of a component with n values
// becomes n inputs, 1 at k and 0 elsewhere. One-hot rather than a learned embedding keeps the
// network a plain MLP (its first layer is then exactly a per-state embedding table, summed over
// components) and leaves checkpoints, forward kernels and the loss graph unchanged.

// RawObsDim is the length of an observation as the environment gives it: len(ObsCards) indices
// for discrete observations, ObsDim otherwise.
func (s Spec) RawObsDim() int {
	if len(s.ObsCards) > 0 {
		return len(s.ObsCards)
	}
	return s.ObsDim
}

// validateCards checks that ObsCards, if set, are positive and sum to ObsDim.
func (s Spec) validateCards() error {
	if len(s.ObsCards) == 0 {
		return nil
	}
	sum, ok := positiveSum(s.ObsCards)
	if !ok {
		return fmt.Errorf("policy: observation cardinalities %v: each must be >= 1", s.ObsCards)
	}
	if sum != s.ObsDim {
		return fmt.Errorf("policy: observation cardinalities %v sum to %d, not the input dimension %d", s.ObsCards, sum, s.ObsDim)
	}
	return nil
}

// Encode writes the network inputs of n raw observations (n×RawObsDim) into dst (n×ObsDim):
// the one-hot encoding for discrete observations, a copy otherwise. An index outside its
// component's range is an error (the environment broke its observation space).
func (s Spec) Encode(dst, raw []float64, n int) error {
	if len(s.ObsCards) == 0 {
		copy(dst[:n*s.ObsDim], raw[:n*s.ObsDim])
		return nil
	}
	k := len(s.ObsCards)
	clear(dst[:n*s.ObsDim])
	for i := range n {
		off := i * s.ObsDim
		for j, card := range s.ObsCards {
			v := raw[i*k+j]
			if !(v >= 0 && v < float64(card)) || v != float64(int(v)) {
				return fmt.Errorf("policy: observation component %d is %v, not an index below %d", j, v, card)
			}
			dst[off+int(v)] = 1
			off += card
		}
	}
	return nil
}
