package detmath

import "math"

// Why this exists: on amd64 the standard library's math.Exp (and with it
// math.Tanh, math.Sinh, math.Cosh, math.Pow with a fractional exponent and
// math/rand/v2's NormFloat64) runs a different instruction sequence when
// the CPU has FMA (exp_amd64.s tests useFMA), and the two sequences round
// differently in the last place for some inputs. Exp below is that FMA
// sequence written with math.FMA, which is exactly rounded whether it runs
// as an instruction or in software, so it gives the bits math.Exp gives on
// an FMA machine, on every CPU. Products that feed additions are wrapped in
// float64(...) conversions, which the Go spec says round, so no compiler
// (arm64, GOAMD64=v3) fuses them into multiply-adds of its own.

// Constants of the Shibata exp (the same values as exp_amd64.s): ln 2 split
// so that k·ln2U is exact for the k that occur, the Taylor coefficients
// 1/n! of e^r, and the input above which the result overflows.
const (
	log2e    = 1.4426950408889634073599246810018920
	ln2U     = 0.69314718055966295651160180568695068359375
	ln2L     = 0.28235290563031577122588448175013436025525412068e-12
	overflow = 7.09782712893384e+02
)

var expTaylor = [...]float64{
	2.4801587301587301587e-5, // 1/8!
	1.9841269841269841270e-4, // 1/7!
	1.3888888888888888889e-3,
	8.3333333333333333333e-3,
	4.1666666666666666667e-2,
	1.6666666666666666667e-1,
	0.5,
	1.0,
}

// Exp returns e^x with the bits of math.Exp on an amd64 CPU with FMA.
//
// With k = round(x/ln2) and r = (x - k·ln2)/16, e^r - 1 is a degree-8
// Taylor polynomial q(r) and four squarings give e^(16r) - 1 by
// q ← q·(q+2) (since (1+q)² - 1 = q(q+2)); then e^x = (1+q)·2^k.
// Special cases: Exp(+Inf) = +Inf, Exp(-Inf) = 0, Exp(NaN) = NaN, and
// Exp(x) = +Inf for x > 709.782712893384 or when 2^k overflows (which,
// as in math.Exp on amd64, includes x in [709.436…, 709.78…] where e^x is
// just below MaxFloat64).
func Exp(x float64) float64 {
	if math.Float64bits(x)&^(1<<63) >= 0x7ff0000000000000 { // ±Inf or NaN
		if math.IsInf(x, -1) {
			return 0
		}
		return x
	}
	if x > overflow {
		return math.Inf(1)
	}
	kf := math.RoundToEven(log2e * x) // CVTSD2SL rounds to nearest even
	if kf < -1075 {
		// The assembly's int32 conversion may saturate here, but any k
		// this small underflows to +0 all the same.
		return 0
	}
	k := int64(kf)
	r := math.FMA(-kf, ln2U, x)
	r = math.FMA(-kf, ln2L, r)
	r *= 0.0625
	q := expTaylor[0]
	for _, c := range expTaylor[1:] {
		q = math.FMA(r, q, c)
	}
	q = float64(r * q)
	for range 3 {
		q = float64(q * (q + 2))
	}
	q = math.FMA(q+2, q, 1)
	// q·2^k, scaled in two steps when 2^k is subnormal so that only the
	// last multiplication rounds.
	switch e := k + 1023; {
	case e >= 0x7ff:
		return math.Inf(1)
	case e > 0:
		return q * math.Float64frombits(uint64(e)<<52)
	case e < -52:
		return 0
	default:
		q *= math.Float64frombits(uint64(e+1022) << 52)
		return q * 0x1p-1022
	}
}
