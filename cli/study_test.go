package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ppo/internal/sweep"
)

// TestSweepStudy runs a study file of two variants and a grid axis: the
// combinations are variants × grid, named by variant; the results directory
// receives the sweep's files; running the file again finds every run
// finished and runs nothing; --seeds overrides the file's seeds, and
// --grid an axis of the same path.
func TestSweepStudy(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, dir)
	study := filepath.Join(dir, "study.yaml")
	out := filepath.Join(dir, "sweep")
	write := func(s string) {
		if err := os.WriteFile(study, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`title: tiny
config: tiny.yaml
seeds: 1-2
set: [ppo.epochs=1]
variants:
  - {name: clip, set: [ppo.objective=clip]}
  - {name: fixed-1, set: [ppo.objective=kl_penalty, kl.controller.kind=fixed]}
grid: ["ppo.learning_rate=1e-3,3e-4"]  # quoted: a flow list splits at commas
out: ` + out + `
results: results/tiny
`)
	code, stdout, stderr := sweepCLI("--study", study)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "4 combinations × 2 seeds = 8 runs") {
		t.Errorf("stdout %q", stdout)
	}
	spec, err := sweep.ReadSpec(out)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, c := range spec.Combos {
		labels = append(labels, c.Label+":"+strings.Join(c.Sets, " "))
	}
	want := []string{
		"clip,ppo.learning_rate=1e-3:ppo.objective=clip ppo.learning_rate=1e-3",
		"clip,ppo.learning_rate=3e-4:ppo.objective=clip ppo.learning_rate=3e-4",
		"fixed-1,ppo.learning_rate=1e-3:ppo.objective=kl_penalty kl.controller.kind=fixed ppo.learning_rate=1e-3",
		"fixed-1,ppo.learning_rate=3e-4:ppo.objective=kl_penalty kl.controller.kind=fixed ppo.learning_rate=3e-4",
	}
	if strings.Join(labels, "\n") != strings.Join(want, "\n") {
		t.Errorf("combinations\n%s\nwant\n%s", strings.Join(labels, "\n"), strings.Join(want, "\n"))
	}
	cfg, err := spec.Config(spec.Jobs()[0])
	if err != nil || cfg.PPO.Epochs != 1 {
		t.Errorf("the study's set was not applied: %v %v", cfg, err)
	}
	for _, f := range []string{"sweep.json", "summary.json", "summary.md"} {
		a, _ := os.ReadFile(filepath.Join(out, f))
		b, err := os.ReadFile(filepath.Join(dir, "results", "tiny", f))
		if err != nil || string(a) != string(b) {
			t.Errorf("results/tiny/%s is not the sweep's (%v)", f, err)
		}
	}
	// Again: everything is finished, nothing runs, same summary.
	before := untimedJSON(t, filepath.Join(out, "summary.json"))
	code, stdout, stderr = sweepCLI("--study", study)
	if code != 0 || strings.Contains(stdout, "] clip") || untimedJSON(t, filepath.Join(out, "summary.json")) != before {
		t.Errorf("rerun: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// Flags override: other seeds or another grid make another sweep, which
	// the same directory refuses.
	for _, args := range [][]string{{"--seeds", "3"}, {"--grid", "ppo.learning_rate=1e-2"}} {
		code, _, stderr = sweepCLI(append([]string{"--study", study}, args...)...)
		if code != 2 || !strings.Contains(stderr, "holds a different sweep") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	published, _ := os.ReadFile(filepath.Join(dir, "results", "tiny", "summary.json"))
	code, stdout, stderr = sweepCLI("--study", study, "--seeds", "3", "--grid", "ppo.learning_rate=1e-2", "--out", filepath.Join(dir, "other"))
	if code != 0 || !strings.Contains(stdout, "2 combinations × 1 seed = 2 runs") {
		t.Errorf("overridden: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// ... and leaves the study's published results alone.
	if now, _ := os.ReadFile(filepath.Join(dir, "results", "tiny", "summary.json")); string(now) != string(published) || !strings.Contains(stdout, "left as it is") {
		t.Errorf("an overridden run of the study rewrote its results: %q", stdout)
	}
	// A variant setting a path the grid varies is refused.
	write(strings.Replace(`title: tiny
config: tiny.yaml
seeds: 1
variants:
  - {name: clip, set: [ppo.objective=clip]}
grid: ["ppo.objective=none,clip"]
out: OUT
`, "OUT", filepath.Join(dir, "clash"), 1))
	if code, _, stderr = sweepCLI("--study", study); code != 2 || !strings.Contains(stderr, "which the grid varies") {
		t.Errorf("variant/grid clash: exit %d, stderr %q", code, stderr)
	}
}

// TestSweepStudyRefusals: a bad study file is refused in one line naming
// the file and the problem, with exit status 2, before anything is written.
func TestSweepStudyRefusals(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, dir)
	for _, c := range []struct{ name, text, want string }{
		{"unknown key", "config: tiny.yaml\nseeds: 1\nseed: 2\n", "field seed not found"},
		{"key typo", "config: tiny.yaml\nseeds: 1\nvarients: []\n", `field varients not found (did you mean "variants"?)`},
		{"missing config", "seeds: 1-2\n", "config: missing"},
		{"missing seeds", "config: tiny.yaml\n", "seeds: missing"},
		{"bad seeds", "config: tiny.yaml\nseeds: 3-1\n", "seeds:"},
		{"wrong type", "config: tiny.yaml\nseeds: 1\nset: ppo.epochs=1\n", "cannot unmarshal"},
		{"bad grid", "config: tiny.yaml\nseeds: 1\ngrid: [ppo.epochs]\n", "grid:"},
		{"variant without name", "config: tiny.yaml\nseeds: 1\nvariants: [{set: [ppo.epochs=2]}]\n", "missing name"},
		{"variant name", "config: tiny.yaml\nseeds: 1\nvariants: [{name: a/b}]\n", "letters, digits"},
		{"variant twice", "config: tiny.yaml\nseeds: 1\nvariants: [{name: a}, {name: a}]\n", "given twice"},
		{"variant value", "config: tiny.yaml\nseeds: 1\nvariants: [{name: a, set: [ppo.epochs=0]}]\n", "variant a (ppo.epochs=0): config: ppo.epochs"},
		{"variant path", "config: tiny.yaml\nseeds: 1\nvariants: [{name: a, set: [ppo.epoch=2]}]\n", "variant a: ppo.epoch=2"},
		{"same config", "config: tiny.yaml\nseeds: 1\nvariants: [{name: a}, {name: b}]\n", "give the same config"},
		{"no config file", "config: nope.yaml\nseeds: 1\n", "study " + filepath.Join(dir, "bad.yaml") + ": config: open"},
		{"set typo", "config: tiny.yaml\nseeds: 1\nset: [ppo.epocs=2]\n", "study " + filepath.Join(dir, "bad.yaml") + ": config: ppo.epocs"},
		{"two documents", "config: tiny.yaml\nseeds: 1\n---\nseeds: 2\n", "more than one YAML document"},
		{"empty", "", "empty file"},
		{"parallel 0", "config: tiny.yaml\nseeds: 1\nparallel: 0\n", "parallel: must be >= 1, got 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad.yaml")
			os.WriteFile(p, []byte(c.text), 0o644)
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(c.name, " ", "-"))
			code, _, stderr := sweepCLI("--study", p, "--out", out)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("exit %d, stderr %q, want one line with %q", code, stderr, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was created", out)
			}
		})
	}
	code, _, stderr := sweepCLI("--study", filepath.Join(dir, "absent.yaml"))
	if code != 2 || !strings.Contains(stderr, "absent.yaml") {
		t.Errorf("absent file: exit %d, %q", code, stderr)
	}
}
