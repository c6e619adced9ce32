package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"ppo/internal/report"
	"ppo/internal/sweep"
)

// cmdTradeoff charts a forgetting study from its sweeps' summary.json files: per setting,
// the mean return on X against the mean return on Y, and per run the return on X against
// KL(A′ ‖ A) on X's states, with their rank correlation.
func cmdTradeoff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo tradeoff", flag.ContinueOnError)
	out := fs.String("out", "", "chart `file`, .png or .svg (required)")
	x := fs.String("x", "", "`name` of the eval.tasks entry that is the original task X (required)")
	y := fs.String("y", "", "`name` of the eval.tasks entry that is the new task Y (required)")
	title := fs.String("title", "", "title prefix of the panels, e.g. the task pair")
	files, done, code := parseMixed(fs, args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case *out == "" || *x == "" || *y == "":
		fmt.Fprintln(stderr, "ppo tradeoff: --out FILE, --x TASK and --y TASK are required")
		return 2
	case len(files) == 0:
		fmt.Fprintln(stderr, "ppo tradeoff: name at least one sweep summary.json")
		return 2
	case *x == *y:
		fmt.Fprintf(stderr, "ppo tradeoff: --x and --y name the same task %q; X is the original task, Y the new one\n", *x)
		return 2
	}
	if st, err := os.Stat(filepath.Dir(*out)); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "ppo tradeoff: --out %s: no directory %s to write it in\n", *out, filepath.Dir(*out))
		return 2
	}
	if _, err := report.Format(*out); err != nil {
		fmt.Fprintln(stderr, "ppo tradeoff: --out", err)
		return 2
	}
	settings, err := sweep.ReadStudy(files, *x, *y)
	if err != nil {
		fmt.Fprintln(stderr, "ppo tradeoff:", err)
		return 2
	}
	if len(settings) == 0 {
		fmt.Fprintf(stderr, "ppo tradeoff: %s hold no sweep combination with runs (want the summary.json of a sweep whose runs have eval.tasks %s and %s)\n",
			strings.Join(files, ", "), *x, *y)
		return 2
	}
	trade := report.ScatterPanel{Title: *title + " trade-off (mean over seeds)",
		XLabel: "return on X (" + *x + ")", YLabel: "return on Y (" + *y + ")"}
	forget := report.ScatterPanel{Title: *title + " forgetting vs KL (one point per run)",
		XLabel: "KL(A′ ‖ A) on X's states", YLabel: "return on X (" + *x + ")", LogX: true}
	groups := map[string]int{}
	for _, s := range settings {
		mx, my, _ := s.Means()
		i, ok := groups[s.Placement]
		if !ok {
			i = len(trade.Groups)
			groups[s.Placement] = i
			label := "penalty in the " + s.Placement
			if s.Placement == "" { // the sweeps do not vary the placement
				label = "settings"
			}
			trade.Groups = append(trade.Groups, report.ScatterGroup{Label: label, Large: true, Names: []string{}})
			forget.Groups = append(forget.Groups, report.ScatterGroup{Label: label})
		}
		tg, fg := &trade.Groups[i], &forget.Groups[i]
		tg.X, tg.Y, tg.Names = append(tg.X, mx), append(tg.Y, my), append(tg.Names, short(s.Label, s.Placement))
		for _, r := range s.Runs {
			fg.X, fg.Y = append(fg.X, r.XKL), append(fg.Y, r.XReturn)
		}
	}
	rho, n := sweep.StudyCorrelation(settings)
	forget.Title += fmt.Sprintf(", Spearman %.2f", rho)
	if err := report.Scatter(*out, []report.ScatterPanel{trade, forget}); err != nil {
		fmt.Fprintln(stderr, "ppo tradeoff:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s (%d settings, %d runs; Spearman correlation of KL on X with return on X %.2f)\n", *out, len(settings), n, rho)
	return 0
}

// short drops the placement from a setting's label, which the point's colour shows.
func short(label, placement string) string {
	if placement == "" {
		return label
	}
	if len(label) > len(placement)+1 && label[:len(placement)] == placement {
		return label[len(placement)+1:]
	}
	return label
}
