package kl

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// MaskBias is added to the logit of an action an environment masks out. It is finite, so every
// log-probability, KL and gradient stays finite, yet exp(MaskBias - m) underflows to exactly 0
// in float32 and float64 for any unmasked maximum logit m > MaskBias + 746: a masked action has
// probability exactly 0, contributes 0·(finite) = 0 to entropies and KLs (the 0·log 0 = 0
// convention, exactly), and its logit gets gradient exactly 0. The unmasked actions' log-softmax
// is unchanged bit for bit (their max and exp-sum are the same). -1e30 is a float32 value, and a
// logit h with |h| < 1e14 (float64) or 1e22 (float32) added to it rounds back to MaskBias.
const MaskBias = -1e30

// MaskLogits writes logits with MaskBias added where mask is false into dst (which may be logits)
// and returns it. It panics if the lengths differ or nothing is allowed.
func MaskLogits(dst, logits []float64, mask []bool) []float64 {
	if len(mask) != len(logits) {
		panic("kl: mask length mismatch")
	}
	if dst == nil {
		dst = make([]float64, len(logits))
	}
	allowed := false
	for i, v := range logits {
		dst[i] = v
		if !mask[i] {
			dst[i] = v + MaskBias
		} else {
			allowed = true
		}
	}
	if !allowed {
		panic("kl: mask allows no action")
	}
	return dst
}

// maskedCategoricalLogits returns KL(P||Q) between the masked categoricals P = softmax over the
// allowed actions of pLogits and Q likewise, both under the same mask: the KL over the allowed
// actions alone.
func maskedCategoricalLogits(pLogits, qLogits []float64, mask []bool) float64 {
	return CategoricalLogits(MaskLogits(nil, pLogits, mask), MaskLogits(nil, qLogits, mask))
}

// maskedCategoricalEntropyLogits is the entropy of softmax over the allowed actions of logits.
func maskedCategoricalEntropyLogits(logits []float64, mask []bool) float64 {
	return CategoricalEntropyLogits(MaskLogits(nil, logits, mask))
}

// MaskNode returns logits + bias for [batch, k] logits and a [batch, k] bias holding 0 for
// allowed actions and MaskBias for masked ones: the masked logits, through which gradients pass
// unchanged (and are 0 for masked entries downstream, as p = 0 there).
func MaskNode(logits, bias *G.Node) (*G.Node, error) {
	if err := checkSame("logits", logits, "mask bias", bias); err != nil {
		return nil, err
	}
	return G.Add(logits, bias)
}

// maskedCategoricalNode is CategoricalNode between the old and new logits under one mask bias.
func maskedCategoricalNode(dir Direction, oldLogits, newLogits, bias *G.Node) (*G.Node, error) {
	o, err := MaskNode(oldLogits, bias)
	if err != nil {
		return nil, err
	}
	n, err := MaskNode(newLogits, bias)
	if err != nil {
		return nil, err
	}
	return CategoricalNode(dir, o, n)
}

// MultiCategoricalLogits returns KL(P||Q) for products of independent categoricals, the
// distribution of a MultiDiscrete action: the logits hold one segment of nvec[c] logits per
// component c, and the KL is the sum of the components' categorical KLs.
func MultiCategoricalLogits(pLogits, qLogits []float64, nvec []int) float64 {
	if len(pLogits) != len(qLogits) || len(pLogits) != sum(nvec) {
		panic("kl: length mismatch")
	}
	var d float64
	off := 0
	for _, n := range nvec {
		d += CategoricalLogits(pLogits[off:off+n], qLogits[off:off+n])
		off += n
	}
	return d
}

// MultiCategoricalEntropyLogits is the entropy of a product of categoricals: the sum of the
// components' entropies.
func MultiCategoricalEntropyLogits(logits []float64, nvec []int) float64 {
	if len(logits) != sum(nvec) {
		panic("kl: length mismatch")
	}
	var h float64
	off := 0
	for _, n := range nvec {
		h += CategoricalEntropyLogits(logits[off : off+n])
		off += n
	}
	return h
}

func sum(nvec []int) int {
	s := 0
	for _, n := range nvec {
		if n < 1 {
			panic("kl: a component with no actions")
		}
		s += n
	}
	return s
}

// MultiCategoricalNode is the per-row [batch] KL between products of categoricals with [batch,
// Σnvec] logits, in direction dir: the sum over components of CategoricalNode on each segment
// of columns.
func MultiCategoricalNode(dir Direction, oldLogits, newLogits *G.Node, nvec []int) (*G.Node, error) {
	if err := checkSame("old logits", oldLogits, "new logits", newLogits); err != nil {
		return nil, err
	}
	if len(nvec) == 0 || oldLogits.Shape()[1] != sumOK(nvec) {
		return nil, fmt.Errorf("kl: logits of shape %v for components %v", oldLogits.Shape(), nvec)
	}
	var (
		b     builder
		total *G.Node
	)
	off := 0
	for _, n := range nvec {
		if n == 1 {
			// A one-action component has KL 0, and gorgonia would slice its
			// single column to a vector.
			off++
			continue
		}
		o := b.do(G.Slice(oldLogits, nil, G.S(off, off+n)))
		c := b.do(G.Slice(newLogits, nil, G.S(off, off+n)))
		off += n
		if b.err != nil {
			break
		}
		d, err := CategoricalNode(dir, o, c)
		if err != nil {
			return nil, err
		}
		if total == nil {
			total = d
		} else {
			total = b.bin(G.Add, total, d)
		}
	}
	if total == nil && b.err == nil {
		// Every component has one action: the KL is 0 in every row, built
		// from both inputs (x - x is exactly 0, its gradient too).
		zero := b.bin(G.Add, b.bin(G.Sub, oldLogits, oldLogits), b.bin(G.Sub, newLogits, newLogits))
		total = b.do(G.Sum(zero, 1))
	}
	if b.err != nil {
		return nil, fmt.Errorf("kl: multi-categorical: %w", b.err)
	}
	return total, nil
}

// sumOK is Σnvec, or -1 if a component is empty.
func sumOK(nvec []int) int {
	s := 0
	for _, n := range nvec {
		if n < 1 {
			return -1
		}
		s += n
	}
	return s
}
