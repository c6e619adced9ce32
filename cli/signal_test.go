package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets tests run this binary as the ppo command, so a real
// signal can be sent to a real training process.
func TestMain(m *testing.M) {
	if os.Getenv("PPO_TEST_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
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

// TestInterruptAndResume sends SIGINT to a training process at several
// points, expects exit 130 with whole logs and a checkpoint, resumes with
// --resume, and compares the metrics to an uninterrupted run.
func TestInterruptAndResume(t *testing.T) {
	args := []string{"--set", "total_timesteps=6144", "--set", "env.num_envs=2", "--set", "ppo.rollout_steps=128",
		"--set", "ppo.minibatch_size=128", "--set", "ppo.epochs=2", "--set", "eval.episodes=1",
		"--set", "log.checkpoint_every=0", "--quiet"}
	ref := filepath.Join(t.TempDir(), "ref")
	if code, _, errs := runCLI(append([]string{"train", "--out", ref}, args...)...); code != 0 {
		t.Fatalf("reference run: %s", errs)
	}
	want := rowsWithoutTiming(t, ref)
	interrupted := 0
	for _, after := range []int{1, 4, 9} {
		dir := filepath.Join(t.TempDir(), "run")
		cmd := exec.Command(os.Args[0], append([]string{"train", "--out", dir}, args...)...)
		cmd.Env = append(os.Environ(), "PPO_TEST_MAIN=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			b, _ := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
			if strings.Count(string(b), "\n") >= after {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("training made no progress")
			}
			time.Sleep(2 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		ee, ok := err.(*exec.ExitError)
		if ok && ee.ExitCode() == 0 || err == nil {
			// The run finished before the signal landed; nothing to resume.
			continue
		}
		interrupted++
		if !ok || ee.ExitCode() != 130 {
			t.Fatalf("interrupted run: %v, stderr %q", err, stderr.String())
		}
		got := rowsWithoutTiming(t, dir)
		ckpts, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.ckpt"))
		if len(ckpts) != 1 || filepath.Base(ckpts[0]) != fmt.Sprintf("ckpt-%06d.ckpt", len(got)) {
			t.Fatalf("after %d rows the run holds checkpoints %v", len(got), ckpts)
		}
		if code, out, errs := runCLI("train", "--resume", dir, "--quiet"); code != 0 {
			t.Fatalf("resume: exit %d: %s %s", code, out, errs)
		}
		got = rowsWithoutTiming(t, dir)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("interrupted after %d+ rows: resumed metrics differ from the uninterrupted run", after)
		}
	}
	if interrupted == 0 {
		t.Fatal("every run finished before its signal; nothing was tested")
	}
}
