package sweep

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"ppo/agent"
	"ppo/configs"
	"ppo/internal/atomicfile"
	"ppo/internal/rundir"
)

// CanaryFile sits beside a committed study's summary.json (and in a
// committed run directory): the check that the code still gives the
// study's numbers.
const CanaryFile = "canary.json"

// CanaryUpdates is how many updates of its cell a canary reruns in
// go test: enough to cover a whole update of every code path the cell
// takes (rollout, optimisation, measurement, controller), and cheap.
const CanaryUpdates = 3

// The states of a canary.
const (
	// Current: the code gives the study's numbers; the canary's rows are
	// checked bit for bit.
	Current = "current"
	// Stale: a change since the study was made moves its numbers; the
	// study's README carries a banner saying so (ppo docs canary).
	Stale = "stale"
	// Exempt: the study can never reproduce by design (say, speed
	// measurements made with old binaries); Reason says why.
	Exempt = "exempt"
)

// Canary is a committed study's reproduction check: one cell (a
// combination and a seed) whose first metrics rows are kept beside the
// summary, so that a cheap rerun of those updates compares bit for bit,
// and whose whole run the summary records, for the full check.
type Canary struct {
	Status string `json:"status"`
	// Reason says why an exempt study cannot reproduce.
	Reason string `json:"reason,omitempty"`
	// Label and Seed name the cell: the combination's label and the seed.
	Label string `json:"label,omitempty"`
	Seed  uint64 `json:"seed,omitempty"`
	// Config and Sets build the cell's config where the study has no
	// sweep.json: the config file (relative to the repository root) and
	// the sweep's --set overrides, before the seed.
	Config string   `json:"config,omitempty"`
	Sets   []string `json:"sets,omitempty"`
	// Rows are the cell's first metrics rows as Stamp's code wrote them,
	// without the timing fields sps and wall_seconds.
	Rows  []json.RawMessage `json:"rows,omitempty"`
	Stamp *rundir.Stamp     `json:"stamp,omitempty"`
	// Stale says how the numbers moved, for a stale study.
	Stale *Staleness `json:"stale,omitempty"`
}

// Staleness records how a change moved a study's numbers.
type Staleness struct {
	// Commit is the code the committed numbers come from.
	Commit string `json:"commit"`
	// Since names the change (or range of commits) that moved them.
	Since string `json:"since"`
	// FromUpdate is the first update of the canary's cell whose metrics
	// differ; Relative the largest relative difference in that row, and
	// Field the metric it is in.
	FromUpdate int     `json:"from_update"`
	Field      string  `json:"field"`
	Relative   float64 `json:"relative"`
	// Regenerate is the command that makes the study current again.
	Regenerate string `json:"regenerate"`
	// Measured says how the figures above were measured.
	Measured string `json:"measured"`
}

// LoadCanary reads dir's CanaryFile.
func LoadCanary(dir string) (*Canary, error) {
	b, err := os.ReadFile(filepath.Join(dir, CanaryFile))
	if err != nil {
		return nil, err
	}
	var c Canary
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, CanaryFile), err)
	}
	switch c.Status {
	case Current:
		if len(c.Rows) == 0 {
			return nil, fmt.Errorf("%s: a current canary without rows", filepath.Join(dir, CanaryFile))
		}
	case Stale:
		if c.Stale == nil {
			return nil, fmt.Errorf("%s: a stale canary without its staleness record", filepath.Join(dir, CanaryFile))
		}
	case Exempt:
		if c.Reason == "" {
			return nil, fmt.Errorf("%s: an exempt canary without a reason", filepath.Join(dir, CanaryFile))
		}
	default:
		return nil, fmt.Errorf("%s: status %q (want current, stale or exempt)", filepath.Join(dir, CanaryFile), c.Status)
	}
	return &c, nil
}

// Write writes c as dir's CanaryFile.
func (c *Canary) Write(dir string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, CanaryFile), append(b, '\n'))
}

// CellConfig is the config of the canary's cell of the study in dir:
// from the study's sweep.json, or from c.Config (under root) and c.Sets.
func (c *Canary) CellConfig(root, dir string) (*configs.Config, error) {
	if _, err := os.Stat(filepath.Join(dir, specFile)); err == nil {
		s, err := ReadSpec(dir)
		if err != nil {
			return nil, err
		}
		for _, j := range s.Jobs() {
			if j.Label == c.Label && j.Seed == c.Seed {
				return s.Config(j)
			}
		}
		return nil, fmt.Errorf("%s has no cell %s seed %d", filepath.Join(dir, specFile), c.Label, c.Seed)
	}
	if c.Config == "" {
		return nil, fmt.Errorf("%s: no %s and no config named", dir, specFile)
	}
	cfg, err := configs.Load(filepath.Join(root, c.Config))
	if err != nil {
		return nil, err
	}
	for _, s := range c.Sets {
		if err := cfg.Set(s); err != nil {
			return nil, err
		}
	}
	cfg.Seed = c.Seed
	return cfg, cfg.Validate()
}

// CheapestCell is the study's cell with the fewest training steps (the
// first of those, in job order).
func CheapestCell(dir string) (label string, seed uint64, err error) {
	s, err := ReadSpec(dir)
	if err != nil {
		return "", 0, err
	}
	best := -1
	for _, j := range s.Jobs() {
		cfg, err := s.Config(j)
		if err != nil {
			return "", 0, err
		}
		if best < 0 || cfg.TotalTimesteps < best {
			best, label, seed = cfg.TotalTimesteps, j.Label, j.Seed
		}
	}
	if best < 0 {
		return "", 0, fmt.Errorf("%s: no cells", dir)
	}
	return label, seed, nil
}

// stopAfter cancels its context after n rows.
type stopAfter struct {
	n, rows int
	cancel  context.CancelFunc
}

func (s *stopAfter) Row(agent.Metrics, int) {
	if s.rows++; s.rows >= s.n {
		s.cancel()
	}
}
func (*stopAfter) Warn(string) {}

// Prefix trains cfg for its first n updates in a directory under tmp and
// returns their metrics rows, timing fields removed.
func Prefix(ctx context.Context, cfg *configs.Config, n int, tmp string) ([]json.RawMessage, error) {
	dir, err := os.MkdirTemp(tmp, "canary-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	run := filepath.Join(dir, "run")
	_, err = rundir.Train(ctx, cfg, run, &stopAfter{n: n, cancel: cancel})
	if err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	rows, err := ReadRows(run)
	if err != nil {
		return nil, err
	}
	if len(rows) > n {
		rows = rows[:n]
	}
	return rows, nil
}

// ReadRows reads a run directory's metrics rows, without the timing fields.
func ReadRows(dir string) ([]json.RawMessage, error) {
	f, err := os.Open(filepath.Join(dir, rundir.JSONLFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []json.RawMessage
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		row, err := withoutTiming(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s row %d: %w", rundir.JSONLFile, len(rows)+1, err)
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

// withoutTiming drops sps and wall_seconds from a JSON object, keeping the
// other fields' text and order.
func withoutTiming(line []byte) (json.RawMessage, error) {
	keys, vals, err := fields(line)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for i, k := range keys {
		if k == "sps" || k == "wall_seconds" {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vals[i])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// fields splits a JSON object into its keys and raw values, in order.
func fields(obj []byte) ([]string, []json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, fmt.Errorf("not a JSON object")
	}
	var keys []string
	var vals []json.RawMessage
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		keys, vals = append(keys, t.(string)), append(vals, v)
	}
	return keys, vals, nil
}

// RowDiff is the first difference between two runs' rows.
type RowDiff struct {
	Update   int // 1-based row
	Field    string
	Got      string
	Want     string
	Relative float64 // the largest relative difference in the row (Inf for non-numbers)
}

func (d *RowDiff) Error() string {
	return fmt.Sprintf("update %d: %s = %s, committed %s (largest relative difference in the row %.2g)", d.Update, d.Field, d.Got, d.Want, d.Relative)
}

// CompareRows compares got with the committed want, field by field in
// want's order (fields want lacks were added to the metrics later and are
// not compared), and returns the first difference, or nil.
func CompareRows(got, want []json.RawMessage) (*RowDiff, error) {
	for i := range want {
		if i >= len(got) {
			return &RowDiff{Update: i + 1, Field: "(row)", Got: "missing", Want: "present", Relative: math.Inf(1)}, nil
		}
		wk, wv, err := fields(want[i])
		if err != nil {
			return nil, fmt.Errorf("committed row %d: %w", i+1, err)
		}
		gk, gv, err := fields(got[i])
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
		gm := map[string]json.RawMessage{}
		for j, k := range gk {
			gm[k] = gv[j]
		}
		var d *RowDiff
		for j, k := range wk {
			g, ok := gm[k]
			if !ok {
				g = json.RawMessage("missing")
			}
			if bytes.Equal(g, wv[j]) || sameJSON(g, wv[j]) {
				continue
			}
			r := relative(g, wv[j])
			if d == nil {
				d = &RowDiff{Update: i + 1, Field: k, Got: string(g), Want: string(wv[j])}
			}
			d.Relative = math.Max(d.Relative, r)
		}
		if d != nil {
			return d, nil
		}
	}
	return nil, nil
}

// sameJSON says whether two JSON values decode to the same value (the
// same float64 bits for numbers).
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// relative is |a−b|/|b| for two numbers (the largest over arrays of
// numbers), +Inf otherwise.
func relative(a, b json.RawMessage) float64 {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return math.Inf(1)
	}
	return relOf(x, y)
}

func relOf(x, y any) float64 {
	switch y := y.(type) {
	case float64:
		x, ok := x.(float64)
		if !ok {
			return math.Inf(1)
		}
		if y == 0 {
			if x == 0 {
				return 0
			}
			return math.Inf(1)
		}
		return math.Abs(x-y) / math.Abs(y)
	case []any:
		x, ok := x.([]any)
		if !ok || len(x) != len(y) {
			return math.Inf(1)
		}
		var r float64
		for i := range y {
			r = math.Max(r, relOf(x[i], y[i]))
		}
		return r
	}
	if sameJSON(mustJSON(x), mustJSON(y)) {
		return 0
	}
	return math.Inf(1)
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// FullCell trains cfg to the end in a directory under tmp and returns
// what a summary records of the run.
func FullCell(ctx context.Context, cfg *configs.Config, tmp string) (*RunResult, error) {
	dir, err := os.MkdirTemp(tmp, "canary-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	run := filepath.Join(dir, "run")
	if _, err := rundir.Train(ctx, cfg, run, nil); err != nil {
		return nil, err
	}
	return ReadRun(run)
}

// CompareRun compares a rerun cell's result with the summary's record of
// it (the run of label/seed-N in dir's summary.json), field by field,
// timing aside. It returns the differing fields, or nil.
func CompareRun(got *RunResult, dir, label string, seed uint64) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil, err
	}
	var sum struct {
		Combos []struct {
			Label string            `json:"label"`
			Runs  []json.RawMessage `json:"runs"`
		} `json:"combos"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return nil, err
	}
	var want map[string]any
	for _, c := range sum.Combos {
		if c.Label != label {
			continue
		}
		for _, r := range c.Runs {
			var m map[string]any
			if err := json.Unmarshal(r, &m); err != nil {
				return nil, err
			}
			if s, _ := m["seed"].(float64); uint64(s) == seed {
				want = m
			}
		}
	}
	if want == nil {
		return nil, fmt.Errorf("%s: summary.json has no run %s seed %d", dir, label, seed)
	}
	var g map[string]any
	if err := json.Unmarshal(mustJSON(got), &g); err != nil {
		return nil, err
	}
	var diffs []string
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "job", "seed", "dir", "sps", "wall_seconds":
			continue
		}
		if !sameJSON(mustJSON(g[k]), mustJSON(want[k])) {
			diffs = append(diffs, fmt.Sprintf("%s = %s, committed %s", k, short(mustJSON(g[k])), short(mustJSON(want[k]))))
		}
	}
	return diffs, nil
}

func short(b []byte) string {
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

// CommittedStudies lists the committed results directories under
// root/experiments (each holding a summary.json), relative to root.
func CommittedStudies(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(filepath.Join(root, "experiments"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "summary.json" {
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			dirs = append(dirs, rel)
		}
		return nil
	})
	return dirs, err
}

// CanaryReport is the outcome of checking one study's canary.
type CanaryReport struct {
	Dir    string
	Status string
	// Cell names the cell rerun, "label seed N".
	Cell string
	// Updates is how many updates were compared; Full says whether the
	// whole cell was also rerun against the summary.
	Updates int
	Full    bool
}

// CheckCanary checks the canary of the study in dir (relative to root): a
// current one reruns its cell's first rows and, if the cell trains for at
// most fullSteps steps, the whole cell against summary.json; a stale one must have its banner in the study's
// README; an exempt one passes. A difference is an error naming the study,
// the cell and the first differing number.
func CheckCanary(ctx context.Context, root, dir string, fullSteps int, tmp string) (*CanaryReport, error) {
	abs := filepath.Join(root, dir)
	c, err := LoadCanary(abs)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: no %s: every committed study has a canary (ppo canary --write %s, or --stale/--exempt)", dir, CanaryFile, dir)
	}
	if err != nil {
		return nil, err
	}
	rep := &CanaryReport{Dir: dir, Status: c.Status, Cell: fmt.Sprintf("%s seed %d", c.Label, c.Seed)}
	if _, err := SummaryStamp(abs); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	switch c.Status {
	case Exempt:
		return rep, nil
	case Stale:
		readme, err := staleBanner(root, dir)
		if err != nil {
			return nil, err
		}
		if readme == "" {
			return nil, fmt.Errorf("%s is marked stale but no README.md above it carries its banner (<!-- generated by: ppo docs canary %s -->)", dir, dir)
		}
		return rep, nil
	}
	cfg, err := c.CellConfig(root, abs)
	if err != nil {
		return nil, fmt.Errorf("%s: cell %s: %w", dir, rep.Cell, err)
	}
	rows, err := Prefix(ctx, cfg, len(c.Rows), tmp)
	if err != nil {
		return nil, fmt.Errorf("%s: cell %s: %w", dir, rep.Cell, err)
	}
	d, err := CompareRows(rows, c.Rows)
	if err != nil {
		return nil, fmt.Errorf("%s: cell %s: %w", dir, rep.Cell, err)
	}
	if d != nil {
		return nil, fmt.Errorf("%s: cell %s no longer reproduces: %w; regenerate the study or mark it stale (ppo canary -h)", dir, rep.Cell, d)
	}
	rep.Updates = len(c.Rows)
	if cfg.TotalTimesteps > fullSteps {
		return rep, nil
	}
	if cfg, err = c.CellConfig(root, abs); err != nil {
		return nil, err
	}
	got, err := FullCell(ctx, cfg, tmp)
	if err != nil {
		return nil, fmt.Errorf("%s: cell %s: %w", dir, rep.Cell, err)
	}
	diffs, err := CompareRun(got, abs, c.Label, c.Seed)
	if err != nil {
		return nil, err
	}
	if len(diffs) > 0 {
		return nil, fmt.Errorf("%s: cell %s, whole run, differs from summary.json: %s", dir, rep.Cell, diffs[0])
	}
	rep.Full = true
	return rep, nil
}

// SummaryStamp is the stamp of the summary.json in dir: the code its
// numbers were produced from; an error if it has none.
func SummaryStamp(dir string) (*rundir.Stamp, error) {
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil, err
	}
	var s struct {
		Stamp *rundir.Stamp `json:"stamp"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("summary.json: %w", err)
	}
	if s.Stamp == nil || s.Stamp.Commit == "" {
		return nil, fmt.Errorf("summary.json has no stamp (the code it was produced from)")
	}
	return s.Stamp, nil
}

// staleBanner returns the README.md (relative to root) at or above the
// study dir, up to experiments/, that carries dir's staleness banner, or "".
func staleBanner(root, dir string) (string, error) {
	marker := "ppo docs canary "
	for d := dir; d != "." && d != string(filepath.Separator); d = filepath.Dir(d) {
		readme := filepath.Join(d, "README.md")
		b, err := os.ReadFile(filepath.Join(root, readme))
		if err == nil {
			for _, line := range bytes.Split(b, []byte("\n")) {
				if i := bytes.Index(line, []byte(marker)); i >= 0 && bytes.HasPrefix(bytes.TrimSpace(line), []byte("<!--")) {
					for _, f := range bytes.Fields(line[i+len(marker):]) {
						if filepath.Clean(string(f)) == filepath.Clean(dir) {
							return readme, nil
						}
					}
				}
			}
		}
		if filepath.Base(d) == "experiments" {
			break
		}
	}
	return "", nil
}
