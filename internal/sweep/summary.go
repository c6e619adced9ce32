package sweep

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"ppo/agent"
	"ppo/configs"
	"ppo/internal/atomicfile"
	"ppo/internal/report"
	"ppo/internal/rundir"
)

// Stat is a mean and sample standard deviation (n-1 denominator) across
// seeds. Mean is nil without values and Std with fewer than two.
type Stat struct {
	Mean *float64 `json:"mean"`
	Std  *float64 `json:"std"`
	N    int      `json:"n"`
}

// StatOf is the Stat of xs: mean Σx/n and sd √(Σ(x−mean)²/(n−1)).
func StatOf(xs []float64) Stat {
	s := Stat{N: len(xs)}
	if len(xs) == 0 {
		return s
	}
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	s.Mean = &m
	if len(xs) > 1 {
		var ss float64
		for _, x := range xs {
			ss += (x - m) * (x - m)
		}
		sd := math.Sqrt(ss / float64(len(xs)-1))
		s.Std = &sd
	}
	return s
}

// RunResult is what one finished run contributes, read from its own files.
type RunResult struct {
	Job       int    `json:"job"`
	Seed      uint64 `json:"seed"`
	Dir       string `json:"dir"` // relative to the sweep directory
	Updates   int    `json:"updates"`
	Timesteps int    `json:"timesteps"`
	// EvalReturn is eval.json's mean_return.
	EvalReturn float64 `json:"eval_return"`
	// EpisodeReturn is the last update's episode_return_mean, nil if no
	// training episode had finished.
	EpisodeReturn *float64 `json:"episode_return"`
	// KLMean is the mean over updates of the KL the controller sees: kl,
	// or kl_reverse when kl.direction is new_old. KLInBand is the fraction
	// of updates with that KL in KLBand = [target*low_mult,
	// target*high_mult] (inclusive), from the run's config.yaml.
	KLMean   float64    `json:"kl_mean"`
	KLInBand float64    `json:"kl_in_band"`
	KLBand   [2]float64 `json:"kl_band"`
	// SPS is the mean over updates of sps; WallSeconds the last update's
	// wall_seconds. Both are timings and vary between identical runs.
	SPS         float64 `json:"sps"`
	WallSeconds float64 `json:"wall_seconds"`
	// Tasks are eval.json's evaluations on the run's eval.tasks.
	Tasks []TaskResult `json:"tasks,omitempty"`

	// ReturnAUC is the mean over updates of episode_return_mean (the area
	// under the learning curve per update), over the updates that have one.
	// FirstReturn is the first episode_return_mean logged: the return of
	// the untrained policy's first finished episodes (or, where no episode
	// ends in the first rollout, of the first to end later). Both are nil
	// when no episode finished.
	ReturnAUC   *float64 `json:"return_auc,omitempty"`
	FirstReturn *float64 `json:"first_return,omitempty"`
	// KLTargetError is the mean over updates of |KL/target − 1|, with the
	// KL the controller sees and the update's target (kl_target, after its
	// schedule; the config's where rows predate it).
	KLTargetError *float64 `json:"kl_target_error,omitempty"`
	// Estimators bins the updates by their exact KL and the run's half,
	// accumulating the error of the sample estimators kl_k1..kl_k3 against
	// it; absent for runs logged before those fields existed.
	Estimators []EstimatorBin `json:"estimators,omitempty"`

	// stamps is the run's stamp.json, for the summary's stamp.
	stamps []rundir.RunStamp
}

// TaskResult is a run's final evaluation on one of its eval.tasks.
type TaskResult struct {
	Name   string   `json:"name"`
	Return float64  `json:"return"`
	KLRef  *float64 `json:"kl_ref,omitempty"`
}

// TaskStat aggregates one task's final evaluations across seeds.
type TaskStat struct {
	Name   string `json:"name"`
	Return Stat   `json:"return"`
	KLRef  Stat   `json:"kl_ref"`
}

// EstimatorBin accumulates, over the updates of one half of a run whose
// exact KL(old||new) lies in [Lo, Hi) (a decade), the errors e = k − kl
// of the batch-mean estimators k1, k2, k3: N updates, ΣKL, Σe and Σe².
type EstimatorBin struct {
	Late bool       `json:"late"` // the second half of the run's updates
	Lo   float64    `json:"lo"`
	Hi   float64    `json:"hi"`
	N    int        `json:"n"`
	KL   float64    `json:"kl_sum"`
	Err  [3]float64 `json:"err_sum"`
	Err2 [3]float64 `json:"err2_sum"`
}

// addEstimates adds one update's exact KL and estimates to the run's bins.
func addEstimates(bins []EstimatorBin, late bool, kl float64, k [3]float64) []EstimatorBin {
	if !(kl > 0) {
		return bins // an unchanged policy: nothing to be relative to
	}
	lo := math.Pow(10, math.Floor(math.Log10(kl)))
	i := 0
	for ; i < len(bins); i++ {
		if bins[i].Late == late && bins[i].Lo == lo {
			break
		}
	}
	if i == len(bins) {
		bins = append(bins, EstimatorBin{Late: late, Lo: lo, Hi: lo * 10})
	}
	b := &bins[i]
	b.N++
	b.KL += kl
	for j := range k {
		e := k[j] - kl
		b.Err[j] += e
		b.Err2[j] += e * e
	}
	return bins
}

// ComboSummary aggregates one combination's finished runs.
type ComboSummary struct {
	Label string   `json:"label"`
	Sets  []string `json:"sets"`
	// Jobs is how many of the combination's runs the summary covers.
	Jobs          int         `json:"jobs"`
	Runs          []RunResult `json:"runs"`
	EvalReturn    Stat        `json:"eval_return"`
	EpisodeReturn Stat        `json:"episode_return"`
	KLMean        Stat        `json:"kl_mean"`
	KLInBand      Stat        `json:"kl_in_band"`
	SPS           Stat        `json:"sps"`
	Tasks         []TaskStat  `json:"tasks,omitempty"`
	// KLPenalty says whether the combination's objective has a KL penalty,
	// whose controller the KL band belongs to; nil in summaries written
	// before it was recorded.
	KLPenalty *bool `json:"kl_penalty,omitempty"`
}

// Missing is a job without a finished run. State is "absent" (no run
// directory), "unfinished" (interrupted, or still running elsewhere),
// "failed: <error>" or "unreadable: <error>".
type Missing struct {
	Job   int    `json:"job"`
	Label string `json:"label"`
	Seed  uint64 `json:"seed"`
	Dir   string `json:"dir"`
	State string `json:"state"`
	// Shard is "i/n" when the shard count is known (collect reads it from
	// the shards' partial summaries).
	Shard string `json:"shard,omitempty"`
}

// Summary is a sweep's results, in the order of the sweep's combinations.
type Summary struct {
	Config string `json:"config"`
	Seeds  string `json:"seeds"`
	// Shard is "i/n" for a shard's partial summary, "all" otherwise.
	Shard    string         `json:"shard"`
	Jobs     int            `json:"jobs"`
	Finished int            `json:"finished"`
	Combos   []ComboSummary `json:"combos"`
	Missing  []Missing      `json:"missing"`
	// Stamp is the code the runs were trained with (rundir.StampFile),
	// when they agree; otherwise the summarising process's, with a note.
	Stamp *rundir.Stamp `json:"stamp,omitempty"`
}

// summarize reads the runs of jobs (a subset of s.Jobs, in order) from the
// sweep directories dirs, taking each job's run from the first directory
// that holds it finished.
func summarize(s *Spec, jobs []Job, dirs []string) *Summary {
	sum := &Summary{Config: s.ConfigPath, Seeds: FormatSeeds(s.Seeds), Shard: "all", Jobs: len(jobs), Missing: []Missing{}}
	idx := map[int]int{} // combination -> position in sum.Combos
	for _, j := range jobs {
		ci, ok := idx[j.Combo]
		if !ok {
			ci = len(sum.Combos)
			idx[j.Combo] = ci
			c := s.Combos[j.Combo]
			sum.Combos = append(sum.Combos, ComboSummary{Label: c.Label, Sets: c.Sets, Runs: []RunResult{}})
			if cfg, err := s.Config(j); err == nil {
				pen := cfg.PPO.Objective.Penalised()
				sum.Combos[len(sum.Combos)-1].KLPenalty = &pen
			}
		}
		cs := &sum.Combos[ci]
		cs.Jobs++
		r, state := findRun(j, dirs)
		if state != "" {
			sum.Missing = append(sum.Missing, Missing{Job: j.Index, Label: j.Label, Seed: j.Seed, Dir: j.Dir(), State: state})
			continue
		}
		cs.Runs = append(cs.Runs, *r)
		sum.Finished++
	}
	for i := range sum.Combos {
		sum.Combos[i].aggregate()
	}
	sum.Stamp = runsStamp(sum.Combos)
	return sum
}

// runsStamp is the stamp the summarised runs share, or this process's with
// a note saying they do not share one (several builds, or runs without a
// stamp).
func runsStamp(combos []ComboSummary) *rundir.Stamp {
	builds := map[string]bool{}
	var first *rundir.Stamp
	unstamped := 0
	for _, c := range combos {
		for _, r := range c.Runs {
			if len(r.stamps) == 0 {
				unstamped++
			}
			for _, st := range r.stamps {
				if first == nil {
					first = &st.Stamp
				}
				builds[st.Stamp.String()] = true
			}
		}
	}
	s := rundir.CurrentStamp()
	switch {
	case len(builds) == 1 && unstamped == 0:
		return first
	case len(builds) > 0:
		s.Note = fmt.Sprintf("the summarising process's stamp: the runs were trained by %d different builds (%d runs without a stamp); see each run's %s", len(builds), unstamped, rundir.StampFile)
	}
	return &s
}

func (cs *ComboSummary) aggregate() {
	var ev, ep, klm, band, sps []float64
	for _, r := range cs.Runs {
		ev = append(ev, r.EvalReturn)
		if r.EpisodeReturn != nil {
			ep = append(ep, *r.EpisodeReturn)
		}
		klm = append(klm, r.KLMean)
		band = append(band, r.KLInBand)
		sps = append(sps, r.SPS)
	}
	cs.EvalReturn, cs.EpisodeReturn, cs.KLMean, cs.KLInBand, cs.SPS = StatOf(ev), StatOf(ep), StatOf(klm), StatOf(band), StatOf(sps)
	var names []string
	ret, klr := map[string][]float64{}, map[string][]float64{}
	for _, r := range cs.Runs {
		for _, t := range r.Tasks {
			if _, ok := ret[t.Name]; !ok {
				names = append(names, t.Name)
			}
			ret[t.Name] = append(ret[t.Name], t.Return)
			if t.KLRef != nil {
				klr[t.Name] = append(klr[t.Name], *t.KLRef)
			}
		}
	}
	cs.Tasks = nil
	for _, n := range names {
		cs.Tasks = append(cs.Tasks, TaskStat{Name: n, Return: StatOf(ret[n]), KLRef: StatOf(klr[n])})
	}
}

// findRun looks for job j's finished run in dirs; otherwise it returns the
// most telling state found: failed or unreadable, then unfinished, then
// absent.
func findRun(j Job, dirs []string) (*RunResult, string) {
	best, bestRank := "absent", 0
	for _, d := range dirs {
		path := filepath.Join(d, j.Dir())
		st, err := runState(path)
		if err != nil {
			st = "unreadable: " + err.Error()
		}
		if st == "" {
			r, err := ReadRun(path)
			if err == nil {
				r.Job, r.Seed, r.Dir = j.Index, j.Seed, j.Dir()
				r.stamps, _ = rundir.ReadStamps(path)
				return r, ""
			}
			st = "unreadable: " + err.Error()
		}
		rank := 2
		switch st {
		case "absent":
			rank = 0
		case "unfinished":
			rank = 1
		}
		if rank > bestRank {
			best, bestRank = st, rank
		}
	}
	return nil, best
}

// runState is "" for a finished run, "absent", "unfinished", or
// "failed: <error>" (from error.txt).
func runState(path string) (string, error) {
	if _, err := os.Stat(filepath.Join(path, rundir.EvalFile)); err == nil {
		return "", nil
	}
	if b, err := os.ReadFile(filepath.Join(path, rundir.ErrorFile)); err == nil {
		return "failed: " + strings.TrimSpace(string(b)), nil
	}
	entries, err := os.ReadDir(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "absent", nil
	case err != nil:
		return "", err
	case len(entries) == 0:
		return "absent", nil
	}
	return "unfinished", nil
}

// metricsRow holds the metrics.jsonl fields a summary uses.
type metricsRow struct {
	Update            *int     `json:"update"`
	Timesteps         int      `json:"timesteps"`
	KL                *float64 `json:"kl"`
	KLReverse         *float64 `json:"kl_reverse"`
	EpisodeReturnMean *float64 `json:"episode_return_mean"`
	KLK1              *float64 `json:"kl_k1"`
	KLK2              *float64 `json:"kl_k2"`
	KLK3              *float64 `json:"kl_k3"`
	KLTarget          *float64 `json:"kl_target"`
	SPS               float64  `json:"sps"`
	WallSeconds       float64  `json:"wall_seconds"`
}

// ReadRun computes a finished run's summary numbers from its config.yaml,
// metrics.jsonl and eval.json.
func ReadRun(dir string) (*RunResult, error) {
	cfg, err := configs.Load(filepath.Join(dir, rundir.ConfigFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rundir.ConfigFile, err)
	}
	eb, err := os.ReadFile(filepath.Join(dir, rundir.EvalFile))
	if err != nil {
		return nil, err
	}
	var ev struct {
		MeanReturn *float64            `json:"mean_return"`
		Tasks      []rundir.TaskResult `json:"tasks"`
	}
	if err := json.Unmarshal(eb, &ev); err != nil || ev.MeanReturn == nil {
		return nil, fmt.Errorf("%s: no mean_return (%v)", rundir.EvalFile, err)
	}
	f, err := os.Open(filepath.Join(dir, rundir.JSONLFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ctl := cfg.KL.Controller
	lo, hi := report.KLBand(ctl)
	r := &RunResult{EvalReturn: *ev.MeanReturn, KLBand: [2]float64{lo, hi}}
	for _, t := range ev.Tasks {
		r.Tasks = append(r.Tasks, TaskResult{Name: t.Name, Return: t.MeanReturn, KLRef: t.KLRef})
	}
	reverse := report.KLMetric(cfg.KL) == "kl_reverse"
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var inBand, returns int
	var auc, targetErr float64
	type estimates struct {
		kl float64
		k  [3]float64
	}
	var est []estimates
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m metricsRow
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", rundir.JSONLFile, line, err)
		}
		k := m.KL
		if reverse {
			k = m.KLReverse
		}
		if m.Update == nil || k == nil {
			return nil, fmt.Errorf("%s line %d: no update or kl", rundir.JSONLFile, line)
		}
		r.Updates++
		r.Timesteps = m.Timesteps
		r.KLMean += *k
		if r.KLBand[0] <= *k && *k <= r.KLBand[1] {
			inBand++
		}
		r.SPS += m.SPS
		r.WallSeconds = m.WallSeconds
		r.EpisodeReturn = m.EpisodeReturnMean
		if e := m.EpisodeReturnMean; e != nil {
			if r.FirstReturn == nil {
				r.FirstReturn = ptr(*e)
			}
			auc += *e
			returns++
		}
		target := ctl.Target
		if m.KLTarget != nil {
			target = *m.KLTarget
		}
		targetErr += math.Abs(*k/target - 1)
		if m.KL != nil && m.KLK1 != nil && m.KLK2 != nil && m.KLK3 != nil {
			est = append(est, estimates{*m.KL, [3]float64{*m.KLK1, *m.KLK2, *m.KLK3}})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if r.Updates == 0 {
		return nil, fmt.Errorf("%s is empty", rundir.JSONLFile)
	}
	n := float64(r.Updates)
	r.KLMean /= n
	r.KLInBand = float64(inBand) / n
	r.SPS /= n
	if returns > 0 {
		r.ReturnAUC = ptr(auc / float64(returns))
	}
	r.KLTargetError = ptr(targetErr / n)
	if len(est) == r.Updates {
		for i, e := range est {
			r.Estimators = addEstimates(r.Estimators, 2*i >= len(est), e.kl, e.k)
		}
	}
	return r, nil
}

// JSON gives the summary as indented JSON.
func (s *Summary) JSON() []byte {
	b, _ := json.MarshalIndent(s, "", "  ")
	return append(b, '\n')
}

// Markdown gives the summary as a markdown table, one row per combination,
// followed by the list of missing runs.
func (s *Summary) Markdown() []byte {
	var b bytes.Buffer
	title := "Sweep summary"
	if s.Shard != "all" {
		title += " (shard " + s.Shard + ")"
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	fmt.Fprintf(&b, "Config `%s`, seeds %s: %d of %d runs finished. Values are mean ± sample std across seeds.\n",
		s.Config, s.Seeds, s.Finished, s.Jobs)
	b.WriteString("KL is the KL the controller sees, averaged over updates; \"in band\" is the percentage of updates with it in [target·low_mult, target·high_mult], the controller's dead zone (– for an objective without a KL penalty).\n\n")
	b.WriteString("| combination | runs | eval return | episode return | KL mean | KL in band | band | SPS |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, c := range s.Combos {
		band, inBand := "–", "–"
		if len(c.Runs) > 0 && (c.KLPenalty == nil || *c.KLPenalty) {
			band = fmt.Sprintf("[%.4g, %.4g]", c.Runs[0].KLBand[0], c.Runs[0].KLBand[1])
			inBand = c.KLInBand.Percent()
		}
		fmt.Fprintf(&b, "| %s | %d/%d | %s | %s | %s | %s | %s | %s |\n", c.Label, len(c.Runs), c.Jobs,
			fmtStat(c.EvalReturn, "%.2f"), fmtStat(c.EpisodeReturn, "%.2f"), fmtStat(c.KLMean, "%.3g"),
			inBand, band, fmtStat(c.SPS, "%.0f"))
	}
	tasks := false
	for _, c := range s.Combos {
		tasks = tasks || len(c.Tasks) > 0
	}
	if tasks {
		b.WriteString("\n## Tasks\n\nThe final evaluation on each of eval.tasks: mean return, and mean KL to the reference policy on the states visited.\n\n")
		b.WriteString("| combination | task | return | KL to reference |\n|---|---|---|---|\n")
		for _, c := range s.Combos {
			for _, t := range c.Tasks {
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.Label, t.Name, fmtStat(t.Return, "%.2f"), fmtStat(t.KLRef, "%.3g"))
			}
		}
	}
	if len(s.Missing) > 0 {
		fmt.Fprintf(&b, "\n## Missing runs (%d)\n\n", len(s.Missing))
		for _, m := range s.Missing {
			fmt.Fprintf(&b, "- %s\n", m)
		}
	}
	return b.Bytes()
}

// String describes the missing run on one line.
func (m Missing) String() string {
	s := fmt.Sprintf("job %d: %s seed %d (%s): %s", m.Job, m.Label, m.Seed, m.Dir, m.State)
	if m.Shard != "" {
		s += ", shard " + m.Shard
	}
	return s
}

// Percent writes a Stat of fractions as percentages, "20% ± 2%" (the
// spread in percentage points), in report.Percent's format; "–" without
// values.
func (s Stat) Percent() string {
	switch {
	case s.Mean == nil:
		return "–"
	case s.Std == nil:
		return report.Percent(*s.Mean)
	}
	return report.Percent(*s.Mean) + " ± " + report.Percent(*s.Std)
}

func fmtStat(s Stat, f string) string {
	switch {
	case s.Mean == nil:
		return "–"
	case s.Std == nil:
		return fmt.Sprintf(f, *s.Mean)
	}
	return fmt.Sprintf(f+" ± "+f, *s.Mean, *s.Std)
}

// stem names a summary's files: summary.{md,json} for a whole sweep and
// summary.shard-i-of-n.{md,json} for a shard, so shards sharing a
// directory do not overwrite each other.
func stem(sh Shard) string {
	if sh.Whole() {
		return "summary"
	}
	return fmt.Sprintf("summary.shard-%d-of-%d", sh.Index, sh.Count)
}

var shardSummary = regexp.MustCompile(`^summary\.shard-(\d+)-of-(\d+)\.json$`)

// Write writes the summary's markdown and JSON files into dir.
func (s *Summary) Write(dir string, sh Shard) error {
	base := filepath.Join(dir, stem(sh))
	if err := atomicfile.Write(base+".json", s.JSON()); err != nil {
		return err
	}
	return atomicfile.Write(base+".md", s.Markdown())
}

// Collect merges the shards of one sweep: dirs are the shards' sweep
// directories (or one directory they share). Their sweep.json files must
// describe the same sweep. The summary covers every job of the sweep; jobs
// without a finished run are listed in Missing, with their shard when the
// shards' partial summaries agree on the shard count.
func Collect(dirs []string) (*Spec, *Summary, error) {
	if len(dirs) == 0 {
		return nil, nil, &agent.InputError{Err: errors.New("--collect needs at least one directory")}
	}
	var spec *Spec
	for _, d := range dirs {
		s, err := ReadSpec(d)
		if err != nil {
			return nil, nil, &agent.InputError{Err: err}
		}
		if spec == nil {
			spec = s
			continue
		}
		if err := spec.Compare(s); err != nil {
			return nil, nil, &agent.InputError{Err: fmt.Errorf("%s and %s hold different sweeps: %w", dirs[0], d, err)}
		}
	}
	sum := summarize(spec, spec.Jobs(), dirs)
	counts := map[int]bool{}
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if m := shardSummary.FindStringSubmatch(e.Name()); m != nil {
				n, _ := strconv.Atoi(m[2])
				counts[n] = true
			}
		}
	}
	if len(counts) == 1 {
		for n := range counts {
			for i := range sum.Missing {
				sum.Missing[i].Shard = fmt.Sprintf("%d/%d", sum.Missing[i].Job%n, n)
			}
		}
	}
	return spec, sum, nil
}

func ptr(x float64) *float64 { return &x }
