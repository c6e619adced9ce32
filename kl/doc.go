// Package kl computes Kullback–Leibler divergences, entropies, KL sample
// estimators and KL-penalty coefficient controllers, as plain float64
// functions and as differentiable gorgonia nodes.
//
// All logarithms are natural, so divergences and entropies are in nats.
// KL(P||Q) = E_P[log P - log Q] is the divergence of P from Q; it is not
// symmetric, so every function names its direction. In the PPO paper
// (Schulman et al. 2017) the penalised quantity is KL(pi_old || pi_new),
// written OldNew here.
//
// Names follow one pattern: a plain function on values is named by its
// distribution and takes (P, Q) for KL(P||Q) — Normal, DiagGaussian,
// CategoricalLogits (logits), CategoricalProbs (probabilities),
// MultiCategoricalLogits — or one distribution for its entropy
// (NormalEntropy, CategoricalEntropyLogits, ...). A gorgonia node is the
// same name with the suffix Node and takes a Direction and (old, new):
// CategoricalNode, DiagGaussianNode, MultiCategoricalNode, and the
// entropy, estimator and helper nodes DiagGaussianEntropyNode,
// EstimateNode, LogSoftmaxNode, MaskNode, ExpNode.
//
// Plain functions panic on programmer errors (mismatched or empty slices, an
// invalid enum value) as gonum does, and return NaN for values outside a
// distribution's domain (a non-positive standard deviation); the gorgonia
// constructors and the controllers return errors instead.
//
// It imports only the leaf packages internal/detmath and internal/graphop
// from the module, so it can be used on its own.
package kl
