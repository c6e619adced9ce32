// Package rundir trains into a run directory and reads it back: the file
// layout, metrics logs, checkpoints on disk, resume and evaluation of a
// finished run. It imports agent and the packages below it, never cli.
package rundir

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"ppo/agent"
	"ppo/internal/atomicfile"
	"ppo/internal/rundir/tfevents"
)

// Run directory layout:
//
//	config.yaml        the resolved config
//	metrics.jsonl      one JSON object per update
//	metrics.csv        the same rows as CSV
//	ckpt-NNNNNN.ckpt   checkpoints after update N
//	final.ckpt         the state after the last update
//	eval.json          the final evaluation
//	error.txt          why the run failed, if it did (removed when it is resumed)
//	stamp.json         the code that trained it (commit, kernels, Go), per process
const (
	ConfigFile  = "config.yaml"
	JSONLFile   = "metrics.jsonl"
	CSVFile     = "metrics.csv"
	FinalCkpt   = "final.ckpt"
	EvalFile    = "eval.json"
	ErrorFile   = "error.txt"
	ckptPattern = "ckpt-%06d.ckpt"
)

// RunDir writes a run's logs. Each row is appended with a single write, so
// a process that dies leaves complete rows only. Rows are synced before
// each checkpoint rather than each update (a sync per update costs a large
// part of an update; experiments/perf/README.md), so
// an OS crash loses at most the rows after the newest checkpoint, which a
// resume drops and recomputes anyway.
type RunDir struct {
	Path    string
	withRef bool
	extra   []string // optional CSV columns after the reference's, from logLayout
	jsonl   *os.File
	csv     *os.File
	tb      *tfevents.Writer // nil unless log.tensorboard
	// own names the periodic checkpoints of this run, the only ones prune
	// may delete.
	own map[string]bool
}

// EnableTensorBoard makes Append also write every metric as a TensorBoard
// scalar (step = timesteps) into an events file in the run directory. A
// resumed run starts a new events file; TensorBoard reads them together.
func (r *RunDir) EnableTensorBoard() error {
	w, err := tfevents.Create(r.Path)
	if err != nil {
		return fmt.Errorf("tensorboard: %w", err)
	}
	r.tb = w
	return nil
}

// CheckNew refuses a dir that exists and is not an empty directory, where
// a new run cannot go.
func CheckNew(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case os.IsNotExist(err):
		return nil
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s exists and is not a directory", dir)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, FinalCkpt)); err == nil {
			return fmt.Errorf("run directory %s already holds a finished run", dir)
		}
		if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err != nil {
			// Not a run: --resume would refuse it too.
			return fmt.Errorf("%s already exists, is not empty and holds no run; give --out a new or empty directory", dir)
		}
		if Running(dir) {
			return fmt.Errorf("run directory %s holds a run that another ppo process is training; give --out another directory", dir)
		}
		return fmt.Errorf("run directory %s already holds an unfinished run (ppo train --resume %s continues it)", dir, dir)
	}
	return nil
}

// createRunDir makes dir (it must not exist or must be empty) and writes
// the resolved config into it.
func createRunDir(dir string, configYAML []byte, withRef bool, extra ...string) (*RunDir, error) {
	if err := CheckNew(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, ConfigFile), configYAML); err != nil {
		return nil, err
	}
	return openLogs(dir, withRef, extra)
}

func (r *RunDir) writeCSV(rec []string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(rec)
	w.Flush()
	_, err := r.csv.Write(b.Bytes())
	return err
}

// Append writes one metrics row to both logs.
func (r *RunDir) Append(m agent.Metrics) error {
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := r.jsonl.Write(append(line, '\n')); err != nil {
		return err
	}
	if err := r.writeCSV(CSVRow(&m, r.withRef, r.extra...)); err != nil {
		return err
	}
	if r.tb == nil {
		return nil
	}
	var all map[string]any
	if err := json.Unmarshal(line, &all); err != nil {
		return err
	}
	scalars := map[string]float64{}
	for k, v := range all {
		switch v := v.(type) {
		case float64:
			scalars[k] = v
		case bool:
			scalars[k] = map[bool]float64{false: 0, true: 1}[v]
		}
	}
	if err := r.tb.Scalars(int64(m.Timesteps), float64(time.Now().UnixNano())/1e9, scalars); err != nil {
		return err
	}
	return r.tb.Flush()
}

// Sync flushes both logs to stable storage. (The TensorBoard file is a
// view of them, not needed to resume.)
func (r *RunDir) Sync() error {
	if err := r.jsonl.Sync(); err != nil {
		return err
	}
	return r.csv.Sync()
}

// CheckpointPath is where the checkpoint after update u goes.
func (r *RunDir) CheckpointPath(u int) string {
	return filepath.Join(r.Path, fmt.Sprintf(ckptPattern, u))
}

// prune deletes all but the newest keep of the run's own periodic
// checkpoints (keep 0 keeps all). Names sort by update.
func (r *RunDir) prune(keep int) error {
	if keep <= 0 {
		return nil
	}
	var mine []string
	for _, p := range periodicCheckpoints(r.Path) {
		if r.own[filepath.Base(p)] {
			mine = append(mine, p)
		}
	}
	for _, p := range mine[:max(0, len(mine)-keep)] {
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("pruning checkpoints: %w", err)
		}
		delete(r.own, filepath.Base(p))
	}
	return nil
}

// Close closes the log files.
func (r *RunDir) Close() error {
	err := r.jsonl.Close()
	if r.tb != nil {
		if cerr := r.tb.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := r.csv.Close(); err == nil {
		err = cerr
	}
	return err
}

// restartRunDir empties the logs of a run that is starting again, keeping
// its config.yaml.
func restartRunDir(dir string, withRef bool, extra ...string) (*RunDir, error) {
	for _, name := range []string{JSONLFile, CSVFile} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	return openLogs(dir, withRef, extra)
}

// openLogs opens (creating if need be) the run's logs for appending,
// writing the CSV header into a new CSV file.
func openLogs(dir string, withRef bool, extra []string) (*RunDir, error) {
	r := &RunDir{Path: dir, withRef: withRef, extra: extra, own: map[string]bool{}}
	var err error
	if r.jsonl, err = os.OpenFile(filepath.Join(dir, JSONLFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666); err != nil {
		return nil, err
	}
	if r.csv, err = os.OpenFile(filepath.Join(dir, CSVFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666); err != nil {
		r.jsonl.Close()
		return nil, err
	}
	if st, err := r.csv.Stat(); err == nil && st.Size() == 0 {
		if err := r.writeCSV(CSVHeader(withRef, extra...)); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// loggedRows is how many rows the run in dir has logged: the lines of
// metrics.jsonl, the primary log (metrics.csv is a view of it, rebuilt on
// resume), 0 if there is none.
func loggedRows(dir string) (int, error) {
	data, err := os.ReadFile(filepath.Join(dir, JSONLFile))
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return bytes.Count(data, []byte("\n")), nil
}

// openRunDir reopens an existing run's logs for appending after keeping
// only the rows of updates up to keep, so a resumed run continues the
// logs exactly where its checkpoint left off. metrics.jsonl is the primary
// log; metrics.csv is rebuilt from its kept rows (so a CSV that is
// missing, short or from an older release is made whole). Both files are
// rewritten atomically before anything is appended.
func openRunDir(dir string, keep int, withRef bool, extra ...string) (*RunDir, error) {
	path := filepath.Join(dir, JSONLFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	if len(lines) < keep {
		return nil, fmt.Errorf("%s has %d rows, the checkpoint is at update %d", path, len(lines), keep)
	}
	var csvData bytes.Buffer
	w := csv.NewWriter(&csvData)
	w.Write(CSVHeader(withRef, extra...))
	for i, line := range lines[:keep] {
		var m agent.Metrics
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, fmt.Errorf("%s row %d: %w", path, i+1, err)
		}
		w.Write(CSVRow(&m, withRef, extra...))
	}
	w.Flush()
	if err := atomicfile.Write(path, bytes.Join(lines[:keep], nil)); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, CSVFile), csvData.Bytes()); err != nil {
		return nil, err
	}
	return openLogs(dir, withRef, extra)
}
