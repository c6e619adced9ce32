package cli

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ppo/configs"
	"ppo/env"
	"ppo/internal/rundir"
)

// faulty is CartPole-v1 that goes wrong at its copy's step "after" (counted
// over its episodes): "panic" panics, "nan" returns a NaN observation,
// "inf" an infinite reward. It saves its step count with CartPole's state,
// so a resumed run fails at the same step.
type faulty struct {
	env.Env
	kind  string
	after int
	n     int
}

func (f *faulty) Step(a []float64) (env.StepResult, error) {
	r, err := f.Env.Step(a)
	f.n++
	if f.n == f.after {
		switch f.kind {
		case "panic":
			panic("boom")
		case "nan":
			r.Obs[2] = math.NaN()
		case "inf":
			r.Reward = math.Inf(1)
		case "err":
			return r, errors.New("env: the simulator diverged")
		case "oob":
			r.Obs[0] = 100 // CartPole's Box bounds x to ±4.8
		}
	}
	return r, err
}

func (f *faulty) MarshalBinary() ([]byte, error) {
	b, err := f.Env.(interface{ MarshalBinary() ([]byte, error) }).MarshalBinary()
	return binary.LittleEndian.AppendUint64(b, uint64(f.n)), err
}

func (f *faulty) UnmarshalBinary(b []byte) error {
	if len(b) < 8 {
		return errors.New("faulty: short state")
	}
	f.n = int(binary.LittleEndian.Uint64(b[len(b)-8:]))
	return f.Env.(interface{ UnmarshalBinary([]byte) error }).UnmarshalBinary(b[:len(b)-8])
}

func init() {
	for kind, id := range map[string]string{"panic": "FaultPanic-v0", "nan": "FaultNaN-v0", "inf": "FaultInf-v0", "err": "FaultErr-v0", "oob": "FaultBox-v0"} {
		err := env.Register(env.Spec{ID: id, Doc: "CartPole-v1 failing at step 'after' (a test env)",
			Params: []env.Param{{Name: "after", Default: 300, Doc: "the copy's step that fails"}},
			New: func(c env.Config) (env.Env, error) {
				e, err := env.Make("CartPole-v1", env.WithSeed(c.Seed))
				return &faulty{Env: e, kind: kind, after: int(c.Params["after"])}, err
			}})
		if err != nil {
			panic(err)
		}
	}
}

// faultArgs trains a few short updates with a checkpoint after each.
var faultArgs = []string{"--set", "total_timesteps=2048", "--set", "env.num_envs=2", "--set", "ppo.rollout_steps=128",
	"--set", "ppo.minibatch_size=64", "--set", "ppo.epochs=2", "--set", "eval.episodes=2", "--set", "log.checkpoint_every=1", "--quiet"}

// TestEnvFaultsNamed: a Go env that panics, returns a NaN observation or an
// infinite reward ends the run with exit status 1 and one last line naming
// the env, the copy and the step (before the value reaches the network,
// not as a NaN loss later); error.txt records it, ppo inspect reports the
// run failed, the checkpoints and rows before the fault are kept, and
// --resume continues from the last checkpoint (to the same fault: the env
// is deterministic).
func TestEnvFaultsNamed(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"FaultPanic-v0", "env FaultPanic-v0, copy 0, step "},
		{"FaultNaN-v0", "observation[2] is NaN"},
		{"FaultInf-v0", "reward is +Inf"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			args := append([]string{"train", "--out", dir, "--set", "env.id=" + tc.id, "--set", "env.params.after=300"}, faultArgs...)
			code, _, errs := runCLI(args...)
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			last := lines[len(lines)-1]
			if code != 1 || !strings.Contains(last, tc.want) || !strings.Contains(last, "env "+tc.id+", copy ") {
				t.Fatalf("exit %d, last line %q; want 1 and a line naming %q", code, last, tc.want)
			}
			t.Log(last)
			if len(last) > 300 || strings.Contains(errs, "goroutine ") {
				t.Errorf("not one short line: %q", errs)
			}
			if tc.id == "FaultPanic-v0" && !strings.Contains(last, "panicked: boom") {
				t.Errorf("the panic's value is not named: %q", last)
			}
			if strings.Contains(errs, "loss is NaN") {
				t.Errorf("blamed on the loss: %q", errs)
			}
			b, err := os.ReadFile(filepath.Join(dir, rundir.ErrorFile))
			if err != nil || !strings.Contains(string(b), tc.want) {
				t.Errorf("error.txt %q (%v)", b, err)
			}
			// 300 steps of copy 0 at 128 a rollout: updates 1 and 2 are done.
			rows, _ := os.ReadFile(filepath.Join(dir, rundir.JSONLFile))
			ckpts, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.ckpt"))
			if strings.Count(string(rows), "\n") != 2 || len(ckpts) != 2 {
				t.Errorf("%d rows and checkpoints %v, want those of updates 1 and 2", strings.Count(string(rows), "\n"), ckpts)
			}
			if code, out, _ := runCLI("inspect", "--json", dir); code != 0 || !strings.Contains(out, `"state": "failed"`) {
				t.Errorf("inspect: exit %d\n%s", code, out)
			}
			code, _, errs = runCLI("train", "--resume", dir, "--quiet")
			if code != 1 || !strings.Contains(errs, tc.want) {
				t.Errorf("resume: exit %d, %q; want the same fault again", code, errs)
			}
		})
	}
}

// TestObservationOutsideBoxWarned: an observation outside the declared
// Box is warned about once; the run goes on.
func TestObservationOutsideBoxWarned(t *testing.T) {
	args := []string{"train", "--out", filepath.Join(t.TempDir(), "run"), "--set", "env.id=FaultBox-v0", "--set", "env.params.after=50"}
	for _, a := range faultArgs {
		if a != "--quiet" {
			args = append(args, a)
		}
	}
	code, out, errs := runCLI(args...)
	if code != 0 || strings.Count(out+errs, "observation[0] = 100 is outside its declared Box [-4.8, 4.8] (warned once)") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and one warning", code, out, errs)
	}
}

// TestEnvErrorSaidOnce: an env's own error reaches the user with the
// copy named and the "env:" prefix said once.
func TestEnvErrorSaidOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	code, _, errs := runCLI(append([]string{"train", "--out", dir, "--set", "env.id=FaultErr-v0", "--set", "env.params.after=50"}, faultArgs...)...)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if last := lines[len(lines)-1]; code != 1 || last != "ppo train: update 1: env: vector env 0: the simulator diverged" && last != "ppo train: env: vector env 0: the simulator diverged" {
		t.Errorf("exit %d, last line %q", code, last)
	}
}

// TestPythonNaNObservation: a program served over the pipe that returns a
// NaN observation is named as the Go env is, instead of a NaN loss later.
func TestPythonNaNObservation(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH")
	}
	lib, _ := filepath.Abs(filepath.Join("..", "env", "external"))
	src := `import sys, math
sys.path.insert(0, ` + strconv.Quote(lib) + `)
import ppoenv

class Drift:
    id = "Drift-v0"
    observation_space = ppoenv.Box([-1.0, -1.0], [1.0, 1.0])
    action_space = ppoenv.Discrete(2)
    def __init__(self, seed, params, text_params): self.n = 0
    def reset(self): return [0.0, 0.0]
    def step(self, action):
        self.n += 1
        x = math.nan if self.n == 40 else 0.0
        return [0.0, x], 1.0, self.n % 25 == 0, False

ppoenv.serve(Drift)
`
	file := filepath.Join(t.TempDir(), "drift.py")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, _ := json.Marshal([]string{py, file})
	dir := filepath.Join(t.TempDir(), "run")
	code, _, errs := runCLI(append([]string{"train", "--out", dir, "--set", "env.id=external", "--set", "env.external.command=" + string(cmd)}, faultArgs...)...)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if last := lines[len(lines)-1]; code != 1 || !strings.Contains(last, "env Drift-v0, copy 0, step 15 of its episode: observation[1] is NaN") {
		t.Fatalf("exit %d, last line %q", code, last)
	}
}

// TestReferenceSettingWithoutReference: a reference setting without a
// reference checkpoint, and an empty path from an unset shell variable,
// are refused in one line naming the fields (exit 2), and nothing is
// written; with β = 0 on purpose a placement is only noted.
func TestReferenceSettingWithoutReference(t *testing.T) {
	finetune := filepath.Join("..", "experiments", "forgetting", "physics", "finetune.yaml")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--config", finetune, "--set", "init.checkpoint=", "--set", "kl.reference.checkpoint=", "--set", "kl.reference.controller.init_beta=1"},
			[]string{"init.checkpoint", "empty file path"}},
		{[]string{"--set", "kl.reference.controller.init_beta=0.5"},
			[]string{"kl.reference.controller.init_beta", "kl.reference.checkpoint is empty"}},
		{[]string{"--set", "kl.reference.placement=reward"},
			[]string{"kl.reference.placement", "kl.reference.checkpoint"}},
	} {
		dir := filepath.Join(t.TempDir(), "run")
		code, out, errs := runCLI(append([]string{"train", "--out", dir}, tc.args...)...)
		if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and one line", tc.args, code, out, errs)
		}
		for _, w := range tc.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: %q does not name %q", tc.args, errs, w)
			}
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%v: %s was written", tc.args, dir)
		}
	}
	// β = 0 with a reference, as the forgetting study's control rows: a note.
	ref := filepath.Join(t.TempDir(), "a")
	if code, _, errs := runCLI(append([]string{"train", "--out", ref}, tiny...)...); code != 0 {
		t.Fatal(errs)
	}
	b := filepath.Join(t.TempDir(), "b")
	code, _, errs := runCLI(append([]string{"train", "--out", b, "--set", "kl.reference.checkpoint=" + filepath.Join(ref, "final.ckpt"),
		"--set", "init.checkpoint=" + filepath.Join(ref, "final.ckpt"),
		"--set", "kl.reference.placement=reward", "--set", "kl.reference.controller.init_beta=0"}, tiny...)...)
	if code != 0 || strings.Count(errs, "note: kl.reference.placement is reward but kl.reference.controller.init_beta is 0") != 1 {
		t.Errorf("exit %d, %q; want 0 and one note", code, errs)
	}
	// ppo inspect tells a fine-tuned, penalised run from its reference.
	_, out, _ := runCLI("inspect", ref, b)
	for _, want := range []string{"init from", "a/final.ckpt", "reference", "reward, old_new, coef 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, out)
		}
	}
}

// TestRunStates: ppo inspect tells a finished, a failed, an interrupted
// and a running run apart (the lock says which is live), and --resume
// reads metrics.jsonl, rebuilding a missing metrics.csv, without claiming
// rows were lost.
func TestRunStates(t *testing.T) {
	tmp := t.TempDir()
	fin, intr := filepath.Join(tmp, "finished"), filepath.Join(tmp, "interrupted")
	if code, _, errs := runCLI(append([]string{"train", "--out", fin, "--set", "log.checkpoint_every=1"}, tiny...)...); code != 0 {
		t.Fatal(errs)
	}
	// An interrupted run: the finished run's logs and checkpoints without
	// its last update, final.ckpt or eval.json, as a killed run leaves them.
	if err := os.MkdirAll(intr, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{rundir.ConfigFile, rundir.StampFile, "ckpt-000001.ckpt"} {
		b, _ := os.ReadFile(filepath.Join(fin, f))
		os.WriteFile(filepath.Join(intr, f), b, 0o666)
	}
	rows, _ := os.ReadFile(filepath.Join(fin, rundir.JSONLFile))
	first := strings.SplitAfter(string(rows), "\n")[0]
	os.WriteFile(filepath.Join(intr, rundir.JSONLFile), []byte(first), 0o666)
	state := func(dir string) string {
		_, out, _ := runCLI("inspect", "--json", dir)
		var v struct {
			Runs []struct{ State string } `json:"runs"`
		}
		json.Unmarshal([]byte(out), &v)
		if len(v.Runs) != 1 {
			return "(" + out + ")"
		}
		return v.Runs[0].State
	}
	if s := state(fin); s != "finished" {
		t.Errorf("finished run: %s", s)
	}
	if s := state(intr); s != "interrupted" {
		t.Errorf("interrupted run: %s", s)
	}
	if _, out, _ := runCLI("inspect", intr); !strings.Contains(out, "interrupted; resume with: ppo train --resume "+intr) {
		t.Errorf("no resume hint:\n%s", out)
	}
	release, err := rundir.Lock(intr)
	if err != nil {
		t.Fatal(err)
	}
	if s := state(intr); s != "running" {
		t.Errorf("a run whose directory is locked: %s", s)
	}
	release()
	os.WriteFile(filepath.Join(intr, rundir.ErrorFile), []byte("env X, copy 0, step 3 of its episode: reward is NaN\n"), 0o666)
	if _, out, _ := runCLI("inspect", intr); !strings.Contains(out, "failed") || !strings.Contains(out, "reward is NaN") {
		t.Errorf("a failed run: the table does not give error.txt's line:\n%s", out)
	}
	// The CSV is a view: without it the run resumes, and it is rebuilt.
	code, out, errs := runCLI("train", "--resume", intr)
	if code != 0 || strings.Contains(out+errs, "lost") {
		t.Fatalf("resume: exit %d\n%s%s", code, out, errs)
	}
	a, _ := os.ReadFile(filepath.Join(fin, rundir.CSVFile))
	b, _ := os.ReadFile(filepath.Join(intr, rundir.CSVFile))
	if got, want := csvWithoutTiming(string(b)), csvWithoutTiming(string(a)); got != want {
		t.Errorf("rebuilt metrics.csv differs from the uninterrupted run's:\n%s\n%s", got, want)
	}
}

// csvWithoutTiming blanks the sps and wall_seconds columns.
func csvWithoutTiming(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	head := strings.Split(lines[0], ",")
	var out []string
	for _, l := range lines {
		cells := strings.Split(l, ",")
		for i, h := range head {
			if (h == "sps" || h == "wall_seconds") && i < len(cells) {
				cells[i] = ""
			}
		}
		out = append(out, strings.Join(cells, ","))
	}
	return strings.Join(out, "\n")
}

// TestHintsPointTheRightWay: a config file given without --config is named
// as one; --out into a directory that is not a run does not suggest
// --resume (which would refuse it); --resume of a finished run is a no-op,
// exit 0.
func TestHintsPointTheRightWay(t *testing.T) {
	cfg := filepath.Join("..", "configs", "cartpole-clip.yaml")
	code, _, errs := runCLI("train", cfg)
	if code != 2 || !strings.Contains(errs, "a config file goes after --config (ppo train --config "+cfg+")") {
		t.Errorf("a config file as argument: exit %d, %q", code, errs)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o666)
	code, _, errs = runCLI(append([]string{"train", "--out", other}, tiny...)...)
	if code != 2 || strings.Contains(errs, "--resume") || !strings.Contains(errs, "holds no run") {
		t.Errorf("--out into a directory that is not a run: exit %d, %q", code, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "notes.txt")); string(b) != "mine" {
		t.Error("the directory's file was touched")
	}
	dir := filepath.Join(t.TempDir(), "run")
	if code, _, errs := runCLI(append([]string{"train", "--out", dir}, tiny...)...); code != 0 {
		t.Fatal(errs)
	}
	// Uneven minibatches are noted (256 rows in minibatches of 100).
	_, out, _ := runCLI("train", "--out", filepath.Join(t.TempDir(), "uneven"), "--set", "total_timesteps=256", "--set", "env.num_envs=2",
		"--set", "ppo.rollout_steps=128", "--set", "ppo.minibatch_size=100", "--set", "ppo.epochs=1", "--set", "eval.episodes=1")
	if !strings.Contains(out, "note: ppo.minibatch_size 100 does not divide the batch (num_envs × rollout_steps = 256): each epoch has 2 minibatches of 100 rows and one of 56") {
		t.Errorf("uneven minibatches not noted:\n%s", out)
	}
	code, out, errs = runCLI("train", "--resume", dir)
	if code != 0 || !strings.Contains(out, "has already finished") || errs != "" {
		t.Errorf("--resume of a finished run: exit %d, %q %q; want 0 and a note", code, out, errs)
	}
}

// TestConfigCommand: ppo config lists every field with its default and
// doc; --defaults is the schema's defaults as a file that loads back to
// them; PATH with --set is the config resolved; bad input exits 2.
func TestConfigCommand(t *testing.T) {
	code, out, _ := runCLI("config")
	if code != 0 || strings.Count(out, "\n    ") != len(configs.Fields()) || !strings.Contains(out, "ppo.learning_rate  (float, default 0.0003)") {
		t.Errorf("schema: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI("config", "--defaults")
	c, err := configs.Parse([]byte(out))
	if code != 0 || err != nil || len(configs.Diff(c, configs.Default())) != 0 {
		t.Errorf("--defaults: exit %d, %v, differs from the defaults: %v", code, err, configs.Diff(c, configs.Default()))
	}
	code, out, _ = runCLI("config", filepath.Join("..", "configs", "cartpole-clip.yaml"), "--set", "seed=3")
	if c, err := configs.Parse([]byte(out)); code != 0 || err != nil || c.Seed != 3 || c.PPO.Objective != configs.ObjectiveClip {
		t.Errorf("resolved: exit %d, %v\n%s", code, err, out)
	}
	for _, args := range [][]string{{"config", "a", "b"}, {"config", "--defaults", "x.yaml"}, {"config", "--set", "seed=3"}, {"config", "nope.yaml"}} {
		if code, _, errs := runCLI(args...); code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
}

// TestExternalEnvDirRemembered: a run records the directory its env
// program was started in (env.external.dir), so ppo eval (and resume) from
// any other directory start it there; when that directory is gone, one
// line says which and how to point elsewhere. eval and inspect name the
// run's env by the id its program serves.
func TestExternalEnvDirRemembered(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH")
	}
	lib, _ := filepath.Abs(filepath.Join("..", "env", "external"))
	envDir := filepath.Join(t.TempDir(), "myenv")
	os.MkdirAll(envDir, 0o777)
	src := `import sys
sys.path.insert(0, ` + strconv.Quote(lib) + `)
import ppoenv

class Walk:
    id = "Walk-v0"
    max_episode_steps = 20
    observation_space = ppoenv.Box([-10.0], [10.0])
    action_space = ppoenv.Discrete(2)
    def __init__(self, seed, params, text_params): self.x = 0
    def reset(self):
        self.x = 0
        return [0.0]
    def step(self, a):
        self.x += 1 if a == 1 else -1
        return [float(self.x)], float(a), abs(self.x) >= 5, False

ppoenv.serve(Walk)
`
	os.WriteFile(filepath.Join(envDir, "walk.py"), []byte(src), 0o644)
	run := filepath.Join(t.TempDir(), "run")
	t.Chdir(envDir)
	args := []string{"train", "--out", run, "--set", "env.id=external", "--set", "env.external.command=[" + py + ", walk.py]"}
	if code, _, errs := runCLI(append(args, faultArgs...)...); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	t.Chdir(t.TempDir())
	if code, out, errs := runCLI("eval", run, "--episodes", "2"); code != 0 || !strings.Contains(out, "final.ckpt on Walk-v0 (external)") {
		t.Fatalf("eval from another directory: exit %d\n%s%s", code, out, errs)
	}
	// The run is named by the id its program serves.
	if _, out, _ := runCLI("inspect", run); !strings.Contains(out, "Walk-v0 (external)") {
		t.Errorf("inspect does not name the served env:\n%s", out)
	}
	os.Rename(envDir, envDir+"-moved")
	code, _, errs := runCLI("eval", run, "--episodes", "2")
	if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "its directory "+envDir+" is gone") || !strings.Contains(errs, "env.external.dir") {
		t.Errorf("eval with the env's directory gone: exit %d, %q", code, errs)
	}
	// Pointed elsewhere, by --set or in config.yaml, it plays again.
	if code, _, errs := runCLI("eval", run, "--episodes", "2", "--set", "env.external.dir="+envDir+"-moved"); code != 0 {
		t.Errorf("eval --set env.external.dir: exit %d, %q", code, errs)
	}
	cy := filepath.Join(run, "config.yaml")
	b, _ := os.ReadFile(cy)
	os.WriteFile(cy, []byte(strings.ReplaceAll(string(b), "dir: "+envDir+"\n", "dir: "+envDir+"-moved\n")), 0o666)
	if code, _, errs := runCLI("eval", run, "--episodes", "2"); code != 0 {
		t.Errorf("eval after editing env.external.dir in config.yaml: exit %d, %q", code, errs)
	}
}
