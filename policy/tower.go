package policy

// A tower is a stack of dense layers y = x·W + b with an activation after
// each layer but the last (or after the last too, for a shared trunk),
// evaluated on flat row-major slices. The evaluator and the fused graph
// ops (op.go) both run towers, so acting and learning compute the same
// numbers bit for bit.

// towerShape describes a tower: input width and layer output widths.
type towerShape struct {
	in      int
	outs    []int
	relu    bool
	actLast bool // activate the last layer's output too
}

// ins returns the input width of layer i.
func (s towerShape) inOf(i int) int {
	if i == 0 {
		return s.in
	}
	return s.outs[i-1]
}

func (s towerShape) out() int { return s.outs[len(s.outs)-1] }

// activated reports whether layer i's output goes through the activation.
func (s towerShape) activated(i int) bool { return i < len(s.outs)-1 || s.actLast }

// numParams is the length of a tower's flat gradient: W then b per layer.
func (s towerShape) numParams() int {
	n := 0
	for i, o := range s.outs {
		n += (s.inOf(i) + 1) * o
	}
	return n
}

// towerBuf is the scratch of one tower for batches of up to cap rows:
// every layer's (activated) output from the last forward pass, which the
// backward pass needs, and the backward pass's buffers.
type towerBuf[T float] struct {
	towerShape
	rows  int
	h     [][]T // layer outputs, rows×outs[i]
	dz, g []T   // backward: pre-activation gradient, gradient of a layer input
	wt    []T   // a transposed weight matrix
	wpad  []T   // a narrow layer's W and output padded to 8 columns
	hpad  []T
	ones  []T // rows ones, to sum columns with gemm
	grad  []T // flat parameter gradient (W, b per layer), then dx
}

func newTowerBuf[T float](s towerShape) *towerBuf[T] { return &towerBuf[T]{towerShape: s} }

// reserve sizes the buffers for n rows.
func (b *towerBuf[T]) reserve(n int) {
	if n <= b.rows {
		return
	}
	b.rows = n
	b.h = b.h[:0]
	maxW, maxWt := b.in, 0
	for i, o := range b.outs {
		b.h = append(b.h, make([]T, n*o))
		maxW = max(maxW, o)
		maxWt = max(maxWt, b.inOf(i)*o)
	}
	b.dz, b.g = make([]T, n*maxW), make([]T, n*maxW)
	b.wt = make([]T, maxWt)
	b.wpad, b.hpad = make([]T, max(b.in, maxW)*8), make([]T, n*8)
	b.ones = make([]T, n)
	for i := range b.ones {
		b.ones[i] = 1
	}
	b.grad = make([]T, b.numParams()+n*b.in)
}

// forward evaluates n rows of x (n×in) with weights ws = W0, b0, W1, b1, ...
// and returns the last layer's output (n×out), owned by b.
func (b *towerBuf[T]) forward(x []T, n int, ws [][]T) []T {
	b.reserve(n)
	a, in := x, b.in
	for i, o := range b.outs {
		w, bias := ws[2*i], ws[2*i+1]
		h := b.h[i][:n*o]
		if o < 8 && padNarrow[T]() {
			b.narrow(a, n, in, o, w, bias, h)
		} else {
			for r := 0; r < n; r++ {
				copy(h[r*o:(r+1)*o], bias[:o])
			}
			gemm(n, o, in, a, in, 1, w, o, h, o, true)
		}
		if b.activated(i) {
			b.activate(h)
		}
		a, in = h, o
	}
	return a
}

// padNarrow reports whether layers narrower than 8 outputs run faster
// padded to the 8-column vector kernel than in the Go tail loop.
func padNarrow[T float]() bool {
	var z T
	_, f32 := any(z).(float32)
	return f32 && haveAVX2
}

// narrow computes h = a·W + b for an o < 8 column layer through the
// 8-column kernel on zero-padded copies of W and b. Column j's result is
// the same chain of operations as unpadded, so padding changes no value.
func (b *towerBuf[T]) narrow(a []T, n, in, o int, w, bias, h []T) {
	wp, hp := b.wpad[:in*8], b.hpad[:n*8]
	clear(wp)
	for l := 0; l < in; l++ {
		copy(wp[l*8:l*8+o], w[l*o:(l+1)*o])
	}
	for r := 0; r < n; r++ {
		row := hp[r*8 : (r+1)*8]
		clear(row)
		copy(row, bias[:o])
	}
	gemm(n, 8, in, a, in, 1, wp, 8, hp, 8, true)
	for r := 0; r < n; r++ {
		copy(h[r*o:(r+1)*o], hp[r*8:r*8+o])
	}
}

func (b *towerBuf[T]) activate(h []T) {
	if !b.relu {
		tanhAll(h)
		return
	}
	for i, v := range h {
		if v < 0 {
			h[i] = 0
		}
	}
}

// backward takes the gradient g (n×out) of a scalar with respect to the
// output of the last forward pass on x and fills b.grad with the
// gradients of W0, b0, W1, b1, ... and, when wantDX, of x after them.
// It returns b.grad.
func (b *towerBuf[T]) backward(x []T, n int, ws [][]T, g []T, wantDX bool) []T {
	off := b.numParams()
	for i := len(b.outs) - 1; i >= 0; i-- {
		o, in := b.outs[i], b.inOf(i)
		h := b.h[i][:n*o]
		dz := g
		if b.activated(i) {
			dz = b.dz[:n*o]
			if b.relu {
				for k, v := range h {
					dz[k] = 0
					if v > 0 {
						dz[k] = g[k]
					}
				}
			} else {
				tanhGrad(dz, g, h)
			}
		}
		a := x
		if i > 0 {
			a = b.h[i-1][:n*in]
		}
		off -= (in + 1) * o
		gw, gb := b.grad[off:off+in*o], b.grad[off+in*o:off+(in+1)*o]
		// dW = aᵀ·dz. A narrow layer (a head) is done as (dzᵀ·a)ᵀ so the
		// long dimension runs along the vector kernels' columns.
		if o < 8 && in > o {
			t := b.wt[:o*in]
			gemm(o, in, n, dz, 1, o, a, in, t, in, false)
			transpose(gw, t, o, in)
		} else {
			gemm(in, o, n, a, 1, in, dz, o, gw, o, false)
		}
		gemm(1, o, n, b.ones, 0, 1, dz, o, gb, o, false)
		if i == 0 && !wantDX {
			break
		}
		// Gradient of the layer input: dz·Wᵀ.
		wt := b.wt[:o*in]
		transpose(wt, ws[2*i], in, o)
		dst := b.g[:n*in]
		if i == 0 {
			dst = b.grad[b.numParams() : b.numParams()+n*in]
		}
		gemm(n, in, o, dz, o, 1, wt, in, dst, in, false)
		g = dst
	}
	return b.grad
}
