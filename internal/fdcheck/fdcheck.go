// Package fdcheck checks hand-written derivatives against central finite
// differences: the one harness the tests of every hand-written gorgonia op
// use (policy, dist, kl, agent), so that each states only its function,
// its step and its tolerance.
package fdcheck

import "math"

// Probe is the central difference of f along one coordinate:
//
//	Num = (f(x+h) − f(x−h)) / (hi − lo)
//
// with hi and lo the stepped values actually taken (rounded to the
// input's precision, for float32 inputs). Up, Down and the base value
// tell a kink between lo and hi (see Kink).
type Probe struct {
	Num, Up, Down float64
}

// Central probes the coordinate whose current value is x: set(v) places v
// in the input, f evaluates the function, and x is restored before it
// returns. round, if not nil, rounds each stepped value to the input's
// precision (float64(float32(v)) for float32 inputs), so that the quotient
// divides by the step the input really took.
func Central(f func() float64, set func(float64), x, h float64, round func(float64) float64) Probe {
	hi, lo := x+h, x-h
	if round != nil {
		hi, lo = round(hi), round(lo)
	}
	set(hi)
	up := f()
	set(lo)
	down := f()
	set(x)
	return Probe{Num: (up - down) / (hi - lo), Up: up, Down: down}
}

// Within says whether the analytic derivative a agrees with the numeric n:
// |a − n| ≤ abs + rel·|n|. Callers set abs and rel from the step: a
// central difference has truncation error O(h²·f‴) and rounding error
// O(ε·|f|/h).
func Within(a, n, abs, rel float64) bool {
	return math.Abs(a-n) <= abs+rel*math.Abs(n)
}

// Kink says whether f has a kink (relu, clipping, a max) between x−h and
// x+h: the one-sided differences Up − base and base − Down disagree by
// more than frac of their size plus abs. Such a coordinate's central
// difference is not a derivative, and a check skips it.
func (p Probe) Kink(base, frac, abs float64) bool {
	fw, bw := p.Up-base, base-p.Down
	return math.Abs(fw-bw) > frac*(math.Abs(fw)+math.Abs(bw))+abs
}
