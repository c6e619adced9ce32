package kl

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/graphop"
)

// The node constructors below build differentiable gorgonia expressions for
// Float32 or Float64 nodes of one graph. Distributions come in batches: a
// [batch, k] node holds one distribution per row, and the result is a
// per-sample [batch] vector to be weighted, averaged or logged by the
// caller. Every expression is differentiable with respect to every input.

// LogSoftmaxNode returns log(softmax(logits)) along axis 1 of a [batch, k]
// node. It subtracts the row maximum before exponentiating, so logits of
// magnitude 1000 give finite values and gradients. It is built from Max,
// BroadcastSub, Exp, Sum and Log rather than gorgonia's SoftMax or
// LogSumExp: the former takes the maximum of the first row only and the
// latter adds the maximum inside the logarithm.
//
// The maximum's own gradient cancels exactly (log-softmax is invariant to a
// shift of each row), so ties in the maximum are harmless.
func LogSoftmaxNode(logits *G.Node) (*G.Node, error) {
	if _, err := checkMatrix("logits", logits); err != nil {
		return nil, err
	}
	return logSoftmax(logits)
}

func logSoftmax(x *G.Node) (*G.Node, error) {
	var b builder
	m := b.do(G.Max(x, 1))
	shifted := b.bcast(G.BroadcastSub, x, m)
	lse := b.un(G.Log, b.do(G.Sum(b.un(ExpNode, shifted), 1)))
	out := b.bcast(G.BroadcastSub, shifted, lse)
	if b.err != nil {
		return nil, fmt.Errorf("kl: log-softmax: %w", b.err)
	}
	return out, nil
}

// categoricalPQ returns KL(P||Q) = Σ_j p_j (log p_j - log q_j) per row for
// P = softmax(pLogits) and Q = softmax(qLogits), both [batch, k]; the result
// is [batch]. It is one fused op with hand-written gradients in both
// arguments (fused.go), bit-identical to the same expression composed of
// gorgonia ops.
func categoricalPQ(pLogits, qLogits *G.Node) (*G.Node, error) {
	return categoricalNode(pLogits, qLogits, []int{0, 1, 2, 3})
}

// categoricalNode is categoricalPQ with the op's gradient pieces for its
// inputs p, q, p, q (-1: none).
func categoricalNode(pLogits, qLogits *G.Node, pieces []int) (*G.Node, error) {
	if err := checkSame("p logits", pLogits, "q logits", qLogits); err != nil {
		return nil, err
	}
	s := pLogits.Shape()
	var kern graphop.Kernel
	if pLogits.Dtype() == tensor.Float32 {
		kern = newCatKL[float32](s[0], s[1], tensor.Float32)
	} else {
		kern = newCatKL[float64](s[0], s[1], tensor.Float64)
	}
	return applyFused("catkl", kern, pieces, pLogits, qLogits, pLogits, qLogits)
}

// categoricalComposed is categoricalNode built from gorgonia ops: the
// definition the fused op repeats.
func categoricalComposed(pLogits, qLogits *G.Node) (*G.Node, error) {
	lp, err := logSoftmax(pLogits)
	if err != nil {
		return nil, err
	}
	lq, err := logSoftmax(qLogits)
	if err != nil {
		return nil, err
	}
	var b builder
	p := b.un(ExpNode, lp)
	kl := b.do(G.Sum(b.bin(G.HadamardProd, p, b.bin(G.Sub, lp, lq)), 1))
	if b.err != nil {
		return nil, fmt.Errorf("kl: categorical: %w", b.err)
	}
	return kl, nil
}

// categoricalEntropyNode returns the entropy -Σ_j p_j log p_j per row of
// P = softmax(logits) for [batch, k] logits; the result is [batch].
func categoricalEntropyNode(logits *G.Node) (*G.Node, error) {
	if _, err := checkMatrix("logits", logits); err != nil {
		return nil, err
	}
	lp, err := logSoftmax(logits)
	if err != nil {
		return nil, err
	}
	var b builder
	h := b.un(G.Neg, b.do(G.Sum(b.bin(G.HadamardProd, b.un(ExpNode, lp), lp), 1)))
	if b.err != nil {
		return nil, fmt.Errorf("kl: categorical entropy: %w", b.err)
	}
	return h, nil
}

// diagGaussianPQ returns KL(P||Q) per row for diagonal Gaussians given by
// means and log standard deviations, all four [batch, d]; the KL is summed
// over the d dimensions and the result is [batch]. Per dimension, with
// u = log σp - log σq,
//
//	KL = log(σq/σp) + (σp² + (μp-μq)²)/(2σq²) - ½
//	   = ½(expm1(2u) - 2u) + ½(μp-μq)² e^{-2 log σq}.
//
// Log standard deviations are what policy networks output; they keep σ
// positive without a constraint. Like categoricalNode it is one fused op,
// bit-identical to the expression composed of gorgonia ops.
func diagGaussianPQ(pMean, pLogStd, qMean, qLogStd *G.Node) (*G.Node, error) {
	return diagGaussianNode(pMean, pLogStd, qMean, qLogStd, []int{0, 1, 2, 3, 4})
}

// diagGaussianNode is diagGaussianPQ with the op's gradient pieces for
// its inputs pMean, pLogStd, qMean, qLogStd, qLogStd (-1: none).
func diagGaussianNode(pMean, pLogStd, qMean, qLogStd *G.Node, pieces []int) (*G.Node, error) {
	for _, c := range []struct {
		name string
		n    *G.Node
	}{{"p log-std", pLogStd}, {"q mean", qMean}, {"q log-std", qLogStd}} {
		if err := checkSame("p mean", pMean, c.name, c.n); err != nil {
			return nil, err
		}
	}
	s := pMean.Shape()
	var kern graphop.Kernel
	if pMean.Dtype() == tensor.Float32 {
		kern = newGaussKL[float32](s[0], s[1], tensor.Float32)
	} else {
		kern = newGaussKL[float64](s[0], s[1], tensor.Float64)
	}
	return applyFused("gausskl", kern, pieces, pMean, pLogStd, qMean, qLogStd, qLogStd)
}

// diagGaussianComposed is diagGaussianPQ built from gorgonia ops: the
// definition the fused op repeats.
func diagGaussianComposed(pMean, pLogStd, qMean, qLogStd *G.Node) (*G.Node, error) {
	dt := pMean.Dtype()
	var b builder
	two := scalar(dt, 2)
	half := scalar(dt, 0.5)
	u2 := b.bin(G.HadamardProd, b.bin(G.Sub, pLogStd, qLogStd), two)
	scale := b.bin(G.Sub, b.un(expm1Node, u2), u2)
	d := b.bin(G.Sub, pMean, qMean)
	loc := b.bin(G.HadamardProd, b.un(G.Square, d), b.un(ExpNode, b.bin(G.HadamardProd, qLogStd, scalar(dt, -2))))
	kl := b.do(G.Sum(b.bin(G.HadamardProd, b.bin(G.Add, scale, loc), half), 1))
	if b.err != nil {
		return nil, fmt.Errorf("kl: diagonal Gaussian: %w", b.err)
	}
	return kl, nil
}

// DiagGaussianEntropyNode returns the entropy Σ_i (log σ_i + ½(1 + log 2π))
// per row of a diagonal Gaussian with [batch, d] log standard deviations;
// the result is [batch]. It does not depend on the mean.
func DiagGaussianEntropyNode(logStd *G.Node) (*G.Node, error) {
	s, err := checkMatrix("log-std", logStd)
	if err != nil {
		return nil, err
	}
	var b builder
	h := b.bin(G.Add, b.do(G.Sum(logStd, 1)), scalar(logStd.Dtype(), float64(s[1])*halfLog2PiE))
	if b.err != nil {
		return nil, fmt.Errorf("kl: diagonal Gaussian entropy: %w", b.err)
	}
	return h, nil
}

// CategoricalNode returns the per-row KL between the categorical policies with
// [batch, k] logits oldLogits and newLogits in direction dir: KL(old||new)
// for OldNew, KL(new||old) for NewOld. The old policy is data, as in a
// penalty: only newLogits receive a gradient (categoricalPQ has both),
// which spares the gradient pieces nothing would read.
func CategoricalNode(dir Direction, oldLogits, newLogits *G.Node) (*G.Node, error) {
	switch dir {
	case OldNew:
		return categoricalNode(oldLogits, newLogits, []int{-1, 1, -1, 3})
	case NewOld:
		return categoricalNode(newLogits, oldLogits, []int{0, -1, 2, -1})
	}
	return nil, fmt.Errorf("kl: unknown direction %d", int(dir))
}

// DiagGaussianNode returns the per-row KL between the diagonal Gaussian
// policies (mean and log-std, each [batch, d]) in direction dir:
// KL(old||new) for OldNew, KL(new||old) for NewOld. As for CategoricalNode,
// only the new policy's nodes receive a gradient.
func DiagGaussianNode(dir Direction, oldMean, oldLogStd, newMean, newLogStd *G.Node) (*G.Node, error) {
	switch dir {
	case OldNew:
		return diagGaussianNode(oldMean, oldLogStd, newMean, newLogStd, []int{-1, -1, 2, 3, 4})
	case NewOld:
		return diagGaussianNode(newMean, newLogStd, oldMean, oldLogStd, []int{0, 1, -1, -1, -1})
	}
	return nil, fmt.Errorf("kl: unknown direction %d", int(dir))
}

// EstimateNode returns the per-sample KL estimate of estimator e in
// direction dir from logr = log pi_new(a) - log pi_old(a) with a ~ pi_old,
// elementwise (logr is typically [batch]; the result has its shape). The
// formulas and their bias are those of EstimateDir; average the result over
// the batch for the estimate. Exact has no sample form and is an error.
func EstimateNode(e Estimator, dir Direction, logr *G.Node) (*G.Node, error) {
	if logr == nil {
		return nil, errors.New("kl: logr node is nil")
	}
	if err := checkFloat("logr", logr); err != nil {
		return nil, err
	}
	if dir != OldNew && dir != NewOld {
		return nil, fmt.Errorf("kl: unknown direction %d", int(dir))
	}
	dt := logr.Dtype()
	var b builder
	var out *G.Node
	switch e {
	case K1:
		if dir == OldNew {
			out = b.un(G.Neg, logr)
		} else {
			out = b.bin(G.HadamardProd, b.un(ExpNode, logr), logr)
		}
	case K2:
		out = b.bin(G.HadamardProd, b.un(G.Square, logr), scalar(dt, 0.5))
		if dir == NewOld {
			out = b.bin(G.HadamardProd, b.un(ExpNode, logr), out)
		}
	case K3:
		if dir == OldNew {
			out = b.bin(G.Sub, b.un(expm1Node, logr), logr)
		} else {
			rl := b.bin(G.HadamardProd, b.un(ExpNode, logr), logr)
			out = b.bin(G.Sub, rl, b.un(expm1Node, logr))
		}
	case Exact:
		return nil, errors.New("kl: Exact is not a sample estimator; use CategoricalNode or DiagGaussianNode")
	default:
		return nil, fmt.Errorf("kl: unknown estimator %d", int(e))
	}
	if b.err != nil {
		return nil, fmt.Errorf("kl: %v estimator: %w", e, b.err)
	}
	return out, nil
}

// builder chains gorgonia constructors, keeping the first error so that an
// expression reads as one formula; after an error every step is a no-op.
type builder struct{ err error }

func (b *builder) do(n *G.Node, err error) *G.Node {
	if b.err != nil {
		return nil
	}
	b.err = err
	return n
}

func (b *builder) un(f func(*G.Node) (*G.Node, error), x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(f(x))
}

func (b *builder) bin(f func(x, y *G.Node) (*G.Node, error), x, y *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(f(x, y))
}

// bcast applies a broadcasting op between a [batch, k] node x and a [batch]
// node y, repeating y along axis 1.
func (b *builder) bcast(f func(x, y *G.Node, l, r []byte) (*G.Node, error), x, y *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(f(x, y, nil, []byte{1}))
}

// scalar returns a constant of dtype dt, so that expressions keep the
// precision of their inputs.
func scalar(dt tensor.Dtype, v float64) *G.Node {
	if dt == tensor.Float32 {
		return G.NewConstant(float32(v))
	}
	return G.NewConstant(v)
}

func checkFloat(name string, n *G.Node) error {
	if dt := n.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return fmt.Errorf("kl: %s has dtype %v, want float32 or float64", name, dt)
	}
	return nil
}

func checkMatrix(name string, n *G.Node) (tensor.Shape, error) {
	if n == nil {
		return nil, fmt.Errorf("kl: %s node is nil", name)
	}
	if err := checkFloat(name, n); err != nil {
		return nil, err
	}
	s := n.Shape()
	if len(s) != 2 || s[0] < 1 || s[1] < 1 {
		return nil, fmt.Errorf("kl: %s has shape %v, want [batch, k]", name, s)
	}
	return s, nil
}

// checkSame checks that a and b are [batch, k] nodes of one shape, dtype
// and graph.
func checkSame(an string, a *G.Node, bn string, b *G.Node) error {
	sa, err := checkMatrix(an, a)
	if err != nil {
		return err
	}
	sb, err := checkMatrix(bn, b)
	if err != nil {
		return err
	}
	if !sa.Eq(sb) {
		return fmt.Errorf("kl: %s has shape %v but %s has shape %v", an, sa, bn, sb)
	}
	if a.Dtype() != b.Dtype() {
		return fmt.Errorf("kl: %s is %v but %s is %v", an, a.Dtype(), bn, b.Dtype())
	}
	if a.Graph() != b.Graph() {
		return fmt.Errorf("kl: %s and %s are in different graphs", an, bn)
	}
	return nil
}
