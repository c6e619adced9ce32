package dist

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"ppo/kl"
)

// MultiCategorical is the distribution of a MultiDiscrete action: a
// product of independent categoricals, component c over Nvec[c] actions
// with probabilities softmax of its segment of the head, the Nvec[c]
// logits after the previous components'. The head has Σ Nvec logits and
// an action one index per component, so log π(a) = Σ_c log π_c(a_c), and
// entropy and KL are the sums of the components'.
type MultiCategorical struct {
	Nvec []int
}

var _ Dist = MultiCategorical{}

// each calls f with each component's logits and index in the head.
func (m MultiCategorical) each(head []float64, f func(c int, logits []float64)) {
	off := 0
	for c, n := range m.Nvec {
		f(c, head[off:off+n])
		off += n
	}
}

// LogProb is Σ_c log softmax(head_c)[action[c]].
func (m MultiCategorical) LogProb(head, action []float64) float64 {
	v := 0.0
	m.each(head, func(c int, h []float64) { v += Categorical{}.LogProb(h, action[c:c+1]) })
	return v
}

// Entropy is the sum of the components' entropies.
func (m MultiCategorical) Entropy(head []float64) float64 {
	return kl.MultiCategoricalEntropyLogits(head, m.Nvec)
}

// Sample draws each component in order with one uniform variate each.
func (m MultiCategorical) Sample(head []float64, rng *rand.Rand, action []float64) {
	m.each(head, func(c int, h []float64) { Categorical{}.Sample(h, rng, action[c:c+1]) })
}

// Mode is each component's most probable index (the first on ties).
func (m MultiCategorical) Mode(head []float64, action []float64) {
	m.each(head, func(c int, h []float64) { Categorical{}.Mode(h, action[c:c+1]) })
}

// KL is kl.MultiCategoricalLogits on the two heads, in direction dir: the
// sum of the components' KLs.
func (m MultiCategorical) KL(dir kl.Direction, old, cur Params) float64 {
	p, q := ordered(dir, old, cur)
	return kl.MultiCategoricalLogits(p.Head, q.Head, m.Nvec)
}

// LogProbNode is the fused log-probability op on the head b.Head and the
// actions as one one-hot segment per component, both [batch, Σ Nvec].
func (m MultiCategorical) LogProbNode(b Batch, actions *G.Node) (*G.Node, error) {
	n, k, err := m.rows(b.Head)
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(newRowOp(rowLogProb, n, k, m.Nvec, b.Head.Dtype()), b.Head, actions)
}

// EntropyNode is the fused entropy op, summed over the components.
func (m MultiCategorical) EntropyNode(b Batch) (*G.Node, error) {
	n, k, err := m.rows(b.Head)
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(newRowOp(rowEntropy, n, k, m.Nvec, b.Head.Dtype()), b.Head)
}

// KLNode is kl.MultiCategoricalNode on the two batches' heads.
func (m MultiCategorical) KLNode(dir kl.Direction, old, cur Batch) (*G.Node, error) {
	if old.Head == nil || cur.Head == nil {
		return nil, fmt.Errorf("dist: head node is nil")
	}
	return kl.MultiCategoricalNode(dir, old.Head, cur.Head, m.Nvec)
}

// rows is rows checked against Σ Nvec.
func (m MultiCategorical) rows(head *G.Node) (n, k int, err error) {
	if n, k, err = rows(head); err != nil {
		return 0, 0, err
	}
	s := 0
	for _, c := range m.Nvec {
		if c < 1 {
			return 0, 0, fmt.Errorf("dist: multi-categorical components %v: each needs at least one action", m.Nvec)
		}
		s += c
	}
	if len(m.Nvec) == 0 || s != k {
		return 0, 0, fmt.Errorf("dist: head of width %d for components %v", k, m.Nvec)
	}
	return n, k, nil
}
