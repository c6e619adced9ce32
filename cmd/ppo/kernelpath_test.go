package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestKernelPathsAgree builds ppo twice, as usual and with -tags purego
// (pure-Go float32 kernels), and runs the purego build as a CPU without
// AVX2, FMA or AVX-512 would (GODEBUG turns those off in internal/cpu, so
// math.Exp and math.FMA take their non-FMA paths). A seeded CartPole run
// (categorical policy) and a Pendulum run (Gaussian sampling, float32 tanh
// layers), and the Pendulum run with a float64 network, must log the same
// metrics row for row, timing aside, and the same evaluation.
func TestKernelPathsAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command twice and trains six times")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	tmp := t.TempDir()
	build := func(name string, tags ...string) string {
		bin := filepath.Join(tmp, name)
		cmd := exec.Command(goTool, append(append([]string{"build"}, tags...), "-o", bin, "ppo/cmd/ppo")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", tags, err, out)
		}
		return bin
	}
	native, pure := build("ppo"), build("ppo-purego", "-tags", "purego")
	pendulum := filepath.Join("..", "..", "configs", "pendulum-adaptive-kl.yaml")
	runs := map[string][]string{
		"cartpole": {"--seed", "5", "--set", "total_timesteps=4096", "--set", "eval.episodes=3"},
		"pendulum": {"--config", pendulum, "--seed", "5", "--set", "total_timesteps=8192", "--set", "eval.episodes=2"},
		// float64 graphs: exp and expm1 nodes of package kl, the float64 tanh.
		"pendulum-float64": {"--config", pendulum, "--seed", "5", "--set", "total_timesteps=8192", "--set", "eval.episodes=2",
			"--set", "policy.dtype=float64"},
	}
	for name, args := range runs {
		train := func(bin, out string, env ...string) {
			cmd := exec.Command(bin, append([]string{"train", "--out", out, "--quiet"}, args...)...)
			cmd.Env = append(os.Environ(), env...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), name, err, b)
			}
		}
		a, b := filepath.Join(tmp, name+"-native"), filepath.Join(tmp, name+"-purego")
		train(native, a)
		var env []string
		if runtime.GOARCH == "amd64" {
			env = append(env, "GODEBUG=cpu.fma=off,cpu.avx2=off,cpu.avx512f=off")
		}
		train(pure, b, env...)
		ra, rb := rowsWithoutTiming(t, a), rowsWithoutTiming(t, b)
		if len(ra) == 0 || len(ra) != len(rb) {
			t.Fatalf("%s: %d metrics rows native, %d purego", name, len(ra), len(rb))
		}
		for i := range ra {
			if ra[i] != rb[i] {
				t.Fatalf("%s: metrics row %d differs:\nnative %s\npurego %s", name, i+1, ra[i], rb[i])
			}
		}
		ea, errA := os.ReadFile(filepath.Join(a, "eval.json"))
		eb, errB := os.ReadFile(filepath.Join(b, "eval.json"))
		if errA != nil || errB != nil || !bytes.Equal(ea, eb) {
			t.Fatalf("%s: eval.json differs (%v, %v):\n%s\n%s", name, errA, errB, ea, eb)
		}
	}
}

// rowsWithoutTiming reads a run's metrics rows without the timing fields,
// the only ones that may differ between equal runs.
func rowsWithoutTiming(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("a metrics row is not whole JSON: %q", line)
		}
		delete(m, "sps")
		delete(m, "wall_seconds")
		r, _ := json.Marshal(m)
		rows = append(rows, string(r))
	}
	return rows
}
