// Package dist holds the policy's action distributions, each type in one
// place in both its forms: plain Go for acting and measuring, and
// differentiable gorgonia nodes for the loss.
//
// Every distribution implements Dist. The exact KL divergences and the
// log-sum-exp come from package kl, which imports nothing of the module;
// the categorical log-probability and entropy nodes are fused ops with
// hand-written gradients (catop.go).
package dist

import (
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"ppo/kl"
)

// Dist is an action distribution family in both forms.
type Dist interface {
	Plain
	Graph
}

// Plain is a distribution parameterised by one row of the policy head
// (logits, or Gaussian means). Actions are float64 slices: a discrete
// action is one element holding its index.
type Plain interface {
	LogProb(head, action []float64) float64
	Entropy(head []float64) float64
	Sample(head []float64, rng *rand.Rand, action []float64)
	Mode(head []float64, action []float64)
}

// Graph builds a batch of the distributions into a gorgonia graph; every
// result is a per-row [batch] node, differentiable in the batch's nodes.
type Graph interface {
	// LogProbNode is log π(a) for actions fed as a [batch, k] node:
	// one-hot rows for discrete actions, the raw actions otherwise.
	LogProbNode(b Batch, actions *G.Node) (*G.Node, error)
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
