package policy

import (
	"fmt"
	"math"
)

// The dense-layer kernels of the evaluator and the fused graph ops. Every
// output element is computed by one fixed sequence of operations that
// depends only on its column and the inner dimension, never on how many
// rows a call has, so one row evaluated alone gives bit for bit the same
// answer as in a batch. On amd64 with AVX2 and FMA, float32 goes through
// assembly (kernel_amd64.s); elsewhere, and for float64, through Go.

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
// A element is used four times from registers.
func gemmGo[T float](m, n, k int, a []T, ars, acs int, b []T, ldb int, c []T, ldc int, acc bool) {
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
				s0 += x * bl[0]
				s1 += x * bl[1]
				s2 += x * bl[2]
				s3 += x * bl[3]
			}
			ci[j], ci[j+1], ci[j+2], ci[j+3] = s0, s1, s2, s3
		}
		for ; j < n; j++ {
			var s T
			if acc {
				s = ci[j]
			}
			for l := 0; l < k; l++ {
				s += ai[l*acs] * b[l*ldb+j]
			}
			ci[j] = s
		}
	}
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

// tanhAll replaces every x by tanh(x). float64 uses math.Tanh; float32
// uses tanh32, vectorised where the CPU allows.
func tanhAll[T float](x []T) {
	switch x := any(x).(type) {
	case []float64:
		for i, v := range x {
			x[i] = math.Tanh(v)
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
		dz[i] = g[i] * (1 - h[i]*h[i])
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
//	tanh|x| = -e/(2+e),  e = expm1(-2|x|)
//
// with expm1 by range reduction -2|x| = k·ln2 + r, |r| <= ln2/2, and a
// degree-7 Taylor polynomial for expm1(r) (truncation r⁸/8! < 2e-8
// relative), so small |x| keep full relative accuracy. The assembly
// kernel evaluates the same formula with fused multiply-adds.
func tanh32(x float32) float32 {
	if x != x {
		return x
	}
	y := min(float32(math.Abs(float64(x))), tanhClip)
	z := -2 * y
	k := float32(math.RoundToEven(float64(z * invLn2)))
	r := (z - k*ln2Hi) - k*ln2Lo
	p := float32(1.0 / 5040)
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r*r + r
	s := math.Float32frombits(uint32(int32(k)+127) << 23)
	e := s*p + (s - 1)
	t := -e / (2 + e)
	if x < 0 {
		return -t
	}
	return t
}
