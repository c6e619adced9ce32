package kl

import (
	"math"
	"ppo/internal/detmath"
)

// LogSoftmax stores log(softmax(logits)) in dst and returns it. It subtracts
// the maximum logit before exponentiating, so logits of any finite magnitude
// give finite results; -Inf logits (masked actions) give -Inf. If dst is nil
// a new slice is allocated; otherwise it must have the length of logits and
// may be logits itself. LogSoftmax panics on an empty or mismatched slice.
func LogSoftmax(dst, logits []float64) []float64 {
	if len(logits) == 0 {
		panic("kl: empty logits")
	}
	if dst == nil {
		dst = make([]float64, len(logits))
	}
	if len(dst) != len(logits) {
		panic("kl: length mismatch")
	}
	m, s := ShiftedExpSum(logits)
	if math.IsInf(m, 0) || math.IsNaN(m) {
		// All -Inf (no support), a +Inf logit or a NaN: no distribution.
		for i := range dst {
			dst[i] = math.NaN()
		}
		return dst
	}
	// s >= 1 since the maximum contributes exp(0); subtracting log s after
	// the shift keeps the largest entry exactly -log s.
	ls := math.Log(s)
	for i, v := range logits {
		dst[i] = (v - m) - ls
	}
	return dst
}

// ShiftedExpSum returns m = max(logits) and s = Σ exp(logit - m), the stable
// pieces of log-sum-exp: log Σ exp(logit) = m + log s, and for finite logits
// 1 <= s <= len(logits). It is the one log-sum-exp of the module, shared by
// LogSoftmax and package dist's categorical distribution and fused ops. A
// NaN logit gives m = NaN; empty logits give m = -Inf and s = 0.
func ShiftedExpSum(logits []float64) (m, s float64) {
	m = math.Inf(-1)
	for _, v := range logits {
		m = max(m, v)
	}
	for _, v := range logits {
		s += detmath.Exp(v - m)
	}
	return m, s
}

// CategoricalLogits returns KL(P||Q) = Σ p_i (log p_i - log q_i) for
// P = softmax(pLogits) and Q = softmax(qLogits). It works in log space, so
// it stays exact for logits of any finite magnitude. An action with
// probability 0 under P (logit -Inf) contributes 0; one possible under P but
// impossible under Q gives +Inf. It panics if the lengths differ or are 0.
func CategoricalLogits(pLogits, qLogits []float64) float64 {
	if len(pLogits) != len(qLogits) {
		panic("kl: length mismatch")
	}
	lp := LogSoftmax(nil, pLogits)
	lq := LogSoftmax(nil, qLogits)
	var kl float64
	for i, a := range lp {
		p := detmath.Exp(a)
		if p == 0 {
			continue // 0·log 0 = 0, including underflowed probabilities
		}
		kl += p * (a - lq[i])
	}
	return kl
}

// CategoricalProbs returns KL(P||Q) = Σ p_i log(p_i/q_i) for probability
// vectors p and q. As scipy.stats.entropy does, both are first normalised to
// sum 1, so counts or unnormalised weights are accepted. Terms with p_i = 0
// are 0 (0·log 0 = 0); p_i > 0 with q_i = 0 gives +Inf. A negative or NaN
// entry gives NaN. It panics if the lengths differ or are 0.
func CategoricalProbs(p, q []float64) float64 {
	if len(p) != len(q) {
		panic("kl: length mismatch")
	}
	sp, sq := probSum(p), probSum(q)
	if math.IsNaN(sp) || math.IsNaN(sq) {
		return math.NaN()
	}
	var kl float64
	for i, pi := range p {
		pi /= sp
		qi := q[i] / sq
		switch {
		case pi == 0:
			continue
		case qi == 0:
			return math.Inf(1)
		}
		kl += pi * math.Log(pi/qi)
	}
	return kl
}

// CategoricalEntropyLogits returns the entropy -Σ p_i log p_i of
// P = softmax(logits), computed stably in log space.
func CategoricalEntropyLogits(logits []float64) float64 {
	lp := LogSoftmax(nil, logits)
	var h float64
	for _, a := range lp {
		p := detmath.Exp(a)
		if p == 0 {
			continue
		}
		h -= p * a
	}
	return h
}

// CategoricalEntropy returns the entropy -Σ p_i log p_i of the probability
// vector p, normalised to sum 1 first as in CategoricalProbs.
func CategoricalEntropy(p []float64) float64 {
	s := probSum(p)
	if math.IsNaN(s) {
		return math.NaN()
	}
	var h float64
	for _, pi := range p {
		pi /= s
		if pi == 0 {
			continue
		}
		h -= pi * math.Log(pi)
	}
	return h
}

// probSum returns the sum of p, or NaN if p has a negative, NaN or
// infinite entry or sums to 0. It panics on an empty slice.
func probSum(p []float64) float64 {
	if len(p) == 0 {
		panic("kl: empty probability vector")
	}
	var s float64
	for _, v := range p {
		if !(v >= 0) || math.IsInf(v, 1) {
			return math.NaN()
		}
		s += v
	}
	if s == 0 {
		return math.NaN()
	}
	return s
}
