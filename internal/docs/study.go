package docs

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"ppo/internal/sweep"
)

// paperTable1 is Table 1 of Schulman et al. (2017), "Proximal Policy
// Optimization Algorithms": the average normalised score of each setting
// over 21 runs (7 MuJoCo environments × 3 seeds). Keys are the variant
// names of experiments/table1/*.yaml.
var paperTable1 = map[string]float64{
	"none":     -0.39,
	"clip-0.1": 0.76, "clip-0.2": 0.82, "clip-0.3": 0.70,
	"adaptive-0.003": 0.68, "adaptive-0.01": 0.74, "adaptive-0.03": 0.71,
	"fixed-0.3": 0.62, "fixed-1": 0.71, "fixed-3": 0.72, "fixed-10": 0.69,
}

// failed counts a combination's runs that ended in an error.
func failed(s *sweep.Summary, label string) int {
	n := 0
	for _, m := range s.Missing {
		if m.Label == label && strings.HasPrefix(m.State, "failed") {
			n++
		}
	}
	return n
}

func genStudy(root string, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("want one study results directory")
	}
	s, err := loadSweep(root, sweepRef{dir: args[0]})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| setting | runs | eval return | return, last 100 episodes | return over the run | KL mean | KL in dead zone | mean \\|KL/target − 1\\| |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, c := range s.Combos {
		var auc, tgt []float64
		for _, r := range c.Runs {
			if r.ReturnAUC != nil {
				auc = append(auc, *r.ReturnAUC)
			}
			if r.KLTargetError != nil {
				tgt = append(tgt, *r.KLTargetError)
			}
		}
		cs := statsOf(c)
		runs := fmt.Sprintf("%d/%d", len(c.Runs), c.Jobs)
		if f := failed(s, c.Label); f > 0 {
			runs += fmt.Sprintf(" (%d failed)", f)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", c.Label, runs,
			fmtStat(cs.eval, "%.1f"), fmtStat(cs.train, "%.1f"), fmtStat(sweep.StatOf(auc), "%.1f"),
			fmtStat(cs.klMean, "%.4f"), fmtPct(cs.kib), fmtStat(sweep.StatOf(tgt), "%.2f"))
	}
	return b.String(), nil
}

// envScore is one environment's Table 1 figures.
type envScore struct {
	name         string
	random       float64            // mean first_return over the study's runs
	final, auc   map[string]float64 // setting → mean over seeds
	bestF, bestA float64
	failures     map[string]int
	labels       []string
}

func table1Env(root, dir string) (*envScore, error) {
	s, err := loadSweep(root, sweepRef{dir: dir})
	if err != nil {
		return nil, err
	}
	e := &envScore{name: strings.TrimSuffix(filepath.Base(s.Config), filepath.Ext(s.Config)),
		final: map[string]float64{}, auc: map[string]float64{}, failures: map[string]int{},
		bestF: math.Inf(-1), bestA: math.Inf(-1)}
	var first []float64
	for _, c := range s.Combos {
		for _, r := range c.Runs {
			if r.FirstReturn != nil {
				first = append(first, *r.FirstReturn)
			}
		}
	}
	if len(first) == 0 {
		return nil, fmt.Errorf("%s: no run has a first_return (summaries written before it existed?)", dir)
	}
	e.random = *sweep.StatOf(first).Mean
	for _, c := range s.Combos {
		e.labels = append(e.labels, c.Label)
		e.failures[c.Label] = failed(s, c.Label)
		// A failed run (a non-finite loss) scores as the random policy:
		// whatever it learnt is lost.
		var f, a []float64
		for _, r := range c.Runs {
			if r.EpisodeReturn == nil || r.ReturnAUC == nil {
				return nil, fmt.Errorf("%s: %s seed %d has no episode returns", dir, c.Label, r.Seed)
			}
			f, a = append(f, *r.EpisodeReturn), append(a, *r.ReturnAUC)
		}
		for range e.failures[c.Label] {
			f, a = append(f, e.random), append(a, e.random)
		}
		e.final[c.Label], e.auc[c.Label] = *sweep.StatOf(f).Mean, *sweep.StatOf(a).Mean
		e.bestF, e.bestA = max(e.bestF, e.final[c.Label]), max(e.bestA, e.auc[c.Label])
	}
	return e, nil
}

func genTable1(root string, args []string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("want one study results directory per environment")
	}
	var envs []*envScore
	for _, a := range args {
		e, err := table1Env(root, a)
		if err != nil {
			return "", err
		}
		if len(envs) > 0 && strings.Join(e.labels, " ") != strings.Join(envs[0].labels, " ") {
			return "", fmt.Errorf("%s has other settings than %s", a, args[0])
		}
		envs = append(envs, e)
	}
	var b strings.Builder
	b.WriteString("| setting |")
	for _, e := range envs {
		fmt.Fprintf(&b, " %s |", e.name)
	}
	b.WriteString(" **mean, last 100 episodes** | mean, over the run | paper |\n|---|")
	b.WriteString(strings.Repeat("---|", len(envs)+3) + "\n")
	norm := func(x, random, best float64) float64 { return (x - random) / (best - random) }
	for _, l := range envs[0].labels {
		fmt.Fprintf(&b, "| %s |", l)
		var sf, sa float64
		for _, e := range envs {
			f, a := norm(e.final[l], e.random, e.bestF), norm(e.auc[l], e.random, e.bestA)
			sf, sa = sf+f, sa+a
			cell := fmtF(f, "%.2f") + " / " + fmtF(a, "%.2f")
			if n := e.failures[l]; n > 0 {
				cell += fmt.Sprintf(" (%d failed)", n)
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		n := float64(len(envs))
		paper := "–"
		if p, ok := paperTable1[l]; ok {
			paper = fmtF(p, "%.2f")
		}
		fmt.Fprintf(&b, " **%s** | %s | %s |\n", fmtF(sf/n, "%.2f"), fmtF(sa/n, "%.2f"), paper)
	}
	b.WriteString("\nRaw returns behind the scores (random = the untrained policy's first episodes; best = the best setting's mean):\n\n")
	b.WriteString("| env | random | best, last 100 episodes | best, over the run | summary |\n|---|---|---|---|---|\n")
	for i, e := range envs {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | `%s` |\n", e.name, fmtF(e.random, "%.1f"), fmtF(e.bestF, "%.1f"),
			fmtF(e.bestA, "%.1f"), filepath.ToSlash(filepath.Join(args[i], "summary.json")))
	}
	return b.String(), nil
}

// minEstimatorKL is the smallest exact KL the estimators table shows: below
// it the KL of a float32 network's nearly deterministic policy is rounding
// (values down to 1e-15 occur), and relative errors mean nothing.
const minEstimatorKL = 1e-6

func genEstimators(root string, args []string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("want study results directories")
	}
	var b strings.Builder
	b.WriteString("| env | half | exact KL in | updates | mean KL | k1 bias | k1 sd | k2 bias | k2 sd | k3 bias | k3 sd |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, a := range args {
		s, err := loadSweep(root, sweepRef{dir: a})
		if err != nil {
			return "", err
		}
		name := strings.TrimSuffix(filepath.Base(s.Config), filepath.Ext(s.Config))
		type key struct {
			late bool
			lo   float64
		}
		bins := map[key]*sweep.EstimatorBin{}
		var keys []key
		for _, c := range s.Combos {
			for _, r := range c.Runs {
				for _, bin := range r.Estimators {
					k := key{bin.Late, bin.Lo}
					acc, ok := bins[k]
					if !ok {
						acc = &sweep.EstimatorBin{Late: bin.Late, Lo: bin.Lo, Hi: bin.Hi}
						bins[k] = acc
						keys = append(keys, k)
					}
					acc.N += bin.N
					acc.KL += bin.KL
					for j := range 3 {
						acc.Err[j] += bin.Err[j]
						acc.Err2[j] += bin.Err2[j]
					}
				}
			}
		}
		if len(keys) == 0 {
			return "", fmt.Errorf("%s: no estimator figures (runs logged before kl_k1..kl_k3?)", a)
		}
		sortKeys := func(i, j int) bool {
			if keys[i].late != keys[j].late {
				return !keys[i].late
			}
			return keys[i].lo < keys[j].lo
		}
		for i := 1; i < len(keys); i++ { // insertion sort: a handful of keys
			for j := i; j > 0 && sortKeys(j, j-1); j-- {
				keys[j], keys[j-1] = keys[j-1], keys[j]
			}
		}
		for _, k := range keys {
			bin := bins[k]
			if bin.N < 20 || bin.Lo < minEstimatorKL {
				continue // too few updates for a spread, or rounding noise
			}
			n := float64(bin.N)
			m := bin.KL / n
			half := "first"
			if k.late {
				half = "second"
			}
			fmt.Fprintf(&b, "| %s | %s | [%.0e, %.0e) | %d | %.2g |", name, half, bin.Lo, bin.Hi, bin.N, m)
			for j := range 3 {
				bias := bin.Err[j] / n
				sd := math.Sqrt(max(0, bin.Err2[j]/n-bias*bias))
				fmt.Fprintf(&b, " %s | %s |", signedPct(bias/m), pct(sd/m))
			}
			b.WriteString("\n")
		}
	}
	return b.String(), nil
}

// pct writes a ratio as a percentage with two significant digits, and
// below 0.01% (rounding noise of sums of squares) as 0%.
func pct(x float64) string {
	if math.Abs(x) < 1e-4 {
		return "0%"
	}
	return fmt.Sprintf("%.2g%%", 100*x)
}

// signedPct is pct with the sign always written.
func signedPct(x float64) string {
	if math.Abs(x) < 1e-4 {
		return "+0%"
	}
	return fmt.Sprintf("%+.2g%%", 100*x)
}

// genSweepGoal counts a sweep's runs whose final evaluation reaches a
// threshold: "N of M runs (seeds ...) reach an evaluation return ≥ T".
func genSweepGoal(root string, args []string) (string, error) {
	if len(args) != 2 {
		return "", fmt.Errorf("want a sweep directory and a threshold")
	}
	goal, err := strconv.ParseFloat(args[1], 64)
	if err != nil {
		return "", fmt.Errorf("threshold %q: %w", args[1], err)
	}
	ref, err := parseSweepRef(args[0])
	if err != nil {
		return "", err
	}
	s, err := loadSweep(root, ref)
	if err != nil {
		return "", err
	}
	// below lists the seeds of c's runs under the goal.
	below := func(c sweep.ComboSummary) (seeds, below []uint64) {
		for _, r := range c.Runs {
			seeds = append(seeds, r.Seed)
			if r.EvalReturn < goal {
				below = append(below, r.Seed)
			}
		}
		return seeds, below
	}
	if len(s.Combos) == 1 {
		seeds, under := below(s.Combos[0])
		text := fmt.Sprintf("%d of %d runs (seeds %s, %s/summary.json) reach a final evaluation return ≥ %s",
			len(seeds)-len(under), s.Jobs, sweep.FormatSeeds(seeds), ref.dir, args[1])
		if len(under) > 0 {
			text += fmt.Sprintf("; below it: seeds %s", sweep.FormatSeeds(under))
		}
		return wrap(text+".", 92), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| setting | runs with a final evaluation return ≥ %s | seeds below it |\n|---|---|---|\n", args[1])
	for _, c := range s.Combos {
		seeds, under := below(c)
		list := "–"
		if len(under) > 0 {
			list = sweep.FormatSeeds(under)
		}
		// A run that failed has no evaluation: it counts among the jobs, not the runs that reach the goal.
		fmt.Fprintf(&b, "| %s | %d of %d | %s |\n", c.Label, len(seeds)-len(under), c.Jobs, list)
	}
	return b.String(), nil
}
