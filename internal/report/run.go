// Package report summarises and charts the run directories written by ppo train.
// It imports agent, configs, kl and rundir.
package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"ppo/agent"
	"ppo/configs"
	"ppo/internal/rundir"
)

// Run is one run directory's logs, read for reporting. A run still in
// progress has no Eval.
type Run struct {
	Dir    string
	Name   string // base name of Dir, the run's label in tables and legends
	Config *configs.Config
	Rows   []agent.Metrics
	Eval   *agent.EvalResult
	// Tasks are eval.json's evaluations on the run's eval.tasks.
	Tasks []rundir.TaskResult
	// Failed is why the run failed (its error.txt); empty if it did not.
	Failed string
	// Running says a process holds the run directory's lock: it is
	// training now. Checkpointed says it has a checkpoint to resume from.
	Running, Checkpointed bool

	// cols holds every numeric (or boolean, as 0/1) field of the rows by
	// name, NaN where a row lacks it or holds null, so that charts can
	// show fields added to agent.Metrics without changes here.
	cols map[string][]float64
}

// Load reads the run directory dir: config.yaml, metrics.jsonl and, when
// the run has finished, eval.json. Every error names the file at fault and
// fits on one line.
func Load(dir string) (*Run, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such run directory", dir)
	case err != nil:
		return nil, err
	case !st.IsDir():
		return nil, fmt.Errorf("%s: not a run directory (not a directory)", dir)
	}
	for _, f := range []string{rundir.JSONLFile, rundir.ConfigFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return nil, fmt.Errorf("%s: not a run directory (no %s)", dir, f)
		}
	}
	cfgPath := filepath.Join(dir, rundir.ConfigFile)
	cfg, err := configs.Load(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	r := &Run{Dir: dir, Name: filepath.Base(filepath.Clean(dir)), Config: cfg}
	if err := r.readMetrics(filepath.Join(dir, rundir.JSONLFile)); err != nil {
		return nil, err
	}
	evPath := filepath.Join(dir, rundir.EvalFile)
	if b, err := os.ReadFile(evPath); err == nil {
		var ev rundir.EvalReport
		if err := json.Unmarshal(b, &ev); err != nil {
			return nil, fmt.Errorf("%s: %v", evPath, err)
		}
		r.Eval, r.Tasks = &ev.EvalResult, ev.Tasks
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, rundir.ErrorFile)); err == nil {
		r.Failed = strings.TrimSpace(string(b))
	}
	if r.Eval == nil {
		r.Running = rundir.Running(dir)
		ckpts, _ := filepath.Glob(filepath.Join(dir, "*.ckpt"))
		r.Checkpointed = len(ckpts) > 0
	}
	return r, nil
}

// LoadAll loads each directory in turn, stopping at the first error.
func LoadAll(dirs []string) ([]*Run, error) {
	runs := make([]*Run, 0, len(dirs))
	for _, d := range dirs {
		r, err := Load(d)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	disambiguate(runs)
	return runs, nil
}

// disambiguate lengthens run names that collide (a sweep's seed-1 of two
// configs) with their parent directories until they differ. A sweep's
// seed-N runs from different combinations get their combination's name
// too, since "seed-1" alone hides what differs.
func disambiguate(runs []*Run) {
	parents := map[string]bool{}
	for _, r := range runs {
		if strings.HasPrefix(r.Name, "seed-") {
			parents[filepath.Dir(filepath.Clean(r.Dir))] = true
		}
	}
	if len(parents) > 1 {
		for _, r := range runs {
			if strings.HasPrefix(r.Name, "seed-") {
				r.Name = lastElems(r.Dir, 2)
			}
		}
	}
	for depth := 2; depth <= 4; depth++ {
		seen := map[string]int{}
		for _, r := range runs {
			seen[r.Name]++
		}
		clash := false
		for _, r := range runs {
			if seen[r.Name] > 1 {
				clash = true
				r.Name = lastElems(r.Dir, depth)
			}
		}
		if !clash {
			return
		}
	}
}

func lastElems(dir string, n int) string {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(dir)), "/")
	if len(parts) > n {
		parts = parts[len(parts)-n:]
	}
	return strings.Join(parts, "/")
}

// readMetrics parses metrics.jsonl. The trainer writes each row with one
// write ending in a newline, so a last line without its newline that does
// not parse is a row cut short by a crash, reported as such.
func (r *Run) readMetrics(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := bytes.Split(data, []byte("\n"))
	complete := len(lines) - 1 // lines followed by a newline
	if len(lines[complete]) == 0 {
		lines = lines[:complete]
	}
	r.cols = map[string][]float64{}
	for i, line := range lines {
		n := i + 1
		if len(bytes.TrimSpace(line)) == 0 {
			return fmt.Errorf("%s:%d: empty line", path, n)
		}
		var raw map[string]any
		err := json.Unmarshal(line, &raw)
		var m agent.Metrics
		if err == nil {
			err = json.Unmarshal(line, &m)
		}
		if err == nil {
			err = requireNumbers(raw, "update", "timesteps")
		}
		if err != nil {
			if i >= complete {
				return fmt.Errorf("%s:%d: truncated last line (no newline; the run may have stopped mid-write): %v", path, n, err)
			}
			return fmt.Errorf("%s:%d: malformed metrics row: %v", path, n, err)
		}
		flatten(raw, "")
		for k, v := range raw {
			x, ok := number(v)
			if !ok {
				continue
			}
			col, seen := r.cols[k]
			if !seen {
				col = nanSlice(len(r.Rows))
			}
			r.cols[k] = append(col, x)
		}
		r.Rows = append(r.Rows, m)
		for k, col := range r.cols {
			if len(col) < len(r.Rows) {
				r.cols[k] = append(col, math.NaN())
			}
		}
	}
	return nil
}

// flatten replaces each object nested in a row, such as "tasks": {"x":
// {"return": 1}}, by its leaves under dotted names, "tasks.x.return", so
// they chart as any other field.
func flatten(raw map[string]any, prefix string) {
	for k, v := range raw {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		delete(raw, k)
		flatten(m, "")
		for kk, vv := range m {
			raw[prefix+k+"."+kk] = vv
		}
	}
}

// TaskMetrics lists the return of each eval.tasks entry of the runs, as
// metric names (tasks.NAME.return), in the runs' order: ppo plot draws a
// panel for each.
func TaskMetrics(runs ...*Run) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range runs {
		for _, name := range r.Config.TaskNames() {
			if m := rundir.TaskColumn(name, "return"); !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}

func requireNumbers(raw map[string]any, keys ...string) error {
	for _, k := range keys {
		if _, ok := raw[k].(float64); !ok {
			return fmt.Errorf("%q is missing or not a number", k)
		}
	}
	return nil
}

// number converts a decoded JSON value to a float: numbers as they are,
// booleans as 0 or 1, null as NaN (absent); ok is false for strings,
// arrays and objects.
func number(v any) (x float64, ok bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case nil:
		return math.NaN(), true
	}
	return 0, false
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// Series returns a metric against timesteps, leaving out the rows where
// it is absent or null. ok is false when no row has the metric at all.
func (r *Run) Series(metric string) (steps, values []float64, ok bool) {
	col, ok := r.cols[metric]
	if !ok {
		return nil, nil, false
	}
	for i, v := range col {
		if !math.IsNaN(v) {
			steps = append(steps, float64(r.Rows[i].Timesteps))
			values = append(values, v)
		}
	}
	return steps, values, len(values) > 0
}

// metricNames lists the metrics a chart can show: the numeric and boolean
// fields of agent.Metrics and any other numeric field found in runs' rows,
// sorted.
func metricNames(runs ...*Run) []string {
	set := map[string]bool{}
	t := reflect.TypeOf(agent.Metrics{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		k := f.Type.Kind()
		if k == reflect.Pointer {
			k = f.Type.Elem().Kind()
		}
		switch k {
		case reflect.Int, reflect.Int64, reflect.Float64, reflect.Float32, reflect.Bool:
			set[name] = true
		}
	}
	for _, r := range runs {
		for k := range r.cols {
			set[k] = true
		}
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
