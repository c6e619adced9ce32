package agent

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/kl"
	"ppo/policy"
)

// buildLoss adds the PPO loss of one minibatch to the graph, in the order
// its terms are summed (an order that fixes the loss's bits):
//
//	L = L^PG + β·Ê[KL] + c_v·L^V − c_e·Ê[H] + c_ref·Ê[KL_ref]
//
// with r_t = π(a_t|s_t)/π_old(a_t|s_t) (exp of mb.logr) and Â_t the
// minibatch's advantages (standardised when ppo.normalize_advantages):
//
//   - L^PG, the policy term (Schulman et al. 2017): −Ê[min(r_t Â_t,
//     clip(r_t, 1−ε, 1+ε) Â_t)] for the clipped objectives (L^CLIP, eq. 7),
//     −Ê[r_t Â_t] for kl_penalty and none (L^CPI, eq. 6); surrogateFn in
//     lossop.go.
//   - β·Ê[KL], the penalty of kl_penalty and clip_kl (L^KLPEN, eq. 8): the
//     exact KL(π_old ‖ π) per state, in kl.direction, from the head's
//     distribution (dist), or an estimator's sample form (kl.estimator),
//     weighed by the controller's β.
//   - c_v·L^V, the value loss: ½ Ê[(V(s_t) − R_t)²], or with ppo.value_clip
//     the larger of that and the clipped prediction's, as CleanRL
//     (valueLossFn); c_v is ppo.value_coef (eq. 9's c_1).
//   - c_e·Ê[H], the entropy bonus (eq. 9's c_2 S[π]), subtracted.
//   - c_ref·Ê[KL_ref], the penalty on the KL to a frozen reference policy
//     (kl.reference with placement loss), in kl.reference.direction.
//
// An action mask is a bias added to the logits first (kl.MaskNode). The
// actor part leaves out the value term and the critic part keeps it alone
// (newMinibatch): each is the whole loss with the other network's terms
// dropped, so each network's gradient is the whole graph's bit for bit.
func buildLoss(b *builder, net *policy.Net, mb *minibatch, cfg LossConfig, dt tensor.Dtype, actDim int, actor, critic bool) *G.Node {
	n := mb.size
	var loss *G.Node
	// add appends a term to the loss.
	add := func(term *G.Node) {
		if loss == nil {
			loss = term
			return
		}
		loss = b.do(G.Add(loss, term))
	}
	if actor {
		if cfg.Masked {
			mb.maskBias = mb.input(net.ActionInput("mask_bias"), n, actDim)
			net.Head = b.do(kl.MaskNode(net.Head, mb.maskBias))
		}
		logp := b.do(net.LogProb(mb.act))
		mb.logr = b.do(G.Sub(logp, mb.oldLogp))
		clip := cfg.Objective.Clipped()
		mb.pgLoss = b.do(newLossOp(surrogateFn{clip: clip, eps: &mb.clipRange}, mb.logr, mb.adv))
		add(mb.pgLoss)
		if cfg.Objective.Penalised() {
			// The penalty: the exact KL, or an estimator's sample form.
			var pen *G.Node
			if cfg.Estimator == kl.Exact {
				pen = b.do(net.KL(cfg.Direction, mb.old))
			} else {
				pen = b.do(kl.EstimateNode(cfg.Estimator, cfg.Direction, mb.logr))
			}
			add(b.do(newLossOp(scaledMeanFn{coef: &mb.beta, f32: dt == tensor.Float32}, pen)))
		}
		mb.head = loss
	}
	if critic {
		mb.vLoss = b.do(newLossOp(valueLossFn{clip: cfg.ValueClip}, net.Value, mb.ret, mb.oldV))
		mb.vTerm = b.do(G.Mul(mb.vfCoef, mb.vLoss))
		add(mb.vTerm)
	}
	if actor {
		mb.entropy = b.do(mean(net.Entropy()))
		mb.entTerm = b.do(G.Mul(mb.entCoef, mb.entropy))
		loss = b.do(G.Sub(loss, mb.entTerm))
		if cfg.Reference {
			mb.ref = net.BatchInput("ref")
			mb.input(mb.ref.Head, n, actDim)
			if mb.ref.LogStd != nil {
				mb.input(mb.ref.LogStd, n, actDim)
			}
			refKL := b.do(net.KL(cfg.RefDirection, mb.ref))
			mb.refTerm = b.do(newLossOp(scaledMeanFn{coef: &mb.refCoef, f32: dt == tensor.Float32}, refKL))
			add(mb.refTerm)
		}
	}
	return loss
}
