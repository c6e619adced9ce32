package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"ppo/internal/detmath"
	"ppo/kl"
)

// Categorical is the distribution over len(logits) actions with
// probabilities softmax(logits).
type Categorical struct{}

// LogProb is the log-probability of action[0] under softmax(logits).
func (Categorical) LogProb(logits, action []float64) float64 {
	m, s := kl.ShiftedExpSum(logits)
	return logits[int(action[0])] - m - math.Log(s)
}

// Entropy is -Σ p log p of softmax(logits).
func (Categorical) Entropy(logits []float64) float64 { return kl.CategoricalEntropyLogits(logits) }

// Sample draws an index by inverting the cumulative distribution with one
// uniform variate, so one action costs one draw from rng.
func (Categorical) Sample(logits []float64, rng *rand.Rand, action []float64) {
	m, s := kl.ShiftedExpSum(logits)
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

// LogProbNode is the fused log-probability op (catop.go) on the logits
// b.Head and one-hot actions, both [batch, k].
func (Categorical) LogProbNode(b Batch, actions *G.Node) (*G.Node, error) {
	n, k, err := rows(b.Head)
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(newRowOp(rowLogProb, n, k, nil, b.Head.Dtype()), b.Head, actions)
}

// EntropyNode is the fused entropy op (catop.go) on the logits b.Head.
func (Categorical) EntropyNode(b Batch) (*G.Node, error) {
	n, k, err := rows(b.Head)
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(newRowOp(rowEntropy, n, k, nil, b.Head.Dtype()), b.Head)
}

// KL is kl.CategoricalLogits on the two heads, in direction dir.
func (Categorical) KL(dir kl.Direction, old, cur Params) float64 {
	p, q := ordered(dir, old, cur)
	return kl.CategoricalLogits(p.Head, q.Head)
}

// KLNode is kl.CategoricalNode on the two batches' logits.
func (Categorical) KLNode(dir kl.Direction, old, cur Batch) (*G.Node, error) {
	return kl.CategoricalNode(dir, old.Head, cur.Head)
}

// rows returns the shape of a [batch, k] head.
func rows(head *G.Node) (n, k int, err error) {
	if head == nil {
		return 0, 0, fmt.Errorf("dist: head node is nil")
	}
	s := head.Shape()
	if len(s) != 2 {
		return 0, 0, fmt.Errorf("dist: head has shape %v, want [batch, k]", s)
	}
	return s[0], s[1], nil
}
