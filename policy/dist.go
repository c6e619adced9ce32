package policy

import (
	"math"
	"math/rand/v2"

	"ppo/detmath"
	"ppo/kl"
)

// Dist is an action distribution parameterised by one row of the policy
// head (logits, or Gaussian means). Actions are float64 slices: a discrete
// action is one element holding its index.
type Dist interface {
	LogProb(head, action []float64) float64
	Entropy(head []float64) float64
	Sample(head []float64, rng *rand.Rand, action []float64)
	Mode(head []float64, action []float64)
}

// Categorical is the distribution over len(logits) actions with
// probabilities softmax(logits).
type Categorical struct{}

// LogProb is the log-probability of action[0] under softmax(logits).
func (Categorical) LogProb(logits, action []float64) float64 {
	m, s := shiftedExpSum(logits)
	return logits[int(action[0])] - m - math.Log(s)
}

// shiftedExpSum returns m = max(logits) and Σ exp(logit - m), the stable
// pieces of log-sum-exp.
func shiftedExpSum(logits []float64) (m, s float64) {
	m = math.Inf(-1)
	for _, v := range logits {
		m = max(m, v)
	}
	for _, v := range logits {
		s += detmath.Exp(v - m)
	}
	return m, s
}

// Entropy is -Σ p log p of softmax(logits).
func (Categorical) Entropy(logits []float64) float64 { return kl.CategoricalEntropyLogits(logits) }

// Sample draws an index by inverting the cumulative distribution with one
// uniform variate, so one action costs one draw from rng.
func (Categorical) Sample(logits []float64, rng *rand.Rand, action []float64) {
	m, s := shiftedExpSum(logits)
	u := rng.Float64() * s
	c := 0.0
	for i, v := range logits {
		c += detmath.Exp(v - m)
		if u < c {
			action[0] = float64(i)
			return
		}
	}
	action[0] = float64(len(logits) - 1)
}

// Mode is the most probable action (the first on ties).
func (Categorical) Mode(logits []float64, action []float64) {
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	action[0] = float64(best)
}

// DiagGaussian is a Gaussian with the given means and a state-independent
// log standard deviation per dimension.
type DiagGaussian struct {
	LogStd []float64
}

var halfLog2Pi = 0.5 * math.Log(2*math.Pi)

// LogProb is Σ_i -½((a_i-μ_i)/σ_i)² - log σ_i - ½ log 2π.
func (d DiagGaussian) LogProb(mean, action []float64) float64 {
	lp := 0.0
	for i, mu := range mean {
		z := (action[i] - mu) * detmath.Exp(-d.LogStd[i])
		lp += float64(-0.5*z*z) - d.LogStd[i] - halfLog2Pi
	}
	return lp
}

// Entropy is Σ_i log σ_i + ½(1 + log 2π); it does not depend on the means.
func (d DiagGaussian) Entropy([]float64) float64 {
	h := 0.0
	for _, ls := range d.LogStd {
		h += ls + 0.5 + halfLog2Pi
	}
	return h
}

// Sample draws μ + σ·ε with ε standard normal, one draw per dimension.
func (d DiagGaussian) Sample(mean []float64, rng *rand.Rand, action []float64) {
	for i, mu := range mean {
		action[i] = mu + float64(detmath.Exp(d.LogStd[i])*detmath.NormFloat64(rng))
	}
}

// Mode is the mean.
func (d DiagGaussian) Mode(mean []float64, action []float64) { copy(action, mean) }

// Dist returns the policy's action distribution with its current log-std.
func (p *Policy) Dist() Dist {
	if p.Spec.Discrete {
		return Categorical{}
	}
	ls := make([]float64, p.Spec.ActDim)
	for i := range ls {
		ls[i] = p.at(p.LogStd, i)
	}
	return DiagGaussian{LogStd: ls}
}

func (p *Policy) at(prm *Param, i int) float64 {
	switch d := prm.T.Data().(type) {
	case []float32:
		return float64(d[i])
	case []float64:
		return d[i]
	}
	panic("policy: unsupported dtype")
}
