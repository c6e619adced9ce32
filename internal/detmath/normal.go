package detmath

import (
	"math"
	"math/rand/v2"
)

// Ziggurat tables of Marsaglia and Tsang (2000) for the standard normal,
// 128 strips, built by their recurrence from the base strip's right edge
// zigR and the common strip area zigV. Built this way (with Exp) they equal
// math/rand/v2's literal tables entry for entry.
const (
	zigR = 3.442619855899
	zigV = 9.91256303526217e-3
)

var zigK, zigW, zigF = zigTables()

func zigTables() (k [128]uint32, w, f [128]float32) {
	const m = 1 << 31
	d := zigR
	t := d
	q := zigV / Exp(-.5*d*d)
	k[0] = uint32((d / q) * m)
	w[0] = float32(q / m)
	w[127] = float32(d / m)
	f[0] = 1
	f[127] = float32(Exp(-.5 * d * d))
	for i := 126; i >= 1; i-- {
		d = math.Sqrt(-2 * math.Log(zigV/d+Exp(-.5*d*d)))
		k[i+1] = uint32((d / t) * m)
		t = d
		f[i] = float32(Exp(-.5 * d * d))
		w[i] = float32(d / m)
	}
	return k, w, f
}

// NormFloat64 returns a standard normal draw from r, the same draw as
// r.NormFloat64() on an amd64 CPU with FMA, consuming the same values of
// r, but with Exp in place of math.Exp. (math.Log, the only other
// function involved, rounds the same on every amd64 CPU.)
func NormFloat64(r *rand.Rand) float64 {
	for {
		u := r.Uint64()
		j := int32(u)
		i := u >> 32 & 0x7f
		x := float64(j) * float64(zigW[i])
		if absInt32(j) < zigK[i] {
			return x
		}
		if i == 0 {
			// The tail beyond zigR, by Marsaglia's exponential method.
			for {
				x = float64(-math.Log(r.Float64()) * (1.0 / zigR))
				y := -math.Log(r.Float64())
				if y+y >= float64(x*x) {
					break
				}
			}
			if j > 0 {
				return zigR + x
			}
			return -zigR - x
		}
		// The wedge of strip i.
		if zigF[i]+float32(float32(r.Float64())*(zigF[i-1]-zigF[i])) < float32(Exp(-.5*x*x)) {
			return x
		}
	}
}

func absInt32(i int32) uint32 {
	if i < 0 {
		return uint32(-i)
	}
	return uint32(i)
}
