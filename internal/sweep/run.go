package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ppo/agent"
	"ppo/configs"
	"ppo/internal/rundir"
)

// Options control how Run runs a sweep.
type Options struct {
	// Parallel is how many runs train at once (>= 1). Results do not
	// depend on it: each run is deterministic and independent.
	Parallel int
	// Shard selects the jobs to run; the zero Shard runs them all.
	Shard Shard
	// Progress receives one line per run as it ends; may be nil.
	Progress io.Writer
	// Resume continues unfinished runs of the selected jobs from their
	// newest intact checkpoint (rundir.Resume), or trains them afresh when
	// none is usable, instead of refusing them. Set it only when no other
	// process is running those jobs, e.g. for a scheduler's retry of a task.
	Resume bool
	// OnRow, if set, receives every metrics row of every run with its job,
	// once the row (and its checkpoint, if any) is written; the run goes
	// on when it returns, and stops there if ctx is done by then. With
	// Parallel > 1 it is called from several goroutines at once.
	OnRow func(j Job, m agent.Metrics)
}

// Run runs the jobs of sweep s in opt.Shard into the sweep directory dir
// (see Spec.Claim), each into dir/<label>/seed-<n>, then writes the
// summary of those jobs into dir. Runs already finished there (by an
// earlier invocation) are kept, as are recorded failures; an unfinished
// run directory is refused, since it may belong to a process still
// running, unless opt.Resume is set. Runs continued from a checkpoint
// end identical to uninterrupted ones (timings aside).
//
// When ctx is cancelled no further run starts, the running ones stop as
// rundir.Train does (after a checkpoint), the partial summary is written and
// ctx's error is returned. If runs fail, the others still run and the error
// counts the failures, including those recorded earlier. Input problems are *agent.InputError. The summary
// is returned whenever it was written.
func Run(ctx context.Context, s *Spec, dir string, opt Options) (*Summary, error) {
	if opt.Parallel < 1 {
		return nil, &agent.InputError{Err: fmt.Errorf("--parallel must be >= 1, got %d", opt.Parallel)}
	}
	if err := s.Claim(dir); err != nil {
		return nil, err
	}
	var jobs, todo []Job
	resume := map[int]bool{}
	for _, j := range s.Jobs() {
		if !opt.Shard.Has(j.Index) {
			continue
		}
		jobs = append(jobs, j)
		path := filepath.Join(dir, j.Dir())
		st, err := runState(path)
		if err != nil {
			return nil, err
		}
		switch {
		case st == "absent":
			todo = append(todo, j)
		case st == "unfinished" && !opt.Resume:
			return nil, &agent.InputError{Err: fmt.Errorf("%s holds an unfinished run; rerun with --resume to continue it, or remove it", path)}
		case st == "unfinished":
			if _, err := os.Stat(filepath.Join(path, rundir.ConfigFile)); err == nil {
				if err := sameConfig(s, j, path); err != nil {
					return nil, &agent.InputError{Err: err}
				}
			}
			resume[j.Index] = true
			todo = append(todo, j)
		case st == "":
			if err := sameConfig(s, j, path); err != nil {
				return nil, &agent.InputError{Err: err}
			}
		}
	}

	p := &progress{w: opt.Progress, total: len(jobs), done: len(jobs) - len(todo)}
	if p.done > 0 && p.w != nil {
		runs := "runs"
		if p.done == 1 {
			runs = "run"
		}
		fmt.Fprintf(p.w, "keeping %d %s already in %s\n", p.done, runs, dir)
	}
	failed := runAll(ctx, s, dir, todo, resume, opt, p)

	sum := summarize(s, jobs, []string{dir})
	if !opt.Shard.Whole() {
		sum.Shard = opt.Shard.String()
	}
	if err := sum.Write(dir, opt.Shard); err != nil {
		return nil, fmt.Errorf("writing summary: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	failed = 0 // count recorded failures too, from this invocation or an earlier one
	for _, m := range sum.Missing {
		if strings.HasPrefix(m.State, "failed") {
			failed++
		}
	}
	if failed > 0 {
		return sum, fmt.Errorf("%d of %d runs failed (see %s in their directories)", failed, len(jobs), rundir.ErrorFile)
	}
	if p.busy.Load() > 0 {
		// Runs another process had in hand: an error while any is unfinished.
		n := 0
		for _, m := range sum.Missing {
			if m.State == "unfinished" {
				n++
			}
		}
		if n > 0 {
			return sum, fmt.Errorf("%d of %d runs are unfinished, left alone: %w by another process", n, len(jobs), rundir.ErrInUse)
		}
	}
	return sum, nil
}

// sameConfig checks that a finished run's config.yaml is job j's config.
func sameConfig(s *Spec, j Job, path string) error {
	cfg, err := s.Config(j)
	if err != nil {
		return err
	}
	got, err := os.ReadFile(filepath.Join(path, rundir.ConfigFile))
	if err != nil {
		return err
	}
	// A run of an external env records where its program was started
	// (env.external.dir, filled in when the sweep's config leaves it
	// empty): that is not another config.
	if cfg.Env.ID == configs.ExternalEnv && cfg.Env.External.Dir == "" {
		if rc, err := configs.Parse(got); err == nil {
			cfg.Env.External.Dir = rc.Env.External.Dir
		}
	}
	want, err := cfg.YAML()
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s holds a run of another config; remove it to run it again", path)
	}
	return nil
}

// progress prints one line per ended run.
type progress struct {
	mu          sync.Mutex
	w           io.Writer
	total, done int
	busy        atomic.Int32 // runs left alone because another process holds them
}

func (p *progress) line(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.w != nil {
		fmt.Fprintf(p.w, "[%d/%d] %s\n", p.done, p.total, fmt.Sprintf(format, args...))
	}
}

// runAll trains jobs with opt.Parallel workers, in job order, and returns
// how many failed. It starts no run once ctx is done.
func runAll(ctx context.Context, s *Spec, dir string, jobs []Job, resume map[int]bool, opt Options, p *progress) (failed int) {
	next := make(chan Job)
	go func() {
		defer close(next)
		for _, j := range jobs {
			select {
			case next <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(opt.Parallel, max(1, len(jobs))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if ctx.Err() != nil {
					continue // drain: the feeder stops soon
				}
				if !runOne(ctx, s, dir, j, resume[j.Index], opt.OnRow, p) {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return failed
}

// runOne trains job j, continuing its unfinished run when resume is set,
// and reports whether it did not fail (an interrupted run is not a
// failure).
func runOne(ctx context.Context, s *Spec, dir string, j Job, resume bool, onRow func(Job, agent.Metrics), p *progress) bool {
	path := filepath.Join(dir, j.Dir())
	var rows rundir.Progress
	if onRow != nil {
		rows = jobRows{j, onRow}
	}
	fail := func(err error) bool {
		msg, werr := rundir.RecordFailure(path, err)
		if werr != nil {
			msg += "; could not record it: " + werr.Error()
		}
		p.line("%s seed %d: failed: %s", j.Label, j.Seed, msg)
		return false
	}
	cfg, err := s.Config(j)
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	var res *rundir.Summary
	how := ""
	if resume {
		err = &agent.InputError{Err: errors.New("no checkpoint")}
		if hasCheckpoint(path) {
			res, err = rundir.Resume(ctx, path, rows, nil)
		}
		var in *agent.InputError
		switch {
		case errors.Is(err, rundir.ErrInUse):
			// Another process is training this run: leave its directory alone.
			p.busy.Add(1)
			p.line("%s seed %d: not resumed: %v", j.Label, j.Seed, err)
			return false
		case errors.As(err, &in):
			// No usable checkpoint (a run that ended without eval.json is
			// finished by Resume instead): the run is deterministic, so train it afresh.
			if err := removeRun(path); err != nil {
				if errors.Is(err, rundir.ErrInUse) {
					p.busy.Add(1)
					p.line("%s seed %d: not restarted: %v", j.Label, j.Seed, err)
					return false
				}
				return fail(err)
			}
			res, err = rundir.Train(ctx, cfg, path, rows)
			how = " (restarted)"
		default:
			how = " (resumed)"
		}
	} else {
		if _, err := os.Lstat(path); err == nil {
			// Absent when this sweep was planned: another process (a second
			// sweep of the same directory) has started it since.
			p.busy.Add(1)
			p.line("%s seed %d: left alone: another process has started it", j.Label, j.Seed)
			return false
		}
		res, err = rundir.Train(ctx, cfg, path, rows)
	}
	wall := time.Since(start).Seconds()
	switch {
	case err == nil:
		p.line("%s seed %d: eval return %.2f, %.1f s%s", j.Label, j.Seed, res.Eval.MeanReturn, wall, how)
		return true
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		if !hasCheckpoint(path) {
			// Stopped before its first update: nothing worth keeping, and
			// removing it lets the same sweep be run again.
			os.RemoveAll(path)
			p.line("%s seed %d: interrupted before the first update", j.Label, j.Seed)
			return true
		}
		p.line("%s seed %d: interrupted after %.1f s (checkpoint kept in %s)", j.Label, j.Seed, wall, path)
		return true
	}
	return fail(err)
}

// removeRun deletes the run directory dir unless another process is
// training into it.
func removeRun(dir string) error {
	release, err := rundir.Lock(dir)
	if err != nil {
		return err
	}
	defer release()
	return os.RemoveAll(dir)
}

func hasCheckpoint(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.ckpt"))
	return len(m) > 0
}

// jobRows passes a run's rows to Options.OnRow; its warnings are dropped,
// as they are without it.
type jobRows struct {
	j     Job
	onRow func(Job, agent.Metrics)
}

func (r jobRows) Row(m agent.Metrics, _ int) { r.onRow(r.j, m) }
func (jobRows) Warn(string)                  {}
