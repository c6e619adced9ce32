package fdcheck

import (
	"math"
	"testing"
)

// TestCentral: the central difference of sin at 0.7 is cos 0.7 to O(h²);
// a float32 input's rounded steps are divided by the step taken; a kink
// (|x| at 0) is told from a smooth point.
func TestCentral(t *testing.T) {
	x := 0.7
	v := x
	f := func() float64 { return math.Sin(v) }
	set := func(u float64) { v = u }
	p := Central(f, set, x, 1e-5, nil)
	// Truncation h²/6·|cos| ≈ 1e-11; rounding ε/h ≈ 1e-11.
	if !Within(math.Cos(x), p.Num, 1e-9, 0) || v != x {
		t.Errorf("d/dx sin at 0.7: %v, want %v (x restored: %v)", p.Num, math.Cos(x), v)
	}
	round := func(u float64) float64 { return float64(float32(u)) }
	p = Central(f, set, x, 1e-3, round)
	// The quotient uses the rounded steps, so only truncation remains (~1e-7).
	if !Within(math.Cos(x), p.Num, 1e-6, 0) {
		t.Errorf("float32 steps: %v, want %v", p.Num, math.Cos(x))
	}
	abs := func() float64 { return math.Abs(v) }
	if q := Central(abs, set, 0, 1e-3, nil); !q.Kink(0, 0.3, 1e-12) {
		t.Error("the kink of |x| at 0 not found")
	}
	v = 2
	if q := Central(abs, set, 2, 1e-3, nil); q.Kink(2, 0.3, 1e-12) {
		t.Error("a kink found in |x| at 2")
	}
}
