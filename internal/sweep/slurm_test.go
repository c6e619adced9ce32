package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// slurmScript is the job-array script of docs/sweeps.md's "Sharding across
// machines" section.
const slurmScript = "../../scripts/slurm/sweep.sh"

// TestSlurmScriptIsREADME keeps docs/sweeps.md's Slurm script and the file the
// Slurm tests submit identical, so the documentation is what runs.
func TestSlurmScriptIsREADME(t *testing.T) {
	script, err := os.ReadFile(slurmScript)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../docs/sweeps.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("```bash\n"+string(script)+"```\n")) {
		t.Errorf("docs/sweeps.md has no ```bash block equal to scripts/slurm/sweep.sh: copy the script into its \"Sharding across machines\" section")
	}
}

// TestSlurmSweep submits the README's job array to a Slurm cluster
// (scripts/slurm/start makes a local one) and checks that the collected
// sweep equals an unsharded one run for run, also after a task is
// cancelled mid-run and requeued. It is skipped when no cluster answers,
// unless PPO_TEST_SLURM=1 (set by .ci/run), which makes that a failure.
func TestSlurmSweep(t *testing.T) {
	slurmUp(t)
	script, err := filepath.Abs(slurmScript)
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "ppo"), "ppo/cmd/ppo")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ppo: %v\n%s", err, out)
	}

	// 2 learning rates × 4 seeds of a 2048-step CartPole run: each array
	// task runs shard i/4, two runs, and the dependent job collects.
	t.Run("array", func(t *testing.T) {
		c := newSlurmJobs(t, bin)
		sw := c.sweep("name: slurm-array\ntotal_timesteps: 2048\npolicy: {hidden: [16]}\n",
			"1-4", "ppo.learning_rate=3e-4,1e-3")
		array := c.sbatch(sw.env, "--cpus-per-task=1", "--output="+filepath.Join(c.dir, "slurm-%A_%a.out"), sw.export, script)
		collect := c.sbatch(nil, "--dependency=afterany:"+array, "--output="+filepath.Join(c.dir, "collect-%j.out"),
			"--export=PATH", "--wrap", "ppo sweep --collect "+sw.out)
		want := c.reference(sw) // runs while the cluster works
		c.wait(array, collect)

		for i := range 4 {
			log := c.output(fmt.Sprintf("slurm-%s_%d.out", array, i))
			if !strings.Contains(log, fmt.Sprintf("shard %d/4 has 2,", i)) {
				t.Errorf("array task %d did not run its shard of 2 runs:\n%s", i, log)
			}
		}
		if code := c.exitCode(collect); code != 0 {
			t.Fatalf("collect job exited %d:\n%s", code, c.output("collect-"+collect+".out"))
		}
		c.sameSummary(sw, want, 8)
	})

	// 4 seeds of a 65536-step run (256 updates, a checkpoint every 2), one
	// per task. Task 0 is cancelled once its run has logged 4 updates;
	// the dependent collect then lists that run and fails, and the
	// requeued task resumes it to the unsharded sweep's results.
	t.Run("cancel-requeue", func(t *testing.T) {
		c := newSlurmJobs(t, bin)
		sw := c.sweep("name: slurm-requeue\ntotal_timesteps: 65536\npolicy: {hidden: [16]}\nlog: {checkpoint_every: 2}\n",
			"1-4", "ppo.learning_rate=1e-3")
		array := c.sbatch(sw.env, "--cpus-per-task=1", "--output="+filepath.Join(c.dir, "slurm-%A_%a.out"), sw.export, script)
		collect := c.sbatch(nil, "--dependency=afterany:"+array, "--output="+filepath.Join(c.dir, "collect-%j.out"),
			"--export=PATH", "--wrap", "ppo sweep --collect "+sw.out)

		run := filepath.Join(sw.out, "ppo.learning_rate=1e-3", "seed-1") // job 0, shard 0
		c.waitUpdates(filepath.Join(run, "metrics.jsonl"), 4)
		c.run("scancel", array+"_0")
		want := c.reference(sw)
		c.wait(array, collect)

		// The cancel landed mid-run: 4 of 256 updates had been logged when
		// it was sent, and the run has no evaluation.
		if _, err := os.Stat(filepath.Join(run, "eval.json")); err == nil {
			t.Fatalf("task 0's run finished before the cancel took effect; the test needs longer runs")
		}
		if log := c.output(array + "_0"); !strings.Contains(log, "interrupted") {
			t.Errorf("task 0 was not interrupted by scancel:\n%s", log)
		}
		code, log := c.exitCode(collect), c.output("collect-"+collect+".out")
		if code != 1 || !strings.Contains(log, "1 of 4 runs missing") ||
			!strings.Contains(log, "job 0: ppo.learning_rate=1e-3 seed 1 (ppo.learning_rate=1e-3/seed-1): unfinished, shard 0/4") {
			t.Errorf("collect with task 0 cancelled: exit %d, want 1 and the unfinished run listed:\n%s", code, log)
		}

		c.run("scontrol", "requeue", array+"_0")
		c.wait(array)
		if log := c.output(array + "_0"); !strings.Contains(log, "seed 1: eval return") || !strings.Contains(log, "(resumed)") {
			t.Errorf("requeued task 0 did not resume its run:\n%s", log)
		}
		ppo := exec.Command(filepath.Join(bin, "ppo"), "sweep", "--collect", sw.out)
		if out, err := ppo.CombinedOutput(); err != nil {
			t.Fatalf("ppo sweep --collect after the requeue: %v\n%s", err, out)
		}
		c.sameSummary(sw, want, 4)
	})
}

// slurmUp skips t unless `scontrol ping` reports a controller up (sbatch
// may be installed with no daemon running); with PPO_TEST_SLURM=1 it fails
// instead.
func slurmUp(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
	defer cancel()
	out, err := exec.CommandContext(ctx, "scontrol", "ping").CombinedOutput()
	if err == nil && bytes.Contains(out, []byte("is UP")) {
		return
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	msg := fmt.Sprintf("no Slurm cluster answers `scontrol ping` (%v: %s); start one with scripts/slurm/start", err, first)
	if os.Getenv("PPO_TEST_SLURM") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// slurmJobs submits one test's jobs from dir with bin (holding ppo) first
// on PATH, and cancels them all when the test ends, however it ends.
type slurmJobs struct {
	t        *testing.T
	dir, bin string
	ids      []string
}

func newSlurmJobs(t *testing.T, bin string) *slurmJobs {
	c := &slurmJobs{t: t, dir: t.TempDir(), bin: bin}
	// Registered after TempDir, so it runs before the directory goes.
	t.Cleanup(func() {
		if len(c.ids) == 0 {
			return
		}
		if out, err := exec.Command("scancel", c.ids...).CombinedOutput(); err != nil {
			t.Logf("scancel %v: %v\n%s", c.ids, err, out)
		}
		c.wait(c.ids...)
	})
	return c
}

// slurmSweep is a sweep for the job script: its config, seeds and grid,
// its directory, and how to pass them to sbatch.
type slurmSweep struct {
	config, seeds, grid, out string
	// export is sbatch's --export flag. A grid holds commas, at which
	// sbatch splits --export, so SWEEP_GRID is named there and its value
	// comes from sbatch's environment, env.
	export string
	env    []string
}

// sweep writes config into the test's directory and returns the sweep of
// it over seeds and grid.
func (c *slurmJobs) sweep(config, seeds, grid string) slurmSweep {
	c.t.Helper()
	s := slurmSweep{config: filepath.Join(c.dir, "config.yaml"), seeds: seeds, grid: grid, out: filepath.Join(c.dir, "sweep")}
	if err := os.WriteFile(s.config, []byte(config), 0o644); err != nil {
		c.t.Fatal(err)
	}
	if strings.ContainsAny(c.dir, ", ") {
		c.t.Fatalf("temporary directory %q cannot go through sbatch --export", c.dir)
	}
	s.export = "--export=PATH,SWEEP_GRID,SWEEP_CONFIG=" + s.config + ",SWEEP_SEEDS=" + seeds + ",SWEEP_OUT=" + s.out
	s.env = []string{"SWEEP_GRID=" + grid}
	return s
}

// reference runs s unsharded, outside Slurm, and returns its summary.json
// without timings.
func (c *slurmJobs) reference(s slurmSweep) string {
	c.t.Helper()
	dir := filepath.Join(c.dir, "unsharded")
	cmd := exec.Command(filepath.Join(c.bin, "ppo"), "sweep", "--config", s.config, "--seeds", s.seeds,
		"--grid", s.grid, "--parallel", "2", "--out", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("unsharded sweep: %v\n%s", err, out)
	}
	return c.summary(dir, 0)
}

// sameSummary checks that s's collected summary is want and covers runs
// finished runs.
func (c *slurmJobs) sameSummary(s slurmSweep, want string, runs int) {
	c.t.Helper()
	if got := c.summary(s.out, runs); got != want {
		c.t.Errorf("collected summary differs from the unsharded sweep's:\n%s\nwant\n%s", got, want)
	}
}

// summary is dir's summary.json without timings; with runs > 0 it must
// have that many finished runs (so that equal summaries are not empty).
func (c *slurmJobs) summary(dir string, runs int) string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		c.t.Fatal(err)
	}
	if runs > 0 && !bytes.Contains(b, []byte(fmt.Sprintf(`"finished": %d,`, runs))) {
		c.t.Fatalf("%s does not have %d finished runs:\n%s", dir, runs, b)
	}
	// The stamp says where the code came from, and may differ: the jobs
	// run the same binary (built without VCS information) outside the
	// module, where no work tree names its commit, the reference inside.
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		c.t.Fatal(err)
	}
	if _, ok := v["stamp"]; !ok {
		c.t.Fatalf("%s has no stamp", dir)
	}
	delete(v, "stamp")
	b, _ = json.Marshal(v)
	return untimedJSON(c.t, b)
}

// sbatch submits a job with env added to sbatch's environment and returns
// its id.
func (c *slurmJobs) sbatch(env []string, args ...string) string {
	c.t.Helper()
	cmd := exec.Command("sbatch", append([]string{"--parsable"}, args...)...)
	cmd.Dir = c.dir
	cmd.Env = append(append(os.Environ(), "PATH="+c.bin+string(os.PathListSeparator)+os.Getenv("PATH")), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("sbatch %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";") // id;cluster on multi-cluster setups
	if _, err := strconv.Atoi(id); err != nil {
		c.t.Fatalf("sbatch printed %q, not a job id", out)
	}
	c.ids = append(c.ids, id)
	return id
}

// run runs a Slurm command that must succeed.
func (c *slurmJobs) run(name string, args ...string) {
	c.t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		c.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// slurmGuard bounds every wait of these tests, so that a stuck cluster
// fails the test rather than hanging it; the waits end on events, not on
// it.
const slurmGuard = 5 * time.Minute

// wait polls squeue until none of the jobs ids (array tasks included) is
// pending, running or completing (sacct needs slurmdbd, which a local
// cluster lacks).
func (c *slurmJobs) wait(ids ...string) {
	c.t.Helper()
	start := time.Now()
	defer func() { c.t.Logf("jobs %s ended after %.1f s", strings.Join(ids, ","), time.Since(start).Seconds()) }()
	for end := time.Now().Add(slurmGuard); ; time.Sleep(200 * time.Millisecond) {
		out, err := exec.Command("squeue", "-h", "-j", strings.Join(ids, ",")).CombinedOutput()
		if err != nil && bytes.Contains(out, []byte("Invalid job id")) {
			return // already purged from the controller
		}
		if err != nil {
			c.t.Fatalf("squeue -j %s: %v\n%s", strings.Join(ids, ","), err, out)
		}
		if len(bytes.TrimSpace(out)) == 0 {
			return
		}
		if time.Now().After(end) {
			c.t.Fatalf("jobs still queued after %v:\n%s", slurmGuard, out)
		}
	}
}

// waitUpdates waits until the metrics file path has n lines, one per update.
func (c *slurmJobs) waitUpdates(path string, n int) {
	c.t.Helper()
	for end := time.Now().Add(slurmGuard); ; time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && bytes.Count(b, []byte("\n")) >= n {
			return
		}
		if time.Now().After(end) {
			c.t.Fatalf("%s did not reach %d updates in %v", path, n, slurmGuard)
		}
	}
}

var exitCodeRE = regexp.MustCompile(`\bExitCode=(\d+):(\d+)`)

// exitCode is a finished job's exit status (128+signal when a signal ended
// it), from scontrol show job.
func (c *slurmJobs) exitCode(id string) int {
	c.t.Helper()
	out, err := exec.Command("scontrol", "show", "job", id).CombinedOutput()
	m := exitCodeRE.FindSubmatch(out)
	if err != nil || m == nil {
		c.t.Fatalf("scontrol show job %s: %v\n%s", id, err, out)
	}
	code, _ := strconv.Atoi(string(m[1]))
	if sig, _ := strconv.Atoi(string(m[2])); sig != 0 {
		code = 128 + sig
	}
	return code
}

// output is a job's output file in the test's directory: name, or for an
// array task "ID_i", slurm-ID_i.out.
func (c *slurmJobs) output(name string) string {
	c.t.Helper()
	if !strings.HasSuffix(name, ".out") {
		name = "slurm-" + name + ".out"
	}
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}
