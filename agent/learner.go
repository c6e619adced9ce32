package agent

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/configs"
	"ppo/dist"
	"ppo/internal/optim"
	"ppo/kl"
	"ppo/policy"
)

// LossConfig holds what shapes the loss graph.
type LossConfig struct {
	Objective configs.Objective
	Direction kl.Direction
	Estimator kl.Estimator
	// ValueClip > 0 clips value predictions to old ± ValueClip and takes
	// the larger of the clipped and unclipped losses, as CleanRL does (SB3's
	// clip_range_vf uses the clipped prediction's loss alone).
	ValueClip float64
	// Reference adds a KL term to a frozen reference policy (placement loss).
	Reference bool
	// Masked adds a mask-bias input (0 or kl.MaskBias per action) to the
	// network's logits, so masked actions have probability 0 in every term.
	Masked bool
	// RefDirection is the direction of every KL to the reference: in the
	// loss, in the shaped reward and in the logs.
	RefDirection kl.Direction
}

// minibatch is a gorgonia graph of the PPO loss for one batch size, built
// once and rerun for every minibatch of that size. The network, the
// categorical log-probability and entropy (package dist), the policy
// surrogate, the value loss and the means are fused ops with hand-written
// gradients (lossop.go); KL penalties are package kl's nodes.
type minibatch struct {
	size int
	net  *policy.Net
	part policy.Part
	vm   G.VM

	obs, act, oldLogp, adv, ret, oldV *G.Node
	old, ref                          dist.Batch
	entCoef, vfCoef                   *G.Node
	// beta and refCoef are the penalties' coefficients, set before every
	// run and read by their terms (scaledMeanFn).
	beta, refCoef float64

	maskBias                     *G.Node // nil without action masking
	logr                         *G.Node
	loss, pgLoss, vLoss, entropy *G.Node
	tensors                      map[*G.Node]*tensor.Dense
	lossVal, pgVal, vVal, entVal G.Value
	logrVal                      G.Value
	// The whole loss is ((head + vTerm) − entTerm) + refTerm, head being
	// the surrogate with its penalty; an actor part keeps the values of
	// its three terms so the whole loss can be put together in the graph's
	// dtype (split.go).
	head, vTerm, entTerm, refTerm   *G.Node
	headVal, entTermVal, refTermVal G.Value
	// clipRange is the surrogate's ε, set before every run (ppo.clip_range
	// after its schedule).
	clipRange float64
}

// newMinibatch builds the loss graph for batches of size n, or its part:
// with policy.ActorPart every term but the value loss, with
// policy.CriticPart the value loss alone. Either is the whole loss with
// the other network's terms left out, in the same order, so each
// network's gradient is the whole graph's bit for bit (the terms a part
// drops reach the loss through additions, whose gradient is exactly 1).
func newMinibatch(p *policy.Policy, cfg LossConfig, n int, clipRange float64, part policy.Part) (*minibatch, error) {
	g := G.NewGraph()
	net, err := p.Build(g, n, part)
	if err != nil {
		return nil, err
	}
	dt := p.Spec.Dtype()
	mb := &minibatch{size: n, net: net, part: part, tensors: map[*G.Node]*tensor.Dense{}, clipRange: clipRange}
	vec := func(name string) *G.Node { return mb.input(G.NewVector(g, dt, G.WithShape(n), G.WithName(name)), n) }
	scalar := func(name string) *G.Node {
		nd := G.NewScalar(g, dt, G.WithName(name))
		mb.setScalar(nd, 0)
		return nd
	}
	actor, critic := part != policy.CriticPart, part != policy.ActorPart
	mb.obs = mb.input(net.Obs, n, p.Spec.ObsDim)
	if actor {
		mb.act = mb.input(net.ActionInput("actions"), n, p.Spec.ActDim)
		mb.oldLogp, mb.adv = vec("old_logp"), vec("adv")
		mb.old = net.BatchInput("old")
		mb.input(mb.old.Head, n, p.Spec.ActDim)
		if mb.old.LogStd != nil {
			mb.input(mb.old.LogStd, n, p.Spec.ActDim)
		}
		mb.entCoef = scalar("ent_coef")
	}
	if critic {
		mb.ret, mb.oldV = vec("ret"), vec("old_v")
		mb.vfCoef = scalar("vf_coef")
	}

	b := builder{}
	loss := buildLoss(&b, net, mb, cfg, dt, p.Spec.ActDim, actor, critic)
	mb.loss = loss
	if b.err != nil {
		return nil, fmt.Errorf("agent: building the loss: %w", b.err)
	}
	G.Read(mb.loss, &mb.lossVal)
	if actor {
		G.Read(mb.pgLoss, &mb.pgVal)
		G.Read(mb.entropy, &mb.entVal)
		G.Read(mb.logr, &mb.logrVal)
	}
	if critic {
		G.Read(mb.vLoss, &mb.vVal)
	}
	if part == policy.ActorPart {
		G.Read(mb.head, &mb.headVal)
		G.Read(mb.entTerm, &mb.entTermVal)
		if mb.refTerm != nil {
			G.Read(mb.refTerm, &mb.refTermVal)
		}
	}
	if _, err := G.Grad(mb.loss, net.Params...); err != nil {
		return nil, fmt.Errorf("agent: gradient of the loss: %w", err)
	}
	mb.vm = G.NewTapeMachine(g, G.BindDualValues(net.Params...))
	return mb, nil
}

// mean is the fused mean of a [n] node.
func mean(x *G.Node, err error) (*G.Node, error) {
	if err != nil {
		return nil, err
	}
	return newLossOp(meanFn{}, x)
}

// input gives node a backing tensor that is filled in place for every minibatch.
func (mb *minibatch) input(nd *G.Node, shape ...int) *G.Node {
	var t *tensor.Dense
	size := 1
	for _, s := range shape {
		size *= s
	}
	if nd.Dtype() == tensor.Float64 {
		t = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float64, size)))
	} else {
		t = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, size)))
	}
	if err := G.Let(nd, t); err != nil {
		panic(fmt.Sprintf("agent: binding %s: %v", nd.Name(), err))
	}
	mb.tensors[nd] = t
	return nd
}

// set writes v (converted to the graph's dtype) into the input's tensor.
func (mb *minibatch) set(nd *G.Node, v []float64) {
	switch d := mb.tensors[nd].Data().(type) {
	case []float32:
		for i := range d {
			d[i] = float32(v[i])
		}
	case []float64:
		copy(d, v)
	}
}

// setScalar rebinds a scalar input; scalars are values, not tensors, in gorgonia.
func (mb *minibatch) setScalar(nd *G.Node, v float64) {
	var val G.Value = G.NewF32(float32(v))
	if nd.Dtype() == tensor.Float64 {
		val = G.NewF64(v)
	}
	if err := G.Let(nd, val); err != nil {
		panic(fmt.Sprintf("agent: binding %s: %v", nd.Name(), err))
	}
}

// builder threads the first error through a chain of graph operations.
type builder struct{ err error }

func (b *builder) do(n *G.Node, err error) *G.Node {
	if b.err == nil && err != nil {
		b.err = err
	}
	return n
}

// gradsOf points dst at the parameter gradients of mb's last run, in
// Policy.Params order: views of gorgonia's buffers, not copies.
func gradsOf[T optim.Float](mb *minibatch, dst [][]T) error {
	for k, nd := range mb.net.Params {
		i := mb.net.ParamIndex[k]
		g, err := nd.Grad()
		if err != nil {
			return fmt.Errorf("gradient of %s: %w", nd.Name(), err)
		}
		d, ok := g.Data().([]T)
		if !ok {
			return fmt.Errorf("gradient of %s is %T, want %T", nd.Name(), g.Data(), d)
		}
		dst[i] = d
	}
	return nil
}

// zeroGrads clears the gradient buffers. The tape machine adds each run's
// gradient into the parameters' dual values and Reset does not clear
// them, so without this every step would carry the sum of all earlier
// gradients.
func zeroGrads[T optim.Float](grads [][]T) {
	for _, g := range grads {
		clear(g)
	}
}
