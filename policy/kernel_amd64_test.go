//go:build !purego

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

// simdLevels runs f once per vector kernel set this CPU has (AVX-512,
// then AVX2), naming each; the pure-Go kernels are what they must match.
func simdLevels(t *testing.T, f func(t *testing.T)) {
	if !haveAVX2 {
		t.Skip("no AVX2 and FMA here: only the Go kernels run")
	}
	if haveAVX512 {
		t.Run("avx512", f)
		haveAVX512 = false
		defer func() { haveAVX512 = true }()
	}
	t.Run("avx2", f)
}

// TestFMA32MatchesHardware: fma32 equals VFMADD231PS on fmaCases.
func TestFMA32MatchesHardware(t *testing.T) {
	simdLevels(t, func(t *testing.T) {
		var b, c [8]float32
		for _, tc := range fmaCases() {
			for j := range b {
				b[j], c[j] = tc[1], tc[2]
			}
			gemm(1, 8, 1, tc[:1], 1, 1, b[:], 8, c[:], 8, true)
			if want, got := c[0], fma32(tc[0], tc[1], tc[2]); math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
				t.Fatalf("fma32(%v, %v, %v) = %v, VFMADD231PS %v", tc[0], tc[1], tc[2], got, want)
			}
		}
	})
}

// TestGemmGoMatchesAsm: the Go kernel gives the assembly's bits on shapes
// around every tile edge (rows 4/1, columns 64/16/8 and the Go tail), A
// plain and transposed, overwrite and accumulate, with inputs over a wide
// exponent range so that roundings of every kind occur.
func TestGemmGoMatchesAsm(t *testing.T) {
	simdLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 24))
		draw := func(s []float32) {
			for i := range s {
				s[i] = float32(math.Ldexp(rng.NormFloat64(), rng.IntN(24)-12))
			}
		}
		for _, m := range []int{1, 3, 4, 5, 8, 9} {
			for _, n := range []int{1, 5, 8, 9, 15, 16, 17, 24, 31, 63, 64, 65, 72, 80, 127, 128, 136} {
				for _, k := range []int{1, 2, 7, 64, 65} {
					for _, trans := range []bool{false, true} {
						ars, acs := k, 1
						if trans {
							ars, acs = 1, m
						}
						acc := rng.IntN(2) == 0
						ldb, ldc := n+rng.IntN(3), n+rng.IntN(3)
						a, b, c := make([]float32, m*k), make([]float32, k*ldb), make([]float32, m*ldc)
						draw(a)
						draw(b)
						draw(c)
						asm, gosum := append([]float32(nil), c...), append([]float32(nil), c...)
						gemm(m, n, k, a, ars, acs, b, ldb, asm, ldc, acc)
						gemmGo(m, n, k, a, ars, acs, b, ldb, gosum, ldc, acc)
						for i := range asm {
							if math.Float32bits(asm[i]) != math.Float32bits(gosum[i]) {
								t.Fatalf("m,n,k=%d,%d,%d trans=%v acc=%v: C[%d] assembly %v, Go %v", m, n, k, trans, acc, i, asm[i], gosum[i])
							}
						}
					}
				}
			}
		}
	})
}

// TestTanh32MatchesAsm: tanh32 gives tanhAVX2's bits on special values,
// 2^20 bit patterns spread evenly over all of float32 and seeded random
// inputs in the range that matters.
func TestTanh32MatchesAsm(t *testing.T) {
	xs := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, 1e-38, 0.34657359, 10, -10, 9.999999, 10.000001,
		math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1))}
	for b := uint32(0); b < 1<<20; b++ {
		xs = append(xs, math.Float32frombits(b*4093+b>>8))
	}
	rng := rand.New(rand.NewPCG(25, 26))
	for range 1 << 20 {
		xs = append(xs, float32(rng.NormFloat64()*2), float32(math.Ldexp(rng.Float64(), -rng.IntN(40))))
	}
	xs = xs[:len(xs)&^7]
	simdLevels(t, func(t *testing.T) {
		asm := append([]float32(nil), xs...)
		tanhAll(asm)
		for i, x := range xs {
			if got := tanh32(x); math.Float32bits(got) != math.Float32bits(asm[i]) && !(got != got && asm[i] != asm[i]) {
				t.Fatalf("tanh32(%v [%#x]) = %v, tanhAVX2 %v", x, math.Float32bits(x), got, asm[i])
			}
		}
	})
}
