package agent

import (
	"fmt"
	"sync"

	"ppo/internal/gorgoniax"
	"ppo/policy"
)

// Sharded minibatches (ppo.shards > 1). A minibatch of n rows is split
// into S contiguous shards, rows [s·n/S, (s+1)·n/S), each with its own
// loss graph (one graph and VM per goroutine, as gorgonia requires), run
// concurrently. Every loss term is a mean over rows, so the minibatch's
// gradient is Σ_s (n_s/n)·g_s, summed in shard order; advantages are
// standardised over the whole minibatch first. Nothing depends on how the
// goroutines are scheduled, so the same shards give the same bits with any
// GOMAXPROCS; but a shard's means and products round differently from the
// whole minibatch's, so S = 1 and S = 2 agree only up to rounding.

// shardGraph returns the loss graph of shard s for n rows.
func (t *Trainer) shardGraph(s, n int) (*minibatch, error) {
	if mb, ok := t.shards[[2]int{s, n}]; ok {
		return mb, nil
	}
	mb, err := t.newGraph(n, policy.Whole)
	if err != nil {
		return nil, err
	}
	if t.shards == nil {
		t.shards = map[[2]int]*minibatch{}
	}
	t.shards[[2]int{s, n}] = mb
	return mb, nil
}

// shardRun is the scratch of one sharded step, reused.
type shardRun struct {
	mbs  []*minibatch
	frac []float64 // n_s/n
	errs []error
	logr []float64
	wg   sync.WaitGroup
}

// runShards fills and runs the shards of the minibatch rows idx and sums
// their gradients into the updater.
func (t *Trainer) runShards(idx []int, adv []float64, beta, refCoef float64) ([]*minibatch, error) {
	S, n := t.cfg.PPO.Shards, len(idx)
	r := &t.shardRun
	r.mbs, r.frac = r.mbs[:0], r.frac[:0]
	if cap(r.errs) < S {
		r.errs = make([]error, S)
	}
	r.errs = r.errs[:S]
	clear(r.errs)
	for s := range S {
		lo, hi := s*n/S, (s+1)*n/S
		mb, err := t.shardGraph(s, hi-lo)
		if err != nil {
			return nil, err
		}
		t.fill(mb, idx[lo:hi], adv[lo:hi], beta, refCoef)
		r.mbs = append(r.mbs, mb)
		r.frac = append(r.frac, float64(hi-lo)/float64(n))
	}
	for s := 1; s < S; s++ {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.errs[s] = gorgoniax.Run(r.mbs[s].vm)
		}()
	}
	r.errs[0] = gorgoniax.Run(r.mbs[0].vm)
	r.wg.Wait()
	for s, err := range r.errs {
		if err != nil {
			for _, mb := range r.mbs {
				mb.vm.Reset()
			}
			return nil, fmt.Errorf("running the loss graph of shard %d: %w", s, err)
		}
	}
	if err := t.upd.sumGrads(r.mbs, r.frac); err != nil {
		return nil, err
	}
	return r.mbs, nil
}

// shardResults returns the minibatch's log-ratios, in row order, and its
// loss terms, the shards' weighted by their share of the rows.
func (t *Trainer) shardResults(mbs []*minibatch, n int) (logr []float64, loss, pg, v, ent float64) {
	r := &t.shardRun
	r.logr = r.logr[:0]
	for s, mb := range mbs {
		r.logr = append(r.logr, valuesOf(mb.logrVal)...)
		f := r.frac[s]
		loss += f * scalarOf(mb.lossVal)
		pg += f * scalarOf(mb.pgVal)
		v += f * scalarOf(mb.vVal)
		ent += f * scalarOf(mb.entVal)
	}
	return r.logr, loss, pg, v, ent
}

// sumGrads points the gradients at Σ_s frac[s]·(shard s's gradient),
// summed in shard order in the weights' dtype.
func (w *weights[T]) sumGrads(mbs []*minibatch, frac []float64) error {
	for len(w.views) < len(mbs) {
		w.views = append(w.views, make([][]T, len(w.params)))
	}
	for s, mb := range mbs {
		if err := gradsOf(mb, w.views[s]); err != nil {
			return err
		}
	}
	if w.sum == nil {
		for _, p := range w.params {
			w.sum = append(w.sum, make([]T, len(p)))
		}
	}
	for i, dst := range w.sum {
		for s := range mbs {
			f, src := T(frac[s]), w.views[s][i]
			if s == 0 {
				for j, g := range src {
					dst[j] = f * g
				}
				continue
			}
			for j, g := range src {
				dst[j] += T(f * g)
			}
		}
		w.grads[i] = dst
	}
	w.active = len(mbs)
	return nil
}
