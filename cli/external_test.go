package cli

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"ppo/env/external/externaltest"
)

// externalArgs trains on the test binary serving externaltest's walker in mode, recording the
// servers' pids in the file it returns.
func externalArgs(t *testing.T, mode string) (args []string, pids string) {
	t.Helper()
	pids = filepath.Join(t.TempDir(), "pids")
	t.Setenv(externaltest.Env, mode)
	t.Setenv(externaltest.PidsEnv, pids)
	cmd := externaltest.Command()
	return []string{"--set", "env.id=external", "--set", "env.external.command=[" + strings.Join(cmd, ", ") + "]",
		"--set", "env.external.processes=2", "--set", "total_timesteps=3072", "--set", "env.num_envs=4",
		"--set", "ppo.rollout_steps=64", "--set", "ppo.minibatch_size=128", "--set", "ppo.epochs=2",
		"--set", "eval.episodes=2", "--set", "log.checkpoint_every=0", "--quiet"}, pids
}

// noneAlive fails if a pid recorded in the file still runs.
func noneAlive(t *testing.T, pids string) {
	t.Helper()
	b, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("server %d still exists (kill 0: %v)", pid, err)
		}
	}
}

// TestExternalInterruptAndResume trains on an external env, interrupts the process with SIGINT
// (which the servers, in their own process group, never see), checks that no server is left and
// that the resumed run's metrics equal an uninterrupted run's: the servers save and load their
// walkers. A server without save and load resumes with fresh episodes, saying so once.
func TestExternalInterruptAndResume(t *testing.T) {
	args, pids := externalArgs(t, "walk")
	ref := filepath.Join(t.TempDir(), "ref")
	if code, _, errs := runCLI(append([]string{"train", "--out", ref}, args...)...); code != 0 {
		t.Fatalf("reference run: %s", errs)
	}
	want := rowsWithoutTiming(t, ref)
	if len(want) != 12 {
		t.Fatalf("reference run logged %d rows, want 12", len(want))
	}
	dir := filepath.Join(t.TempDir(), "run")
	code, _, stderr := interruptedAt(t, 0, 5, append([]string{"train", "--out", dir}, args...)...)
	if code != 130 || !strings.Contains(stderr, "ppo train: interrupted; checkpoint and logs are in "+dir) {
		t.Fatalf("SIGINT: exit %d, stderr %q", code, stderr)
	}
	noneAlive(t, pids)
	if code, out, errs := runCLI("train", "--resume", dir, "--quiet"); code != 0 {
		t.Fatalf("resume: exit %d: %s %s", code, out, errs)
	}
	if got := rowsWithoutTiming(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatal("resumed metrics differ from the uninterrupted run's")
	}
	noneAlive(t, pids)

	args, pids = externalArgs(t, "nosave")
	dir = filepath.Join(t.TempDir(), "nosave")
	if code, _, stderr := interruptedAt(t, 0, 5, append([]string{"train", "--out", dir}, args...)...); code != 130 {
		t.Fatalf("SIGINT: exit %d, stderr %q", code, stderr)
	}
	code, out, errs := runCLI("train", "--resume", dir, "--quiet")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	if n := strings.Count(out, "resuming "+dir+" with fresh episodes"); n != 1 {
		t.Errorf("resume without save said %d times that episodes restart: %q", n, out)
	}
	if got := rowsWithoutTiming(t, dir); len(got) != 12 {
		t.Errorf("resumed run logged %d rows, want 12", len(got))
	}
	noneAlive(t, pids)
}

// TestExternalCrash ends a run whose server crashes with one line naming the env, what happened,
// the exit status and the server's stderr, exit status 1, and the checkpoints already written intact.
func TestExternalCrash(t *testing.T) {
	args, pids := externalArgs(t, "crash")
	t.Setenv("FAULT_AFTER", "200") // after update 3 of 64-step rollouts, 2 processes of 2 copies
	dir := filepath.Join(t.TempDir(), "run")
	code, _, errs := runCLI(append(append([]string{"train", "--out", dir}, args...), "--set", "log.checkpoint_every=1")...)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	last := lines[len(lines)-1]
	for _, part := range []string{"external env Walk-v0", "closed its output before sending the step reply", "exit status 3", "ValueError: boom"} {
		if !strings.Contains(last, part) {
			t.Errorf("last line %q does not contain %q", last, part)
		}
	}
	ckpts, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.ckpt"))
	if len(ckpts) != 3 {
		t.Errorf("checkpoints %v, want those of updates 1-3", ckpts)
	}
	noneAlive(t, pids)
	// The failure is recorded in the run directory, and ppo inspect reports it.
	if b, err := os.ReadFile(filepath.Join(dir, "error.txt")); err != nil || !strings.Contains(string(b), "ValueError: boom") {
		t.Errorf("error.txt: %q (%v)", b, err)
	}
	if code, out, _ := runCLI("inspect", dir); code != 0 || !strings.Contains(out, "failed (see error.txt)") {
		t.Errorf("inspect of the failed run: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI("inspect", "--json", dir); code != 0 || !strings.Contains(out, `"failed": "`) {
		t.Errorf("inspect --json of the failed run: exit %d\n%s", code, out)
	}
}

// TestTrainPythonCartPole trains the Python CartPole example briefly (the README's command with
// fewer steps): the evaluation return rises well above a random policy's (about 22).
func TestTrainPythonCartPole(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH")
	}
	script, _ := filepath.Abs(filepath.Join("..", "examples", "python", "cartpole.py"))
	dir := filepath.Join(t.TempDir(), "run")
	code, out, errs := runCLI("train", "--config", filepath.Join("..", "examples", "python", "cartpole.yaml"),
		"--set", "env.external.command=["+py+", "+script+"]", "--set", "total_timesteps=20480", "--out", dir, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	b, err := os.ReadFile(filepath.Join(dir, "eval.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("eval.json: %s", b)
	var r struct {
		MeanReturn float64 `json:"mean_return"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.MeanReturn < 100 {
		t.Errorf("evaluation return %v after 20k steps, want >= 100", r.MeanReturn)
	}
}

// TestEnvsExternal lists what an external program serves, as text and as
// JSON, and refuses a program that does not start.
func TestEnvsExternal(t *testing.T) {
	t.Setenv(externaltest.Env, "walk")
	cmd := strings.Join(externaltest.Command(), " ")
	code, out, errs := runCLI("envs", "--external", cmd)
	if code != 0 || !strings.Contains(out, "external") || !strings.Contains(out, "observation") {
		t.Fatalf("envs --external: exit %d, %q %q", code, out, errs)
	}
	code, out, errs = runCLI("envs", "--json", "--external", cmd)
	var infos []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &infos) != nil || len(infos) != 1 {
		t.Fatalf("envs --json --external: exit %d, %q %q", code, out, errs)
	}
	code, _, errs = runCLI("envs", "--external", filepath.Join(t.TempDir(), "no-such-program"))
	if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("a missing program: exit %d, stderr %q", code, errs)
	}
}

// TestBenchExternal measures the pipe to the Python example briefly: the
// report adds up (rates positive, overheads from the rates) and names the
// command.
func TestBenchExternal(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH")
	}
	script, _ := filepath.Abs(filepath.Join("..", "examples", "python", "cartpole.py"))
	code, out, errs := runCLI("bench", "--external", py+" "+script, "--copies", "2", "--steps", "200", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Copies  int `json:"copies"`
		In, One struct {
			Rate float64 `json:"env_steps_per_sec"`
		}
		Overhead float64 `json:"overhead_us_per_step_one_process"`
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(out), &r)
	json.Unmarshal(raw["in_process"], &r.In)
	json.Unmarshal(raw["one_process"], &r.One)
	want := 1e6/r.One.Rate - 1e6/r.In.Rate
	if r.Copies != 2 || !(r.In.Rate > 0) || !(r.One.Rate > 0) || math.Abs(r.Overhead-want) > 1e-6*math.Abs(want)+1e-9 {
		t.Fatalf("report %+v, overhead want %v: %s", r, want, out)
	}
}

// TestSweepExternalAgain: a sweep of an external env run a second time
// keeps its finished run, whose config.yaml records where the program was
// started (env.external.dir), instead of calling it another config's.
func TestSweepExternalAgain(t *testing.T) {
	args, _ := externalArgs(t, "walk")
	cfg := writeTiny(t, t.TempDir())
	out := filepath.Join(t.TempDir(), "sweep")
	var sets []string
	for _, a := range args {
		if a != "--quiet" {
			sets = append(sets, a)
		}
	}
	for run := range 2 {
		code, stdout, stderr := sweepCLI(append([]string{"--config", cfg, "--seeds", "1", "--out", out}, sets...)...)
		if code != 0 {
			t.Fatalf("sweep %d: exit %d\n%s%s", run+1, code, stdout, stderr)
		}
		if run == 1 && !strings.Contains(stdout, "keeping 1 run") {
			t.Errorf("second sweep did not keep its run:\n%s", stdout)
		}
	}
}
