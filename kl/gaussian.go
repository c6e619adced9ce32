package kl

import (
	"math"

	"ppo/internal/detmath"
)

// halfLog2PiE is ½(1 + log 2π), the entropy of N(0, 1) in nats.
const halfLog2PiE = 1.4189385332046727

// Normal returns KL(P||Q) for univariate normals P = N(pMean, pStd²) and
// Q = N(qMean, qStd²), in closed form:
//
//	KL(N(μ1,σ1)||N(μ2,σ2)) = log(σ2/σ1) + (σ1² + (μ1-μ2)²)/(2σ2²) - ½.
//
// With u = log(σ1/σ2) the scale part is ½(e^{2u} - 1 - 2u), evaluated
// without cancellation so that nearly equal distributions keep full relative
// precision and KL(P||P) is exactly 0. A non-positive or NaN standard
// deviation gives NaN.
func Normal(pMean, pStd, qMean, qStd float64) float64 {
	if !(pStd > 0) || !(qStd > 0) {
		return math.NaN()
	}
	u := math.Log(pStd / qStd)
	d := (pMean - qMean) / qStd
	return 0.5*expm1mx(2*u) + 0.5*d*d
}

// NormalEntropy returns the differential entropy ½ log(2πe σ²) of a normal
// with standard deviation std. It is -Inf for std = 0 and NaN for std < 0.
func NormalEntropy(std float64) float64 {
	return math.Log(std) + halfLog2PiE
}

// DiagGaussian returns KL(P||Q) for Gaussians with diagonal covariance,
// the sum over dimensions of Normal(pMean[i], pStd[i], qMean[i], qStd[i]),
// since independent dimensions add. It panics if the lengths differ.
func DiagGaussian(pMean, pStd, qMean, qStd []float64) float64 {
	n := len(pMean)
	if len(pStd) != n || len(qMean) != n || len(qStd) != n {
		panic("kl: length mismatch")
	}
	var kl float64
	for i := range pMean {
		kl += Normal(pMean[i], pStd[i], qMean[i], qStd[i])
	}
	return kl
}

// DiagGaussianEntropy returns the entropy Σ_i ½ log(2πe σ_i²) of a Gaussian
// with diagonal covariance and per-dimension standard deviations std.
func DiagGaussianEntropy(std []float64) float64 {
	var h float64
	for _, s := range std {
		h += NormalEntropy(s)
	}
	return h
}

// NormalPDF returns the density of N(mean, std²), for GridSum and
// GridIntegral.
func NormalPDF(mean, std float64) func(float64) float64 {
	c := 1 / (std * math.Sqrt(2*math.Pi))
	return func(x float64) float64 {
		z := (x - mean) / std
		return c * detmath.Exp(-0.5*z*z)
	}
}

// expm1mx returns e^x - 1 - x. Near 0, where the naive form loses all its
// digits to cancellation, it sums the Taylor series Σ_{k≥2} x^k/k!.
func expm1mx(x float64) float64 {
	if math.Abs(x) >= 0.5 {
		return math.Expm1(x) - x
	}
	term := 0.5 * x * x
	sum := term
	for k := 3; k < 40; k++ {
		term *= x / float64(k)
		sum += term
		if math.Abs(term) <= 1e-17*math.Abs(sum) {
			break
		}
	}
	return sum
}
