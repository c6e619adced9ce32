package policy

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmAVX512MatchesAVX2: the 64-column AVX-512 kernels run the same
// fused multiply-add chain per element as the AVX2 ones, so results are
// bit-identical and a run does not depend on which the CPU has.
func TestGemmAVX512MatchesAVX2(t *testing.T) {
	if !haveAVX512 {
		t.Skip("no AVX-512 here")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, sh := range [][3]int{{5, 64, 7}, {256, 64, 64}, {64, 128, 256}, {3, 80, 64}, {9, 200, 33}} {
		m, n, k := sh[0], sh[1], sh[2]
		for _, trans := range []bool{false, true} {
			ars, acs := k, 1
			if trans {
				ars, acs = 1, m
			}
			a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			for _, s := range [][]float32{a, b, c} {
				for i := range s {
					s[i] = float32(rng.NormFloat64())
				}
			}
			wide, narrow := append([]float32(nil), c...), append([]float32(nil), c...)
			gemm(m, n, k, a, ars, acs, b, n, wide, n, true)
			haveAVX512 = false
			gemm(m, n, k, a, ars, acs, b, n, narrow, n, true)
			haveAVX512 = true
			for i := range wide {
				if math.Float32bits(wide[i]) != math.Float32bits(narrow[i]) {
					t.Fatalf("%v trans=%v: C[%d] AVX-512 %v, AVX2 %v", sh, trans, i, wide[i], narrow[i])
				}
			}
		}
	}
}
