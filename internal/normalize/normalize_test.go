package normalize

import (
	"math"
	"testing"
)

func TestRunningStats(t *testing.T) {
	x := []float64{1, 10, 2, 20, 3, 30, 4, 40, 5, 50}
	s := NewRunningStats(2)
	s.Update(x[:4], 2)
	s.Update(x[4:], 3)
	for j, want := range [][2]float64{{3, 2}, {30, 200}} {
		if math.Abs(s.Mean[j]-want[0]) > 1e-3*want[0] || math.Abs(s.Var[j]-want[1]) > 1e-3*want[1] {
			t.Errorf("dim %d: mean %v var %v, want %v", j, s.Mean[j], s.Var[j], want)
		}
	}
	dst := make([]float64, 2)
	s.Normalize(dst, []float64{3, 1000}, 1, 5)
	if math.Abs(dst[0]) > 1e-3 || dst[1] != 5 {
		t.Errorf("normalised %v, want [0 5]", dst)
	}
}
