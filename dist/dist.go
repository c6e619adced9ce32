// Package dist holds the policy's action distributions, each type in one
// place in both its forms: plain Go for acting and measuring, and
// differentiable gorgonia nodes for the loss. It imports kl and graphop.
package dist

import (
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"ppo/internal/detmath"
	"ppo/kl"
)

// Dist is an action distribution family in both forms; every distribution
// of the package implements it, and a new one (masked or multi-discrete
// actions) joins by implementing it. The exact KL divergences and the
// log-sum-exp come from package kl; the categorical log-probability and
// entropy nodes are fused ops with hand-written gradients (catop.go).
type Dist interface {
	Plain
	Graph
}

// Plain is a distribution parameterised by one row of the policy head
// (logits, or Gaussian means). Actions are float64 slices: a discrete
// action is one element holding its index.
type Plain interface {
	// LogProb is log π(action).
	LogProb(head, action []float64) float64
	// Entropy is -E[log π] in nats.
	Entropy(head []float64) float64
	// Sample writes a draw into action, using rng only.
	Sample(head []float64, rng *rand.Rand, action []float64)
	// Mode writes the most probable action into action.
	Mode(head []float64, action []float64)
	// KL is the exact KL divergence between the distributions old and
	// cur of this family in direction dir: KL(old ‖ cur) for kl.OldNew,
	// KL(cur ‖ old) for kl.NewOld. Every KL between two policies' heads
	// that the trainer logs or optimises on plain values is this one.
	KL(dir kl.Direction, old, cur Params) float64
}

// Params are one distribution's parameters as the plain forms take them:
// Head is one row of a policy head (logits, with any action mask's bias
// already added, or Gaussian means) and Std a Gaussian's standard
// deviations (nil for the categorical families).
type Params struct {
	Head, Std []float64
}

// ordered puts old and cur in the order kl's functions take them for
// direction dir: KL(p ‖ q).
func ordered(dir kl.Direction, old, cur Params) (p, q Params) {
	if dir == kl.NewOld {
		return cur, old
	}
	return old, cur
}

// LogStd is the log standard deviations of d's actions when d is a
// state-independent Gaussian, nil for the categorical families.
func LogStd(d Plain) []float64 {
	if g, ok := d.(DiagGaussian); ok {
		return g.LogStd
	}
	return nil
}

// Std is exp(LogStd(d)) (detmath's exponential), nil for the categorical
// families.
func Std(d Plain) []float64 { return StdOf(LogStd(d)) }

// StdOf is exp of each log standard deviation, nil for nil.
func StdOf(logStd []float64) []float64 {
	if logStd == nil {
		return nil
	}
	s := make([]float64, len(logStd))
	for i, v := range logStd {
		s[i] = detmath.Exp(v)
	}
	return s
}

// Graph builds a batch of the distributions into a gorgonia graph; every
// result is a per-row [batch] node, differentiable in the batch's nodes.
type Graph interface {
	// LogProbNode is log π(a) for actions fed as a [batch, k] node:
	// one-hot rows for discrete actions, the raw actions otherwise.
	LogProbNode(b Batch, actions *G.Node) (*G.Node, error)
	// EntropyNode is the entropy of each row.
	EntropyNode(b Batch) (*G.Node, error)
	// KLNode is the exact KL between old and cur in direction dir.
	KLNode(dir kl.Direction, old, cur Batch) (*G.Node, error)
}

// Both distributions implement both forms.
var (
	_ Dist = Categorical{}
	_ Dist = DiagGaussian{}
)

// Batch is a batch of distributions as graph nodes: the head (logits or
// means) and, for Gaussians, the log-std, both [batch, k].
type Batch struct {
	Head, LogStd *G.Node
}
