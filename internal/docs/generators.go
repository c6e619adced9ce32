package docs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"ppo/configs"
	"ppo/env/external"
	"ppo/internal/bench"
	"ppo/internal/report"
	"ppo/internal/sweep"
)

// Builtin returns the generators that read committed files only:
//
//	inspect DIR...          ppo inspect's table of run directories, as a shell session
//	progress DIR UPDATE     the progress line of update UPDATE from DIR/train.log (ppo train's output)
//	bench FILE...           a table of ppo bench --json reports
//	pipe-bench FILE         a table of a ppo bench --external --json report
//	bench-phases FILE...    ppo bench --json reports' phase split, CPU time, allocations per update, RSS (rounds.go)
//	bench-rounds DIR        medians of interleaved ppo bench rounds, DIR/CONFIG.VARIANT.rN.json (rounds.go)
//	bench-ratio DIR A B     a sentence: row A's medians in bench-rounds DIR as multiples of row B's (CONFIG.VARIANT each)
//	train-rounds FILE       medians of interleaved timed ppo train runs, a TSV (rounds.go)
//	text FILE               a committed text file (benchstat output, say) as a code block
//	sweep-result DIR        a sentence on a one-combination sweep's final evaluation (for config headers)
//	sweeps DIR[:SEEDS]...   a table with a row per combination of each sweep
//	sweep-seeds DIR [D]     a table with a row per run of a one-combination sweep (returns to D decimals, default 1)
//	tabular FILE            a table of a ppo tabular --json report (exact returns, KL between runs)
//	forgetting X Y FILE...  a forgetting study's table: a row per setting of the sweeps whose
//	                        summary.json files are given, with the returns on tasks X and Y
//	study DIR               a row per setting of a study: returns at the end and over the run, KL figures
//	table1 DIR...           the PPO paper's Table 1 score per setting, one study DIR per environment
//	sweep-goal DIR T        how many runs reach an evaluation return ≥ T: a sentence for a
//	                        one-combination sweep, a row per combination otherwise
//	estimators DIR...       bias and spread of the sample KL estimators by the size of the exact KL
//	config-fields           the config reference: every field's path, type, default and doc (configs.Fields)
//	canary DIR...           the staleness banner of stale studies (their canary.json): which commit
//	                        the numbers come from and how the code has moved them
//
// A sweep DIR holds ppo sweep's summary.json; :SEEDS (e.g. :1-3) keeps those seeds' runs only.
func Builtin() Generators {
	return Generators{
		"inspect":       genInspect,
		"progress":      genProgress,
		"bench":         genBench,
		"pipe-bench":    genPipeBench,
		"bench-rounds":  genBenchRounds,
		"bench-phases":  genBenchPhases,
		"bench-ratio":   genBenchRatio,
		"train-rounds":  genTrainRounds,
		"text":          genText,
		"sweep-result":  genSweepResult,
		"sweeps":        genSweeps,
		"sweep-seeds":   genSweepSeeds,
		"tabular":       genTabular,
		"forgetting":    genForgetting,
		"study":         genStudy,
		"table1":        genTable1,
		"estimators":    genEstimators,
		"sweep-goal":    genSweepGoal,
		"canary":        genCanary,
		"config-fields": genConfigFields,
	}
}

func genInspect(root string, args []string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("want run directories")
	}
	dirs := make([]string, len(args))
	for i, a := range args {
		dirs[i] = filepath.Join(root, a)
	}
	runs, err := report.LoadAll(dirs)
	if err != nil {
		return "", err
	}
	sums := make([]report.Summary, len(runs))
	for i, r := range runs {
		sums[i] = report.Summarize(r)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "```\n$ ppo inspect %s\n", strings.Join(args, " "))
	if err := report.WriteTable(&b, sums); err != nil {
		return "", err
	}
	b.WriteString("```\n")
	return b.String(), nil
}

// TrainLog is the file in a committed run directory holding ppo train's standard output.
const TrainLog = "train.log"

func genProgress(root string, args []string) (string, error) {
	if len(args) != 2 {
		return "", fmt.Errorf("want a run directory and an update number")
	}
	path := filepath.Join(root, args[0], TrainLog)
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "update" && strings.HasPrefix(f[1], args[1]+"/") {
			return "```\n" + line + "\n```\n", nil
		}
	}
	return "", fmt.Errorf("%s has no line for update %s", path, args[1])
}

// benchReports reads ppo bench --json reports named relative to root.
func benchReports(root string, args []string) ([]bench.Result, error) {
	out := make([]bench.Result, len(args))
	for i, a := range args {
		data, err := os.ReadFile(filepath.Join(root, a))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &out[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
	}
	return out, nil
}

func genBench(root string, args []string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("want ppo bench --json reports")
	}
	var b strings.Builder
	b.WriteString("| config | env steps | env-steps/s | learning share of the time | learning GFLOP/s | peak RSS | GOMAXPROCS, load | report |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	reports, err := benchReports(root, args)
	if err != nil {
		return "", err
	}
	for i, a := range args {
		r := reports[i]
		fmt.Fprintf(&b, "| `%s` | %s | %s | %.0f%% | %.1f | %.0f MB | %d, %.2f | `%s` |\n",
			r.Name, thousands(float64(r.Steps)), thousands(r.StepsPerSec), 100*r.Learning.Share,
			r.LearnGFLOPS, float64(r.MaxRSS)/1e6, r.GOMAXPROCS, r.LoadAverage, a)
	}
	return b.String(), nil
}

// sweepRef is a sweep directory argument, DIR or DIR:SEEDS.
type sweepRef struct {
	dir   string
	seeds map[uint64]bool // nil: all
	spec  string          // the seeds as written
}

func parseSweepRef(arg string) (sweepRef, error) {
	dir, seeds, ok := strings.Cut(arg, ":")
	ref := sweepRef{dir: dir}
	if ok {
		list, err := sweep.ParseSeeds(seeds)
		if err != nil {
			return ref, fmt.Errorf("%s: %w", arg, err)
		}
		ref.seeds, ref.spec = map[uint64]bool{}, seeds
		for _, s := range list {
			ref.seeds[s] = true
		}
	}
	return ref, nil
}

// loadSweep reads DIR/summary.json and keeps the runs of ref's seeds.
func loadSweep(root string, ref sweepRef) (*sweep.Summary, error) {
	path := filepath.Join(root, ref.dir, "summary.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s sweep.Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(s.Combos) == 0 {
		return nil, fmt.Errorf("%s: no combinations", path)
	}
	for i := range s.Combos {
		c := &s.Combos[i]
		if ref.seeds != nil {
			kept := c.Runs[:0]
			for _, r := range c.Runs {
				if ref.seeds[r.Seed] {
					kept = append(kept, r)
				}
			}
			c.Runs = kept
		}
		if len(c.Runs) == 0 {
			return nil, fmt.Errorf("%s: combination %s has no finished run of the seeds asked for", path, c.Label)
		}
	}
	return &s, nil
}

// comboStats are the figures of one combination's runs.
type comboStats struct {
	seeds                    []uint64
	eval, train, klMean, kib sweep.Stat
	evalMin, evalMax         float64
	steps                    int // of every run; -1 if they differ
	band                     [2]float64
}

func statsOf(c sweep.ComboSummary) comboStats {
	var cs comboStats
	var ev, tr, klm, kib []float64
	cs.steps = c.Runs[0].Timesteps
	cs.band = c.Runs[0].KLBand
	cs.evalMin, cs.evalMax = c.Runs[0].EvalReturn, c.Runs[0].EvalReturn
	for _, r := range c.Runs {
		cs.seeds = append(cs.seeds, r.Seed)
		ev = append(ev, r.EvalReturn)
		if r.EpisodeReturn != nil {
			tr = append(tr, *r.EpisodeReturn)
		}
		klm = append(klm, r.KLMean)
		kib = append(kib, r.KLInBand)
		cs.evalMin, cs.evalMax = min(cs.evalMin, r.EvalReturn), max(cs.evalMax, r.EvalReturn)
		if r.Timesteps != cs.steps {
			cs.steps = -1
		}
	}
	cs.eval, cs.train, cs.klMean, cs.kib = sweep.StatOf(ev), sweep.StatOf(tr), sweep.StatOf(klm), sweep.StatOf(kib)
	return cs
}

// oneCombination loads the sweep named by the single argument, which must
// have exactly one combination.
func oneCombination(root string, args []string) (sweepRef, *sweep.Summary, error) {
	if len(args) != 1 {
		return sweepRef{}, nil, fmt.Errorf("want one sweep directory")
	}
	ref, err := parseSweepRef(args[0])
	if err != nil {
		return ref, nil, err
	}
	s, err := loadSweep(root, ref)
	if err != nil {
		return ref, nil, err
	}
	if len(s.Combos) != 1 {
		return ref, nil, fmt.Errorf("%s has %d combinations, want 1", ref.dir, len(s.Combos))
	}
	return ref, s, nil
}

func genSweepResult(root string, args []string) (string, error) {
	ref, s, err := oneCombination(root, args)
	if err != nil {
		return "", err
	}
	cs := statsOf(s.Combos[0])
	text := fmt.Sprintf("Measured with ppo sweep over seeds %s (%s/summary.json): final "+
		"evaluation return %s (mean ± sd), per seed %s to %s, after %s env steps.",
		sweep.FormatSeeds(cs.seeds), ref.dir, fmtStat(cs.eval, "%.1f"), fmtF(cs.evalMin, "%.1f"),
		fmtF(cs.evalMax, "%.1f"), stepsOf(cs))
	return wrap(text, 92), nil
}

func genSweeps(root string, args []string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("want sweep directories")
	}
	var b strings.Builder
	b.WriteString("| config | combination | seeds | env steps | eval return, mean ± sd | eval return, per seed | KL in dead zone, mean ± sd | dead zone | summary |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, a := range args {
		ref, err := parseSweepRef(a)
		if err != nil {
			return "", err
		}
		s, err := loadSweep(root, ref)
		if err != nil {
			return "", err
		}
		name := strings.TrimSuffix(filepath.Base(s.Config), filepath.Ext(s.Config))
		for _, c := range s.Combos {
			cs := statsOf(c)
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | **%s** | %s to %s | %s | [%.4g, %.4g] | `%s` |\n",
				name, c.Label, sweep.FormatSeeds(cs.seeds), stepsOf(cs), fmtStat(cs.eval, "%.1f"),
				fmtF(cs.evalMin, "%.1f"), fmtF(cs.evalMax, "%.1f"), fmtPct(cs.kib), cs.band[0], cs.band[1],
				filepath.ToSlash(filepath.Join(ref.dir, "summary.json")))
		}
	}
	return b.String(), nil
}

func genSweepSeeds(root string, args []string) (string, error) {
	// An optional second argument gives the returns' decimals, for returns near 0 such as Blackjack's.
	retF := "%.1f"
	if len(args) == 2 {
		d, err := strconv.Atoi(args[1])
		if err != nil || d < 0 || d > 9 {
			return "", fmt.Errorf("decimals %q: want a whole number from 0 to 9", args[1])
		}
		retF = "%." + strconv.Itoa(d) + "f"
		args = args[:1]
	}
	_, s, err := oneCombination(root, args)
	if err != nil {
		return "", err
	}
	c := s.Combos[0]
	var b strings.Builder
	b.WriteString("| seed | eval return | train return | KL mean | KL in dead zone | updates | env steps |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, r := range c.Runs {
		tr := "–"
		if r.EpisodeReturn != nil {
			tr = fmtF(*r.EpisodeReturn, retF)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %.4f | %s | %d | %d |\n",
			r.Seed, fmtF(r.EvalReturn, retF), tr, r.KLMean, report.Percent(r.KLInBand), r.Updates, r.Timesteps)
	}
	cs := statsOf(c)
	fmt.Fprintf(&b, "| **mean ± sd** | **%s** | %s | %s | %s | | |\n",
		fmtStat(cs.eval, retF), fmtStat(cs.train, retF), fmtStat(cs.klMean, "%.4f"), fmtPct(cs.kib))
	return b.String(), nil
}

func stepsOf(cs comboStats) string {
	if cs.steps < 0 {
		return "varying"
	}
	return thousands(float64(cs.steps))
}

// fmtF formats x, writing a negative zero as zero.
func fmtF(x float64, format string) string {
	s := fmt.Sprintf(format, x)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}

func fmtStat(s sweep.Stat, format string) string {
	switch {
	case s.Mean == nil:
		return "–"
	case s.Std == nil:
		return fmtF(*s.Mean, format)
	}
	return fmtF(*s.Mean, format) + " ± " + fmtF(*s.Std, format)
}

func fmtPct(s sweep.Stat) string { return s.Percent() }

// thousands rounds x to an integer and writes it with comma separators: 1234567 → "1,234,567".
func thousands(x float64) string {
	s := strconv.FormatFloat(x, 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) string {
	var b, line strings.Builder
	for _, w := range strings.Fields(text) {
		if line.Len() > 0 && line.Len()+1+len(w) > width {
			b.WriteString(line.String() + "\n")
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(w)
	}
	if line.Len() > 0 {
		b.WriteString(line.String() + "\n")
	}
	return b.String()
}

// solvedCartPole is CartPole-v1's reward threshold, which the forgetting table counts
// runs against.
const solvedCartPole = 475

func genForgetting(root string, args []string) (string, error) {
	if len(args) < 3 {
		return "", fmt.Errorf("want the tasks X and Y and sweep summary.json files")
	}
	paths := make([]string, len(args)-2)
	for i, a := range args[2:] {
		paths[i] = filepath.Join(root, a)
	}
	settings, err := sweep.ReadStudy(paths, args[0], args[1])
	if err != nil {
		return "", err
	}
	return sweep.StudyMarkdown(settings, args[0], args[1], solvedCartPole), nil
}

func genPipeBench(root string, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("want one ppo bench --external --json report")
	}
	data, err := os.ReadFile(filepath.Join(root, args[0]))
	if err != nil {
		return "", err
	}
	var r external.PipeBench
	if err := json.Unmarshal(data, &r); err != nil {
		return "", fmt.Errorf("%s: %w", args[0], err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "`%s`, %d copies × %s steps each (GOMAXPROCS %d, load %.2f, `%s`):\n\n",
		strings.Join(r.Command, " "), r.Copies, thousands(float64(r.Steps)), r.GOMAXPROCS, r.LoadAverage, args[0])
	b.WriteString("| stepped | env-steps/s | µs per env step | pipe overhead, µs per env step |\n|---|---|---|---|\n")
	row := func(name string, x external.Rate, over string) {
		fmt.Fprintf(&b, "| %s | %s | %.2f | %s |\n", name, thousands(x.StepsPerSec), 1e6/x.StepsPerSec, over)
	}
	row("in process by Python (no pipe)", r.InProcess, "–")
	row(fmt.Sprintf("through the pipe, %d copies in one process (one message per step of all)", r.Copies), r.OneProcess, fmt.Sprintf("%.2f", r.OverheadOneProcess))
	row(fmt.Sprintf("through the pipe, %d processes of one copy", r.Copies), r.ProcessPerCopy, fmt.Sprintf("%.2f", r.OverheadProcessPerCopy))
	return b.String(), nil
}

// genCanary writes the banner of the stale studies among dirs: a study
// whose numbers this code no longer gives says so where it is read.
func genCanary(root string, args []string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("want study directories")
	}
	var b strings.Builder
	var regen []string
	for _, d := range args {
		c, err := sweep.LoadCanary(filepath.Join(root, d))
		if err != nil {
			return "", err
		}
		if c.Status != sweep.Stale {
			return "", fmt.Errorf("%s is %s, not stale: remove its banner", d, c.Status)
		}
		st := c.Stale
		if b.Len() == 0 {
			commit := st.Commit
			if len(commit) > 7 {
				commit = commit[:7]
			}
			fmt.Fprintf(&b, "> **Stale: these numbers are not what the code gives now.** They come from commit %s; "+
				"a later change (%s) has since moved them. Rerun from the same A, the first cell of each sweep below "+
				"differs from the study's own run at the update given, by the largest relative difference given, "+
				"and the runs then drift apart (a whole run can end with another return). "+
				"The tables are kept as the record of that commit; `ppo canary` checks this banner, not the numbers.\n>\n", commit, st.Since)
		}
		fmt.Fprintf(&b, "> - `%s`: cell `%s` seed %d, from update %d (`%s`, %.1g relative)\n", d, c.Label, c.Seed, st.FromUpdate, st.Field, st.Relative)
		if len(regen) == 0 || regen[len(regen)-1] != st.Regenerate {
			regen = append(regen, st.Regenerate)
		}
	}
	fmt.Fprintf(&b, ">\n> Regenerate: %s.\n", strings.Join(regen, "; "))
	return b.String(), nil
}

// genConfigFields is the reference table of the config schema, one row per
// field, from the fields' doc tags (their one documentation).
func genConfigFields(_ string, args []string) (string, error) {
	if len(args) > 0 {
		return "", fmt.Errorf("takes no arguments")
	}
	var b strings.Builder
	b.WriteString("| field | type | default | meaning |\n|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	for _, f := range configs.Fields() {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", f.Path, cell(f.Type), cell(f.Default), cell(f.Doc))
	}
	return b.String(), nil
}
