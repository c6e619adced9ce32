package sweep

import (
	"strings"
	"testing"
)

// TestStatPercent: the KL-in-band column of summary.md is written as
// percentages, the format of ppo inspect (report.Percent).
func TestStatPercent(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	for _, tc := range []struct {
		s    Stat
		want string
	}{
		{Stat{}, "–"},
		{Stat{Mean: f(0.2282), N: 1}, "23%"},
		// experiments/results/cartpole-adaptive-kl/summary.json.
		{Stat{Mean: f(0.2046153846153846), Std: f(0.01685300176938973), N: 5}, "20% ± 2%"},
		{Stat{Mean: f(1), Std: f(0), N: 2}, "100% ± 0%"},
	} {
		if got := tc.s.Percent(); got != tc.want {
			t.Errorf("%+v.Percent() = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// TestMarkdownBandOnlyWithPenalty: summary.md gives the KL band and the
// share of updates in it only for combinations whose objective has a KL
// penalty (and, for summaries written before that was recorded, for all).
func TestMarkdownBandOnlyWithPenalty(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	yes, no := true, false
	run := []RunResult{{KLBand: [2]float64{0.006667, 0.015}}}
	in := Stat{Mean: f(0.25), N: 1}
	s := &Summary{Combos: []ComboSummary{
		{Label: "adaptive", Jobs: 1, Runs: run, KLInBand: in, KLPenalty: &yes},
		{Label: "clip", Jobs: 1, Runs: run, KLInBand: in, KLPenalty: &no},
		{Label: "older", Jobs: 1, Runs: run, KLInBand: in},
	}}
	md := string(s.Markdown())
	for label, want := range map[string]string{
		"adaptive": "| 25% | [0.006667, 0.015] |",
		"clip":     "| – | – |",
		"older":    "| 25% | [0.006667, 0.015] |",
	} {
		var row string
		for _, l := range strings.Split(md, "\n") {
			if strings.HasPrefix(l, "| "+label+" |") {
				row = l
			}
		}
		if !strings.Contains(row, want) {
			t.Errorf("row %q lacks %q", row, want)
		}
	}
}
