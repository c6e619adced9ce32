package detmath

import "math"

// Coefficients of math.Tanh's rational approximation on |x| < 0.625
// (Cephes tanh.c): tanh x ≈ x + x·s·P(s)/Q(s), s = x².
var (
	tanhP = [...]float64{-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3}
	tanhQ = [...]float64{1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3}
)

// Tanh returns the hyperbolic tangent of x with the bits of math.Tanh on
// an amd64 CPU with FMA, by math.Tanh's formulas with Exp in place of
// math.Exp:
//
//	tanh x = sign(x)·(1 - 2/(e^(2|x|) + 1))  for 0.625 <= |x| <= 44.01…,
//	tanh x = ±1                               beyond,
//	tanh x = x + x·s·P(s)/Q(s), s = x²        below.
func Tanh(x float64) float64 {
	const maxLog = 8.8029691931113054295988e+01 // log 2^127
	z := math.Abs(x)
	switch {
	case z > 0.5*maxLog:
		if x < 0 {
			return -1
		}
		return 1
	case z >= 0.625:
		s := Exp(2 * z)
		z = 1 - 2/(s+1)
		if x < 0 {
			z = -z
		}
		return z
	case x == 0:
		return x
	}
	s := float64(x * x)
	p := float64(tanhP[0]*s) + tanhP[1]
	p = float64(p*s) + tanhP[2]
	q := float64((s+tanhQ[0])*s) + tanhQ[1]
	q = float64(q*s) + tanhQ[2]
	return x + x*s*p/q
}
