package policy

// Forwarder runs the network outside any graph, on the policy's own weight
// slices, for acting: no graph to run for a handful of rows. It runs the
// same tower kernels as the graph's fused ops (tower.go), in the policy's
// dtype, so acting and learning see identical numbers. It owns scratch
// buffers, so it is not safe for concurrent use.
type Forwarder struct {
	f forwardImpl
}

type forwardImpl interface {
	forward(obs []float64, n int, head, value []float64)
}

// NewForwarder returns a forwarder that reads p's current weights at each call.
func NewForwarder(p *Policy) *Forwarder {
	if p.Spec.Float64 {
		return &Forwarder{f: newEval[float64](p)}
	}
	return &Forwarder{f: newEval[float32](p)}
}

// Forward evaluates n observations (row-major, n×ObsDim) and writes the
// policy head (logits or Gaussian means, n×ActDim) and the values (n).
// Either output may be nil to skip it.
func (e *Forwarder) Forward(obs []float64, n int, head, value []float64) {
	e.f.forward(obs, n, head, value)
}

type float interface{ ~float32 | ~float64 }

// evalTower is a tower with the policy's weight slices; the tensors are
// updated in place, so the slices stay current.
type evalTower[T float] struct {
	buf *towerBuf[T]
	ws  [][]T
}

func newEvalTower[T float](ls []Layer, relu, actLast bool) evalTower[T] {
	s := towerShape{in: ls[0].In, relu: relu, actLast: actLast}
	var ws [][]T
	for _, l := range ls {
		s.outs = append(s.outs, l.Out)
		ws = append(ws, l.W.T.Data().([]T), l.B.T.Data().([]T))
	}
	return evalTower[T]{newTowerBuf[T](s), ws}
}

func (t evalTower[T]) forward(x []T, n int) []T { return t.buf.forward(x, n, t.ws) }

// eval holds the towers as the graph builds them: actor and critic each
// ending in its head, or a shared trunk and two one-layer heads.
type eval[T float] struct {
	shared        bool
	actor, critic evalTower[T] // with their heads; the trunk when shared
	pi, v         evalTower[T] // the heads on a shared trunk
	in            int
	x             []T
}

func newEval[T float](p *Policy) *eval[T] {
	relu := p.Spec.Activation == "relu"
	e := &eval[T]{shared: p.Spec.Shared, in: p.Spec.ObsDim}
	if e.shared {
		e.actor = newEvalTower[T](p.Actor, relu, true)
		e.pi = newEvalTower[T]([]Layer{p.PiHead}, relu, false)
		e.v = newEvalTower[T]([]Layer{p.VHead}, relu, false)
		return e
	}
	e.actor = newEvalTower[T](append(append([]Layer{}, p.Actor...), p.PiHead), relu, false)
	e.critic = newEvalTower[T](append(append([]Layer{}, p.Critic...), p.VHead), relu, false)
	return e
}

func (e *eval[T]) forward(obs []float64, n int, head, value []float64) {
	if len(e.x) < n*e.in {
		e.x = make([]T, n*e.in)
	}
	x := e.x[:n*e.in]
	for i, v := range obs[:n*e.in] {
		x[i] = T(v)
	}
	out := func(dst []float64, y []T) {
		for i, v := range y {
			dst[i] = float64(v)
		}
	}
	if e.shared {
		if head == nil && value == nil {
			return
		}
		h := e.actor.forward(x, n)
		if head != nil {
			out(head, e.pi.forward(h, n))
		}
		if value != nil {
			out(value, e.v.forward(h, n))
		}
		return
	}
	if head != nil {
		out(head, e.actor.forward(x, n))
	}
	if value != nil {
		out(value, e.critic.forward(x, n))
	}
}
