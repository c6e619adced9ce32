package policy

import "math"

// Evaluator runs the network in plain Go on the policy's own weight slices:
// about 25 times cheaper than a gorgonia graph for the small batches of
// acting. It computes in the policy's dtype, like the graph, and owns
// scratch buffers, so it is not safe for concurrent use.
type Evaluator struct {
	f forwarder
}

type forwarder interface {
	forward(obs []float64, n int, head, value []float64)
}

// NewEvaluator returns an evaluator that reads p's current weights at each call.
func NewEvaluator(p *Policy) *Evaluator {
	if p.Spec.Float64 {
		return &Evaluator{f: newEval[float64](p)}
	}
	return &Evaluator{f: newEval[float32](p)}
}

// Forward evaluates n observations (row-major, n×ObsDim) and writes the
// policy head (logits or Gaussian means, n×ActDim) and the values (n).
// Either output may be nil to skip it.
func (e *Evaluator) Forward(obs []float64, n int, head, value []float64) {
	e.f.forward(obs, n, head, value)
}

type float interface{ ~float32 | ~float64 }

type layerT[T float] struct {
	w, b    []T
	in, out int
}

type eval[T float] struct {
	actor, critic []layerT[T]
	shared, relu  bool
	pi, v         layerT[T]
	in, width     int
	x, a, b, o    []T // scratch: input, two ping-pong activations, head output
}

func newEval[T float](p *Policy) *eval[T] {
	conv := func(l Layer) layerT[T] {
		return layerT[T]{w: l.W.T.Data().([]T), b: l.B.T.Data().([]T), in: l.In, out: l.Out}
	}
	e := &eval[T]{
		shared: p.Spec.Shared, relu: p.Spec.Activation == "relu",
		pi: conv(p.PiHead), v: conv(p.VHead), in: p.Spec.ObsDim,
	}
	for _, l := range p.Actor {
		e.actor = append(e.actor, conv(l))
		e.width = max(e.width, l.Out)
	}
	for _, l := range p.Critic {
		e.critic = append(e.critic, conv(l))
	}
	return e
}

func (e *eval[T]) forward(obs []float64, n int, head, value []float64) {
	if len(e.x) < n*e.in {
		e.x = make([]T, n*e.in)
		e.a, e.b = make([]T, n*e.width), make([]T, n*e.width)
		e.o = make([]T, n*max(e.pi.out, 1))
	}
	x := e.x[:n*e.in]
	for i, v := range obs[:n*e.in] {
		x[i] = T(v)
	}
	if head != nil || (e.shared && value != nil) {
		h := e.trunk(e.actor, x, n)
		if head != nil {
			e.head(h, n, e.pi, head)
		}
		if e.shared && value != nil {
			e.head(h, n, e.v, value)
			return
		}
	}
	if value != nil {
		e.head(e.trunk(e.critic, x, n), n, e.v, value)
	}
}

func (e *eval[T]) trunk(ls []layerT[T], x []T, n int) []T {
	cur := x
	for i, l := range ls {
		out := e.a[:n*l.out]
		if i%2 == 1 {
			out = e.b[:n*l.out]
		}
		dense(cur, n, l, out)
		e.activate(out)
		cur = out
	}
	return cur
}

func (e *eval[T]) head(h []T, n int, l layerT[T], dst []float64) {
	o := e.o[:n*l.out]
	dense(h, n, l, o)
	for i, v := range o {
		dst[i] = float64(v)
	}
}

func (e *eval[T]) activate(a []T) {
	if e.relu {
		for i, v := range a {
			if v < 0 {
				a[i] = 0
			}
		}
		return
	}
	for i, v := range a {
		a[i] = T(math.Tanh(float64(v)))
	}
}

// dense computes y = x·W + b for n rows, accumulating in T like the graph's
// matrix multiply so both agree closely in float32.
func dense[T float](x []T, n int, l layerT[T], y []T) {
	for r := 0; r < n; r++ {
		yr := y[r*l.out : (r+1)*l.out]
		copy(yr, l.b)
		xr := x[r*l.in : (r+1)*l.in]
		for k, xv := range xr {
			if xv == 0 {
				continue
			}
			wk := l.w[k*l.out : (k+1)*l.out]
			for j, wv := range wk {
				yr[j] += xv * wv
			}
		}
	}
}
