package kl

import (
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/detmath"
	"ppo/internal/graphop"
)

// The KL nodes categoricalNode and diagGaussianNode are fused ops: one
// forward op, and one gradient op per input, instead of the thirty-odd
// gorgonia ops (and as many more for the gradient) of the composed
// expressions categoricalComposed and diagGaussianComposed, which remain
// the definition. The fused ops repeat the composed expressions' arithmetic
// operation for operation in the graph's dtype — the same float32 or
// float64 roundings in the same order, gorgonia's own float32 exp, expm1
// and log, ExpNode and math.Log in float64 — and deliver each gradient in
// as many pieces as gorgonia would, so that training runs are bit-identical
// to runs built on the composed nodes (TestFusedMatchesComposed checks
// values and gradients bit for bit).

// float is the element type of a graph.
type float = graphop.Float

// unary is an in-place elementwise function of a float32 or float64
// tensor.
type unary func(*tensor.Dense)

// mathOf holds the transcendental functions of the composed nodes for
// one dtype.
type mathOf struct{ exp, expm1, log unary }

func newMath(dt tensor.Dtype) mathOf {
	if dt == tensor.Float32 {
		return mathOf{graphop.InPlace(G.Exp, dt), graphop.InPlace(G.Expm1, dt), graphop.InPlace(G.Log, dt)}
	}
	each := func(f func(float64) float64) unary {
		return func(t *tensor.Dense) {
			d := t.Data().([]float64)
			for i, v := range d {
				d[i] = f(v)
			}
		}
	}
	// ExpNode and expm1Node's float64 values; gorgonia's float64 Log is math.Log.
	return mathOf{each(detmath.Exp), each(math.Expm1), each(math.Log)}
}

type buf[T float] = graphop.Buf[T]

func newBuf[T float](n int) buf[T] { return graphop.NewBuf[T](n) }

// applyFused applies a fused KL op, [n, k] inputs and [n] out.
func applyFused(name string, kern graphop.Kernel, pieces []int, inputs ...*G.Node) (*G.Node, error) {
	return graphop.Apply(name, kern, tensor.Shape{inputs[0].Shape()[0]}, pieces, inputs...)
}

// Categorical KL. Per row, for each side x (p or q) the composed nodes
// compute m = max x, e = exp(x - m), s = Σe, l = (x - m) - log s, then
// P = exp(l_p) and KL = Σ P⊙(l_p - l_q). Their gradient for an upstream g
// is, per side, with dl the gradient of l
//
//	dl_q = -(P g),  dl_p = P g + P (l_p - l_q) g,
//	dsh = dl + e·(Σ -dl)/s              (through x - m and log Σ exp)
//	dx  = dsh, and separately [x = m]·Σ(-dsh)   (through the max)
//
// the max's piece being a separate gradient contribution, which gorgonia
// adds to the logits' other contributions in its own order; the fused op
// takes each logits node twice (p, q, p, q) to receive it the same way.
type catKL[T float] struct {
	n, k int
	f    mathOf
	// per side 0 (p) and 1 (q)
	sh, e, l [2]buf[T] // x - m, exp(x - m), log-softmax; n×k
	s, lse   [2]buf[T] // Σe and log Σe; n
	mask     [2][]T    // [x = m]; n×k
	pp       buf[T]    // P = exp(l_p)
	out      []T
	outT     *tensor.Dense
	dsh, dm  [2][]T // n×k and n
	done     [2]bool
	grads    [4]*tensor.Dense
	// memo remembers each side's rows (memo.go); key and row are scratch.
	// A side recalled from it has only l (and P) filled; its e, s and mask,
	// which only its own gradient reads, are copied from slots when asked.
	memo    [2]*sideMemo[T]
	slots   [2][]int
	pending [2]bool
	key     []uint64
	row     []T
}

func newCatKL[T float](n, k int, dt tensor.Dtype) *catKL[T] {
	c := &catKL[T]{n: n, k: k, f: newMath(dt), pp: newBuf[T](n * k), out: make([]T, n)}
	for side := range 2 {
		c.sh[side], c.e[side], c.l[side] = newBuf[T](n*k), newBuf[T](n*k), newBuf[T](n*k)
		c.s[side], c.lse[side] = newBuf[T](n), newBuf[T](n)
		c.mask[side], c.dsh[side], c.dm[side] = make([]T, n*k), make([]T, n*k), make([]T, n)
	}
	c.outT = tensor.New(tensor.WithShape(n), tensor.WithBacking(c.out))
	// A row's results: sh, e, l and mask (k each), s and lse, and on side 0 P (k).
	c.memo = [2]*sideMemo[T]{newSideMemo[T](n, k, 5*k+2), newSideMemo[T](n, k, 4*k+2)}
	c.slots = [2][]int{make([]int, n), make([]int, n)}
	c.key, c.row = make([]uint64, k), make([]T, 5*k+2)
	for i := range c.grads {
		c.grads[i] = tensor.New(tensor.WithShape(n, k), tensor.WithBacking(make([]T, n*k)))
	}
	return c
}

func (c *catKL[T]) Forward(in []G.Value) (G.Value, error) {
	n, k := c.n, c.k
	var (
		hit [2]bool
		xs  [2][]T
	)
	for side := range 2 {
		x, err := graphop.Elems[T](in[side], n*k)
		if err != nil {
			return nil, err
		}
		xs[side] = x
		if hit[side] = c.recall(side, x); hit[side] {
			continue
		}
		c.shift(side, x)
		c.f.exp(c.e[side].T)
		c.sums(side)
		c.f.log(c.lse[side].T)
		l, sh, lse := c.l[side].V[:n*k], c.sh[side].V[:n*k], c.lse[side].V[:n]
		for i, li := range lse {
			lr, shr := l[i*k:(i+1)*k], sh[i*k:(i+1)*k]
			for j, v := range shr {
				lr[j] = v - li
			}
		}
	}
	if !hit[0] {
		copy(c.pp.V, c.l[0].V)
		c.f.exp(c.pp.T)
	}
	for side := range 2 {
		if !hit[side] {
			c.remember(side, xs[side])
		}
	}
	lp, lq, pp := c.l[0].V, c.l[1].V, c.pp.V
	for i := range n {
		var t T
		for j := i * k; j < (i+1)*k; j++ {
			t += T(pp[j] * (lp[j] - lq[j]))
		}
		c.out[i] = t
	}
	c.done = [2]bool{}
	return c.outT, nil
}

// shift writes a side's x - m, its max mask and (to be exponentiated in
// place) a copy of x - m into e, row by row.
func (c *catKL[T]) shift(side int, x []T) {
	k, nk := c.k, c.n*c.k
	x = x[:nk]
	sh, e, mask := c.sh[side].V[:nk], c.e[side].V[:nk], c.mask[side][:nk]
	for lo := 0; lo < nk; lo += k {
		row := x[lo : lo+k]
		m := row[0]
		for _, v := range row[1:] {
			if v > m {
				m = v
			}
		}
		shr, er, mr := sh[lo:lo+k], e[lo:lo+k], mask[lo:lo+k]
		for j, v := range row {
			d := v - m
			shr[j], er[j] = d, d
			var b T
			if v == m {
				b = 1
			}
			mr[j] = b
		}
	}
}

// sums writes a side's row sums of e into s, and into lse to be replaced
// by their logs in place.
func (c *catKL[T]) sums(side int) {
	k := c.k
	e, s, lse := c.e[side].V[:c.n*k], c.s[side].V[:c.n], c.lse[side].V[:c.n]
	for i := range s {
		var t T
		for _, v := range e[i*k : (i+1)*k] {
			t += v
		}
		s[i], lse[i] = t, t
	}
}

// recall fills a side's l (and on side 0 P) from its memo if every row of
// x is there, leaving the rest to restore.
func (c *catKL[T]) recall(side int, x []T) bool {
	m, k, slots := c.memo[side], c.k, c.slots[side]
	c.pending[side] = false
	if !m.active() {
		return false
	}
	for i := range c.n {
		rowBits(c.key, x[i*k:(i+1)*k])
		s, ok := m.find(c.key)
		if !ok {
			m.misses++
			return false
		}
		slots[i] = s
	}
	m.misses, m.hit = 0, true
	// Element loops, not copy: the rows are a few elements long.
	l, pp := c.l[side].V, c.pp.V
	for i, s := range slots {
		r := m.vals[s*m.width : (s+1)*m.width]
		lr, rl := l[i*k:(i+1)*k], r[2*k:3*k]
		for j := range lr {
			lr[j] = rl[j]
		}
		if side == 0 {
			pr, rp := pp[i*k:(i+1)*k], r[4*k+2:5*k+2]
			for j := range pr {
				pr[j] = rp[j]
			}
		}
	}
	c.pending[side] = true
	return true
}

// restore copies the rest of a recalled side's results from its memo,
// which nothing has written to since the forward pass.
func (c *catKL[T]) restore(side int) {
	if !c.pending[side] {
		return
	}
	m, k := c.memo[side], c.k
	for i, s := range c.slots[side] {
		r := m.vals[s*m.width : (s+1)*m.width]
		lo, hi := i*k, (i+1)*k
		copy(c.sh[side].V[lo:hi], r[:k])
		copy(c.e[side].V[lo:hi], r[k:2*k])
		copy(c.mask[side][lo:hi], r[3*k:4*k])
		c.s[side].V[i], c.lse[side].V[i] = r[4*k], r[4*k+1]
	}
	c.pending[side] = false
}

// remember stores a side's rows of x and their results in its memo.
func (c *catKL[T]) remember(side int, x []T) {
	m, k := c.memo[side], c.k
	if !m.active() {
		return
	}
	r := c.row[:m.width]
	for i := range c.n {
		lo, hi := i*k, (i+1)*k
		copy(r[:k], c.sh[side].V[lo:hi])
		copy(r[k:2*k], c.e[side].V[lo:hi])
		copy(r[2*k:3*k], c.l[side].V[lo:hi])
		copy(r[3*k:4*k], c.mask[side][lo:hi])
		r[4*k], r[4*k+1] = c.s[side].V[i], c.lse[side].V[i]
		if side == 0 {
			copy(r[4*k+2:], c.pp.V[lo:hi])
		}
		rowBits(c.key, x[lo:hi])
		if s, ok := m.find(c.key); !ok {
			m.store(s, c.key, r)
		}
	}
}

// side computes the gradient pieces of one side for upstream g.
func (c *catKL[T]) side(side int, g []T) {
	n, k := c.n, c.k
	lp, lq, pp := c.l[0].V, c.l[1].V, c.pp.V
	e, s := c.e[side].V, c.s[side].V
	dsh, dm := c.dsh[side], c.dm[side]
	for i := range n {
		gi := g[i]
		lo, hi := i*k, (i+1)*k
		dr, pr, er := dsh[lo:hi], pp[lo:hi], e[lo:hi]
		var sum T
		if side == 0 {
			lpr, lqr := lp[lo:hi], lq[lo:hi]
			for j := range dr {
				dl := T(pr[j]*gi) + T(pr[j]*T((lpr[j]-lqr[j])*gi))
				dr[j] = dl
				sum += -dl
			}
		} else {
			for j := range dr {
				dl := -(pr[j] * gi)
				dr[j] = dl
				sum += -dl
			}
		}
		ds := sum / s[i]
		var msum T
		for j := range dr {
			dr[j] += T(er[j] * ds)
			msum += -dr[j]
		}
		dm[i] = msum
	}
	c.done[side] = true
}

// backward pieces: 0 and 1 the p and q logits' gradients through x - m, 2
// and 3 their gradients through the max.
func (c *catKL[T]) Backward(piece int, gv G.Value) (G.Value, error) {
	g, err := graphop.Elems[T](gv, c.n)
	if err != nil {
		return nil, err
	}
	side := piece % 2
	c.restore(side)
	if !c.done[side] {
		c.side(side, g)
	}
	dst := c.grads[piece].Data().([]T)
	if piece < 2 {
		copy(dst, c.dsh[side])
		return c.grads[piece], nil
	}
	k, mask := c.k, c.mask[side]
	for i, d := range c.dm[side][:c.n] {
		dr, mr := dst[i*k:(i+1)*k], mask[i*k:(i+1)*k]
		for j := range dr {
			dr[j] = d * mr[j]
		}
	}
	return c.grads[piece], nil
}

// Diagonal Gaussian KL. The composed nodes compute per element
//
//	u2 = (ls_p - ls_q)·2, scale = expm1(u2) - u2, d = μ_p - μ_q,
//	w = exp(ls_q·(-2)), a = scale + d²·w, KL = Σ a·½
//
// and for an upstream g, with da = ½g:
//
//	du2 = -da + da·exp(u2)        dt = w·(d²·da)     dd = (d·2)·(w·da)
//	dμ_p = dd   dμ_q = -dd   dls_p = 2·du2   dls_q = (-2)·dt, -(2·du2)
//
// where ls_q's two contributions are separate pieces (the fused op takes
// ls_q twice), added by gorgonia as for the composed nodes.
type gaussKL[T float] struct {
	n, d   int
	f      mathOf
	u2, em buf[T] // u2, then expm1(u2); exp(u2) in the backward pass
	w      buf[T] // exp(-2 ls_q)
	eu     buf[T] // exp(u2)
	dif    []T    // μ_p - μ_q
	dsq    []T    // d²
	out    []T
	outT   *tensor.Dense
	da     []T
	done   bool
	grads  [5]*tensor.Dense
}

func newGaussKL[T float](n, d int, dt tensor.Dtype) *gaussKL[T] {
	c := &gaussKL[T]{n: n, d: d, f: newMath(dt), u2: newBuf[T](n * d), em: newBuf[T](n * d), w: newBuf[T](n * d),
		eu: newBuf[T](n * d), dif: make([]T, n*d), dsq: make([]T, n*d), out: make([]T, n), da: make([]T, n*d)}
	c.outT = tensor.New(tensor.WithShape(n), tensor.WithBacking(c.out))
	for i := range c.grads {
		c.grads[i] = tensor.New(tensor.WithShape(n, d), tensor.WithBacking(make([]T, n*d)))
	}
	return c
}

func (c *gaussKL[T]) Forward(in []G.Value) (G.Value, error) {
	nd := c.n * c.d
	var x [4][]T
	for i := range x {
		var err error
		if x[i], err = graphop.Elems[T](in[i], nd); err != nil {
			return nil, err
		}
	}
	pm, pls, qm, qls := x[0], x[1], x[2], x[3]
	u2, w := c.u2.V, c.w.V
	for j := range nd {
		u2[j] = (pls[j] - qls[j]) * 2
		w[j] = qls[j] * -2
		c.dif[j] = pm[j] - qm[j]
		c.dsq[j] = c.dif[j] * c.dif[j]
	}
	copy(c.em.V, u2)
	c.f.expm1(c.em.T)
	c.f.exp(c.w.T)
	for i := range c.n {
		var t T
		for j := i * c.d; j < (i+1)*c.d; j++ {
			a := (c.em.V[j] - u2[j]) + T(c.dsq[j]*w[j])
			t += T(a * 0.5)
		}
		c.out[i] = t
	}
	c.done = false
	return c.outT, nil
}

func (c *gaussKL[T]) Backward(piece int, gv G.Value) (G.Value, error) {
	g, err := graphop.Elems[T](gv, c.n)
	if err != nil {
		return nil, err
	}
	if !c.done {
		for i := range c.n {
			for j := i * c.d; j < (i+1)*c.d; j++ {
				c.da[j] = 0.5 * g[i]
			}
		}
		copy(c.eu.V, c.u2.V)
		c.f.exp(c.eu.T)
		c.done = true
	}
	dst := c.grads[piece].Data().([]T)
	w, da := c.w.V, c.da
	for j := range dst {
		switch piece {
		case 0, 2: // means
			dd := (c.dif[j] * 2) * T(w[j]*da[j])
			if piece == 2 {
				dd = -dd
			}
			dst[j] = dd
		case 1: // p log-std
			dst[j] = 2 * (-da[j] + T(da[j]*c.eu.V[j]))
		case 3: // q log-std, through exp(-2 ls_q)
			dst[j] = -2 * (w[j] * T(c.dsq[j]*da[j]))
		case 4: // q log-std, through u2
			dst[j] = -(2 * (-da[j] + T(da[j]*c.eu.V[j])))
		}
	}
	return c.grads[piece], nil
}
