//go:build !amd64 || purego

package policy

const haveAVX2, haveAVX512 = false, false

func sgemmAVX2(m, n, k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int, acc bool) int {
	return 0
}

func tanhAVX2(x *float32, n int) {}

func tanhGradAVX2(dz, grad, h *float32, n int) {}
