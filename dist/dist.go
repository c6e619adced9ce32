// Package dist holds the policy's action distributions, each type in one
// place in both its forms: plain Go for acting and measuring, and
// differentiable gorgonia nodes for the loss. It imports kl and graphop.
package dist

import (
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

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
