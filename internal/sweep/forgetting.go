package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
)

// A forgetting study trains A on task X, then A′ from A on task Y under a penalty on the
// KL to A, over sweeps of settings; each run's eval.tasks hold X and Y. These functions
// read the sweeps' summary.json files and condense them.

// StudyRun is one fine-tuning run: its final returns on X and Y and the mean exact
// KL(A′ ‖ A) over the states of its evaluation episodes on X.
type StudyRun struct {
	Seed    uint64
	XReturn float64
	YReturn float64
	XKL     float64
}

// StudySetting is one combination of a study's sweeps.
type StudySetting struct {
	// Label names the setting briefly, e.g. "loss β=0.1", "reward target 0.01", "none".
	Label     string
	Placement string // loss or reward
	Runs      []StudyRun
}

// ReadStudy reads the summary.json files of a study's sweeps, whose runs evaluate the
// tasks named x and y, keeping each combination as a setting in order.
func ReadStudy(paths []string, x, y string) ([]StudySetting, error) {
	var out []StudySetting
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, c := range s.Combos {
			st := StudySetting{Label: settingLabel(c.Sets), Placement: setValue(c.Sets, "kl.reference.placement")}
			for _, r := range c.Runs {
				run := StudyRun{Seed: r.Seed, XReturn: math.NaN(), YReturn: math.NaN(), XKL: math.NaN()}
				for _, t := range r.Tasks {
					switch t.Name {
					case x:
						run.XReturn = t.Return
						if t.KLRef != nil {
							run.XKL = *t.KLRef
						}
					case y:
						run.YReturn = t.Return
					}
				}
				var names []string
				for _, t := range r.Tasks {
					names = append(names, t.Name)
				}
				switch have := strings.Join(names, ", "); {
				case math.IsNaN(run.XReturn):
					return nil, fmt.Errorf("%s: %s seed %d has no task %s (its tasks: %s)", p, c.Label, r.Seed, x, orNone(have))
				case math.IsNaN(run.YReturn):
					return nil, fmt.Errorf("%s: %s seed %d has no task %s (its tasks: %s)", p, c.Label, r.Seed, y, orNone(have))
				case math.IsNaN(run.XKL):
					return nil, fmt.Errorf("%s: %s seed %d has no KL to a reference on task %s (kl.reference.checkpoint)", p, c.Label, r.Seed, x)
				}
				st.Runs = append(st.Runs, run)
			}
			out = append(out, st)
		}
	}
	return out, nil
}

// orNone is s, or "none" when it is empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// setValue is the value a combination's sets give path, or "".
func setValue(sets []string, path string) string {
	for _, s := range sets {
		if k, v, ok := strings.Cut(s, "="); ok && k == path {
			return v
		}
	}
	return ""
}

// settingLabel names a combination of placement with a fixed coefficient (β) or an
// adaptive target.
func settingLabel(sets []string) string {
	pl := setValue(sets, "kl.reference.placement")
	if b := setValue(sets, "kl.reference.controller.init_beta"); b != "" {
		if b == "0" {
			return pl + " β=0 (none)"
		}
		return pl + " β=" + b
	}
	if t := setValue(sets, "kl.reference.controller.target"); t != "" {
		return pl + " target " + t
	}
	return strings.Join(sets, ",")
}

// Means returns the setting's mean return on X, on Y, and mean KL on X.
func (s StudySetting) Means() (x, y, kl float64) {
	for _, r := range s.Runs {
		x += r.XReturn
		y += r.YReturn
		kl += r.XKL
	}
	n := float64(len(s.Runs))
	return x / n, y / n, kl / n
}

// spearman is the rank correlation of a and b (ties get their mean rank): Pearson's
// correlation of the ranks.
func spearman(a, b []float64) float64 {
	return pearson(ranks(a), ranks(b))
}

func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return x[idx[i]] < x[idx[j]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	return r
}

// pearson is Σ(a−ā)(b−b̄) / √(Σ(a−ā)² Σ(b−b̄)²); NaN when either is constant.
func pearson(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

// StudyCorrelation is the spearman correlation, over all runs, of KL(A′ ‖ A) on X's
// states with the return on X, and the number of runs.
func StudyCorrelation(settings []StudySetting) (rho float64, n int) {
	var kl, ret []float64
	for _, s := range settings {
		for _, r := range s.Runs {
			kl = append(kl, r.XKL)
			ret = append(ret, r.XReturn)
		}
	}
	return spearman(kl, ret), len(kl)
}

// StudyMarkdown is a table with a row per setting: mean ± sd of the returns on X and Y
// and of KL(A′ ‖ A) on X, and how many runs solve each task and both (return ≥ solved), followed
// by the correlation of forgetting with the KL.
func StudyMarkdown(settings []StudySetting, x, y string, solved float64) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "| setting | runs | return on X (%s) | return on Y (%s) | KL(A′ ‖ A) on X's states | solve X | solve Y | solve both |\n", x, y)
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, s := range settings {
		var xs, ys, ks []float64
		sx, sy, both := 0, 0, 0
		for _, r := range s.Runs {
			xs, ys, ks = append(xs, r.XReturn), append(ys, r.YReturn), append(ks, r.XKL)
			if r.XReturn >= solved {
				sx++
			}
			if r.YReturn >= solved {
				sy++
			}
			if r.XReturn >= solved && r.YReturn >= solved {
				both++
			}
		}
		n := len(s.Runs)
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %d/%d | %d/%d | %d/%d |\n", s.Label, n,
			fmtStat(StatOf(xs), "%.1f"), fmtStat(StatOf(ys), "%.1f"), fmtStat(StatOf(ks), "%.3g"), sx, n, sy, n, both, n)
	}
	rho, n := StudyCorrelation(settings)
	fmt.Fprintf(&b, "\nSpearman correlation of KL(A′ ‖ A) on X's states with the return on X, over all %d runs: %.2f.", n, rho)
	lost, far, farKept := math.Inf(1), 0, 0
	for _, s := range settings {
		for _, r := range s.Runs {
			if r.XReturn < solved {
				lost = math.Min(lost, r.XKL)
			}
			if r.XKL >= 10 {
				far++
				if r.XReturn >= solved {
					farKept++
				}
			}
		}
	}
	if !math.IsInf(lost, 1) {
		fmt.Fprintf(&b, " The smallest KL on X's states of a run that no longer solves X: %.3g nats;", lost)
	}
	fmt.Fprintf(&b, " runs with a KL of 10 nats or more that still solve X: %d of %d.\n", farKept, far)
	return b.String()
}
