//go:build !purego

package policy

// haveAVX2 reports AVX2 and FMA with the OS saving YMM state: the
// assembly kernels need all three. haveAVX512 adds AVX-512F with the OS
// saving ZMM state, for the 64-column kernels.
var (
	haveAVX2   = detectAVX2()
	haveAVX512 = haveAVX2 && detectAVX512()
)

func detectAVX512() bool {
	if xcr0, _ := xgetbv(); xcr0&0xe6 != 0xe6 { // YMM, opmask, ZMM state
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<16) != 0
}

func detectAVX2() bool {
	_, _, c1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0
}

func cpuid(eax, ecx uint32) (a, b, c, d uint32)
func xgetbv() (eax, edx uint32)

// The kernels compute a block of C = A·B (+C when acc): rows 4 or 1,
// columns 64 (AVX-512), 16 or 8, strides in elements, A(i,l) at a[i*ars+l*acs].
//
//go:noescape
func sgemm4x16(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)

//go:noescape
func sgemm1x16(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)

//go:noescape
func sgemm4x64z(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)

//go:noescape
func sgemm1x64z(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)

//go:noescape
func sgemm4x8(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)

//go:noescape
func sgemm1x8(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, acc bool)

// tanhAVX2 applies tanh32's formula in place to n floats, n a multiple of 8.
//
//go:noescape
func tanhAVX2(x *float32, n int)

// tanhGradAVX2 sets dz = grad·(1-h²) for n floats, n a multiple of 8.
//
//go:noescape
func tanhGradAVX2(dz, grad, h *float32, n int)

// sgemmAVX2 runs the assembly kernels over the first n&^7 columns of C
// (gemm has checked the bounds, and k > 0) and returns how many it did.
func sgemmAVX2(m, n, k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int, acc bool) int {
	j := 0
	for ; haveAVX512 && j+64 <= n; j += 64 {
		i := 0
		for ; i+4 <= m; i += 4 {
			sgemm4x64z(k, &a[i*ars], ars, acs, &b[j], ldb, &c[i*ldc+j], ldc, acc)
		}
		for ; i < m; i++ {
			sgemm1x64z(k, &a[i*ars], ars, acs, &b[j], ldb, &c[i*ldc+j], ldc, acc)
		}
	}
	for ; j+16 <= n; j += 16 {
		i := 0
		for ; i+4 <= m; i += 4 {
			sgemm4x16(k, &a[i*ars], ars, acs, &b[j], ldb, &c[i*ldc+j], ldc, acc)
		}
		for ; i < m; i++ {
			sgemm1x16(k, &a[i*ars], ars, acs, &b[j], ldb, &c[i*ldc+j], ldc, acc)
		}
	}
	if j+8 <= n {
		i := 0
		for ; i+4 <= m; i += 4 {
			sgemm4x8(k, &a[i*ars], ars, acs, &b[j], ldb, &c[i*ldc+j], ldc, acc)
		}
		for ; i < m; i++ {
			sgemm1x8(k, &a[i*ars], ars, acs, &b[j], ldb, &c[i*ldc+j], ldc, acc)
		}
		j += 8
	}
	return j
}
