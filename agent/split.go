package agent

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"ppo/internal/gorgoniax"
	"ppo/internal/optim"
	"ppo/policy"
)

// Actor and critic on two goroutines. When the networks share no layers
// (policy.shared false), minibatches are not sharded, the process has two
// or more Ps and no other trainer of the process is running (ppo sweep
// --parallel: there the second core is better spent on the other run),
// each minibatch step runs the critic's part of the loss
// graph (its tower and the value loss) on a helper goroutine while the
// calling goroutine runs the actor's part, and then updates each
// network's tensors with Adam on the goroutine that ran its part. Each
// part is the whole graph with the other network's terms left out
// (newMinibatch), and Adam updates each tensor from its own gradient and
// moments alone, so weights and metrics are the bits of the single graph
// on a single goroutine (TestThreadsDoNotMatter, TestSplitMatchesWhole).
//
// The helper spins between tasks, for up to helperSpin, rather than
// sleeping: waking a parked goroutine on an idle core costs a large part
// of a minibatch step, while the gaps between the tasks of an update are
// much shorter than helperSpin (BenchmarkHandoff measures both; the
// numbers and the choice of helperSpin are in experiments/perf/README.md,
// "The helper's spin"). After helperSpin without a task it blocks until
// the next one (after an update's rollout, say).

// running counts the trainers of this process inside Run.
var running atomic.Int32

// helperSpin is how long the helper, or the goroutine waiting for it,
// polls before it blocks.
const helperSpin = 200 * time.Microsecond

// helper runs tasks, one at a time, on its own goroutine.
type helper struct {
	tasks chan func() error
	done  chan error
	once  sync.Once
}

func newHelper() *helper {
	h := &helper{tasks: make(chan func() error, 1), done: make(chan error, 1)}
	go func() {
		for {
			f, ok := receive(h.tasks)
			if !ok {
				return
			}
			h.done <- f()
		}
	}()
	return h
}

// start runs f on the helper; wait returns its error.
func (h *helper) start(f func() error) { h.tasks <- f }

// wait returns the error of the task started last, once it has finished.
func (h *helper) wait() error {
	err, _ := receive(h.done)
	return err
}

// stop ends the helper's goroutine; it may be called more than once.
func (h *helper) stop() { h.once.Do(func() { close(h.tasks) }) }

// receive returns the next value from c, polling for up to helperSpin
// before it blocks; ok is false once c is closed and drained. A poll that
// finds c empty takes no lock; every 1024 polls (a few microseconds) it
// checks the time and yields, so that with one P the goroutine it waits
// for gets to run.
func receive[V any](c chan V) (v V, ok bool) {
	start := time.Now()
	for i := 1; ; i++ {
		select {
		case v, ok = <-c:
			return v, ok
		default:
		}
		if i%1024 == 0 {
			if time.Since(start) > helperSpin {
				v, ok = <-c
				return v, ok
			}
			runtime.Gosched()
		}
	}
}

// canSplit reports whether the run's minibatch steps use the helper.
func canSplit(p *policy.Policy, shards int) bool {
	return !p.Spec.Shared && shards == 1 && runtime.GOMAXPROCS(0) > 1
}

// splitPair is the actor's and the critic's parts of one minibatch size's
// loss graph, with the critic's run as a task for the helper.
type splitPair struct {
	actor, critic *minibatch
	runCritic     func() error
}

// splitGraphs returns the two parts of the loss graph for minibatches of
// size n, built on first use, and starts the helper if need be.
func (t *Trainer) splitGraphs(n int) (*splitPair, error) {
	if sp, ok := t.splitGraph[n]; ok {
		return sp, nil
	}
	a, err := t.newGraph(n, policy.ActorPart)
	if err != nil {
		return nil, err
	}
	c, err := t.newGraph(n, policy.CriticPart)
	if err != nil {
		return nil, err
	}
	sp := &splitPair{actor: a, critic: c, runCritic: func() error { return gorgoniax.Run(c.vm) }}
	if t.splitGraph == nil {
		t.splitGraph = map[int]*splitPair{}
	}
	t.splitGraph[n] = sp
	if t.critic == nil {
		t.critic = make([]bool, len(t.pol.Params()))
		for _, i := range c.net.ParamIndex {
			t.critic[i] = true
		}
	}
	if t.helper == nil {
		t.helper = newHelper()
		// A trainer that is dropped without Close still ends its helper.
		runtime.AddCleanup(t, (*helper).stop, t.helper)
	}
	return sp, nil
}

// runSplit fills and runs both parts of the loss graph on the minibatch
// rows idx (the critic's on the helper), points the updater's gradients
// at their buffers and returns the actor's log-ratios and the loss terms,
// the whole loss put together as the whole graph computes it.
func (t *Trainer) runSplit(sp *splitPair, idx []int, adv []float64, beta, refCoef float64) (logr []float64, loss, pg, v, ent float64, err error) {
	a, c := sp.actor, sp.critic
	t.fill(c, idx, adv, beta, refCoef)
	t.fill(a, idx, adv, beta, refCoef)
	t.helper.start(sp.runCritic)
	errA := gorgoniax.Run(a.vm)
	errC := t.helper.wait()
	for _, e := range []error{errA, errC} {
		if e != nil {
			return nil, 0, 0, 0, 0, fmt.Errorf("running the loss graph: %w", e)
		}
	}
	for _, mb := range []*minibatch{a, c} {
		if err := t.upd.loadGrads(mb); err != nil {
			return nil, 0, 0, 0, 0, err
		}
	}
	// ((head + vTerm) − entTerm) + refTerm, rounded as the whole graph
	// rounds it.
	head, vTerm, entTerm := scalarOf(a.headVal), scalarOf(c.lossVal), scalarOf(a.entTermVal)
	if t.pol.Spec.Float64 {
		loss = (head + vTerm) - entTerm
		if a.refTerm != nil {
			loss += scalarOf(a.refTermVal)
		}
	} else {
		l := (float32(head) + float32(vTerm)) - float32(entTerm)
		if a.refTerm != nil {
			l += float32(scalarOf(a.refTermVal))
		}
		loss = float64(l)
	}
	return valuesOf(a.logrVal), loss, scalarOf(a.pgVal), scalarOf(c.vVal), scalarOf(a.entVal), nil
}

// stepSplit is step, with the critic's tensors updated on h.
func (w *weights[T]) stepSplit(lr float64, h *helper, critic []bool) error {
	s := w.Advance(lr)
	h.start(func() error {
		w.applyWhere(s, critic, true)
		return nil
	})
	w.applyWhere(s, critic, false)
	return h.wait()
}

// applyWhere applies s to the tensors i with critic[i] == want.
func (w *weights[T]) applyWhere(s optim.AdamStep, critic []bool, want bool) {
	for i, p := range w.params {
		if critic[i] == want {
			w.Apply(s, i, p, w.grads[i])
		}
	}
}
