package graphop

import (
	"testing"

	"gorgonia.org/tensor"
)

// TestFloat64Staging round-trips values through both dtypes and checks
// that a value of the wrong size is an error, not a partial copy.
func TestFloat64Staging(t *testing.T) {
	src := []float64{1.5, -2, 1.0 / 3}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		v := tensor.New(tensor.Of(dt), tensor.WithShape(3))
		FromFloat64(v, src)
		got := make([]float64, 3)
		if err := ToFloat64(got, v); err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		for i, want := range src {
			if dt == tensor.Float32 {
				want = float64(float32(want)) // rounded once, on the way in
			}
			if got[i] != want {
				t.Errorf("%v: element %d = %v, want %v", dt, i, got[i], want)
			}
		}
		if err := ToFloat64(make([]float64, 2), v); err == nil {
			t.Errorf("%v: 3 values accepted into 2", dt)
		}
	}
	if err := ToFloat64(make([]float64, 1), tensor.New(tensor.WithBacking([]int{1}))); err == nil {
		t.Error("int input accepted")
	}
}

// TestBaseHash: ops with different names hash differently, equal names
// equally (the tape machine identifies ops by hash).
func TestBaseHash(t *testing.T) {
	a, b := Base{Name: "tower@1"}, Base{Name: "tower@2"}
	if a.Hashcode() == b.Hashcode() || a.Hashcode() != (Base{Name: "tower@1"}).Hashcode() {
		t.Errorf("hashes %x %x", a.Hashcode(), b.Hashcode())
	}
	if FnType(2, 1).String() == FnType(2, 2).String() {
		t.Error("FnType ignores the result's rank")
	}
}
