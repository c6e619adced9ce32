package docs

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"ppo/internal/tabular"
)

// genTabular renders a committed ppo tabular --json report (tabular.Report): a row per run
// with eval.json's mean return beside the exact returns of the mode and the policy and the
// optimum, a mean row, and for two runs or more a sentence on the KL between each pair.
func genTabular(root string, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("want one ppo tabular --json report")
	}
	data, err := os.ReadFile(filepath.Join(root, args[0]))
	if err != nil {
		return "", err
	}
	var rep tabular.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return "", fmt.Errorf("%s: %w", args[0], err)
	}
	if len(rep.Runs) == 0 {
		return "", fmt.Errorf("%s: no runs", args[0])
	}
	var b strings.Builder
	b.WriteString("| run | eval.json (episodes) | exact, mode | exact, sampling | optimum |\n|---|---|---|---|---|\n")
	var sumEval, sumMode, sumPol float64
	nEval, nMode := 0, 0
	for _, r := range rep.Runs {
		ev, mode := "–", "never ends"
		if r.EvalReturn != nil {
			ev = fmt.Sprintf("%s (%s)", fmtF(*r.EvalReturn, "%.4f"), thousands(float64(r.EvalEpisodes)))
			sumEval += *r.EvalReturn
			nEval++
		}
		if r.Mode != nil {
			mode = fmtF(*r.Mode, "%.4f")
			sumMode += *r.Mode
			nMode++
		}
		sumPol += r.Policy
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", r.Run, ev, mode, fmtF(r.Policy, "%.4f"), fmtF(r.Optimal, "%.4f"))
	}
	mean := func(s float64, n int) string {
		if n < len(rep.Runs) {
			return "–"
		}
		return fmtF(s/float64(n), "%.4f")
	}
	fmt.Fprintf(&b, "| **mean** | **%s** | **%s** | %s | |\n", mean(sumEval, nEval), mean(sumMode, nMode), mean(sumPol, len(rep.Runs)))
	if len(rep.Pairs) > 0 {
		lo, hi, sum, top := math.Inf(1), math.Inf(-1), 0.0, 0.0
		for _, p := range rep.Pairs {
			for _, s := range []tabular.KLStats{p.AB, p.BA} {
				lo, hi, sum = min(lo, s.Mean), max(hi, s.Mean), sum+s.Mean
				top = max(top, s.Max)
			}
		}
		fmt.Fprintf(&b, "\nKL between the policies of the %d pairs of runs, in both directions, each weighted by the "+
			"first policy's expected visits: mean %.4g (%.4g to %.4g); the largest in one visited state %.4g.\n",
			len(rep.Pairs), sum/float64(2*len(rep.Pairs)), lo, hi, top)
	}
	return b.String(), nil
}
