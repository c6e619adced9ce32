package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// reportFlags make a CartPole run of 6 updates of 256 steps, a fraction
// of a second each.
var reportFlags = []string{"--set", "total_timesteps=1536", "--set", "env.num_envs=4", "--set", "ppo.rollout_steps=64",
	"--set", "ppo.minibatch_size=64", "--set", "ppo.epochs=4", "--set", "eval.episodes=2",
	"--set", "log.checkpoint_every=0", "--quiet"}

// trainRuns trains the named runs into a temporary directory with extra
// flags per run and returns their directories.
func trainRuns(t *testing.T, runs map[string][]string) map[string]string {
	t.Helper()
	parent := t.TempDir()
	dirs := map[string]string{}
	for name, extra := range runs {
		dir := filepath.Join(parent, name)
		args := append(append([]string{"train", "--out", dir}, reportFlags...), extra...)
		if code, out, errs := runCLI(args...); code != 0 {
			t.Fatalf("train %s: exit %d: %s %s", name, code, out, errs)
		}
		dirs[name] = dir
	}
	return dirs
}

// rowsOf decodes a run's metrics.jsonl generically.
func rowsOf(t *testing.T, dir string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, m)
	}
	return rows
}

// TestInspectCLI checks ppo inspect --json against numbers recomputed
// here from the metrics rows and eval.json of real runs, and the table's
// layout.
func TestInspectCLI(t *testing.T) {
	dirs := trainRuns(t, map[string][]string{
		"adaptive": {"--seed", "5"},
		// A large step size and a small early-stop target make early stops.
		"clip": {"--set", "ppo.objective=clip", "--set", "ppo.target_kl=0.002", "--set", "ppo.learning_rate=0.003"},
		// modular_rl's high_mult is 1.3 (Schulman's modular_rl ppo.py).
		"modular": {"--set", "kl.controller.preset=modular_rl", "--set", "kl.controller.target=0.02",
			"--set", "env.params.masspole=0.2"},
	})
	// A run stopped after its final checkpoint, before eval.json: interrupted.
	os.Remove(filepath.Join(dirs["modular"], "eval.json"))
	order := []string{"adaptive", "clip", "modular"}
	args := []string{"inspect"}
	for _, n := range order {
		args = append(args, dirs[n])
	}
	code, out, errs := runCLI(append(args, "--json")...)
	if code != 0 {
		t.Fatalf("inspect --json: exit %d: %s", code, errs)
	}
	var doc struct {
		Runs []map[string]any `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Runs) != 3 {
		t.Fatalf("inspect --json printed %q (%v)", out, err)
	}
	highMult := map[string]float64{"adaptive": 1.5, "clip": 1.5, "modular": 1.3}
	lowMult := map[string]float64{"adaptive": 1 / 1.5, "clip": 1 / 1.5, "modular": 0.7}
	target := map[string]float64{"adaptive": 0.01, "clip": 0.01, "modular": 0.02}
	for i, name := range order {
		got := doc.Runs[i]
		rows := rowsOf(t, dirs[name])
		lo, hi := target[name]*lowMult[name], target[name]*highMult[name]
		var klSum, klMax, sps float64
		betaMin, betaMax, best := math.Inf(1), math.Inf(-1), math.Inf(-1)
		in, early := 0, 0
		for _, r := range rows {
			k := r["kl"].(float64)
			klSum += k
			klMax = math.Max(klMax, k)
			if k >= lo && k <= hi {
				in++
			}
			betaMin, betaMax = math.Min(betaMin, r["beta"].(float64)), math.Max(betaMax, r["beta"].(float64))
			if r["early_stopped"].(bool) {
				early++
			}
			sps += r["sps"].(float64)
			if v, ok := r["episode_return_mean"].(float64); ok {
				best = math.Max(best, v)
			}
		}
		n := float64(len(rows))
		last := rows[len(rows)-1]
		want := map[string]any{
			"run": name, "env": "CartPole-v1", "steps": last["timesteps"], "updates": n, "final_return": last["episode_return_mean"],
			"best_return": best, "kl_mean": klSum / n, "kl_max": klMax, "kl_target": target[name], "kl_in_band": float64(in) / n,
			"beta_min": betaMin, "beta_max": betaMax, "early_stops": float64(early), "sps_mean": sps / n,
			"finished": name != "modular",
		}
		if name == "modular" {
			want["eval_return"] = nil
			want["preset"] = "modular_rl"
			if p := got["env_params"].(map[string]any); len(p) != 1 || p["masspole"] != 0.2 {
				t.Errorf("modular env_params %v, want {masspole: 0.2}", p)
			}
		} else {
			b, _ := os.ReadFile(filepath.Join(dirs[name], "eval.json"))
			var ev map[string]any
			json.Unmarshal(b, &ev)
			want["eval_return"] = ev["mean_return"]
		}
		if name == "clip" {
			// No KL penalty: the controller's quantities are null.
			want["objective"], want["kl_penalty"] = "clip", false
			want["kl_target"], want["kl_band"], want["kl_in_band"], want["beta_min"], want["beta_max"] = nil, nil, nil, nil, nil
			if _, ok := got["controller"]; ok {
				t.Errorf("clip run has a controller: %v", got["controller"])
			}
			if early == 0 {
				t.Error("the clip run never stopped early; the count is untested")
			}
		}
		for k, w := range want {
			g := got[k]
			gf, gok := g.(float64)
			wf, wok := w.(float64)
			if gok && wok {
				// Sums of the same float64s in the same order: equal up to
				// the last bit or two.
				if math.Abs(gf-wf) > 1e-12*math.Max(1, math.Abs(wf)) {
					t.Errorf("%s %s = %v, want %v", name, k, g, w)
				}
			} else if g != w {
				t.Errorf("%s %s = %v, want %v", name, k, g, w)
			}
		}
		if name != "modular" && len(got["env_params"].(map[string]any)) != 0 {
			t.Errorf("%s env_params %v, want {}", name, got["env_params"])
		}
		if name == "clip" {
			continue
		}
		band := got["kl_band"].([]any)
		if math.Abs(band[0].(float64)-lo) > 1e-15 || math.Abs(band[1].(float64)-hi) > 1e-15 {
			t.Errorf("%s kl_band %v, want [%v, %v]", name, band, lo, hi)
		}
	}

	code, out, errs = runCLI(args...)
	if code != 0 || errs != "" {
		t.Fatalf("inspect: exit %d: %s", code, errs)
	}
	for _, l := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(l) > 100 && !strings.Contains(l, "ppo train --resume") { // the table; a hint names the path
			t.Errorf("table line wider than 100 columns: %q", l)
		}
	}
	for _, want := range []string{"adaptive", "clip", "modular", "modular_rl", "interrupted", "finished", "kl in band", "beta range",
		"n/a (no KL penalty)", "env masspole", "modular: interrupted; resume with: ppo train --resume " + dirs["modular"]} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Flags may come first too.
	if code, _, errs := runCLI("inspect", "--json", dirs["clip"]); code != 0 {
		t.Errorf("inspect --json DIR: exit %d: %s", code, errs)
	}
}

// TestInspectRefusals: each bad input gives exit 2 and one line naming it.
func TestInspectRefusals(t *testing.T) {
	dirs := trainRuns(t, map[string][]string{"ok": nil})
	good := dirs["ok"]
	rows, _ := os.ReadFile(filepath.Join(good, "metrics.jsonl"))
	cfg, _ := os.ReadFile(filepath.Join(good, "config.yaml"))
	broken := func(name, metrics string) string {
		d := filepath.Join(t.TempDir(), name)
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "config.yaml"), cfg, 0o644)
		os.WriteFile(filepath.Join(d, "metrics.jsonl"), []byte(metrics), 0o644)
		return d
	}
	lines := strings.SplitAfter(string(rows), "\n")
	truncated := broken("crashed", lines[0]+lines[1]+lines[2][:len(lines[2])/2])
	malformed := broken("malformed", lines[0]+"{not json}\n"+lines[1])
	notRun := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"inspect"}, "run directory"},
		{[]string{"inspect", notRun}, "not a run directory (no metrics.jsonl)"},
		{[]string{"inspect", good, filepath.Join(notRun, "missing")}, "no such run directory"},
		{[]string{"inspect", good, truncated}, "crashed/metrics.jsonl:3: truncated"},
		{[]string{"inspect", malformed, "--json"}, "malformed/metrics.jsonl:2: malformed"},
		{[]string{"inspect", good, "--bogus"}, "bogus"},
		{[]string{"inspect", "--json=maybe", good}, "json"},
	}
	for _, tc := range cases {
		code, out, errs := runCLI(tc.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, code, out, errs, tc.want)
		}
	}
}
