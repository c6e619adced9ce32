package policy

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"

	"ppo/dist"
	"ppo/kl"
)

// Net is the policy's network built into a gorgonia graph for a fixed batch size.
type Net struct {
	p     *Policy
	g     *G.ExprGraph
	batch int
	dist  dist.Graph
	// Obs is the input node, [batch, ObsDim].
	Obs *G.Node
	// Head is the logits or Gaussian means, [batch, ActDim].
	Head *G.Node
	// Value is the critic's output, [batch].
	Value *G.Node
	// LogStd is the Gaussian log-std broadcast to [batch, ActDim]; nil for discrete actions.
	LogStd *G.Node
	// Params are the weight nodes of the part built, in the order of
	// Policy.Params; ParamIndex[i] is Params[i]'s index in Policy.Params.
	Params     []*G.Node
	ParamIndex []int
}

// Part selects what Build adds to a graph.
type Part int

const (
	// Whole is the whole network.
	Whole Part = iota
	// ActorPart is the actor alone (its layers, the policy head and the
	// log-std): Value is nil. Only for networks that share no layers.
	ActorPart
	// CriticPart is the critic alone (its layers and the value head):
	// Head and LogStd are nil. Only for networks that share no layers.
	CriticPart
)

// Build adds the network, or the part of it selected, for a batch of the
// given size to g. The weight nodes are bound to the policy's tensors, so
// later in-place updates of the weights are seen by the graph without
// rebuilding it.
func (p *Policy) Build(g *G.ExprGraph, batch int, part Part) (*Net, error) {
	if part != Whole && p.Spec.Shared {
		return nil, errors.New("policy: a network with a shared trunk cannot be built in parts")
	}
	dt := p.Spec.Dtype()
	n := &Net{p: p, g: g, batch: batch, dist: p.Dist()}
	n.Obs = G.NewMatrix(g, dt, G.WithShape(batch, p.Spec.ObsDim), G.WithName("obs"))
	inPart := map[*Param]bool{}
	for _, prm := range p.partParams(part) {
		inPart[prm] = true
	}
	nodes := make(map[*Param]*G.Node, len(p.params))
	for i, prm := range p.params {
		if !inPart[prm] {
			continue
		}
		s := prm.T.Shape()
		nd := G.NewMatrix(g, dt, G.WithShape(s[0], s[1]), G.WithName(prm.Name), G.WithValue(prm.T))
		nodes[prm] = nd
		n.Params = append(n.Params, nd)
		n.ParamIndex = append(n.ParamIndex, i)
	}
	relu := p.Spec.Activation == "relu"
	// tower adds one fused op for a stack of layers (op.go).
	tower := func(label string, x *G.Node, ls []Layer, actLast, squeeze, wantDX bool) (*G.Node, error) {
		s := towerShape{in: ls[0].In, relu: relu, actLast: actLast}
		args := G.Nodes{x}
		for _, l := range ls {
			s.outs = append(s.outs, l.Out)
			args = append(args, nodes[l.W], nodes[l.B])
		}
		var r towerRunner
		if p.Spec.Float64 {
			r = newRunner[float64](s, batch, squeeze, wantDX)
		} else {
			r = newRunner[float32](s, batch, squeeze, wantDX)
		}
		nd, err := G.ApplyOp(newTowerOp(r, label), args...)
		if err != nil {
			return nil, fmt.Errorf("policy: %s: %w", label, err)
		}
		return nd, nil
	}
	var err error
	if p.Spec.Shared {
		trunk, err := tower("trunk", n.Obs, p.Actor, true, false, false)
		if err != nil {
			return nil, err
		}
		if n.Head, err = tower("pi", trunk, []Layer{p.PiHead}, false, false, true); err != nil {
			return nil, err
		}
		if n.Value, err = tower("v", trunk, []Layer{p.VHead}, false, true, true); err != nil {
			return nil, err
		}
	} else {
		if part != CriticPart {
			if n.Head, err = tower("actor", n.Obs, append(append([]Layer{}, p.Actor...), p.PiHead), false, false, false); err != nil {
				return nil, err
			}
		}
		if part != ActorPart {
			if n.Value, err = tower("critic", n.Obs, append(append([]Layer{}, p.Critic...), p.VHead), false, true, false); err != nil {
				return nil, err
			}
		}
	}
	if !p.Spec.Discrete && part != CriticPart {
		zeros := G.NewMatrix(g, dt, G.WithShape(batch, p.Spec.ActDim), G.WithName("zeros"), G.WithInit(G.Zeroes()))
		if n.LogStd, err = G.BroadcastAdd(zeros, nodes[p.LogStd], nil, []byte{0}); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// partParams returns the parameters a part uses.
func (p *Policy) partParams(part Part) []*Param {
	if part == Whole {
		return p.params
	}
	layers := func(ls ...Layer) []*Param {
		var ps []*Param
		for _, l := range ls {
			ps = append(ps, l.W, l.B)
		}
		return ps
	}
	var ps []*Param
	if part != CriticPart {
		ps = append(ps, layers(append(append([]Layer{}, p.Actor...), p.PiHead)...)...)
		if p.LogStd != nil {
			ps = append(ps, p.LogStd)
		}
	}
	if part != ActorPart {
		ps = append(ps, layers(append(append([]Layer{}, p.Critic...), p.VHead)...)...)
	}
	return ps
}

// ActionInput is a node to feed actions through: for discrete actions a
// one-hot matrix [batch, ActDim], otherwise the raw actions [batch, ActDim].
func (n *Net) ActionInput(name string) *G.Node {
	return G.NewMatrix(n.g, n.p.Spec.Dtype(), G.WithShape(n.batch, n.p.Spec.ActDim), G.WithName(name))
}

// Batch is the network's distributions: its head and log-std nodes.
func (n *Net) Batch() dist.Batch { return dist.Batch{Head: n.Head, LogStd: n.LogStd} }

// LogProb is the per-sample log-probability [batch] of the actions fed
// through ActionInput.
func (n *Net) LogProb(actions *G.Node) (*G.Node, error) {
	return n.dist.LogProbNode(n.Batch(), actions)
}

// Entropy is the per-sample entropy [batch].
func (n *Net) Entropy() (*G.Node, error) { return n.dist.EntropyNode(n.Batch()) }

// BatchInput adds input nodes for a fixed (non-trainable) batch of
// distributions, such as the behaviour policy's: the head and, for
// Gaussians, the log-std, both [batch, ActDim].
func (n *Net) BatchInput(prefix string) dist.Batch {
	o := dist.Batch{Head: n.ActionInput(prefix + "_head")}
	if !n.p.Spec.Discrete {
		o.LogStd = n.ActionInput(prefix + "_log_std")
	}
	return o
}

// KL is the exact per-sample KL divergence [batch] between the fixed
// distributions old and the network's, in the given direction.
func (n *Net) KL(dir kl.Direction, old dist.Batch) (*G.Node, error) {
	return n.dist.KLNode(dir, old, n.Batch())
}
