package sweep

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/stat"
	"gopkg.in/yaml.v3"

	"ppo/agent"
	"ppo/internal/rundir"
)

// tinySpec is 2 combinations × 2 seeds of the tiny config; the grid moves
// the KL target so the band differs between combinations, and the high
// constant learning rate puts some updates' KL inside the band and some
// outside.
func tinySpec(t *testing.T) *Spec {
	t.Helper()
	s, err := newSpec("tiny.yaml", nil, tinyBase(t, "ppo.learning_rate=0.01", "ppo.lr_schedule=constant"),
		axes(t, "kl.controller.target=0.001,0.01"), []uint64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sweepOnce runs s (or a shard of it) into a fresh directory.
func sweepOnce(t *testing.T, s *Spec, dir string, opt Options) *Summary {
	t.Helper()
	sum, err := Run(context.Background(), s, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// untimed is the summary's JSON with the timing fields (sps, wall_seconds)
// removed, which vary between identical runs.
func untimed(t *testing.T, s *Summary) string {
	t.Helper()
	return untimedJSON(t, s.JSON())
}

// untimedJSON is untimed for a summary's JSON text.
func untimedJSON(t *testing.T, summary []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(summary, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "sps")
			delete(x, "wall_seconds")
			for _, e := range x {
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

// TestSummaryNumbers recomputes every summary number from the runs' own
// files, read generically, with gonum's stat (an independent mean and
// n-1 standard deviation).
func TestSummaryNumbers(t *testing.T) {
	s := tinySpec(t)
	dir := t.TempDir()
	var progress bytes.Buffer
	sum := sweepOnce(t, s, dir, Options{Parallel: 1, Progress: &progress})
	if sum.Jobs != 4 || sum.Finished != 4 || len(sum.Missing) != 0 || len(sum.Combos) != 2 || sum.Shard != "all" {
		t.Fatalf("summary header: %+v", sum)
	}
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("progress: %q", progress.String())
	}
	for k, j := range s.Jobs() {
		// Lines come in job order with one worker.
		want := j.Label + " seed " + []string{"1", "2"}[j.Seed-1] + ": eval return "
		if !strings.Contains(lines[k], want) || !strings.HasSuffix(lines[k], " s") {
			t.Errorf("progress line %d %q lacks %q and a wall time", k, lines[k], want)
		}
	}
	partial := 0 // runs with some updates in the band and some not
	for ci, c := range sum.Combos {
		var ev, ep, klm, band []float64
		for _, r := range c.Runs {
			run := filepath.Join(dir, r.Dir)
			var e map[string]any
			b, _ := os.ReadFile(filepath.Join(run, rundir.EvalFile))
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatal(err)
			}
			var cfg map[string]any
			b, _ = os.ReadFile(filepath.Join(run, rundir.ConfigFile))
			if err := yaml.Unmarshal(b, &cfg); err != nil {
				t.Fatal(err)
			}
			ctl := cfg["kl"].(map[string]any)["controller"].(map[string]any)
			target := toF(ctl["target"])
			low, high := 1/1.5, 1.5 // preset schulman2017: PPO paper section 4
			if want := [2]float64{target * low, target * high}; r.KLBand != want {
				t.Errorf("%s: band %v, want %v", r.Dir, r.KLBand, want)
			}
			if want := []float64{0.001, 0.01}[ci]; target != want {
				t.Errorf("%s: config target %v, want %v", r.Dir, target, want)
			}
			rows := jsonl(t, filepath.Join(run, rundir.JSONLFile))
			var kls []float64
			in := 0
			for _, row := range rows {
				k := row["kl"].(float64)
				kls = append(kls, k)
				if target*low <= k && k <= target*high {
					in++
				}
			}
			last := rows[len(rows)-1]
			ev = append(ev, e["mean_return"].(float64))
			if last["episode_return_mean"] != nil {
				ep = append(ep, last["episode_return_mean"].(float64))
			}
			klm = append(klm, stat.Mean(kls, nil))
			band = append(band, float64(in)/float64(len(rows)))
			if r.Updates != len(rows) || r.Updates != 4 || r.Timesteps != int(last["timesteps"].(float64)) {
				t.Errorf("%s: %d updates, %d steps; file has %d rows", r.Dir, r.Updates, r.Timesteps, len(rows))
			}
			near(t, r.Dir+" eval", r.EvalReturn, ev[len(ev)-1])
			near(t, r.Dir+" kl", r.KLMean, klm[len(klm)-1])
			near(t, r.Dir+" band", r.KLInBand, band[len(band)-1])
			if 0 < in && in < len(rows) {
				partial++
			}
		}
		for _, q := range []struct {
			name string
			got  Stat
			xs   []float64
		}{{"eval_return", c.EvalReturn, ev}, {"episode_return", c.EpisodeReturn, ep}, {"kl_mean", c.KLMean, klm}, {"kl_in_band", c.KLInBand, band}} {
			if q.got.N != 2 || len(q.xs) != 2 || q.got.Mean == nil || q.got.Std == nil {
				t.Errorf("%s %s: %+v from %v", c.Label, q.name, q.got, q.xs)
				continue
			}
			near(t, c.Label+" "+q.name+" mean", *q.got.Mean, stat.Mean(q.xs, nil))
			near(t, c.Label+" "+q.name+" std", *q.got.Std, stat.StdDev(q.xs, nil))
		}
	}
	if partial == 0 {
		t.Error("no run has its KL in the band for only some updates: the band check is not exercised")
	}
	// The written files hold the same summary; the markdown has one row
	// per combination with the label and the run count.
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil || !bytes.Equal(b, sum.JSON()) {
		t.Errorf("summary.json differs from the returned summary (%v)", err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	for _, c := range sum.Combos {
		if !strings.Contains(string(md), "| "+c.Label+" | 2/2 | ") {
			t.Errorf("summary.md lacks a row for %s:\n%s", c.Label, md)
		}
		if c.KLPenalty == nil || !*c.KLPenalty {
			t.Errorf("%s: kl_penalty %v, want true (the default objective)", c.Label, c.KLPenalty)
		}
	}
	// Running the same sweep again keeps the finished runs and gives the
	// same summary, timings included.
	var again bytes.Buffer
	sum2 := sweepOnce(t, s, dir, Options{Parallel: 1, Progress: &again})
	if !bytes.Equal(sum2.JSON(), sum.JSON()) || !strings.Contains(again.String(), "keeping 4 runs") {
		t.Errorf("rerun: %q", again.String())
	}
}

// near compares two computations of one number; 1e-12 relative allows
// for summation order only.
func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func toF(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

func jsonl(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, m)
	}
	return rows
}

// TestParallelShardsCollect: --parallel 1 and 3 give the same summary; two
// shards in separate directories, and two shards in one shared directory,
// collect to that same summary; every run's log matches row for row.
func TestParallelShardsCollect(t *testing.T) {
	s := tinySpec(t)
	tmp := t.TempDir()
	serial := filepath.Join(tmp, "serial")
	want := untimed(t, sweepOnce(t, s, serial, Options{Parallel: 1}))
	par := filepath.Join(tmp, "parallel")
	if got := untimed(t, sweepOnce(t, s, par, Options{Parallel: 3})); got != want {
		t.Errorf("parallel 3 summary:\n%s\nwant\n%s", got, want)
	}
	for _, j := range s.Jobs() {
		a, b := jsonl(t, filepath.Join(serial, j.Dir(), rundir.JSONLFile)), jsonl(t, filepath.Join(par, j.Dir(), rundir.JSONLFile))
		for _, rows := range [][]map[string]any{a, b} {
			for _, r := range rows {
				delete(r, "sps")
				delete(r, "wall_seconds")
			}
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: logs differ between parallel 1 and 3", j.Dir())
		}
	}

	// Separate directories, each shard with its partial summary.
	d0, d1 := filepath.Join(tmp, "s0"), filepath.Join(tmp, "s1")
	p0 := sweepOnce(t, s, d0, Options{Parallel: 2, Shard: Shard{0, 2}})
	p1 := sweepOnce(t, s, d1, Options{Parallel: 1, Shard: Shard{1, 2}})
	if p0.Jobs != 2 || p1.Jobs != 2 || p0.Shard != "0/2" || p0.Finished != 2 {
		t.Errorf("shard summaries: %+v / %+v", p0, p1)
	}
	for _, j := range s.Jobs() {
		in, other := d0, d1
		if j.Index%2 == 1 {
			in, other = d1, d0
		}
		if _, err := os.Stat(filepath.Join(in, j.Dir(), rundir.EvalFile)); err != nil {
			t.Errorf("job %d not in its shard: %v", j.Index, err)
		}
		if _, err := os.Stat(filepath.Join(other, j.Dir())); err == nil {
			t.Errorf("job %d also in the other shard", j.Index)
		}
	}
	if _, err := os.Stat(filepath.Join(d0, "summary.shard-0-of-2.json")); err != nil {
		t.Error(err)
	}
	_, got, err := Collect([]string{d0, d1})
	if err != nil {
		t.Fatal(err)
	}
	if u := untimed(t, got); u != want {
		t.Errorf("collected summary:\n%s\nwant\n%s", u, want)
	}

	// One shared directory, shards run at once.
	shared := filepath.Join(tmp, "shared")
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Run(context.Background(), s, shared, Options{Parallel: 1, Shard: Shard{i, 2}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, got, err = Collect([]string{shared}); err != nil || untimed(t, got) != want {
		t.Errorf("collected shared directory (%v):\n%s", err, untimed(t, got))
	}

	// A missing job is reported with its state and shard.
	os.RemoveAll(filepath.Join(d1, s.Jobs()[3].Dir()))
	os.Remove(filepath.Join(d1, s.Jobs()[1].Dir(), rundir.EvalFile))
	_, got, err = Collect([]string{d0, d1})
	if err != nil {
		t.Fatal(err)
	}
	wantMissing := []Missing{
		{Job: 1, Label: s.Jobs()[1].Label, Seed: 2, Dir: s.Jobs()[1].Dir(), State: "unfinished", Shard: "1/2"},
		{Job: 3, Label: s.Jobs()[3].Label, Seed: 2, Dir: s.Jobs()[3].Dir(), State: "absent", Shard: "1/2"},
	}
	if got.Finished != 2 || !reflect.DeepEqual(got.Missing, wantMissing) {
		t.Errorf("missing: %+v, finished %d", got.Missing, got.Finished)
	}
	md := string(got.Markdown())
	if !strings.Contains(md, "## Missing runs (2)") || !strings.Contains(md, "job 3: "+s.Jobs()[3].Label+" seed 2") {
		t.Errorf("markdown does not list the missing runs:\n%s", md)
	}
	// Re-running shard 1 refuses the unfinished run and leaves it alone.
	_, err = Run(context.Background(), s, d1, Options{Parallel: 1, Shard: Shard{1, 2}})
	var in *agent.InputError
	if !errors.As(err, &in) || !strings.Contains(err.Error(), "unfinished run") {
		t.Errorf("rerun over an unfinished run: %v", err)
	}

	// Shards of different sweeps are refused.
	other, _ := newSpec("tiny.yaml", nil, tinyBase(t, "ppo.learning_rate=0.01", "ppo.lr_schedule=constant"),
		axes(t, "kl.controller.target=0.001,0.01"), []uint64{1, 2, 3})
	od := filepath.Join(tmp, "other")
	if err := other.Claim(od); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Collect([]string{d0, od}); !errors.As(err, &in) || !strings.Contains(err.Error(), "hold different sweeps: seeds differ") {
		t.Errorf("collect of different sweeps: %v", err)
	}
	if _, _, err := Collect([]string{d0, tmp}); !errors.As(err, &in) || !strings.Contains(err.Error(), "not a sweep directory") {
		t.Errorf("collect of a non-sweep directory: %v", err)
	}
}

// cancelOnLine cancels a context when the n-th progress line arrives.
type cancelOnLine struct {
	mu     sync.Mutex
	n      int
	cancel context.CancelFunc
	buf    bytes.Buffer
}

func (c *cancelOnLine) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return len(p), nil
}

// TestInterrupt: cancelling after the first run starts no further run,
// writes a partial summary and returns context.Canceled; running the sweep
// again finishes it with the summary of an uninterrupted sweep. The
// cancel happens inside the write of the first run's progress line, before
// the single worker asks for the next job, so no timing is involved.
func TestInterrupt(t *testing.T) {
	s := tinySpec(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOnLine{n: 1, cancel: cancel}
	sum, err := Run(ctx, s, dir, Options{Parallel: 1, Progress: w})
	if !errors.Is(err, context.Canceled) || sum == nil {
		t.Fatalf("interrupted sweep: %v", err)
	}
	if sum.Finished != 1 || len(sum.Missing) != 3 || sum.Missing[0].State != "absent" {
		t.Errorf("partial summary: finished %d, missing %+v", sum.Finished, sum.Missing)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil || !bytes.Equal(b, sum.JSON()) {
		t.Errorf("partial summary.json not written (%v)", err)
	}
	for _, j := range s.Jobs()[1:] {
		if _, err := os.Stat(filepath.Join(dir, j.Dir())); err == nil {
			t.Errorf("job %d started after the interrupt", j.Index)
		}
	}
	full := sweepOnce(t, s, dir, Options{Parallel: 2})
	ref := sweepOnce(t, s, t.TempDir(), Options{Parallel: 2})
	if untimed(t, full) != untimed(t, ref) {
		t.Errorf("resumed sweep differs from an uninterrupted one")
	}
}

// TestInterruptMidRun: a run cancelled while training keeps its checkpoint
// and is reported unfinished; running the sweep again refuses it without
// Resume, and with Resume continues it to the summary of an uninterrupted
// sweep. An unfinished run without a checkpoint is trained afresh. The
// context is cancelled from Options.OnRow once the first run has logged
// update 2, so the run stops after exactly that update, however fast the
// machine.
func TestInterruptMidRun(t *testing.T) {
	// 32 updates per run, a checkpoint after each.
	s, err := newSpec("tiny.yaml", nil, tinyBase(t, "total_timesteps=4096", "log.checkpoint_every=1"),
		axes(t, "ppo.learning_rate=0.001,0.003"), []uint64{1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := filepath.Join(dir, s.Jobs()[0].Dir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const stopAt = 2
	var rows []int // updates seen by OnRow, per job
	onRow := func(j Job, m agent.Metrics) {
		rows = append(rows, j.Index*1000+m.Update)
		if j.Index == 0 && m.Update == stopAt {
			cancel()
		}
	}
	sum, err := Run(ctx, s, dir, Options{Parallel: 1, OnRow: onRow})
	if !errors.Is(err, context.Canceled) || sum == nil {
		t.Fatalf("interrupted sweep: %v", err)
	}
	if !reflect.DeepEqual(rows, []int{1, 2}) {
		t.Errorf("OnRow saw job*1000+update %v, want [1 2]", rows)
	}
	if len(sum.Missing) != 2 || sum.Missing[0].State != "unfinished" || sum.Missing[1].State != "absent" {
		t.Fatalf("missing %+v", sum.Missing)
	}
	if n := len(jsonl(t, filepath.Join(run, rundir.JSONLFile))); n != stopAt {
		t.Errorf("the interrupted run logged %d rows, want %d", n, stopAt)
	}
	if _, err := os.Stat(filepath.Join(run, "ckpt-000002.ckpt")); err != nil {
		t.Errorf("the interrupted run has no checkpoint of update %d: %v", stopAt, err)
	}
	// Make the second job an unfinished run with no checkpoint: a process
	// killed before its first update.
	cfg, _ := s.Config(s.Jobs()[1])
	y, _ := cfg.YAML()
	second := filepath.Join(dir, s.Jobs()[1].Dir())
	os.MkdirAll(second, 0o755)
	os.WriteFile(filepath.Join(second, rundir.ConfigFile), y, 0o644)

	_, err = Run(context.Background(), s, dir, Options{Parallel: 1})
	var in *agent.InputError
	if !errors.As(err, &in) || !strings.Contains(err.Error(), "unfinished run; rerun with --resume") {
		t.Fatalf("rerun without Resume: %v", err)
	}
	// While another process trains them, neither run is resumed,
	// restarted or removed.
	var locks []func()
	before := map[string]string{}
	for _, d := range []string{run, second} {
		release, err := rundir.Lock(d)
		if err != nil {
			t.Fatal(err)
		}
		locks = append(locks, release)
		for k, v := range files(t, d) {
			before[d+"/"+k] = v
		}
	}
	var busy bytes.Buffer
	if _, err := Run(context.Background(), s, dir, Options{Parallel: 1, Resume: true, Progress: &busy}); err == nil ||
		!strings.Contains(err.Error(), "2 of 2 runs are unfinished, left alone") {
		t.Fatalf("a sweep resuming runs in use by another process returned %v", err)
	}
	for _, want := range []string{"not resumed: run directory " + run + " is in use", "not restarted: run directory " + second + " is in use"} {
		if !strings.Contains(busy.String(), want) {
			t.Errorf("progress %q lacks %q", busy.String(), want)
		}
	}
	after := map[string]string{}
	for _, d := range []string{run, second} {
		for k, v := range files(t, d) {
			after[d+"/"+k] = v
		}
	}
	if !reflect.DeepEqual(before, after) {
		t.Error("the sweep changed runs in use by another process")
	}
	for _, release := range locks {
		release()
	}
	var progress bytes.Buffer
	got := sweepOnce(t, s, dir, Options{Parallel: 2, Resume: true, Progress: &progress})
	if !strings.Contains(progress.String(), "(resumed)") || !strings.Contains(progress.String(), "(restarted)") {
		t.Errorf("progress: %q", progress.String())
	}
	ref := sweepOnce(t, s, t.TempDir(), Options{Parallel: 2})
	if untimed(t, got) != untimed(t, ref) {
		t.Errorf("resumed sweep:\n%s\nwant\n%s", untimed(t, got), untimed(t, ref))
	}
}

// TestRunStartedElsewhere: a job that was absent when the sweep was planned
// but has been started since by another process (a second sweep of the
// same directory) is left alone, not failed, and nothing is written into
// its directory.
func TestRunStartedElsewhere(t *testing.T) {
	s := tinySpec(t)
	dir := t.TempDir()
	other := filepath.Join(dir, s.Jobs()[1].Dir())
	onRow := func(j Job, m agent.Metrics) {
		if j.Index == 0 && m.Update == 1 {
			os.MkdirAll(other, 0o755)
			os.WriteFile(filepath.Join(other, rundir.ConfigFile), []byte("started elsewhere\n"), 0o644)
		}
	}
	var progress bytes.Buffer
	_, err := Run(context.Background(), s, dir, Options{Parallel: 1, OnRow: onRow, Progress: &progress})
	if err == nil || !strings.Contains(err.Error(), "1 of 4 runs are unfinished, left alone") {
		t.Fatalf("sweep returned %v", err)
	}
	if !strings.Contains(progress.String(), "left alone: another process has started it") {
		t.Errorf("progress %q", progress.String())
	}
	if got := files(t, other); len(got) != 1 || got[rundir.ConfigFile] != "started elsewhere\n" {
		t.Errorf("the other process's run directory now holds %v", got)
	}
}

// files maps every file in dir to its contents.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

// TestFailedRuns: runs that fail while the sweep runs (their reference
// checkpoint vanished after validation) are recorded in error.txt, named
// in the summary and the error, and not retried by the next invocation;
// the other runs go on.
func TestFailedRuns(t *testing.T) {
	tmp := t.TempDir()
	first, err := newSpec("tiny.yaml", nil, tinyBase(t), nil, []uint64{1})
	if err != nil {
		t.Fatal(err)
	}
	sweepOnce(t, first, filepath.Join(tmp, "first"), Options{Parallel: 1})
	ref := filepath.Join(tmp, "ref.ckpt")
	b, err := os.ReadFile(filepath.Join(tmp, "first", first.Jobs()[0].Dir(), rundir.FinalCkpt))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(ref, b, 0o644)
	s, err := newSpec("tiny.yaml", nil, tinyBase(t), axes(t, "kl.reference.checkpoint='',"+ref), []uint64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(ref)
	dir := filepath.Join(tmp, "sweep")
	var progress bytes.Buffer
	sum, err := Run(context.Background(), s, dir, Options{Parallel: 2, Progress: &progress})
	if err == nil || err.Error() != "2 of 4 runs failed (see error.txt in their directories)" {
		t.Errorf("error %v", err)
	}
	if sum.Finished != 2 || len(sum.Missing) != 2 || strings.Count(progress.String(), ": failed: kl.reference.checkpoint") != 2 {
		t.Fatalf("finished %d, missing %+v, progress %q", sum.Finished, sum.Missing, progress.String())
	}
	for i, m := range sum.Missing {
		j := s.Jobs()[2+i]
		b, _ := os.ReadFile(filepath.Join(dir, j.Dir(), rundir.ErrorFile))
		if m.Job != j.Index || !strings.HasPrefix(m.State, "failed: kl.reference.checkpoint") || m.State != "failed: "+strings.TrimSpace(string(b)) {
			t.Errorf("missing %+v; error.txt %q", m, b)
		}
	}
	var again bytes.Buffer
	sum2, err := Run(context.Background(), s, dir, Options{Parallel: 2, Progress: &again})
	if err == nil || !bytes.Equal(sum2.JSON(), sum.JSON()) || !strings.Contains(again.String(), "keeping 4 runs") {
		t.Errorf("rerun: %v, %q", err, again.String())
	}
}
