package policy

import (
	"fmt"
	"math"

	"ppo/internal/detmath"
)

// The dense-layer kernels of the evaluator and the fused graph ops. Every
// output element is computed by one fixed sequence of operations that
// depends only on its column and the inner dimension, never on how many
// rows a call has, so one row evaluated alone gives bit for bit the same
// answer as in a batch. On amd64 with AVX2 and FMA, float32 goes through
// assembly (kernel_amd64.s); elsewhere (or built with -tags purego), and
// for float64, through Go. The Go float32 kernels emulate the assembly's
// fused multiply-adds exactly (fma32), so both give the same bits and a
// run does not depend on the CPU.

// gemm computes C = A·B, or C += A·B when acc is set, for an m×n C with
// row stride ldc, a k×n B with row stride ldb, and A(i,l) = a[i*ars+l*acs]
// (so A may be a transposed view). Each C element accumulates its k
// products in order l = 0, 1, ..., k-1 onto its starting value.
func gemm[T float](m, n, k int, a []T, ars, acs int, b []T, ldb int, c []T, ldc int, acc bool) {
	if m == 0 || n == 0 {
		return
	}
	if k > 0 && (len(a) < (m-1)*ars+(k-1)*acs+1 || len(b) < (k-1)*ldb+n) || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("policy: gemm %dx%dx%d: operands too short", m, n, k))
	}
	done := 0
	if f, ok := any(a).([]float32); ok && haveAVX2 && k > 0 {
		done = sgemmAVX2(m, n, k, f, ars, acs, any(b).([]float32), ldb, any(c).([]float32), ldc, acc)
	}
	if done < n {
		gemmGo(m, n-done, k, a, ars, acs, b[done:], ldb, c[done:], ldc, acc)
	}
}

// gemmGo is the portable kernel: four columns at a time, so each loaded
// A element is used four times from registers. float32 goes to sgemmGo.
// Products are converted before they are added so that no compiler fuses
// them (the Go spec lets it fuse x*y + z unless x*y is converted).
func gemmGo[T float](m, n, k int, a []T, ars, acs int, b []T, ldb int, c []T, ldc int, acc bool) {
	if f, ok := any(a).([]float32); ok {
		sgemmGo(m, n, k, f, ars, acs, any(b).([]float32), ldb, any(c).([]float32), ldc, acc)
		return
	}
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		ai := a[i*ars:]
		j := 0
		for ; j+4 <= n; j += 4 {
			var s0, s1, s2, s3 T
			if acc {
				s0, s1, s2, s3 = ci[j], ci[j+1], ci[j+2], ci[j+3]
			}
			for l := 0; l < k; l++ {
				x := ai[l*acs]
				bl := b[l*ldb+j : l*ldb+j+4]
				s0 += T(x * bl[0])
				s1 += T(x * bl[1])
				s2 += T(x * bl[2])
				s3 += T(x * bl[3])
			}
			ci[j], ci[j+1], ci[j+2], ci[j+3] = s0, s1, s2, s3
		}
		for ; j < n; j++ {
			var s T
			if acc {
				s = ci[j]
			}
			for l := 0; l < k; l++ {
				s += T(ai[l*acs] * b[l*ldb+j])
			}
			ci[j] = s
		}
	}
}

// sgemmGo is gemmGo for float32 with the assembly kernels' arithmetic:
// each C element is the chain s ← fma(A(i,l), B(l,j), s), l = 0..k-1,
// from its starting value (or +0).
func sgemmGo(m, n, k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		ai := a[i*ars:]
		j := 0
		for ; j+4 <= n; j += 4 {
			var s0, s1, s2, s3 float32
			if acc {
				s0, s1, s2, s3 = ci[j], ci[j+1], ci[j+2], ci[j+3]
			}
			for l := 0; l < k; l++ {
				// fma32 by hand, four at a time: the compiler does not
				// inline it, and one test covers the four halfway checks.
				x := float64(ai[l*acs])
				bl := b[l*ldb+j : l*ldb+j+4]
				p0, p1, p2, p3 := float64(x*float64(bl[0])), float64(x*float64(bl[1])), float64(x*float64(bl[2])), float64(x*float64(bl[3]))
				t0, t1, t2, t3 := p0+float64(s0), p1+float64(s1), p2+float64(s2), p3+float64(s3)
				if nearHalfway32(t0) || nearHalfway32(t1) || nearHalfway32(t2) || nearHalfway32(t3) {
					s0, s1, s2, s3 = roundOdd32(p0, float64(s0), t0), roundOdd32(p1, float64(s1), t1), roundOdd32(p2, float64(s2), t2), roundOdd32(p3, float64(s3), t3)
					continue
				}
				s0, s1, s2, s3 = float32(t0), float32(t1), float32(t2), float32(t3)
			}
			ci[j], ci[j+1], ci[j+2], ci[j+3] = s0, s1, s2, s3
		}
		for ; j < n; j++ {
			var s float32
			if acc {
				s = ci[j]
			}
			for l := 0; l < k; l++ {
				s = fma32(ai[l*acs], b[l*ldb+j], s)
			}
			ci[j] = s
		}
	}
}

// fma32 returns x·y + z rounded once to float32, as VFMADD…PS does.
//
// The product p = x·y of two float32 (24-bit significands) is exact in
// float64 (53 bits). The sum s = p + z rounded to float64 then rounded
// to float32 could round twice wrongly (s landing on a float32 halfway
// point that the exact sum was not on), so s is first rounded to odd
// instead: if the sum was inexact (its exact error e ≠ 0, by Knuth's
// TwoSum) and s's last bit is even, s moves one ulp towards p + z onto
// its odd neighbour. Rounding to odd with 53 ≥ 24+2 bits followed by
// round-to-nearest-even to 24 bits is a single correct rounding (Boldo and
// Melquiond, "Emulation of FMA and correctly-rounded sums: proved
// algorithms using rounding to odd", IEEE TC 2008), also when the
// float32 result is subnormal or overflows. float64 never underflows
// here (a nonzero |p| >= 2^-298), and an exact cancellation gives +0 as
// the instruction does. Inf and NaN pass through (NaN payloads aside).
func fma32(x, y, z float32) float32 {
	p := float64(float64(x) * float64(y)) // exact; converted so it is not fused into the sum
	s := p + float64(z)
	// Fast path: s is no float32 halfway point, so s and p + z round to
	// the same float32 (rounding to nearest is monotone, and halfway points
	// are float64s). A halfway point between normal float32s has the low 29
	// of its 52 fraction bits 1000…0; one between subnormals (|s| < 2^-126,
	// float64 exponent <= -127) has them all 0. A normal s with them all 0
	// is itself a float32, which is what the exact sum rounds to (it lies
	// within half a float64 ulp of s, far from any halfway point), and so
	// is a zero s (IEEE sums give +0 for an exact cancellation, as the
	// instruction does). Exact data (zeros, one-hot rows) lands there often.
	if !nearHalfway32(s) {
		return float32(s)
	}
	return roundOdd32(p, float64(z), s)
}

// nearHalfway32 says whether s may be a float32 halfway point, where fma32
// must take its slow path (see fma32).
func nearHalfway32(s float64) bool {
	low := math.Float64bits(s) & (1<<29 - 1)
	return low == 1<<28 || (low == 0 && s != 0 && math.Abs(s) < 0x1p-126)
}

// roundOdd32 rounds s = RN(p + z) to odd, then to float32 (fma32's slow path).
func roundOdd32(p, z, s float64) float32 {
	bits := math.Float64bits(s)
	if bits&1 == 0 && bits&0x7ff0000000000000 != 0x7ff0000000000000 {
		zz := s - p
		if e := (p - (s - zz)) + (z - zz); e != 0 {
			if (e > 0) == (s > 0) {
				bits++
			} else {
				bits--
			}
			s = math.Float64frombits(bits)
		}
	}
	return float32(s)
}

// transpose writes the r×c row-major src into dst as c×r.
func transpose[T float](dst, src []T, r, c int) {
	for i := 0; i < r; i++ {
		row := src[i*c : (i+1)*c]
		for j, v := range row {
			dst[j*r+i] = v
		}
	}
}

// tanhAll replaces every x by tanh(x). float64 uses detmath.Tanh; float32
// uses tanh32, vectorised where the CPU allows.
func tanhAll[T float](x []T) {
	switch x := any(x).(type) {
	case []float64:
		for i, v := range x {
			x[i] = detmath.Tanh(v)
		}
	case []float32:
		if !haveAVX2 {
			for i, v := range x {
				x[i] = tanh32(v)
			}
			return
		}
		n := len(x) &^ 7
		if n > 0 {
			tanhAVX2(&x[0], n)
		}
		if n < len(x) {
			// The tail goes through the same vector code, padded, so an
			// element's result does not depend on its position.
			var pad [8]float32
			copy(pad[:], x[n:])
			tanhAVX2(&pad[0], 8)
			copy(x[n:], pad[:])
		}
	}
}

// tanhGrad sets dz = g·(1 - h²), the gradient through h = tanh(z).
// The vector path rounds each operation to float32 as Go does, so it
// agrees bit for bit with the loop.
func tanhGrad[T float](dz, g, h []T) {
	dz, g = dz[:len(h)], g[:len(h)]
	i := 0
	if f, ok := any(h).([]float32); ok && haveAVX2 && len(h) >= 8 {
		i = len(h) &^ 7
		tanhGradAVX2(&any(dz).([]float32)[0], &any(g).([]float32)[0], &f[0], i)
	}
	for ; i < len(h); i++ {
		dz[i] = g[i] * (1 - T(h[i]*h[i]))
	}
}

// Constants of tanh32: the Cody–Waite split of ln 2 (the high part has
// trailing zero bits so k·ln2Hi is exact for |k| < 2^8) and the clamp
// beyond which tanh rounds to ±1 in float32 (tanh 10 = 1 - 4e-9).
const (
	ln2Hi    = 0.693145751953125
	ln2Lo    = 1.4286068203094172e-06
	invLn2   = 1.4426950408889634
	tanhClip = 10
)

// tanh32 is tanh in float32 arithmetic, to a few ulp:
//
//	tanh|x| = e/(-2-e),  e = expm1(-w),  w = 2·min(|x|, 10)
//
// with expm1 by range reduction -w = -kk·ln2 + r, |r| <= ln2/2, and a
// degree-7 Taylor polynomial for expm1(r) (truncation r⁸/8! < 2e-8
// relative), so small |x| keep full relative accuracy; the sign of x is
// put back last. It is tanhAVX2's sequence of operations, with its fused
// multiply-adds done by fma32, so the two agree bit for bit.
func tanh32(x float32) float32 {
	if x != x {
		return x
	}
	sign := math.Float32bits(x) & (1 << 31)
	w := min(math.Float32frombits(math.Float32bits(x)&^(1<<31)), tanhClip)
	w += w
	kk := float32(math.RoundToEven(float64(w * invLn2)))
	r := fma32(kk, ln2Hi, -w)
	r = fma32(kk, ln2Lo, r)
	p := float32(1.0 / 5040)
	p = fma32(r, p, 1.0/720)
	p = fma32(r, p, 1.0/120)
	p = fma32(r, p, 1.0/24)
	p = fma32(r, p, 1.0/6)
	p = fma32(r, p, 0.5)
	p = fma32(r*r, p, r) // expm1(r) = r + r²·p
	s := math.Float32frombits(uint32(127-int32(kk)) << 23)
	e := fma32(s, p, s-1) // 2^-kk·(1 + expm1 r) - 1
	t := e / (-2 - e)
	return math.Float32frombits(math.Float32bits(t) | sign)
}

// KernelPath names the float32 dense-layer kernels this process runs:
// "avx512" or "avx2-fma" (the assembly), or "go" (built with -tags purego,
// off amd64, or on a CPU without AVX2 and FMA). All three give the same
// bits; a result's stamp records which one made it.
func KernelPath() string {
	switch {
	case haveAVX512:
		return "avx512"
	case haveAVX2:
		return "avx2-fma"
	}
	return "go"
}
