package policy

import (
	"slices"
	"testing"
)

// TestEncode checks the one-hot encoding of a tuple of discretes row by row, and that an index
// outside its component is an error.
func TestEncode(t *testing.T) {
	s := Spec{ObsDim: 6, ObsCards: []int{3, 1, 2}, ActDim: 2, Discrete: true, Hidden: []int{4}, Activation: "tanh"}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, 12)
	for i := range dst {
		dst[i] = 7 // stale values must be cleared
	}
	if err := s.Encode(dst, []float64{2, 0, 1, 0, 0, 0}, 2); err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0}
	if !slices.Equal(dst, want) {
		t.Errorf("Encode: %v, want %v", dst, want)
	}
	for _, raw := range [][]float64{{3, 0, 0}, {0, 0, -1}, {0.5, 0, 0}} {
		if err := s.Encode(dst, raw, 1); err == nil {
			t.Errorf("Encode(%v): no error", raw)
		}
	}
	bad := s
	bad.ObsDim = 5
	if bad.Validate() == nil {
		t.Error("cardinalities summing to 6 with ObsDim 5: no error")
	}
}
