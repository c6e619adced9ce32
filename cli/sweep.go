package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"ppo/agent"
	"ppo/internal/rundir"
	"ppo/internal/sweep"
)

func cmdSweep(args []string, stdout, stderr io.Writer) int {
	// The first SIGINT/SIGTERM/SIGHUP stops launching runs and lets the
	// running ones checkpoint; a second one ends the process at once. A
	// closed output pipe ends neither.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	defer stop()
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-ctx.Done():
			stop()
			fmt.Fprintln(stderr, "ppo sweep: interrupted; starting no more runs, letting running ones checkpoint (interrupt again to quit at once)")
		case <-done:
		}
	}()
	code := runSweep(ctx, args, stdout, stderr)
	close(done)
	<-exited
	return code
}

// runSweep is ppo sweep with the interrupt as a context, for tests.
func runSweep(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo sweep", flag.ContinueOnError)
	cfgPath := fs.String("config", "", "YAML config `file` every run starts from (required)")
	seedList := fs.String("seeds", "", "seeds to run each combination with, e.g. 1-5, 1,3,7 or 1-3,10 (required)")
	var grids, sets setFlags
	fs.Var(&grids, "grid", "vary a config field over `path=v1,v2,...` (repeatable; runs every combination)")
	fs.Var(&sets, "set", "override a config field for every run, `path=value` (repeatable)")
	parallel := fs.Int("parallel", 1, "how many runs train at once")
	shardFlag := fs.String("shard", "", "run only shard `i/n` of the jobs (job k goes to shard k mod n; i counts from 0)")
	out := fs.String("out", "", "sweep `directory` (default: <log.dir>/sweep-<name>-<time>; required with --shard)")
	resume := fs.Bool("resume", false, "continue unfinished runs of this sweep (or shard) from their checkpoints; only when no other process runs them")
	collect := fs.Bool("collect", false, "merge the sweep directories given as arguments into one summary")
	studyPath := fs.String("study", "", "study `file` naming the config, seeds, overrides, variants and grid (flags override it)")

	// Directories may come before or after flags: parse around them.
	var pos []string
	for {
		if done, code := parse(fs, args, stdout, stderr); done {
			return code
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if *collect {
		var bad []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "collect" && f.Name != "out" {
				bad = append(bad, "--"+f.Name)
			}
		})
		if len(bad) > 0 {
			fmt.Fprintf(stderr, "ppo sweep: --collect takes sweep directories and --out only, not %s\n", strings.Join(bad, ", "))
			return 2
		}
		return collectSweep(pos, *out, stdout, stderr)
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ppo sweep: "+format+"\n", a...)
		return 2
	}
	if len(pos) > 0 {
		return fail("unexpected argument %q (directories go with --collect)", pos[0])
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var study *sweep.Study
	var variants []sweep.Variant
	var studyGrid []string
	if *studyPath != "" {
		var err error
		if study, err = sweep.LoadStudy(*studyPath); err != nil {
			return fail("%v", err)
		}
		if !given["config"] {
			*cfgPath = study.ConfigPath()
		}
		if !given["seeds"] {
			*seedList = study.Seeds
		}
		if !given["parallel"] && study.Parallel != nil {
			*parallel = *study.Parallel
		}
		if !given["out"] {
			*out = study.Out
		}
		sets = append(append(setFlags{}, study.Set...), sets...)
		variants = study.Variants
		// A --grid axis replaces the study's axis of the same path.
		for _, g := range study.Grid {
			a, _ := sweep.ParseAxis(g) // checked by LoadStudy
			replaced := false
			for _, f := range grids {
				if b, err := sweep.ParseAxis(f); err == nil && b.Path == a.Path {
					replaced = true
				}
			}
			if !replaced {
				studyGrid = append(studyGrid, g)
			}
		}
		grids = append(studyGrid, grids...)
	}
	if *cfgPath == "" {
		return fail("missing --config FILE")
	}
	if *seedList == "" {
		return fail("missing --seeds (e.g. --seeds 1-5)")
	}
	seeds, err := sweep.ParseSeeds(*seedList)
	if err != nil {
		return fail("%v", err)
	}
	var grid []sweep.Axis
	for _, g := range grids {
		a, err := sweep.ParseAxis(g)
		if err != nil {
			return fail("%v", err)
		}
		grid = append(grid, a)
	}
	if *parallel < 1 {
		return fail("--parallel must be >= 1, got %d", *parallel)
	}
	var shard sweep.Shard
	if *shardFlag != "" {
		if shard, err = sweep.ParseShard(*shardFlag); err != nil {
			return fail("%v", err)
		}
		if *out == "" {
			return fail("--shard needs --out: every shard must write into the directory --collect will read")
		}
	}
	base, err := loadConfig(*cfgPath, sets, seedFlag{})
	if err != nil {
		if study != nil && !given["config"] && !given["set"] {
			return fail("study %s: %v", *studyPath, err) // the file named the config and the sets
		}
		return fail("%v", err)
	}
	spec, err := sweep.NewWithVariants(*cfgPath, sets, base, variants, grid, seeds)
	if err != nil {
		return fail("%v", err)
	}
	// Values another value makes moot are noted once each, with the
	// combinations they concern.
	var notes []string
	where := map[string][]string{}
	for _, j := range spec.Jobs() {
		if j.Seed != seeds[0] {
			continue
		}
		cfg, err := spec.Config(j)
		if err != nil {
			continue // the run reports it
		}
		for _, n := range cfg.Moot() {
			if where[n] == nil {
				notes = append(notes, n)
			}
			where[n] = append(where[n], j.Label)
		}
	}
	for _, n := range notes {
		if len(spec.Combos) == 1 {
			fmt.Fprintln(stderr, "ppo sweep: note:", n)
		} else {
			fmt.Fprintf(stderr, "ppo sweep: note: %s (%s of %d combinations, e.g. %s)\n", n, strconv.Itoa(len(where[n])), len(spec.Combos), where[n][0])
		}
	}
	dir := *out
	if dir == "" {
		name := strings.Map(func(r rune) rune {
			if r == '/' || r == '\\' || r == ' ' {
				return '_'
			}
			return r
		}, base.Name)
		dir = filepath.Join(base.Log.Dir, fmt.Sprintf("sweep-%s-%s", name, time.Now().Format("20060102-150405")))
	}
	var in *agent.InputError
	if err := spec.Claim(dir); err != nil {
		if errors.As(err, &in) {
			return fail("%v", err)
		}
		fmt.Fprintln(stderr, "ppo sweep:", err)
		return 1
	}
	jobs := 0
	for _, j := range spec.Jobs() {
		if shard.Has(j.Index) {
			jobs++
		}
	}
	fmt.Fprintf(stdout, "sweep %s: %s × %s = %s", dir, plural(len(spec.Combos), "combination"), plural(len(seeds), "seed"), plural(len(spec.Combos)*len(seeds), "run"))
	if !shard.Whole() {
		fmt.Fprintf(stdout, "; shard %s has %d", shard, jobs)
	}
	fmt.Fprintf(stdout, ", %d at a time\n", *parallel)

	opt := sweep.Options{Parallel: *parallel, Shard: shard, Progress: stdout, Resume: *resume}
	if rowHook != nil {
		opt.OnRow = func(j sweep.Job, m agent.Metrics) { rowHook(ctx, j.Index, m) }
	}
	sum, err := sweep.Run(ctx, spec, dir, opt)
	switch {
	case errors.As(err, &in):
		return fail("%v", err)
	case sum == nil:
		fmt.Fprintln(stderr, "ppo sweep:", err)
		return 1
	}
	fmt.Fprintf(stdout, "\n%s\nsummary: %s\n", sum.Markdown(), summaryPath(dir, shard))
	// A study's results are published once every run has been tried, failed
	// runs included (the summary lists them), but not after an interrupt.
	// A run with other seeds, overrides, grid or config than the file's is
	// not the study, so the committed results are left alone.
	overridden := given["seeds"] || given["set"] || given["grid"] || given["config"]
	if study != nil && overridden && study.ResultsDir() != "" {
		fmt.Fprintf(stdout, "results: %s left as it is (--seeds, --set, --grid or --config override the study file)\n", study.ResultsDir())
	}
	if study != nil && !overridden && shard.Whole() && study.ResultsDir() != "" && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, rundir.ErrInUse) {
		if perr := study.Publish(dir); perr != nil {
			fmt.Fprintln(stderr, "ppo sweep: publishing the study's results:", perr)
			return 1
		}
		fmt.Fprintf(stdout, "results: %s\n", study.ResultsDir())
	}
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "ppo sweep: interrupted; %d of %d runs finished, partial summary in %s\n", sum.Finished, sum.Jobs, summaryPath(dir, shard))
		return 130
	case err != nil:
		fmt.Fprintln(stderr, "ppo sweep:", err)
		return 1
	}
	return 0
}

func summaryPath(dir string, sh sweep.Shard) string {
	if sh.Whole() {
		return filepath.Join(dir, "summary.md")
	}
	return filepath.Join(dir, fmt.Sprintf("summary.shard-%d-of-%d.md", sh.Index, sh.Count))
}

// collectSweep is ppo sweep --collect: it merges shard directories into one
// summary, written into out or the first directory. Missing runs are
// listed on stderr and give exit status 1.
func collectSweep(dirs []string, out string, stdout, stderr io.Writer) int {
	if len(dirs) == 0 {
		fmt.Fprintln(stderr, "ppo sweep: --collect needs at least one sweep directory")
		return 2
	}
	spec, sum, err := sweep.Collect(dirs)
	if err != nil {
		fmt.Fprintln(stderr, "ppo sweep:", err)
		var in *agent.InputError
		if errors.As(err, &in) {
			return 2
		}
		return 1
	}
	if out == "" {
		out = dirs[0]
	} else if err := spec.Claim(out); err != nil {
		fmt.Fprintln(stderr, "ppo sweep:", err)
		var in *agent.InputError
		if errors.As(err, &in) {
			return 2
		}
		return 1
	}
	if err := sum.Write(out, sweep.Shard{}); err != nil {
		fmt.Fprintln(stderr, "ppo sweep: writing summary:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\nsummary: %s\n", sum.Markdown(), filepath.Join(out, "summary.md"))
	if len(sum.Missing) > 0 {
		fmt.Fprintf(stderr, "ppo sweep: %d of %d runs missing:\n", len(sum.Missing), sum.Jobs)
		for _, m := range sum.Missing {
			fmt.Fprintln(stderr, "  "+m.String())
		}
		return 1
	}
	return 0
}
