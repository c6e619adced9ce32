package policy

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// naiveGemm is the textbook triple loop in float64, the reference.
func naiveGemm(m, n, k int, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			if acc {
				s = c[i*ldc+j]
			}
			for l := 0; l < k; l++ {
				s += a[i*ars+l*acs] * b[l*ldb+j]
			}
			c[i*ldc+j] = s
		}
	}
}

func toF32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// TestGemm checks every kernel path (row blocks of 4 and 1, column blocks
// of 16, 8 and the Go tail; A plain and transposed; overwrite and
// accumulate) against the float64 triple loop. Tolerance: float64 sums k
// products exactly up to k·ε·Σ|a·b|; float32 inputs are rounded first, so
// the bound is k·ε32·Σ|a·b| with ε32 = 2^-24, doubled for safety.
func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {4, 16, 3}, {5, 17, 64}, {7, 24, 2}, {9, 33, 5}, {128, 64, 64}, {3, 2, 64}, {64, 64, 256}, {13, 8, 1}}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, trans := range []bool{false, true} {
			for _, acc := range []bool{false, true} {
				ars, acs := k, 1
				if trans {
					ars, acs = 1, m
				}
				a := make([]float64, m*k)
				b := make([]float64, k*(n+3)) // ldb = n+3: rows with a gap
				c0 := make([]float64, m*(n+1))
				for _, s := range [][]float64{a, b, c0} {
					for i := range s {
						s[i] = rng.NormFloat64()
					}
				}
				// Round inputs to float32 so both paths see the same numbers.
				a32, b32, c32 := toF32(a), toF32(b), toF32(c0)
				for i := range a {
					a[i], c0[i%len(c0)] = float64(a32[i]), float64(c32[i%len(c0)])
				}
				for i := range b {
					b[i] = float64(b32[i])
				}
				for i := range c0 {
					c0[i] = float64(c32[i])
				}
				want := append([]float64(nil), c0...)
				naiveGemm(m, n, k, a, ars, acs, b, n+3, want, n+1, acc)
				got64 := append([]float64(nil), c0...)
				gemm(m, n, k, a, ars, acs, b, n+3, got64, n+1, acc)
				gemm(m, n, k, a32, ars, acs, b32, n+3, c32, n+1, acc)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						bound := 0.0
						if acc {
							bound = math.Abs(c0[i*(n+1)+j])
						}
						for l := 0; l < k; l++ {
							bound += math.Abs(a[i*ars+l*acs] * b[l*(n+3)+j])
						}
						bound *= float64(k + 1)
						w := want[i*(n+1)+j]
						if d := math.Abs(got64[i*(n+1)+j] - w); d > bound*0x1p-52 {
							t.Errorf("%v trans=%v acc=%v float64 C[%d,%d] = %v, want %v", sh, trans, acc, i, j, got64[i*(n+1)+j], w)
						}
						if d := math.Abs(float64(c32[i*(n+1)+j]) - w); d > 2*bound*0x1p-24 {
							t.Errorf("%v trans=%v acc=%v float32 C[%d,%d] = %v, want %v", sh, trans, acc, i, j, c32[i*(n+1)+j], w)
						}
					}
					// The gap column of C is never written.
					if n+1 > n && c32[i*(n+1)+n] != float32(c0[i*(n+1)+n]) {
						t.Errorf("%v: gemm wrote outside C's rows", sh)
					}
				}
			}
		}
	}
}

// TestGemmRowIndependent: a row computed alone equals the same row
// computed in a batch, bit for bit, so acting one environment at a time
// gives the batch's answer.
func TestGemmRowIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const m, n, k = 11, 40, 37
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	all := make([]float32, m*n)
	gemm(m, n, k, a, k, 1, b, n, all, n, false)
	for i := 0; i < m; i++ {
		one := make([]float32, n)
		gemm(1, n, k, a[i*k:], k, 1, b, n, one, n, false)
		for j := range one {
			if math.Float32bits(one[j]) != math.Float32bits(all[i*n+j]) {
				t.Fatalf("row %d col %d: alone %v, in batch %v", i, j, one[j], all[i*n+j])
			}
		}
	}
}

// TestTanh32 compares float32 tanh with math.Tanh. Tolerance: 4 ulp of
// the result (relative 2^-21), the accuracy claimed for tanh32; tanh of
// large |x| must be exactly ±1, of ±0 zero, of NaN NaN.
func TestTanh32(t *testing.T) {
	xs := []float32{0, 1e-30, -1e-20, 1e-8, 3e-4, -0.01, 0.1, 0.17, 0.1733, -0.35, 0.5, 1, -2, 3.7, 8.9, 9.01, -9.5, 10, 30, -1e10, float32(math.Inf(1)), float32(math.Inf(-1))}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 20000; i++ {
		xs = append(xs, float32(rng.NormFloat64()*3), float32(math.Exp(rng.Float64()*20-18)))
	}
	check := func(name string, got []float32) {
		t.Helper()
		bad := 0
		for i, x := range xs {
			want := math.Tanh(float64(x))
			g := float64(got[i])
			if d := math.Abs(g - want); d > math.Abs(want)*0x1p-21 && bad < 5 {
				bad++
				t.Errorf("%s(%v) = %v, want %v (%.2g relative)", name, x, g, want, d/math.Abs(want))
			}
		}
	}
	scalar := make([]float32, len(xs))
	for i, x := range xs {
		scalar[i] = tanh32(x)
	}
	check("tanh32", scalar)
	vec := append([]float32(nil), xs...)
	tanhAll(vec)
	check("tanhAll", vec)
	nan := []float32{float32(math.NaN()), 1, 2}
	tanhAll(nan)
	if nan[0] == nan[0] || tanh32(float32(math.NaN())) == tanh32(float32(math.NaN())) {
		t.Error("tanh of NaN is not NaN")
	}
	// Position independence: a value gives the same bits in the tail.
	for n := 1; n <= 17; n++ {
		v := make([]float32, n)
		for i := range v {
			v[i] = 0.37
		}
		tanhAll(v)
		for i := range v {
			if v[i] != v[0] {
				t.Fatalf("n=%d: tanh differs by position: %v vs %v", n, v[i], v[0])
			}
		}
	}
}

// TestTanhGrad: the vector path equals the plain float32 loop bit for bit.
func TestTanhGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 37
	g, h, got := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range g {
		g[i], h[i] = float32(rng.NormFloat64()), float32(math.Tanh(rng.NormFloat64()))
	}
	tanhGrad(got, g, h)
	for i := range got {
		if want := g[i] * (1 - h[i]*h[i]); math.Float32bits(got[i]) != math.Float32bits(want) {
			t.Fatalf("dz[%d] = %v, want %v", i, got[i], want)
		}
	}
}

// fmaCases are float32 triples (x, y, z) on which rounding x·y + z first
// to float64 and then to float32 goes wrong: x·y = 2^e(1 - 2^-36)·(small
// odd multiples), z with an odd last bit, so the float64 sum lands on a
// float32 halfway point the exact sum is just off. Plus seeded random
// triples over many exponents, cancellations and special values.
func fmaCases() [][3]float32 {
	var cs [][3]float32
	for i := 1; i <= 8; i++ {
		for _, sg := range []float32{1, -1} {
			u := float32(math.Ldexp(1, -18)) * float32(i)
			x := 1 + u
			y := float32(math.Ldexp(1, -24)) * (1 - u)
			for _, z := range []float32{1 + 0x1p-23, 1 + 3*0x1p-23, 2 - 0x1p-23, 1} {
				cs = append(cs, [3]float32{sg * x, sg * y, sg * z}, [3]float32{x, -y, z}, [3]float32{x, y, -z})
			}
		}
	}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	cs = append(cs, [3]float32{0, 0, 0}, [3]float32{-1, 0, 0}, [3]float32{1, 1, -1}, [3]float32{inf, 1, 1},
		[3]float32{inf, 0, 1}, [3]float32{1, 1, -inf}, [3]float32{nan, 1, 1}, [3]float32{0x1p-100, 0x1p-49, 0x1p-149},
		[3]float32{0x1p-75, 0x1p-75, -0x1p-149}, [3]float32{math.MaxFloat32, 2, -math.MaxFloat32}, [3]float32{math.MaxFloat32, 1 + 0x1p-23, 0})
	rng := rand.New(rand.NewPCG(21, 22))
	for range 100000 {
		x := float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(80)-40))
		y := float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(80)-40))
		z := -x * y * float32(1+rng.NormFloat64()*math.Ldexp(1, -rng.IntN(30)))
		if rng.IntN(2) == 0 {
			z = float32(math.Ldexp(rng.NormFloat64(), rng.IntN(300)-150))
		}
		cs = append(cs, [3]float32{x, y, z})
	}
	return cs
}

// TestFMA32 checks fma32 against x·y + z computed exactly by math/big and
// rounded once to float32, and shows the double rounding it avoids occurs.
func TestFMA32(t *testing.T) {
	double := 0
	for _, c := range fmaCases() {
		x, y, z := c[0], c[1], c[2]
		got := fma32(x, y, z)
		if math.IsNaN(float64(x)) || math.IsNaN(float64(y)) || math.IsNaN(float64(z)) ||
			math.IsInf(float64(x), 0) || math.IsInf(float64(y), 0) || math.IsInf(float64(z), 0) {
			if w := float64(x)*float64(y) + float64(z); !math.IsNaN(w) && float64(got) != w || math.IsNaN(w) != math.IsNaN(float64(got)) {
				t.Errorf("fma32(%v, %v, %v) = %v, want %v", x, y, z, got, w)
			}
			continue
		}
		exact := new(big.Float).SetPrec(600).SetFloat64(float64(x))
		exact.Mul(exact, new(big.Float).SetFloat64(float64(y)))
		exact.Add(exact, new(big.Float).SetFloat64(float64(z)))
		want, _ := exact.Float32()
		if exact.Sign() == 0 {
			want = 0 // an exact cancellation is +0 in round-to-nearest
			if x*y == 0 && z == 0 && math.Signbit(float64(x)) != math.Signbit(float64(y)) && math.Signbit(float64(z)) {
				want = float32(math.Copysign(0, -1))
			}
		}
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("fma32(%v, %v, %v) = %v, want %v", x, y, z, got, want)
		}
		if float32(float64(x)*float64(y)+float64(z)) != want {
			double++
		}
	}
	if double == 0 {
		t.Error("no case where rounding through float64 is wrong: the test cannot tell fma32 from it")
	}
}
