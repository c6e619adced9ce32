package optim

import (
	"math"
	"testing"
)

// TestAdam checks two steps against hand computation with PyTorch's
// formula: after step 1, p = p0 - lr·g/(|g| + ε·...) ≈ p0 - lr·sign(g).
func TestAdam(t *testing.T) {
	a := NewAdam[float64]([]int{2}, 1e-8)
	p := []float64{1, -2}
	a.Update([][]float64{p}, [][]float64{{0.5, -4}}, 0.1)
	// Step 1: m = 0.1g, v = 0.001g², m̂ = g, √v̂ = |g| → p -= 0.1·g/(|g|+1e-8).
	want := []float64{1 - 0.1*0.5/(0.5+1e-8), -2 + 0.1*4/(4+1e-8)}
	for i := range p {
		if math.Abs(p[i]-want[i]) > 1e-15 {
			t.Fatalf("step 1: p[%d] = %v, want %v", i, p[i], want[i])
		}
	}
	// Step 2 with g = 1 on the first coordinate.
	a.Update([][]float64{p}, [][]float64{{1, 0}}, 0.1)
	m := 0.9*0.05 + 0.1*1
	v := 0.999*0.001*0.25 + 0.001*1
	w0 := want[0] - 0.1/(1-0.81)*m/(math.Sqrt(v)/math.Sqrt(1-0.998001)+1e-8)
	if math.Abs(p[0]-w0) > 1e-15 {
		t.Fatalf("step 2: p[0] = %v, want %v", p[0], w0)
	}
	// State round trip.
	b, _ := a.MarshalBinary()
	c := NewAdam[float64]([]int{2}, 1e-8)
	if err := c.UnmarshalBinary(b); err != nil || c.Step != 2 || c.M[0][0] != a.M[0][0] || c.V[0][1] != a.V[0][1] {
		t.Fatalf("round trip: %v %+v", err, c)
	}
	if err := NewAdam[float64]([]int{3}, 1e-8).UnmarshalBinary(b); err == nil {
		t.Fatal("state for other sizes accepted")
	}
}

// TestClipGradNorm: gradients (3, 0) and (0, 4) have global norm 5 and
// are scaled by 1/(5 + 1e-6), in both element types; float32 to its
// rounding (1e-7 relative).
func TestClipGradNorm(t *testing.T) {
	g1, g2 := []float64{3, 0}, []float64{0, 4}
	if norm := ClipGradNorm([][]float64{g1, g2}, 1); norm != 5 {
		t.Fatalf("norm = %v, want 5", norm)
	}
	c := 1 / (5 + 1e-6)
	if g1[0] != 3*c || g2[1] != 4*c {
		t.Fatalf("clipped to %v %v", g1, g2)
	}
	f1, f2 := []float32{3, 0}, []float32{0, 4}
	if norm := ClipGradNorm([][]float32{f1, f2}, 1); norm != 5 {
		t.Fatalf("float32 norm = %v, want 5", norm)
	}
	if math.Abs(float64(f1[0])-3*c) > 1e-7 || math.Abs(float64(f2[1])-4*c) > 1e-7 {
		t.Fatalf("float32 clipped to %v %v", f1, f2)
	}
	h := []float64{0.3, 0.4}
	if ClipGradNorm([][]float64{h}, 1); h[0] != 0.3 {
		t.Fatal("a gradient under the limit was scaled")
	}
}
