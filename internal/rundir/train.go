package rundir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"ppo/agent"
	"ppo/configs"
	"ppo/internal/atomicfile"
	"ppo/internal/checkpoint"
)

// Summary is what a finished training job reports.
type Summary struct {
	Dir     string
	Updates int
	Steps   int
	Eval    agent.EvalResult
	Last    agent.Metrics
}

// Train runs a training job into the run directory dir: config.yaml,
// metrics.jsonl and metrics.csv after every update, checkpoints every
// log.checkpoint_every updates, and final.ckpt and eval.json at the end.
// Progress lines go to log. When ctx is cancelled the job stops after the
// update in progress, writes a checkpoint and returns ctx's error.
//
// Warnings about the run's health go to log as well.
func Train(ctx context.Context, cfg *configs.Config, dir string, p Progress) (*Summary, error) {
	// The reference and init paths are stored absolute, so the run resumes
	// from any working directory.
	for _, p := range []struct {
		name string
		path *string
	}{{"kl.reference.checkpoint", &cfg.KL.Reference.Checkpoint}, {"init.checkpoint", &cfg.Init.Checkpoint}} {
		if *p.path != "" && !filepath.IsAbs(*p.path) {
			abs, err := filepath.Abs(*p.path)
			if err != nil {
				return nil, &agent.InputError{Err: fmt.Errorf("%s: %w", p.name, err)}
			}
			*p.path = abs
		}
	}
	// An external env's program is started where the run starts; the
	// run records that directory, so resume and eval start it there.
	if cfg.Env.ID == configs.ExternalEnv && cfg.Env.External.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		cfg.Env.External.Dir = wd
	}
	t, err := agent.New(cfg)
	if err != nil {
		return nil, &agent.InputError{Err: err}
	}
	defer t.Close()
	y, err := cfg.YAML()
	if err != nil {
		return nil, err
	}
	rd, err := createRunDir(dir, y, t.HasReference(), logLayout(cfg)...)
	if err != nil {
		return nil, &agent.InputError{Err: err}
	}
	release, err := Lock(dir)
	if err != nil {
		rd.Close()
		return nil, &agent.InputError{Err: err}
	}
	defer release()
	if err := addStamp(dir, 0); err != nil {
		rd.Close()
		return nil, err
	}
	return train(ctx, t, cfg, rd, p)
}

// Resume continues the run in dir from its newest intact checkpoint that
// the logs reach, so that its logs end up identical, row for row, to an
// uninterrupted run's (timing fields aside). Rows logged after that
// checkpoint are dropped and recomputed. Corrupt checkpoints are skipped,
// saying so on notes (which, like p, may be nil). The run starts again only
// when it has no checkpoint file at all. Resume refuses, changing nothing,
// when config.yaml differs from the config a checkpoint was trained with,
// when no checkpoint is intact, and when every checkpoint lies past the end
// of the logs.
func Resume(ctx context.Context, dir string, p Progress, notes io.Writer) (*Summary, error) {
	refuse := func(format string, args ...any) error {
		return &agent.InputError{Err: fmt.Errorf("resume %s: "+format, append([]any{dir}, args...)...)}
	}
	// Before anything is read: another process may be writing the run.
	release, err := Lock(dir)
	if err != nil {
		return nil, &agent.InputError{Err: err}
	}
	defer release()
	_, err = os.Stat(filepath.Join(dir, FinalCkpt))
	evalOnly := err == nil // stopped after final.ckpt, before eval.json
	if _, err := os.Stat(filepath.Join(dir, EvalFile)); err == nil && evalOnly {
		return nil, fmt.Errorf("run %s has already finished (it has %s and %s): %w", dir, FinalCkpt, EvalFile, ErrFinished)
	}
	cfg, err := configs.Load(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, refuse("%w", err)
	}
	t, err := agent.New(cfg)
	if err != nil {
		return nil, &agent.InputError{Err: err}
	}
	defer t.Close()
	if evalOnly {
		return finishEvaluation(ctx, dir, cfg, t, notes)
	}
	// Rows lost in an OS crash (they are not synced until a checkpoint)
	// can leave checkpoints past the end of the logs. Those are kept, to be
	// rewritten identically as the run passes them, and the run resumes from
	// the newest checkpoint the logs reach.
	covered, err := loggedRows(dir)
	if err != nil {
		return nil, refuse("%w", err)
	}
	paths := periodicCheckpoints(dir)
	var restored string
	var past []int       // updates of checkpoints past the logs
	var broken []string  // why each unreadable checkpoint was skipped
	var skipped []string // the notes saying so, shown only if the run goes on
	for i := len(paths) - 1; i >= 0; i-- {
		path := paths[i]
		if u, _ := checkpointUpdate(path); u > covered {
			past = append(past, u)
			continue
		}
		c, err := checkpoint.Read(path)
		if err != nil {
			broken = append(broken, err.Error())
			skipped = append(skipped, fmt.Sprintf("skipping checkpoint %s: %v", filepath.Base(path), err))
			continue
		}
		trained, err := agent.TrainedWith(c)
		if err != nil {
			return nil, refuse("%s: %w", filepath.Base(path), err)
		}
		if trained != nil {
			if d := trainedDiff(trained, cfg); len(d) > 0 {
				return nil, refuse("%s differs from the config %s was trained with (checkpoint vs %s): %s; restore %s or train a new run",
					ConfigFile, filepath.Base(path), ConfigFile, strings.Join(d, ", "), ConfigFile)
			}
		}
		if err := t.Restore(c); err != nil {
			return nil, refuse("%s does not match %s: %w", filepath.Base(path), ConfigFile, err)
		}
		restored = path
		if t.EnvRestarted() && notes != nil {
			fmt.Fprintf(notes, "the environment cannot save its state (its server has no save and load): resuming %s with fresh episodes, so the run does not continue exactly as an uninterrupted one\n", dir)
		}
		break
	}
	switch {
	case restored == "" && len(past) > 0:
		oldest := past[len(past)-1]
		return nil, refuse("the logs hold rows up to update %d but the oldest checkpoint is at update %d: rows %d-%d are missing (lost in a crash?), so the run cannot continue with whole logs",
			covered, oldest, covered+1, oldest)
	case restored == "" && len(broken) > 0:
		// broken runs newest first: name that one and count the rest, so
		// the line stays one line however many checkpoints there are.
		more := ""
		switch n := len(broken) - 1; {
		case n == 1:
			more = "; 1 older one is unreadable too"
		case n > 1:
			more = fmt.Sprintf("; %d older ones are unreadable too", n)
		}
		return nil, refuse("no intact checkpoint (the newest: %s%s); nothing was changed", broken[0], more)
	}
	if notes != nil {
		for _, n := range skipped {
			fmt.Fprintln(notes, n)
		}
	}
	if notes != nil && len(past) > 0 {
		fmt.Fprintf(notes, "the logs end at update %d, before the checkpoints at updates %s; resuming from an earlier one (those are rewritten as the run passes them)\n",
			covered, joinInts(past))
	}
	if notes != nil {
		if restored == "" {
			// Killed before its first checkpoint: nothing to keep, so the
			// run starts again and its logs restart empty.
			fmt.Fprintf(notes, "run %s has no checkpoint; starting it again from the beginning\n", dir)
		} else {
			fmt.Fprintf(notes, "resuming %s from %s (update %d)\n", dir, filepath.Base(restored), t.Update())
		}
	}
	var rd *RunDir
	if restored == "" {
		rd, err = restartRunDir(dir, t.HasReference(), logLayout(cfg)...)
	} else {
		rd, err = openRunDir(dir, t.Update(), t.HasReference(), logLayout(cfg)...)
	}
	if err != nil {
		return nil, err
	}
	if err := addStamp(dir, t.Update()); err != nil {
		rd.Close()
		return nil, err
	}
	// The run is tried again: an earlier failure no longer describes it.
	if err := os.Remove(filepath.Join(dir, ErrorFile)); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	// Earlier processes of this run wrote the checkpoints trained with its
	// config; pruning may remove those, never others placed beside them.
	for _, path := range paths {
		if c, err := checkpoint.Read(path); err == nil && sameRun(c, cfg, t) {
			rd.own[filepath.Base(path)] = true
		}
	}
	return train(ctx, t, cfg, rd, p)
}

// sameRun says whether c was written by a run of cfg, trained by t: its
// recorded config equals cfg or, for a version 1 checkpoint, which does not
// record it, its environment and network match t's.
func sameRun(c *checkpoint.Checkpoint, cfg *configs.Config, t *agent.Trainer) bool {
	trained, err := agent.TrainedWith(c)
	if err != nil {
		return false
	}
	if trained != nil {
		return len(trainedDiff(trained, cfg)) == 0
	}
	pol, st, err := agent.FromCheckpoint(c)
	return err == nil && st.EnvID == cfg.Env.ID && reflect.DeepEqual(pol.Spec, t.Policy().Spec)
}

// Progress receives a run's metrics rows and warnings as they are produced.
type Progress interface {
	// Row is called after every update; updates is the run's total.
	Row(m agent.Metrics, updates int)
	// Warn reports a problem with the run's health.
	Warn(msg string)
}

// train runs the remaining updates, logging into rd and checkpointing.
func train(ctx context.Context, t *agent.Trainer, cfg *configs.Config, rd *RunDir, p Progress) (*Summary, error) {
	defer rd.Close()
	if cfg.Log.TensorBoard {
		if err := rd.EnableTensorBoard(); err != nil {
			return nil, err
		}
	}
	if p != nil {
		t.Warn = p.Warn
	}
	ev := t.Evaluator()
	bg := &saver{rd: rd, keep: cfg.Log.KeepCheckpoints}
	defer bg.wait() // on an early return, before rd.Close
	var last agent.Metrics
	var finalTasks []TaskResult
	t.OnUpdate = func(m agent.Metrics) error {
		if cfg.Eval.Every > 0 && m.Update%cfg.Eval.Every == 0 && m.Update < t.Updates() {
			seed := EvalSeed(cfg.Seed) + uint64(m.Update)
			r, err := ev.Run(cfg.Eval.Episodes, seed, cfg.Eval.Deterministic)
			if err != nil {
				return err
			}
			m.EvalReturnMean = &r.MeanReturn
			if _, err := evalTasks(t, cfg, seed, &m); err != nil {
				return err
			}
		}
		if m.Update == t.Updates() && len(cfg.Eval.Tasks) > 0 {
			// The final evaluation's tasks, also in eval.json.
			var err error
			if finalTasks, err = evalTasks(t, cfg, EvalSeed(cfg.Seed), &m); err != nil {
				return err
			}
		}
		if err := rd.Append(m); err != nil {
			return fmt.Errorf("writing metrics: %w", err)
		}
		last = m
		if n := cfg.Log.CheckpointEvery; n > 0 && m.Update%n == 0 && m.Update < t.Updates() {
			b, err := checkpointBytes(t)
			if err != nil {
				return err
			}
			if err := bg.save(b, rd.CheckpointPath(m.Update)); err != nil {
				return err
			}
		}
		// Shown once written, so what a user sees is on disk.
		if p != nil {
			p.Row(m, t.Updates())
		}
		return nil
	}
	runErr := t.Run(ctx)
	// The periodic checkpoint in flight is written, or its error known,
	// before the run's last checkpoint and before the logs close.
	if err := bg.wait(); err != nil {
		return nil, errors.Join(runErr, err)
	}
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) && t.Update() > 0 {
			if err := saveSynced(t, rd, rd.CheckpointPath(t.Update())); err != nil {
				return nil, errors.Join(runErr, err)
			}
		}
		if !errors.Is(runErr, context.Canceled) {
			RecordFailure(rd.Path, runErr)
		}
		return nil, runErr
	}
	if err := saveSynced(t, rd, filepath.Join(rd.Path, FinalCkpt)); err != nil {
		return nil, err
	}
	r, err := finalEvaluation(ctx, t, cfg, rd.Path, finalTasks)
	if err != nil {
		if !errors.Is(err, context.Canceled) { // an interrupt: a resume plays it
			RecordFailure(rd.Path, err)
		}
		return nil, err
	}
	return &Summary{Dir: rd.Path, Updates: t.Update(), Steps: t.Timesteps(), Eval: r, Last: last}, nil
}

// RecordFailure writes why a run failed, err on one line, into the run
// directory dir's error.txt (making dir if need be), so that ppo inspect
// and sweep summaries report it; a resume removes it. It returns that
// line, and the error of writing it.
func RecordFailure(dir string, err error) (string, error) {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if werr := os.MkdirAll(dir, 0o777); werr != nil {
		return msg, werr
	}
	return msg, atomicfile.Write(filepath.Join(dir, ErrorFile), []byte(msg+"\n"))
}

// finalEvaluation plays the run's final evaluation with t's policy and
// writes it, with the eval.tasks results tasks, into dir's eval.json; it
// stops, writing nothing, once ctx is done.
func finalEvaluation(ctx context.Context, t *agent.Trainer, cfg *configs.Config, dir string, tasks []TaskResult) (agent.EvalResult, error) {
	r, err := t.Evaluator().RunContext(ctx, cfg.Eval.Episodes, EvalSeed(cfg.Seed), cfg.Eval.Deterministic)
	if err != nil {
		return r, err
	}
	ej, _ := json.MarshalIndent(EvalReport{EvalResult: r, Tasks: tasks}, "", "  ")
	return r, atomicfile.Write(filepath.Join(dir, EvalFile), append(ej, '\n'))
}

// finishEvaluation completes a run of cfg stopped after its final
// checkpoint but before its evaluation was written: it restores
// final.ckpt into t, plays the evaluation, as the run would have, and
// writes eval.json.
func finishEvaluation(ctx context.Context, dir string, cfg *configs.Config, t *agent.Trainer, notes io.Writer) (*Summary, error) {
	refuse := func(err error) error { return &agent.InputError{Err: fmt.Errorf("resume %s: %w", dir, err)} }
	c, err := checkpoint.Read(filepath.Join(dir, FinalCkpt))
	if err != nil {
		return nil, refuse(err)
	}
	if err := t.Restore(c); err != nil {
		return nil, refuse(fmt.Errorf("%s does not match %s: %w", FinalCkpt, ConfigFile, err))
	}
	if notes != nil {
		fmt.Fprintf(notes, "run %s has its %s but no %s: playing its final evaluation\n", dir, FinalCkpt, EvalFile)
	}
	var m agent.Metrics // the tasks' results are in the last row already
	tasks, err := evalTasks(t, cfg, EvalSeed(cfg.Seed), &m)
	if err != nil {
		return nil, err
	}
	r, err := finalEvaluation(ctx, t, cfg, dir, tasks)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			RecordFailure(dir, err)
		}
		return nil, err
	}
	if err := os.Remove(filepath.Join(dir, ErrorFile)); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return &Summary{Dir: dir, Updates: t.Update(), Steps: t.Timesteps(), Eval: r, Last: lastRow(dir)}, nil
}

// lastRow is the last row of dir's metrics.jsonl; zero if it has none.
func lastRow(dir string) agent.Metrics {
	var m agent.Metrics
	b, _ := os.ReadFile(filepath.Join(dir, JSONLFile))
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	json.Unmarshal(lines[len(lines)-1], &m)
	return m
}

// EvalReport is the content of eval.json: the evaluation on the training task and
// one on each of eval.tasks, in order.
type EvalReport struct {
	agent.EvalResult
	Tasks []TaskResult `json:"tasks,omitempty"`
}

// TaskResult is the evaluation on one of eval.tasks.
type TaskResult struct {
	Name string `json:"name"`
	agent.EvalResult
}

// evalTasks evaluates every task of eval.tasks with the same seed as the main evaluation
// at this point, so a task identical to the training one gives the same episodes, and
// stores the results into m.
func evalTasks(t *agent.Trainer, cfg *configs.Config, seed uint64, m *agent.Metrics) ([]TaskResult, error) {
	if len(cfg.Eval.Tasks) == 0 {
		return nil, nil
	}
	m.Tasks = map[string]agent.TaskMetrics{}
	var out []TaskResult
	for _, task := range cfg.Eval.Tasks {
		r, err := t.TaskEvaluator(task).Run(cfg.Eval.Episodes, seed, cfg.Eval.Deterministic)
		if err != nil {
			return nil, fmt.Errorf("eval task %s: %w", task.Name, err)
		}
		m.Tasks[task.Name] = agent.TaskMetrics{Return: r.MeanReturn, KLRef: r.KLRef}
		out = append(out, TaskResult{Name: task.Name, EvalResult: r})
	}
	return out, nil
}

// logLayout is the optional CSV columns of a run of cfg.
func logLayout(cfg *configs.Config) []string {
	var cols []string
	if cfg.KL.Reference.Checkpoint != "" && cfg.KL.Reference.Placement == configs.PlacementReward {
		cols = append(cols, "reward_kl", "shaped_return_mean")
	}
	for _, task := range cfg.Eval.Tasks {
		cols = append(cols, TaskColumn(task.Name, "return"))
		if cfg.KL.Reference.Checkpoint != "" {
			cols = append(cols, TaskColumn(task.Name, "kl_ref"))
		}
	}
	return cols
}

// TaskColumn is the name of a task's quantity in metrics.csv, and in the flattened
// metrics.jsonl rows that ppo plot and ppo inspect read: tasks.NAME.QUANTITY.
func TaskColumn(task, quantity string) string { return "tasks." + task + "." + quantity }

// EvalSeed is the seed of a run's final evaluation (eval.json) and the
// default of ppo eval: seed·1000003 + 24301 (0x5eed), away from the
// training envs' seeds. The periodic evaluation after update u uses
// EvalSeed(seed) + u. Each of eval.tasks is evaluated with the seed of the
// main evaluation it goes with (so ppo eval --task reproduces eval.json's
// entry); evaluations use their own env and action stream, never the
// training ones.
func EvalSeed(seed uint64) uint64 {
	return seed*1_000_003 + 0x5eed
}

// saveSynced writes t's checkpoint to path after syncing the logs, so a
// checkpoint on disk never runs ahead of the rows it follows, even after
// an OS crash.
func saveSynced(t *agent.Trainer, rd *RunDir, path string) error {
	b, err := checkpointBytes(t)
	if err != nil {
		return err
	}
	return rd.save(b, path, 0)
}

// checkpointBytes is t's checkpoint as it is now, encoded.
func checkpointBytes(t *agent.Trainer) ([]byte, error) {
	c, err := t.Checkpoint()
	if err != nil {
		return nil, err
	}
	return c.MarshalBinary()
}

// save syncs the logs, writes the encoded checkpoint b to path and prunes
// the run's periodic checkpoints to the newest keep (0 keeps all).
func (r *RunDir) save(b []byte, path string, keep int) error {
	if err := r.Sync(); err != nil {
		return fmt.Errorf("syncing the logs: %w", err)
	}
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("writing checkpoint: %w", err)
	}
	r.own[filepath.Base(path)] = true
	return r.prune(keep)
}

// saver writes periodic checkpoints on a goroutine of its own, so that
// training does not wait for the disk's syncs (a visible part of the wall
// time of a run with short updates, such as CleanRL's CartPole). The
// checkpoint is encoded on the training goroutine, so it holds the state
// after its update; at most one save is in flight, and a failed save stops
// the run at the next checkpoint or at its end.
type saver struct {
	rd   *RunDir
	keep int
	done chan error // the save in flight's result; nil when none is
}

// save starts writing the encoded checkpoint b to path once the previous
// save is done, and returns that save's error.
func (s *saver) save(b []byte, path string) error {
	if err := s.wait(); err != nil {
		return err
	}
	done := make(chan error, 1)
	s.done = done
	go func() { done <- s.rd.save(b, path, s.keep) }()
	return nil
}

// wait waits for the save in flight, if any, and returns its error.
func (s *saver) wait() error {
	if s.done == nil {
		return nil
	}
	err := <-s.done
	s.done = nil
	return err
}

// Evaluation is a trained policy ready to play, with the defaults that
// reproduce its run's eval.json.
type Evaluation struct {
	*agent.Evaluator
	// Checkpoint is the file the policy came from.
	Checkpoint string
	// Episodes and Seed are the run's eval.episodes and EvalSeed of its
	// seed; 10 and 0 when the run's config is unknown (a version 1
	// checkpoint outside its run directory).
	Episodes int
	Seed     uint64
	// Config is the config the policy was trained with; nil when unknown.
	Config *configs.Config
	// Task names the eval.tasks entry being played; empty for the run's own env.
	Task string
}

// UseTask makes e play the run's eval.tasks entry name, with the KL to the run's
// reference policy measured as during training, so that it reproduces eval.json's
// entry for the task.
func (e *Evaluation) UseTask(name string) error {
	if e.Config == nil {
		return fmt.Errorf("%s does not record its config, so it has no eval.tasks", e.Checkpoint)
	}
	task, ok := e.Config.Task(name)
	if !ok {
		names := e.Config.TaskNames()
		if len(names) == 0 {
			return fmt.Errorf("unknown task %q: the run has no eval.tasks", name)
		}
		return fmt.Errorf("unknown task %q (the run's eval.tasks: %s)", name, strings.Join(names, ", "))
	}
	if e.Config.KL.Reference.Checkpoint != "" {
		var err error
		if e.Ref, e.RefDirection, err = agent.RunReference(e.Config); err != nil {
			return err
		}
	}
	e.EnvID, e.Params, e.Task = task.EnvID(e.Config), task.Params, name
	return nil
}

// LoadEvaluator reads a checkpoint, or a run directory's final checkpoint
// (its newest when the run did not finish), for evaluation.
func LoadEvaluator(path string) (*Evaluation, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("no run directory or checkpoint at %s", path)
	}
	ckpt, dir := path, filepath.Dir(path)
	if st.IsDir() {
		if ckpt, err = newestCheckpoint(path); err != nil {
			return nil, err
		}
		dir = path
	}
	c, err := checkpoint.Read(ckpt)
	if err != nil {
		return nil, err
	}
	pol, state, err := agent.FromCheckpoint(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ckpt, err)
	}
	if state.EnvID == "" {
		return nil, fmt.Errorf("%s: checkpoint does not name its environment", ckpt)
	}
	cfg, err := agent.TrainedWith(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ckpt, err)
	}
	if cfg == nil { // version 1: the run directory's config, if there is one
		cfg, _ = configs.Load(filepath.Join(dir, ConfigFile))
	}
	e := &Evaluation{
		Evaluator: &agent.Evaluator{Policy: pol, ObsStats: state.ObsStats, ClipObs: state.ClipObs, EnvID: state.EnvID, Params: state.EnvParams,
			TextParams: state.EnvTextParams, MaxEpisodeSteps: state.MaxEpisodeSteps},
		Checkpoint: ckpt,
		Episodes:   10,
	}
	if cfg != nil {
		e.Episodes, e.Seed, e.Config = cfg.Eval.Episodes, EvalSeed(cfg.Seed), cfg
		e.Evaluator.Masking = cfg.Policy.ActionMasking
		e.Evaluator.External = cfg.Env.External
		e.Evaluator.Check = cfg.Env.NaNCheck
		// Where the program starts is the run directory's to say: a user
		// who moved it edits env.external.dir in config.yaml.
		if rc, err := configs.Load(filepath.Join(dir, ConfigFile)); err == nil && rc.Env.ID == configs.ExternalEnv && rc.Env.External.Dir != "" {
			e.Evaluator.External.Dir = rc.Env.External.Dir
		}
	}
	return e, nil
}

func newestCheckpoint(dir string) (string, error) {
	final := filepath.Join(dir, FinalCkpt)
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	m := periodicCheckpoints(dir)
	if len(m) == 0 {
		return "", fmt.Errorf("run directory %s holds no checkpoint (.ckpt)", dir)
	}
	return m[len(m)-1], nil
}

// DefaultRunDir names a run directory under parent from the config name,
// the seed and a timestamp string.
func DefaultRunDir(parent, name string, seed uint64, stamp string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' {
			return '_'
		}
		return r
	}, name)
	return filepath.Join(parent, fmt.Sprintf("%s-s%d-%s", name, seed, stamp))
}

// periodicCheckpoints lists dir's ckpt-NNNNNN.ckpt files in update order.
func periodicCheckpoints(dir string) []string {
	paths, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.ckpt"))
	var out []string
	for _, p := range paths {
		if _, ok := checkpointUpdate(p); ok {
			out = append(out, p)
		}
	}
	sort.Strings(out) // zero-padded, so by update
	return out
}

// checkpointUpdate reads the update number from a periodic checkpoint's name.
func checkpointUpdate(path string) (int, bool) {
	var u int
	name := filepath.Base(path)
	if n, err := fmt.Sscanf(name, ckptPattern, &u); n != 1 || err != nil || fmt.Sprintf(ckptPattern, u) != name {
		return 0, false
	}
	return u, true
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[len(xs)-1-i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// trainedDiff is configs.Diff of the config a checkpoint was trained with
// and the run's config.yaml, but for env.external.dir: where the env's
// program is started is not what the run trains, and a user moves it by
// editing config.yaml.
func trainedDiff(trained, cfg *configs.Config) []string {
	var d []string
	for _, f := range configs.Diff(trained, cfg) {
		if !strings.HasPrefix(f, "env.external.dir ") {
			d = append(d, f)
		}
	}
	return d
}
