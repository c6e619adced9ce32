package agent

import (
	"fmt"

	"ppo/internal/gorgoniax"
)

// A runner runs the loss graph on one minibatch and takes its Adam step:
// the whole graph on the calling goroutine (wholeRunner), the actor's and
// the critic's parts on two goroutines (splitRunner, split.go), or
// concurrent shards of the minibatch (shardRunner, shard.go). All three
// give the same step from the same rows (bit for bit, but for shards,
// which sum their gradients in another order). The trainer chooses one
// per run (newRunner); a runner that trains several seeds at once would
// be a fourth.
type runner interface {
	// run fills the graph(s) with the minibatch rows idx, their
	// advantages adv and the coefficients, runs them, and leaves the
	// gradients loaded in the updater. done releases what run holds
	// (graph state, loaded gradients) and is called once the step is
	// taken or skipped; it is set whenever there is something to release,
	// also with an error.
	run(t *Trainer, idx []int, adv []float64, beta, refCoef float64) (out runOut, done func(), err error)
	// step takes the Adam step, learning rate lr, on the loaded gradients.
	step(t *Trainer, lr float64) error
}

// runOut is what a run gives the update: the minibatch's log-ratios
// log π_new(a) − log π_old(a) (for the clip fraction and the k3 early
// stop) and the loss and its terms.
type runOut struct {
	logr             []float64
	loss, pg, v, ent float64
}

// newRunner chooses the run's runner from its config and the machine:
// shards when ppo.shards > 1, the actor/critic split when the networks
// share no layers and the process has two or more Ps (canSplit), else the
// whole graph.
func newRunner(t *Trainer) runner {
	switch {
	case t.cfg.PPO.Shards > 1:
		return shardRunner{}
	case t.split:
		return &splitRunner{}
	}
	return wholeRunner{}
}

// wholeRunner runs the whole loss graph on the calling goroutine.
type wholeRunner struct{}

func (wholeRunner) run(t *Trainer, idx []int, adv []float64, beta, refCoef float64) (runOut, func(), error) {
	mb, err := t.graph(len(idx))
	if err != nil {
		return runOut{}, nil, err
	}
	t.fill(mb, idx, adv, beta, refCoef)
	reset := func() { mb.vm.Reset() }
	if err := gorgoniax.Run(mb.vm); err != nil {
		return runOut{}, reset, fmt.Errorf("running the loss graph: %w", err)
	}
	if err := t.upd.loadGrads(mb); err != nil {
		return runOut{}, reset, err
	}
	out := runOut{logr: valuesOf(mb.logrVal), loss: scalarOf(mb.lossVal), pg: scalarOf(mb.pgVal), v: scalarOf(mb.vVal), ent: scalarOf(mb.entVal)}
	return out, func() { t.upd.zeroGrads(); reset() }, nil
}

func (wholeRunner) step(t *Trainer, lr float64) error {
	t.upd.step(lr)
	return nil
}

// splitRunner runs the actor's part on the calling goroutine and the
// critic's on the helper, and each network's Adam step where its part ran.
// While another trainer of the process runs (ppo sweep --parallel), the
// second core is that run's, and a minibatch runs whole.
type splitRunner struct {
	whole bool // this minibatch runs whole
}

func (r *splitRunner) run(t *Trainer, idx []int, adv []float64, beta, refCoef float64) (runOut, func(), error) {
	if r.whole = running.Load() > 1; r.whole {
		return wholeRunner{}.run(t, idx, adv, beta, refCoef)
	}
	sp, err := t.splitGraphs(len(idx))
	if err != nil {
		return runOut{}, nil, err
	}
	done := func() {
		t.upd.zeroGrads()
		sp.critic.vm.Reset()
		sp.actor.vm.Reset()
	}
	var out runOut
	out.logr, out.loss, out.pg, out.v, out.ent, err = t.runSplit(sp, idx, adv, beta, refCoef)
	return out, done, err
}

func (r *splitRunner) step(t *Trainer, lr float64) error {
	if r.whole {
		return wholeRunner{}.step(t, lr)
	}
	return t.upd.stepSplit(lr, t.helper, t.critic)
}

// shardRunner runs ppo.shards slices of the minibatch concurrently and
// sums their gradients; a minibatch with fewer rows than shards runs
// whole.
type shardRunner struct{}

func (shardRunner) run(t *Trainer, idx []int, adv []float64, beta, refCoef float64) (runOut, func(), error) {
	if len(idx) < t.cfg.PPO.Shards {
		return wholeRunner{}.run(t, idx, adv, beta, refCoef)
	}
	mbs, err := t.runShards(idx, adv, beta, refCoef)
	if err != nil {
		return runOut{}, nil, err
	}
	var out runOut
	out.logr, out.loss, out.pg, out.v, out.ent = t.shardResults(mbs, len(idx))
	return out, func() {
		t.upd.zeroGrads()
		for i := len(mbs) - 1; i >= 0; i-- {
			mbs[i].vm.Reset()
		}
	}, nil
}

func (shardRunner) step(t *Trainer, lr float64) error {
	t.upd.step(lr)
	return nil
}
