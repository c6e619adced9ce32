package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"ppo/configs"
	"ppo/kl"
)

// Summary digests one run: what was trained, how far it got, how well it
// did and how the KL controller behaved. Pointer fields are nil (null in
// JSON) when the run has no data for them yet, and the controller's fields
// (Controller, Preset, KLTarget, KLBand, KLInBand, BetaMin, BetaMax) are
// empty when the objective has no KL penalty, since its controller then
// changes nothing.
type Summary struct {
	Run       string             `json:"run"`
	Dir       string             `json:"dir"`
	Env       string             `json:"env"`
	EnvParams map[string]float64 `json:"env_params"` // env.params overrides, {} for none
	Objective configs.Objective  `json:"objective"`
	// KLPenalty says whether the objective includes the KL penalty
	// (kl_penalty or clip_kl), the only case where beta and the
	// controller act on training.
	KLPenalty      bool   `json:"kl_penalty"`
	Controller     string `json:"controller,omitempty"`
	Preset         string `json:"preset,omitempty"` // adaptive controllers only
	Seed           uint64 `json:"seed"`
	Steps          int    `json:"steps"`
	TotalTimesteps int    `json:"total_timesteps"`
	Updates        int    `json:"updates"`
	Finished       bool   `json:"finished"` // eval.json exists
	// Failed is why the run failed (error.txt); empty if it did not.
	Failed string `json:"failed,omitempty"`
	// State is what the run is doing: finished; failed (Failed says why);
	// running (a process holds its directory's lock); interrupted (stopped
	// with a checkpoint, not running: ppo train --resume continues it); or
	// stopped (before its first checkpoint: --resume starts it again).
	State string `json:"state"`

	// FinalReturn is episode_return_mean of the last row and BestReturn
	// its largest value over the rows.
	FinalReturn *float64 `json:"final_return"`
	BestReturn  *float64 `json:"best_return"`
	// EvalReturn and EvalReturnStd come from eval.json.
	EvalReturn    *float64 `json:"eval_return"`
	EvalReturnStd *float64 `json:"eval_return_std"`

	// KLMetric names the row field the controller follows: kl, or
	// kl_reverse when the penalty is KL(new||old). KLMean and KLMax are its
	// mean and largest value over updates, and KLInBand the fraction of
	// updates with it inside KLBand = [target*low_mult, target*high_mult].
	KLMetric string      `json:"kl_metric"`
	KLMean   *float64    `json:"kl_mean"`
	KLMax    *float64    `json:"kl_max"`
	KLTarget *float64    `json:"kl_target"`
	KLBand   *[2]float64 `json:"kl_band"`
	KLInBand *float64    `json:"kl_in_band"`
	// KLRefMean is the mean over updates of kl_ref, the KL to the
	// reference policy, when the run has one (kl.reference.checkpoint).
	KLRefMean *float64 `json:"kl_ref_mean"`
	// Init is the checkpoint the run started from (init.checkpoint), ""
	// for random weights. Reference is the frozen reference policy's
	// checkpoint (kl.reference.checkpoint), with its placement and
	// direction resolved and RefCoef the last update's coefficient, so that
	// a plain and a penalised fine-tuning can be told apart.
	Init         string   `json:"init,omitempty"`
	Reference    string   `json:"reference,omitempty"`
	RefPlacement string   `json:"reference_placement,omitempty"`
	RefDirection string   `json:"reference_direction,omitempty"`
	RefCoef      *float64 `json:"ref_coef,omitempty"`

	BetaMin    *float64 `json:"beta_min"`
	BetaMax    *float64 `json:"beta_max"`
	EarlyStops int      `json:"early_stops"`
	// NoStepUpdates counts the updates that took no gradient step (an
	// early stop before the first minibatch): their policy did not move.
	NoStepUpdates int      `json:"updates_without_step"`
	SPSMean       *float64 `json:"sps_mean"`

	// Tasks are the final evaluation on each of eval.tasks (eval.json).
	Tasks []TaskSummary `json:"tasks,omitempty"`
}

// TaskSummary is a run's final evaluation on one of its eval.tasks: the mean return and
// the mean KL to the reference policy on the states visited.
type TaskSummary struct {
	Name   string   `json:"name"`
	Return float64  `json:"return"`
	KLRef  *float64 `json:"kl_ref,omitempty"`
}

// KLBand returns the controller's dead zone, [target*low_mult,
// target*high_mult] with the preset's factors resolved: the per-update KL
// inside it leaves beta alone.
func KLBand(c configs.ControllerConfig) (lo, hi float64) {
	high, low, _, _ := c.Resolved()
	return c.Target * low, c.Target * high
}

// KLMetric names the metrics field that holds the KL a run's controller follows: kl, or
// kl_reverse when the penalty is KL(new||old).
func KLMetric(k configs.KLConfig) string {
	if k.Direction == kl.NewOld.String() {
		return "kl_reverse"
	}
	return "kl"
}

// Summarize digests a loaded run.
func Summarize(r *Run) Summary {
	c := r.Config
	s := Summary{
		Run:            r.Name,
		Dir:            r.Dir,
		Env:            c.Env.ID,
		EnvParams:      map[string]float64{},
		Objective:      c.PPO.Objective,
		KLPenalty:      c.PPO.Objective.Penalised(),
		Seed:           c.Seed,
		TotalTimesteps: c.TotalTimesteps,
		Updates:        len(r.Rows),
		Finished:       r.Eval != nil,
		Failed:         r.Failed,
		State:          stateOf(r),
		KLMetric:       KLMetric(c.KL),
	}
	for k, v := range c.Env.Params {
		s.EnvParams[k] = v
	}
	s.Init = c.Init.Checkpoint
	if r := c.KL.Reference; r.Checkpoint != "" {
		s.Reference, s.RefPlacement, s.RefDirection = r.Checkpoint, r.Placement, c.KL.ReferenceDirection()
	}
	lo, hi := KLBand(c.KL.Controller)
	if s.KLPenalty {
		s.Controller = c.KL.Controller.Kind
		if s.Controller == configs.ControllerAdaptive {
			s.Preset = c.KL.Controller.Preset
		}
		s.KLTarget = ptr(c.KL.Controller.Target)
		s.KLBand = &[2]float64{lo, hi}
	}
	if r.Eval != nil {
		s.EvalReturn, s.EvalReturnStd = ptr(r.Eval.MeanReturn), ptr(r.Eval.StdReturn)
		if r.Eval.Served != "" {
			s.Env = r.Eval.Served + " (external)"
		}
	}
	for _, t := range r.Tasks {
		s.Tasks = append(s.Tasks, TaskSummary{Name: t.Name, Return: t.MeanReturn, KLRef: t.KLRef})
	}
	if len(r.Rows) == 0 {
		return s
	}
	last := r.Rows[len(r.Rows)-1]
	s.Steps = last.Timesteps
	if last.RefCoef != nil {
		s.RefCoef = ptr(*last.RefCoef)
	}
	if last.EpisodeReturnMean != nil {
		s.FinalReturn = ptr(*last.EpisodeReturnMean)
	}
	var klSum, spsSum, refSum float64
	inBand, refN := 0, 0
	for i, m := range r.Rows {
		if v := m.EpisodeReturnMean; v != nil && (s.BestReturn == nil || *v > *s.BestReturn) {
			s.BestReturn = ptr(*v)
		}
		k := m.KL
		if s.KLMetric == "kl_reverse" {
			k = m.KLReverse
		}
		klSum += k
		if i == 0 || k > *s.KLMax {
			s.KLMax = ptr(k)
		}
		if k >= lo && k <= hi {
			inBand++
		}
		if m.KLRef != nil {
			refSum += *m.KLRef
			refN++
		}
		if s.KLPenalty && (i == 0 || m.Beta < *s.BetaMin) {
			s.BetaMin = ptr(m.Beta)
		}
		if s.KLPenalty && (i == 0 || m.Beta > *s.BetaMax) {
			s.BetaMax = ptr(m.Beta)
		}
		if m.EarlyStopped {
			s.EarlyStops++
		}
		if m.Minibatches == 0 {
			s.NoStepUpdates++
		}
		spsSum += m.SPS
	}
	n := float64(len(r.Rows))
	s.KLMean = ptr(klSum / n)
	if s.KLPenalty {
		s.KLInBand = ptr(float64(inBand) / n)
	}
	if refN > 0 {
		s.KLRefMean = ptr(refSum / float64(refN))
	}
	s.SPSMean = ptr(spsSum / n)
	return s
}

// The states of a run (Summary.State).
const (
	StateFinished    = "finished"
	StateFailed      = "failed"
	StateRunning     = "running"
	StateInterrupted = "interrupted"
	StateStopped     = "stopped"
)

// stateOf is the state of r: its eval.json, error.txt, lock and
// checkpoints tell them apart.
func stateOf(r *Run) string {
	switch {
	case r.Eval != nil:
		return StateFinished
	case r.Running:
		return StateRunning
	case r.Failed != "":
		return StateFailed
	case r.Checkpointed:
		return StateInterrupted
	}
	return StateStopped
}

// Percent writes a fraction as a whole percentage, 0.2282 → "23%": the one
// format of the KL-in-band fraction in ppo inspect, sweep summaries and
// the generated docs.
func Percent(frac float64) string {
	return strconv.FormatFloat(100*frac, 'f', 0, 64) + "%"
}

// shortPath is a checkpoint path as a table cell: its last two elements
// (run directory and file), "-" for none.
func shortPath(p string) string {
	if p == "" {
		return "-"
	}
	return filepath.Join(filepath.Base(filepath.Dir(p)), filepath.Base(p))
}

// noPenalty is the cell of a controller quantity for a run whose objective
// has no KL penalty.
const noPenalty = "n/a (no KL penalty)"

func ptr(x float64) *float64 { return &x }

// WriteJSON writes {"runs": [...]} for the summaries, indented.
func WriteJSON(w io.Writer, sums []Summary) error {
	if sums == nil {
		sums = []Summary{}
	}
	b, err := json.MarshalIndent(struct {
		Runs []Summary `json:"runs"`
	}{sums}, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Table layout: one row per quantity and one column per run, in blocks
// of as many runs as fit in tableWidth columns.
const (
	tableWidth = 100
	labelWidth = 14 // at least; a longer env parameter name widens it
	maxName    = 22 // longer run names are shown as "run N" with a key below the table
	colGap     = 2
)

// WriteTable writes the summaries side by side, runs as columns, wrapping
// to further blocks when the runs do not fit in 100 columns.
func WriteTable(w io.Writer, sums []Summary) error {
	rows := append(tableRows(sums), taskRows(sums)...)
	labelWidth := labelWidth
	for _, r := range rows {
		labelWidth = max(labelWidth, len([]rune(r.label)))
	}
	heads := make([]string, len(sums))
	var key []string
	for i, s := range sums {
		heads[i] = s.Run
		if len([]rune(heads[i])) > maxName {
			heads[i] = "run " + strconv.Itoa(i+1)
			key = append(key, fmt.Sprintf("  %s: %s", heads[i], s.Dir))
		}
	}
	cells := make([][]string, len(sums))
	widths := make([]int, len(sums))
	for i, s := range sums {
		widths[i] = len([]rune(heads[i]))
		for _, r := range rows {
			c := r.cell(s)
			cells[i] = append(cells[i], c)
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for start := 0; start < len(sums); {
		end, width := start, labelWidth
		for end < len(sums) && (end == start || width+colGap+widths[end] <= tableWidth) {
			width += colGap + widths[end]
			end++
		}
		if start > 0 {
			b.WriteByte('\n')
		}
		line := func(label string, col func(i int) string) {
			var l strings.Builder
			l.WriteString(pad(label, labelWidth))
			for i := start; i < end; i++ {
				l.WriteString(strings.Repeat(" ", colGap))
				l.WriteString(padLeft(col(i), widths[i]))
			}
			b.WriteString(strings.TrimRight(l.String(), " "))
			b.WriteByte('\n')
		}
		line("run", func(i int) string { return heads[i] })
		for j, r := range rows {
			line(r.label, func(i int) string { return cells[i][j] })
		}
		start = end
	}
	if len(key) > 0 {
		b.WriteString("\n")
		b.WriteString(strings.Join(key, "\n"))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type tableRow struct {
	label string
	cell  func(s Summary) string
}

// tableRows lists the table's rows for sums: a row per env parameter any
// run overrides, and the kl_ref row only when a run has a reference policy.
func tableRows(sums []Summary) []tableRow {
	rows := []tableRow{{"env", func(s Summary) string { return s.Env }}}
	params := map[string]bool{}
	hasRef, failed, fromCkpt := false, false, false
	for _, s := range sums {
		for k := range s.EnvParams {
			params[k] = true
		}
		hasRef = hasRef || s.KLRefMean != nil
		failed = failed || s.Failed != ""
		fromCkpt = fromCkpt || s.Init != "" || s.Reference != ""
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		rows = append(rows, tableRow{"env " + k, func(s Summary) string {
			v, ok := s.EnvParams[k]
			if !ok {
				return "-"
			}
			return strconv.FormatFloat(v, 'g', -1, 64)
		}})
	}
	// penalty shows a controller quantity, or that there is none.
	penalty := func(cell func(s Summary) string) func(s Summary) string {
		return func(s Summary) string {
			if !s.KLPenalty {
				return "-"
			}
			return cell(s)
		}
	}
	rows = append(rows, []tableRow{
		{"objective", func(s Summary) string { return string(s.Objective) }},
		{"controller", penalty(func(s Summary) string { return s.Controller })},
		{"preset", func(s Summary) string { return orDash(s.Preset) }},
		{"seed", func(s Summary) string { return strconv.FormatUint(s.Seed, 10) }},
		{"steps", func(s Summary) string { return fmt.Sprintf("%d/%d", s.Steps, s.TotalTimesteps) }},
		{"updates", func(s Summary) string { return strconv.Itoa(s.Updates) }},
		{"status", func(s Summary) string {
			switch s.State {
			case StateFailed:
				return "failed (see error.txt)"
			}
			return s.State
		}},
	}...)
	if failed {
		// Cut to keep the table's columns readable; error.txt and --json
		// have the whole line.
		rows = append(rows, tableRow{"error", func(s Summary) string {
			if r := []rune(s.Failed); len(r) > 60 {
				return string(r[:57]) + "..."
			}
			return orDash(s.Failed)
		}})
	}
	rows = append(rows, []tableRow{
		{"return final", func(s Summary) string { return fmtOpt(s.FinalReturn, "%.2f") }},
		{"return best", func(s Summary) string { return fmtOpt(s.BestReturn, "%.2f") }},
		{"eval return", func(s Summary) string {
			if s.EvalReturn == nil {
				return "-"
			}
			return fmt.Sprintf("%.2f ± %.2f", *s.EvalReturn, *s.EvalReturnStd)
		}},
		{"kl mean", func(s Summary) string { return fmtOpt(s.KLMean, "%.4g") }},
		{"kl largest update", func(s Summary) string { return fmtOpt(s.KLMax, "%.4g") }},
		{"kl target", penalty(func(s Summary) string { return fmtOpt(s.KLTarget, "%.3g") })},
		{"kl band", penalty(func(s Summary) string { return fmt.Sprintf("%.3g–%.3g", s.KLBand[0], s.KLBand[1]) })},
		{"kl in band", func(s Summary) string {
			switch {
			case !s.KLPenalty:
				return noPenalty
			case s.KLInBand == nil:
				return "-"
			}
			in := int(math.Round(*s.KLInBand * float64(s.Updates)))
			return fmt.Sprintf("%s (%d/%d)", Percent(*s.KLInBand), in, s.Updates)
		}},
		{"beta range", penalty(func(s Summary) string {
			if s.BetaMin == nil {
				return "-"
			}
			return fmt.Sprintf("%.3g–%.3g", *s.BetaMin, *s.BetaMax)
		})},
	}...)
	if fromCkpt {
		rows = append(rows,
			tableRow{"init from", func(s Summary) string { return shortPath(s.Init) }},
			tableRow{"reference", func(s Summary) string { return shortPath(s.Reference) }},
			tableRow{"  penalty", func(s Summary) string {
				if s.Reference == "" {
					return "-"
				}
				return fmt.Sprintf("%s, %s, coef %s", s.RefPlacement, s.RefDirection, fmtOpt(s.RefCoef, "%.4g"))
			}})
	}
	if hasRef {
		rows = append(rows, tableRow{"kl_ref mean", func(s Summary) string { return fmtOpt(s.KLRefMean, "%.4g") }})
	}
	return append(rows, []tableRow{
		{"early stops", func(s Summary) string {
			if s.NoStepUpdates > 0 {
				return fmt.Sprintf("%d (%d before any step)", s.EarlyStops, s.NoStepUpdates)
			}
			return strconv.Itoa(s.EarlyStops)
		}},
		{"sps mean", func(s Summary) string { return fmtOpt(s.SPSMean, "%.0f") }},
	}...)
}

// taskRows are the table rows of the runs' eval.tasks: return and KL to the reference
// of each task name, "-" for runs without it.
func taskRows(sums []Summary) []tableRow {
	var rows []tableRow
	seen := map[string]bool{}
	for _, s := range sums {
		for _, t := range s.Tasks {
			if seen[t.Name] {
				continue
			}
			seen[t.Name] = true
			name := t.Name
			find := func(s Summary) *TaskSummary {
				for i := range s.Tasks {
					if s.Tasks[i].Name == name {
						return &s.Tasks[i]
					}
				}
				return nil
			}
			rows = append(rows, tableRow{"task " + name, func(s Summary) string {
				if t := find(s); t != nil {
					return fmt.Sprintf("%.2f", t.Return)
				}
				return "-"
			}}, tableRow{"  kl to ref", func(s Summary) string {
				if t := find(s); t != nil {
					return fmtOpt(t.KLRef, "%.4g")
				}
				return "-"
			}})
		}
	}
	return rows
}

func fmtOpt(x *float64, format string) string {
	if x == nil {
		return "-"
	}
	return fmt.Sprintf(format, *x)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func pad(s string, w int) string {
	if n := len([]rune(s)); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

func padLeft(s string, w int) string {
	if n := len([]rune(s)); n < w {
		return strings.Repeat(" ", w-n) + s
	}
	return s
}
