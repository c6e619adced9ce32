package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExampleModule builds examples/reach, a module of its own that adds an
// environment and hands over to cli.Main, and drives its new env through
// the commands a user would: envs, train, eval and a sweep over its
// parameter.
func TestExampleModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a second module")
	}
	// docs/extending.md shows the example's main function; it must be the real one.
	src, _ := os.ReadFile(filepath.Join("..", "..", "examples", "reach", "main.go"))
	readme, _ := os.ReadFile(filepath.Join("..", "..", "docs", "extending.md"))
	i := strings.Index(string(src), "func main() {")
	if i < 0 || !strings.Contains(string(readme), "```go\n"+string(src[i:])+"```") {
		t.Error("docs/extending.md's example main differs from examples/reach/main.go")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "reach")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..", "examples", "reach")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the example: %v\n%s", err, out)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("reach %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := run("envs", "Reach1D-v0"); !strings.Contains(out, "speed = 0.1") {
		t.Fatalf("envs: %s", out)
	}
	small := []string{"--set", "env.id=Reach1D-v0", "--set", "total_timesteps=1024", "--set", "env.num_envs=2",
		"--set", "ppo.rollout_steps=128", "--set", "ppo.epochs=2", "--set", "eval.episodes=2", "--quiet"}
	dir := filepath.Join(tmp, "run")
	if out := run(append([]string{"train", "--out", dir}, small...)...); !strings.Contains(out, "done: 4 updates") {
		t.Fatalf("train: %s", out)
	}
	if out := run("eval", dir, "--deterministic"); !strings.Contains(out, "on Reach1D-v0") {
		t.Fatalf("eval: %s", out)
	}
	cfg := filepath.Join(tmp, "reach.yaml")
	os.WriteFile(cfg, []byte("name: reach\nenv: {id: Reach1D-v0, num_envs: 2}\ntotal_timesteps: 512\nppo: {rollout_steps: 128, epochs: 1}\neval: {episodes: 1}\n"), 0o666)
	sw := filepath.Join(tmp, "sweep")
	run("sweep", "--config", cfg, "--seeds", "1", "--grid", "env.params.speed=0.1,0.3", "--out", sw)
	if _, err := os.Stat(filepath.Join(sw, "env.params.speed=0.3", "seed-1", "eval.json")); err != nil {
		t.Fatalf("sweep over the env's parameter: %v", err)
	}
}
