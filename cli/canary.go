package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"ppo/configs"
	"ppo/internal/rundir"
	"ppo/internal/sweep"
)

// cmdCanary checks that the code still gives the committed studies'
// numbers, or writes a study's canary.
func cmdCanary(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo canary", flag.ContinueOnError)
	root := fs.String("root", ".", "repository root `directory`")
	full := fs.Bool("full", false, "also rerun each canary's whole cell and compare it with summary.json")
	write := fs.Bool("write", false, "rerun the study's cell whole, check it against summary.json, and write its canary from this code")
	label := fs.String("label", "", "with --write or --stale: the cell's combination `label` (default: the cheapest cell)")
	seed := fs.Uint64("seed", 0, "with --write or --stale: the cell's seed")
	config := fs.String("config", "", "with --write, for a study without sweep.json: its config `file`, relative to --root")
	var sets setFlags
	fs.Var(&sets, "set", "with --config: one of the sweep's `key=value` overrides (repeatable)")
	exempt := fs.String("exempt", "", "mark the study exempt: it can never reproduce, for this `reason`")
	stale := fs.String("stale", "", "mark the study stale: compare the run `DIR` trained by the study's code with a rerun of its config by this code")
	since := fs.String("since", "", "with --stale: the change that moved the numbers")
	regen := fs.String("regenerate", "", "with --stale: the command that makes the study current again")
	if done, code := parse(fs, args, stdout, stderr); done {
		return code
	}
	modes := 0
	for _, on := range []bool{*write, *exempt != "", *stale != ""} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		fmt.Fprintln(stderr, "ppo canary: give one of --write, --exempt and --stale")
		return 2
	}
	dirs := fs.Args()
	if modes == 1 && len(dirs) != 1 {
		fmt.Fprintln(stderr, "ppo canary: --write, --exempt and --stale take one study directory")
		return 2
	}
	if _, err := os.Stat(filepath.Join(*root, "experiments")); err != nil {
		fmt.Fprintf(stderr, "ppo canary: %s is not the repository root (it has no experiments/); run ppo canary there or give --root\n", *root)
		return 2
	}
	for i, d := range dirs {
		rel, err := filepath.Rel(*root, d)
		if err != nil || strings.HasPrefix(rel, "..") {
			fmt.Fprintf(stderr, "ppo canary: %s is not under the root %s\n", d, *root)
			return 2
		}
		if _, err := os.Stat(filepath.Join(*root, rel, "summary.json")); err != nil {
			fmt.Fprintf(stderr, "ppo canary: %s holds no summary.json: not a study's results\n", d)
			return 2
		}
		dirs[i] = rel
	}
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	defer stop()
	switch {
	case *exempt != "":
		c := &sweep.Canary{Status: sweep.Exempt, Reason: *exempt}
		if err := c.Write(filepath.Join(*root, dirs[0])); err != nil {
			fmt.Fprintln(stderr, "ppo canary:", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: exempt (%s)\n", dirs[0], *exempt)
		return 0
	case *write:
		return canaryWrite(ctx, *root, dirs[0], *label, *seed, *config, sets, stdout, stderr)
	case *stale != "":
		if *since == "" || *regen == "" {
			fmt.Fprintln(stderr, "ppo canary: --stale needs --since and --regenerate")
			return 2
		}
		return canaryStale(ctx, *root, dirs[0], *stale, *label, *seed, *since, *regen, stdout, stderr)
	}
	if len(dirs) == 0 {
		var err error
		if dirs, err = sweep.CommittedStudies(*root); err != nil {
			fmt.Fprintln(stderr, "ppo canary:", err)
			return 2
		}
	}
	failed := 0
	for _, d := range dirs {
		fullSteps := 0
		if *full {
			fullSteps = math.MaxInt
		}
		rep, err := sweep.CheckCanary(ctx, *root, d, fullSteps, os.TempDir())
		if err != nil {
			fmt.Fprintln(stdout, "FAIL", err)
			failed++
			continue
		}
		switch rep.Status {
		case sweep.Current:
			what := fmt.Sprintf("first %d updates", rep.Updates)
			if rep.Full {
				what += " and whole run"
			}
			fmt.Fprintf(stdout, "ok   %s: cell %s, %s bit for bit\n", d, rep.Cell, what)
		default:
			fmt.Fprintf(stdout, "%-4s %s\n", rep.Status, d)
		}
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%s of %d failed\n", plural(failed, "canary"), len(dirs))
		return 1
	}
	return 0
}

// canaryWrite reruns the cell whole, checks it against the summary and
// writes the canary from this code.
func canaryWrite(ctx context.Context, root, dir, label string, seed uint64, config string, sets []string, stdout, stderr io.Writer) int {
	abs := filepath.Join(root, dir)
	if label == "" {
		if config != "" {
			fmt.Fprintln(stderr, "ppo canary: --config needs --label and --seed")
			return 2
		}
		var err error
		if label, seed, err = sweep.CheapestCell(abs); err != nil {
			fmt.Fprintln(stderr, "ppo canary:", err)
			return 2
		}
	}
	c := &sweep.Canary{Status: sweep.Current, Label: label, Seed: seed, Config: config, Sets: sets}
	cfg, err := c.CellConfig(root, abs)
	if err != nil {
		fmt.Fprintf(stderr, "ppo canary: %s: %v\n", dir, err)
		return 2
	}
	got, err := sweep.FullCell(ctx, cfg, os.TempDir())
	if err != nil {
		fmt.Fprintf(stderr, "ppo canary: %s: cell %s seed %d: %v\n", dir, label, seed, err)
		return 1
	}
	diffs, err := sweep.CompareRun(got, abs, label, seed)
	if err != nil {
		fmt.Fprintln(stderr, "ppo canary:", err)
		return 2
	}
	if len(diffs) > 0 {
		fmt.Fprintf(stderr, "ppo canary: %s: cell %s seed %d does not reproduce its summary (%s); regenerate the study, or mark it stale with --stale\n", dir, label, seed, strings.Join(diffs, "; "))
		return 1
	}
	if cfg, err = c.CellConfig(root, abs); err != nil {
		fmt.Fprintln(stderr, "ppo canary:", err)
		return 1
	}
	if c.Rows, err = sweep.Prefix(ctx, cfg, sweep.CanaryUpdates, os.TempDir()); err != nil {
		fmt.Fprintln(stderr, "ppo canary:", err)
		return 1
	}
	st := rundir.CurrentStamp()
	c.Stamp = &st
	if err := c.Write(abs); err != nil {
		fmt.Fprintln(stderr, "ppo canary:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: cell %s seed %d reproduces summary.json; wrote %s with its first %d rows\n", dir, label, seed, sweep.CanaryFile, len(c.Rows))
	return 0
}

// canaryStale compares a run trained by the study's code (old) with a
// rerun of its config by this code, and marks the study stale with the
// first difference.
func canaryStale(ctx context.Context, root, dir, old, label string, seed uint64, since, regen string, stdout, stderr io.Writer) int {
	abs := filepath.Join(root, dir)
	if label == "" {
		fmt.Fprintln(stderr, "ppo canary: --stale needs --label and --seed naming the old run's cell")
		return 2
	}
	want, err := sweep.ReadRows(old)
	if err != nil || len(want) == 0 {
		fmt.Fprintf(stderr, "ppo canary: %s: no metrics rows (%v)\n", old, err)
		return 2
	}
	// The old run must be the study's own cell, as its summary records it.
	oldRun, err := sweep.ReadRun(old)
	if err != nil {
		fmt.Fprintf(stderr, "ppo canary: %s: %v\n", old, err)
		return 2
	}
	if diffs, err := sweep.CompareRun(oldRun, abs, label, seed); err != nil || len(diffs) > 0 {
		fmt.Fprintf(stderr, "ppo canary: %s is not the study's cell %s seed %d as summary.json records it (%v%s)\n", old, label, seed, err, strings.Join(diffs, "; "))
		return 2
	}
	cfg, err := configs.Load(filepath.Join(old, rundir.ConfigFile))
	if err != nil {
		fmt.Fprintln(stderr, "ppo canary:", err)
		return 2
	}
	got, err := sweep.Prefix(ctx, cfg, len(want), os.TempDir())
	if err != nil {
		fmt.Fprintln(stderr, "ppo canary:", err)
		return 1
	}
	d, err := sweep.CompareRows(got, want)
	if err != nil {
		fmt.Fprintln(stderr, "ppo canary:", err)
		return 1
	}
	if d == nil {
		fmt.Fprintf(stderr, "ppo canary: %s: this code gives %s's %d rows bit for bit: the study is current (ppo canary --write)\n", dir, old, len(want))
		return 1
	}
	made, err := sweep.SummaryStamp(abs)
	if err != nil {
		fmt.Fprintf(stderr, "ppo canary: %s: %v\n", dir, err)
		return 2
	}
	n := min(sweep.CanaryUpdates, len(want))
	st := rundir.CurrentStamp()
	c := &sweep.Canary{Status: sweep.Stale, Label: label, Seed: seed, Rows: want[:n], Stamp: made,
		Stale: &sweep.Staleness{Commit: made.Commit, Since: since, FromUpdate: d.Update, Field: d.Field, Relative: d.Relative,
			Regenerate: regen,
			Measured: fmt.Sprintf("cell %s seed %d trained by the study's code (its whole run equal to summary.json's record) against the same config rerun by %s: first difference at update %d of %d, in %s",
				label, seed, st, d.Update, len(want), d.Field)}}
	if err := c.Write(abs); err != nil {
		fmt.Fprintln(stderr, "ppo canary:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: stale from update %d (%s, %.2g relative); wrote %s; regenerate the README banner with ppo docs\n", dir, d.Update, d.Field, d.Relative, sweep.CanaryFile)
	return 0
}
