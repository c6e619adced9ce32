package kl

import (
	"fmt"
	"math"

	"ppo/internal/detmath"
)

// Direction says which way round a KL divergence between an old (behaviour)
// and a new (current) policy is taken.
type Direction int

const (
	// OldNew is KL(pi_old || pi_new), the direction of the PPO paper's
	// penalty: an expectation over actions drawn from the old policy, which
	// is what a rollout provides.
	OldNew Direction = iota
	// NewOld is KL(pi_new || pi_old), the reverse direction.
	NewOld
)

// ParseDirection parses "old_new" or "new_old", the spellings String uses.
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "old_new":
		return OldNew, nil
	case "new_old":
		return NewOld, nil
	}
	return 0, fmt.Errorf("kl: unknown direction %q (want old_new or new_old)", s)
}

// String returns "old_new" or "new_old", for configs and logs.
func (d Direction) String() string {
	switch d {
	case OldNew:
		return "old_new"
	case NewOld:
		return "new_old"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// Estimator selects how a KL divergence is obtained: exactly from the two
// distributions, or from log-ratios on sampled actions.
//
// With logr = log(pi_new(a)/pi_old(a)) and r = e^logr for a ~ pi_old, the
// sample estimators of KL(old||new) (J. Schulman, "Approximating KL
// Divergence", 2020) are:
//
//	K1: -logr           unbiased; high variance; negative on many samples.
//	K2: ½ logr²         biased: E[K2] = KL + O(‖pi_new-pi_old‖³), so the bias
//	                    is small only for close policies; low variance; >= 0.
//	K3: (r - 1) - logr  unbiased (E[r - 1] = 0 under pi_old) and >= 0
//	                    pointwise since log x <= x - 1; low variance for close
//	                    policies, but heavy-tailed when r can be large.
//
// Exact is not a sample estimator: it means the closed-form KL of the two
// distributions (CategoricalNode, DiagGaussianNode).
type Estimator int

const (
	Exact Estimator = iota // closed form from the distributions
	K1                     // -logr
	K2                     // ½ logr²
	K3                     // (r - 1) - logr
)

// ParseEstimator parses "exact", "k1", "k2" or "k3", the spellings String
// uses.
func ParseEstimator(s string) (Estimator, error) {
	switch s {
	case "exact":
		return Exact, nil
	case "k1":
		return K1, nil
	case "k2":
		return K2, nil
	case "k3":
		return K3, nil
	}
	return 0, fmt.Errorf("kl: unknown estimator %q (want exact, k1, k2 or k3)", s)
}

// String returns "exact", "k1", "k2" or "k3".
func (e Estimator) String() string {
	switch e {
	case Exact:
		return "exact"
	case K1:
		return "k1"
	case K2:
		return "k2"
	case K3:
		return "k3"
	}
	return fmt.Sprintf("Estimator(%d)", int(e))
}

// Estimate returns the single-sample estimate of KL(pi_old || pi_new) from
// logr = log pi_new(a) - log pi_old(a) with a ~ pi_old; it is
// EstimateDir(e, OldNew, logr). Average it over samples.
func Estimate(e Estimator, logr float64) float64 {
	return EstimateDir(e, OldNew, logr)
}

// EstimateDir returns the single-sample estimate of the KL in direction dir
// from logr = log pi_new(a) - log pi_old(a), always with a ~ pi_old, as a
// rollout provides. With r = e^logr:
//
//	OldNew: K1 = -logr, K2 = ½ logr², K3 = (r - 1) - logr.
//	NewOld: the samples come from the other policy, so each estimator of
//	KL(new||old) is importance-weighted by r (E_old[r f] = E_new[f]):
//	K1 = r logr, unbiased; K3 = r logr - (r - 1), unbiased and >= 0
//	(it is r times the K3 of the reverse ratio); K2 = ½ r logr², whose
//	mean is E_new[½ logr²], the K2 of KL(new||old): biased like K2, and
//	with the added variance of the weight r.
//
// K3 and the NewOld forms are evaluated without cancellation near logr = 0.
// It panics for Exact, which has no sample form, or an unknown value.
func EstimateDir(e Estimator, dir Direction, logr float64) float64 {
	if dir != OldNew && dir != NewOld {
		panic(fmt.Sprintf("kl: unknown direction %d", int(dir)))
	}
	switch e {
	case K1:
		if dir == OldNew {
			return -logr
		}
		return detmath.Exp(logr) * logr
	case K2:
		if dir == OldNew {
			return 0.5 * logr * logr
		}
		return 0.5 * detmath.Exp(logr) * logr * logr
	case K3:
		if dir == OldNew {
			return expm1mx(logr)
		}
		if math.Abs(logr) < 0.5 {
			// r logr - (r - 1) = r (e^{-logr} - 1 + logr), free of
			// cancellation near 0.
			return detmath.Exp(logr) * expm1mx(-logr)
		}
		return detmath.Exp(logr)*logr - math.Expm1(logr)
	case Exact:
		panic("kl: Exact is not a sample estimator")
	}
	panic(fmt.Sprintf("kl: unknown estimator %d", int(e)))
}
