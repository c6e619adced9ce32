package agent

import "time"

// Phases accumulates the wall time a run spends in each phase, for
// benchmarks. Acting is Collect less Env.
type Phases struct {
	// Collect is the rollouts' time, Env the part of it spent stepping the
	// vector env, Learn the minibatch steps.
	Collect, Env, Learn time.Duration
	// Rows counts the minibatch rows put through the loss graph.
	Rows int
}

func (p *Phases) add(d *time.Duration, since time.Time) { *d += time.Since(since) }
