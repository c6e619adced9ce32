package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ppo/agent"
	"ppo/env/external/externaltest"
)

// TestMain lets tests run this binary as the ppo command (PPO_TEST_MAIN=1),
// so a real signal can be sent to a real training process. With
// PPO_TEST_SIGINT_AT=job:update as well, the process sends itself SIGINT
// (SIGHUP with PPO_TEST_SIGNAL=HUP) once that sweep job (0 for train) has
// logged that update, and waits
// until the command's own signal handling has cancelled the run's context
// before the run goes on: the run then stops after exactly that update,
// however fast or loaded the machine is.
func TestMain(m *testing.M) {
	externaltest.MaybeServe() // the child process of an external env (external_test.go)
	if os.Getenv("PPO_TEST_MAIN") == "1" {
		if at := os.Getenv("PPO_TEST_SIGINT_AT"); at != "" {
			var job, update int
			if _, err := fmt.Sscanf(at, "%d:%d", &job, &update); err != nil {
				fmt.Fprintf(os.Stderr, "PPO_TEST_SIGINT_AT=%q: want job:update\n", at)
				os.Exit(3)
			}
			rowHook = func(ctx context.Context, j int, m agent.Metrics) {
				if j != job || m.Update != update {
					return
				}
				sig := syscall.SIGINT
				if os.Getenv("PPO_TEST_SIGNAL") == "HUP" {
					sig = syscall.SIGHUP
				}
				if err := syscall.Kill(os.Getpid(), sig); err != nil {
					fmt.Fprintln(os.Stderr, "test hook:", err)
					os.Exit(3)
				}
				// A wait for the handler, not a trigger: the minute only
				// bounds a hang if the signal handling is broken.
				select {
				case <-ctx.Done():
				case <-time.After(time.Minute):
					fmt.Fprintln(os.Stderr, "test hook: SIGINT did not cancel the run within a minute")
					os.Exit(3)
				}
			}
		}
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// interruptedAt runs ppo args in a child process (this test binary) that
// sends itself SIGINT once job has logged update, and returns its exit
// status and output.
func interruptedAt(t *testing.T, job, update int, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return signalledAt(t, "INT", job, update, args...)
}

// signalledAt is interruptedAt with the signal sig, INT or HUP.
func signalledAt(t *testing.T, sig string, job, update int, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "PPO_TEST_MAIN=1", fmt.Sprintf("PPO_TEST_SIGINT_AT=%d:%d", job, update), "PPO_TEST_SIGNAL="+sig)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, o.String(), e.String()
}

func rowsWithoutTiming(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("a metrics row is not whole JSON: %q", sc.Text())
		}
		delete(m, "sps")
		delete(m, "wall_seconds")
		b, _ := json.Marshal(m)
		rows = append(rows, string(b))
	}
	return rows
}

// TestInterruptAndResume interrupts a training process with SIGINT after
// update 1 and 9 of 24, and with SIGHUP (a closed terminal) after update 4,
// expects exit 130 with exactly those rows logged and the checkpoint of
// that update, resumes with --resume, and compares the metrics to an
// uninterrupted run.
func TestInterruptAndResume(t *testing.T) {
	args := []string{"--set", "total_timesteps=6144", "--set", "env.num_envs=2", "--set", "ppo.rollout_steps=128",
		"--set", "ppo.minibatch_size=128", "--set", "ppo.epochs=2", "--set", "eval.episodes=1",
		"--set", "log.checkpoint_every=0", "--quiet"}
	ref := filepath.Join(t.TempDir(), "ref")
	if code, _, errs := runCLI(append([]string{"train", "--out", ref}, args...)...); code != 0 {
		t.Fatalf("reference run: %s", errs)
	}
	want := rowsWithoutTiming(t, ref)
	if len(want) != 24 {
		t.Fatalf("reference run logged %d rows, want 24", len(want))
	}
	for _, after := range []int{1, 4, 9} {
		dir := filepath.Join(t.TempDir(), "run")
		sig := "INT"
		if after == 4 {
			sig = "HUP"
		}
		code, _, stderr := signalledAt(t, sig, 0, after, append([]string{"train", "--out", dir}, args...)...)
		if code != 130 || !strings.Contains(stderr, "ppo train: stopping after this update") ||
			!strings.Contains(stderr, "ppo train: interrupted; checkpoint and logs are in "+dir) {
			t.Fatalf("SIGINT after update %d: exit %d, stderr %q", after, code, stderr)
		}
		got := rowsWithoutTiming(t, dir)
		if strings.Join(got, "\n") != strings.Join(want[:after], "\n") {
			t.Fatalf("SIGINT after update %d: %d rows logged, want the reference's first %d", after, len(got), after)
		}
		ckpts, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.ckpt"))
		if len(ckpts) != 1 || filepath.Base(ckpts[0]) != fmt.Sprintf("ckpt-%06d.ckpt", after) {
			t.Fatalf("SIGINT after update %d: checkpoints %v", after, ckpts)
		}
		resume := []string{"train", "--resume", dir, "--quiet"}
		if after == 9 { // the same directory named both ways
			resume = append(resume, "--out", dir+string(filepath.Separator))
		}
		if code, out, errs := runCLI(resume...); code != 0 {
			t.Fatalf("resume: exit %d: %s %s", code, out, errs)
		}
		got = rowsWithoutTiming(t, dir)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("interrupted after %d rows: resumed metrics differ from the uninterrupted run", after)
		}
	}
}

// TestClosedOutputPipe: ppo train whose standard output is a pipe nobody
// reads any more (ppo train | head) goes on to the end of the run instead
// of dying of SIGPIPE without a checkpoint.
func TestClosedOutputPipe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(os.Args[0], append([]string{"train", "--out", dir}, tiny[:len(tiny)-1]...)...)
	cmd.Env = append(os.Environ(), "PPO_TEST_MAIN=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var e strings.Builder
	cmd.Stderr = &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out.Close() // before the first line: every write meets a closed pipe
	if err := cmd.Wait(); err != nil {
		t.Fatalf("train with a closed output pipe: %v (stderr %q)", err, e.String())
	}
	for _, f := range []string{"final.ckpt", "eval.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the run did not finish: %v", err)
		}
	}
}
