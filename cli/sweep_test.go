package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"ppo/configs"
	"ppo/internal/rundir"
)

// sweepTiny is a config whose runs take a fraction of a second: 4 updates
// of 128 CartPole steps and a 2-episode evaluation.
const sweepTiny = `total_timesteps: 512
env:
  num_envs: 2
policy:
  hidden: [16]
ppo:
  rollout_steps: 64
  minibatch_size: 64
  epochs: 2
  lr_schedule: constant
eval:
  episodes: 2
`

func sweepCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(append([]string{"sweep"}, args...), &o, &e)
	return code, o.String(), e.String()
}

func writeTiny(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(p, []byte(sweepTiny), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// untimedJSON reads a summary.json without its timing fields (sps and
// wall_seconds, wherever they are), which vary between identical runs.
func untimedJSON(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
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
	b, _ = json.MarshalIndent(v, "", " ")
	return string(b)
}

// TestSweepCLI runs 2 learning rates × 3 seeds, checks the progress lines,
// the run directories and sweep.json, then runs the same sweep as a
// 4-task job array into one shared directory (as the README's Slurm
// example does) and checks that --collect gives the same summary.
func TestSweepCLI(t *testing.T) {
	tmp := t.TempDir()
	cfg := writeTiny(t, tmp)
	out := filepath.Join(tmp, "sweep")
	args := []string{"--config", cfg, "--seeds", "1-3", "--grid", "ppo.learning_rate=0.001,0.01", "--set", "ppo.epochs=3"}
	code, stdout, stderr := sweepCLI(append(args, "--out", out, "--parallel", "2")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "sweep "+out+": 2 combinations × 3 seeds = 6 runs, 2 at a time\n") {
		t.Errorf("header: %q", stdout)
	}
	line := regexp.MustCompile(`(?m)^\[[1-6]/6\] (ppo\.learning_rate=0\.001|ppo\.learning_rate=0\.01) seed ([123]): eval return -?[0-9]+\.[0-9]{2}, [0-9]+\.[0-9] s$`)
	seen := map[string]bool{}
	for _, m := range line.FindAllStringSubmatch(stdout, -1) {
		seen[m[1]+"/"+m[2]] = true
	}
	if len(seen) != 6 {
		t.Errorf("progress lines cover %d of 6 runs:\n%s", len(seen), stdout)
	}
	labels := []string{"ppo.learning_rate=0.001", "ppo.learning_rate=0.01"}
	for _, l := range labels {
		for s := 1; s <= 3; s++ {
			run := filepath.Join(out, l, fmt.Sprintf("seed-%d", s))
			c, err := configs.Load(filepath.Join(run, rundir.ConfigFile))
			if err != nil {
				t.Fatal(err)
			}
			if c.Seed != uint64(s) || c.PPO.Epochs != 3 || fmt.Sprintf("ppo.learning_rate=%g", c.PPO.LearningRate) != l {
				t.Errorf("%s: seed %d, epochs %d, lr %g", run, c.Seed, c.PPO.Epochs, c.PPO.LearningRate)
			}
			if _, err := os.Stat(filepath.Join(run, rundir.EvalFile)); err != nil {
				t.Error(err)
			}
		}
	}
	var spec struct {
		Config string   `json:"config"`
		Sets   []string `json:"sets"`
		Base   string   `json:"base_config"`
		Grid   []struct {
			Path   string   `json:"path"`
			Values []string `json:"values"`
		} `json:"grid"`
		Seeds  []uint64 `json:"seeds"`
		Combos []struct {
			Label string   `json:"label"`
			Sets  []string `json:"sets"`
		} `json:"combos"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "sweep.json"))
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	base, err := configs.Parse([]byte(spec.Base))
	if err != nil || base.PPO.Epochs != 3 || base.TotalTimesteps != 512 {
		t.Errorf("base_config: %v", err)
	}
	if spec.Config != cfg || !reflect.DeepEqual(spec.Seeds, []uint64{1, 2, 3}) || len(spec.Grid) != 1 ||
		spec.Grid[0].Path != "ppo.learning_rate" || len(spec.Combos) != 2 || spec.Combos[0].Label != labels[0] ||
		spec.Combos[1].Label != labels[1] || !reflect.DeepEqual(spec.Sets, []string{"ppo.epochs=3"}) {
		t.Errorf("sweep.json: %+v", spec)
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	for _, l := range labels {
		if !strings.Contains(string(md), "| "+l+" | 3/3 | ") {
			t.Errorf("summary.md lacks %s:\n%s", l, md)
		}
	}
	want := untimedJSON(t, filepath.Join(out, "summary.json"))

	shared := filepath.Join(tmp, "shared")
	for i := range 4 {
		code, stdout, stderr := sweepCLI(append(args, "--shard", fmt.Sprintf("%d/4", i), "--out", shared)...)
		if code != 0 || !strings.Contains(stdout, fmt.Sprintf("shard %d/4 has ", i)) {
			t.Fatalf("shard %d: exit %d\n%s\n%s", i, code, stdout, stderr)
		}
		if _, err := os.Stat(filepath.Join(shared, fmt.Sprintf("summary.shard-%d-of-4.md", i))); err != nil {
			t.Error(err)
		}
	}
	code, stdout, stderr = sweepCLI("--collect", shared)
	if code != 0 || stderr != "" || !strings.Contains(stdout, "summary: "+filepath.Join(shared, "summary.md")) {
		t.Fatalf("collect: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := untimedJSON(t, filepath.Join(shared, "summary.json")); got != want {
		t.Errorf("collected summary:\n%s\nwant\n%s", got, want)
	}
	// Directories before flags or after them; --out elsewhere.
	merged := filepath.Join(tmp, "merged")
	if code, _, stderr := sweepCLI("--collect", shared, "--out", merged); code != 0 {
		t.Fatalf("collect --out: exit %d: %s", code, stderr)
	}
	if got := untimedJSON(t, filepath.Join(merged, "summary.json")); got != want {
		t.Errorf("collect --out summary differs")
	}

	// A missing run: exit 1, the run named on stderr, the summary still written.
	os.RemoveAll(filepath.Join(shared, labels[1], "seed-2"))
	code, _, stderr = sweepCLI("--collect", shared)
	if code != 1 || !strings.Contains(stderr, "1 of 6 runs missing") ||
		!strings.Contains(stderr, "job 4: "+labels[1]+" seed 2 ("+filepath.Join(labels[1], "seed-2")+"): absent, shard 0/4") {
		t.Errorf("collect with a missing run: exit %d, stderr %q", code, stderr)
	}
}

// TestSweepCLIRefusals: every refusal is exit 2 with one line on stderr
// naming the problem, and nothing is run.
func TestSweepCLIRefusals(t *testing.T) {
	tmp := t.TempDir()
	cfg := writeTiny(t, tmp)
	other := filepath.Join(tmp, "other")
	if code, _, e := sweepCLI("--config", cfg, "--seeds", "1", "--out", other); code != 0 {
		t.Fatalf("setup sweep: %d %s", code, e)
	}
	notSweep := filepath.Join(tmp, "notsweep")
	os.MkdirAll(notSweep, 0o755)
	os.WriteFile(filepath.Join(notSweep, "x"), nil, 0o644)
	out := filepath.Join(tmp, "out")
	ok := []string{"--config", cfg, "--seeds", "1-2", "--out", out}
	with := func(extra ...string) []string { return append(append([]string{}, ok...), extra...) }
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--seeds", "1-2"}, "missing --config"},
		{[]string{"--config", cfg}, "missing --seeds"},
		{[]string{"--config", filepath.Join(tmp, "nope.yaml"), "--seeds", "1"}, "nope.yaml"},
		{with("--seeds", "3-1"), `--seeds "3-1": range 3-1 is empty`},
		{with("--seeds", "1,x"), `--seeds "1,x": "x" is not a seed`},
		{with("--seeds", "1,1"), "seed 1 listed twice"},
		{with("--grid", "ppo.learning_rate"), "missing '='"},
		{with("--grid", "ppo.learning_rate=0.1,,0.2"), "empty value"},
		{with("--grid", "policy.hidden=[16"), "unclosed"},
		{with("--grid", "ppo.learnin_rate=0.1,0.2"), "ppo.learnin_rate"},
		{with("--grid", "ppo.learning_rate=0.001,-1"), "ppo.learning_rate: must be > 0, got -1"},
		{with("--grid", "ppo.epochs=2,two"), "ppo.epochs"},
		{with("--grid", "env.id=Nope-v0"), "Nope-v0"},
		{with("--grid", "policy.hidden=[16],[100000000]"), "resources.max_memory"},
		{with("--grid", "ppo.epochs=2", "--grid", "ppo.epochs=3"), "given twice"},
		{with("--grid", "seed=1,2"), "--seeds"},
		{with("--set", "ppo.epochs=0"), "ppo.epochs"},
		{with("--shard", "4/4"), `--shard "4/4": index must be in [0, 3]`},
		{with("--shard", "1"), "want i/n"},
		{with("--shard", "0/0"), "count must be >= 1"},
		{[]string{"--config", cfg, "--seeds", "1", "--shard", "0/2"}, "--shard needs --out"},
		{with("--parallel", "0"), "--parallel must be >= 1, got 0"},
		{with("--parallel", "x"), "parallel"},
		{[]string{"--config", cfg, "--seeds", "1-2", "--out", other}, "holds a different sweep: seeds differ (1,2 vs 1)"},
		{[]string{"--config", cfg, "--seeds", "1", "--set", "ppo.epochs=3", "--out", other}, "holds a different sweep: base configs differ"},
		{[]string{"--config", cfg, "--seeds", "1", "--out", notSweep}, "not a sweep directory"},
		{with("stray"), `unexpected argument "stray"`},
		{with("--bogus"), "bogus"},
		{[]string{"--collect"}, "needs at least one sweep directory"},
		{[]string{"--collect", notSweep}, "not a sweep directory"},
		{[]string{"--collect", other, "--seeds", "1"}, "not --seeds"},
		{[]string{"--collect", filepath.Join(tmp, "absent")}, "not a sweep directory"},
		{[]string{"--collect", other, "--out", notSweep}, "not a sweep directory"},
	}
	for _, tc := range cases {
		code, _, errs := sweepCLI(tc.args...)
		wantRefusal(t, tc.args, code, errs, tc.want)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused sweep created %s", out)
	}
	// Collecting two different sweeps.
	another := filepath.Join(tmp, "another")
	if code, _, e := sweepCLI("--config", cfg, "--seeds", "2", "--out", another); code != 0 {
		t.Fatalf("setup sweep: %d %s", code, e)
	}
	code, _, errs := sweepCLI("--collect", other, another)
	if code != 2 || !strings.Contains(errs, "hold different sweeps: seeds differ (1 vs 2)") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("collect of different sweeps: exit %d, %q", code, errs)
	}
}

// lineCanceller cancels when the first progress line is written.
type lineCanceller struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
}

func (w *lineCanceller) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.HasPrefix(p, []byte("[")) {
		w.cancel()
	}
	return len(p), nil
}

// TestSweepCLIInterrupt: an interrupt after the first run ends the sweep
// with exit 130 and a partial summary.
func TestSweepCLIInterrupt(t *testing.T) {
	tmp := t.TempDir()
	cfg := writeTiny(t, tmp)
	out := filepath.Join(tmp, "sweep")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &lineCanceller{cancel: cancel}
	var stderr bytes.Buffer
	code := runSweep(ctx, []string{"--config", cfg, "--seeds", "1-4", "--out", out}, w, &stderr)
	if code != 130 || !strings.Contains(stderr.String(), "interrupted; 1 of 4 runs finished, partial summary in "+filepath.Join(out, "summary.md")) {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	var sum struct {
		Finished int `json:"finished"`
		Missing  []struct {
			State string `json:"state"`
		} `json:"missing"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil || sum.Finished != 1 || len(sum.Missing) != 3 {
		t.Errorf("partial summary: %+v (%v)", sum, err)
	}
}

// TestSweepSIGINT: a real SIGINT to a sweep in a child process (this test
// binary as ppo, see TestMain), sent by the process itself once the first
// run has logged update 2 of 32: that run stops after exactly that update
// and checkpoints, no further run starts, the partial summary is written
// and the exit status is 130. The same sweep with --resume then finishes.
func TestSweepSIGINT(t *testing.T) {
	tmp := t.TempDir()
	cfg := writeTiny(t, tmp)
	out := filepath.Join(tmp, "sweep")
	// 32 updates per run, a checkpoint after each.
	args := []string{"sweep", "--config", cfg, "--seeds", "1-2", "--set", "total_timesteps=4096", "--set", "log.checkpoint_every=1", "--out", out}
	const stopAt = 2
	code, stdout, stderr := interruptedAt(t, 0, stopAt, args...)
	if code != 130 {
		t.Fatalf("child: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "ppo sweep: interrupted; starting no more runs") ||
		!strings.Contains(stderr, "ppo sweep: interrupted; 0 of 2 runs finished, partial summary in "+filepath.Join(out, "summary.md")) {
		t.Errorf("stderr %q", stderr)
	}
	run := filepath.Join(out, "base", "seed-1")
	if b, err := os.ReadFile(filepath.Join(run, rundir.JSONLFile)); err != nil || strings.Count(string(b), "\n") != stopAt {
		t.Errorf("the interrupted run logged %q (%v), want %d rows", b, err, stopAt)
	}
	if _, err := os.Stat(filepath.Join(run, fmt.Sprintf("ckpt-%06d.ckpt", stopAt))); err != nil {
		t.Errorf("the interrupted run has no checkpoint of update %d: %v", stopAt, err)
	}
	if _, err := os.Stat(filepath.Join(out, "base", "seed-2")); err == nil {
		t.Error("the second run started after the interrupt")
	}
	var sum struct {
		Missing []struct {
			State string `json:"state"`
		} `json:"missing"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil || len(sum.Missing) != 2 || sum.Missing[0].State != "unfinished" || sum.Missing[1].State != "absent" {
		t.Errorf("partial summary %s (%v)", b, err)
	}
	code, o, e := sweepCLI(args[1:]...)
	if code != 2 || !strings.Contains(e, "unfinished run; rerun with --resume") {
		t.Errorf("rerun without --resume: exit %d, %q", code, e)
	}
	code, o, e = sweepCLI(append(args[1:], "--resume")...)
	if code != 0 || !strings.Contains(o, "base seed 1: eval return") || !strings.Contains(o, "(resumed)") {
		t.Errorf("rerun with --resume: exit %d\n%s\n%s", code, o, e)
	}
}
