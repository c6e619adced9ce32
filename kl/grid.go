package kl

import "math"

// GridSum returns Σ_i [p(x_i) log(p(x_i)/q(x_i)) - p(x_i) + q(x_i)] over the
// n points x_i of numpy.linspace(lo, hi, n): the sum of scipy.special.kl_div
// over two densities evaluated on a grid.
//
// This is not a KL divergence. Each term is a pointwise Bregman term, so the
// sum grows with n: for P = N(0,1), Q = N(1,2) on linspace(-10, 10, 1000) it
// is 22.135, while KL(P||Q) = log 2 + 2/8 - ½ = 0.4431. Multiplying by the
// grid spacing turns it into a Riemann sum of ∫ p log(p/q) - p + q, which
// approximates the KL when both densities have negligible mass outside
// [lo, hi]; GridIntegral does that directly. Terms follow kl_div: 0 for
// p = 0 (plus q), +Inf where p > 0 and q = 0.
//
// It panics unless n >= 2 and lo < hi are finite.
func GridSum(p, q func(float64) float64, lo, hi float64, n int) float64 {
	checkGrid(lo, hi, n)
	var s float64
	for i := 0; i < n; i++ {
		x := linspaceAt(lo, hi, n, i)
		s += klDiv(p(x), q(x))
	}
	return s
}

// GridIntegral returns the trapezoid-rule integral of p(x) log(p(x)/q(x))
// over the n points of linspace(lo, hi, n), a numerical KL(P||Q) for
// densities whose mass outside [lo, hi] is negligible. For smooth densities
// that have decayed at both ends the trapezoid rule converges faster than
// any power of the spacing, so it needs no higher-order rule. Points where
// p = 0 contribute 0; p > 0 with q = 0 gives +Inf.
//
// It panics unless n >= 2 and lo < hi are finite.
func GridIntegral(p, q func(float64) float64, lo, hi float64, n int) float64 {
	checkGrid(lo, hi, n)
	h := (hi - lo) / float64(n-1)
	var s float64
	for i := 0; i < n; i++ {
		x := linspaceAt(lo, hi, n, i)
		f := relEntr(p(x), q(x))
		if i == 0 || i == n-1 {
			f *= 0.5
		}
		s += f
	}
	return s * h
}

// checkGrid panics on a grid GridSum and GridIntegral cannot use.
func checkGrid(lo, hi float64, n int) {
	if n < 2 {
		panic("kl: grid needs at least 2 points")
	}
	if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		panic("kl: grid needs finite lo < hi")
	}
}

// linspaceAt returns the i-th of n points from lo to hi inclusive, computed
// as numpy.linspace does (start + i·step, with the last point exactly hi),
// so grid sums match numpy bit for bit in the common case.
func linspaceAt(lo, hi float64, n, i int) float64 {
	if i == n-1 {
		return hi
	}
	return lo + float64(i)*((hi-lo)/float64(n-1))
}

// relEntr is scipy.special.rel_entr: p log(p/q), 0 for p = 0, +Inf for
// p > 0 = q, NaN outside the domain.
func relEntr(p, q float64) float64 {
	switch {
	case math.IsNaN(p) || math.IsNaN(q) || p < 0 || q < 0:
		return math.NaN()
	case p == 0:
		return 0
	case q == 0:
		return math.Inf(1)
	}
	return p * math.Log(p/q)
}

// klDiv is scipy.special.kl_div: p log(p/q) - p + q, which is q for p = 0.
func klDiv(p, q float64) float64 {
	r := relEntr(p, q)
	if p == 0 && r == 0 {
		return q
	}
	return r - p + q
}
