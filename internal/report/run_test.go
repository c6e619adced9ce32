package report

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"ppo/configs"
	"ppo/internal/rundir"
)

// tinyConfig is a CartPole run of 6 updates of 256 steps, which trains in
// well under a second (the settings of agent's smallConfig).
func tinyConfig(t testing.TB, sets ...string) *configs.Config {
	t.Helper()
	cfg := configs.Default()
	for _, s := range append([]string{"total_timesteps=1536", "env.num_envs=4", "ppo.rollout_steps=64",
		"ppo.minibatch_size=64", "ppo.epochs=4", "eval.episodes=2", "log.checkpoint_every=0"}, sets...) {
		if err := cfg.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fixtures are real runs trained once for the whole package's tests.
var fixtures struct {
	once sync.Once
	dir  string
	err  error
}

// fixtureRuns lists the real runs: three seeds of one config (a sweep),
// a clip run with an early-stop KL target, and a modular_rl-preset run.
var fixtureRuns = []struct {
	name string
	sets []string
}{
	{"sweep-s1", []string{"seed=1", "name=sweep-a"}},
	{"sweep-s2", []string{"seed=2", "name=sweep-b"}},
	{"sweep-s3", []string{"seed=3"}},
	{"clip-early", []string{"ppo.objective=clip", "ppo.target_kl=0.002", "ppo.learning_rate=0.003"}},
	{"modular", []string{"kl.controller.preset=modular_rl", "kl.controller.target=0.02", "seed=4"}},
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtures.dir != "" {
		os.RemoveAll(fixtures.dir)
	}
	os.Exit(code)
}

// fixture returns the directory of the named real run.
func fixture(t *testing.T, name string) string {
	t.Helper()
	fixtures.once.Do(func() {
		fixtures.dir, fixtures.err = os.MkdirTemp("", "report-test-")
		if fixtures.err != nil {
			return
		}
		for _, f := range fixtureRuns {
			_, err := rundir.Train(context.Background(), tinyConfig(t, f.sets...), filepath.Join(fixtures.dir, f.name), nil)
			if err != nil {
				fixtures.err = err
				return
			}
		}
	})
	if fixtures.err != nil {
		t.Fatal(fixtures.err)
	}
	return filepath.Join(fixtures.dir, name)
}

// rawRows decodes metrics.jsonl generically, independently of Load.
func rawRows(t *testing.T, dir string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rundir.JSONLFile))
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, m)
	}
	return rows
}

func TestLoadRealRun(t *testing.T) {
	dir := fixture(t, "sweep-s1")
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	rows := rawRows(t, dir)
	if len(r.Rows) != len(rows) || len(rows) != 6 {
		t.Fatalf("%d rows loaded, file has %d (want 6)", len(r.Rows), len(rows))
	}
	if r.Name != "sweep-s1" || r.Config.Seed != 1 || r.Eval == nil || r.Eval.Episodes != 2 {
		t.Fatalf("run %q seed %d eval %+v", r.Name, r.Config.Seed, r.Eval)
	}
	// Every numeric field is a series against timesteps, equal to the file.
	for _, metric := range []string{"kl", "beta", "clip_fraction", "sps", "update", "early_stopped"} {
		xs, ys, ok := r.Series(metric)
		if !ok || len(xs) != len(rows) {
			t.Fatalf("%s: %d points, ok %v", metric, len(xs), ok)
		}
		for i, row := range rows {
			want, isBool := row[metric].(bool)
			wantY := row[metric]
			if isBool {
				wantY = map[bool]float64{false: 0, true: 1}[want]
			}
			if xs[i] != row["timesteps"].(float64) || ys[i] != wantY.(float64) {
				t.Errorf("%s row %d: (%v, %v), file has (%v, %v)", metric, i, xs[i], ys[i], row["timesteps"], row[metric])
			}
		}
	}
	if _, _, ok := r.Series("kl_ref"); ok {
		t.Error("kl_ref series present in a run without a reference policy")
	}
	if _, _, ok := r.Series("no_such_metric"); ok {
		t.Error("unknown metric has a series")
	}
}

// writeRun makes a synthetic run directory from a config and raw lines.
func writeRun(t *testing.T, cfg *configs.Config, lines string, eval string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "synthetic")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	y, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, rundir.ConfigFile), y, 0o644)
	os.WriteFile(filepath.Join(dir, rundir.JSONLFile), []byte(lines), 0o644)
	if eval != "" {
		os.WriteFile(filepath.Join(dir, rundir.EvalFile), []byte(eval), 0o644)
	}
	return dir
}

func TestLoadNulls(t *testing.T) {
	dir := writeRun(t, configs.Default(), `{"update":1,"timesteps":100,"kl":0.1,"episode_return_mean":null,"extra":"text"}
{"update":2,"timesteps":200,"kl":0.2,"episode_return_mean":5,"custom":7}
`, "")
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Eval != nil {
		t.Error("eval present without eval.json")
	}
	xs, ys, _ := r.Series("episode_return_mean")
	if len(xs) != 1 || xs[0] != 200 || ys[0] != 5 {
		t.Errorf("episode_return_mean series (%v, %v), want the second row only", xs, ys)
	}
	xs, ys, _ = r.Series("custom")
	if len(xs) != 1 || xs[0] != 200 || ys[0] != 7 {
		t.Errorf("custom series (%v, %v)", xs, ys)
	}
	if _, _, ok := r.Series("extra"); ok {
		t.Error("a string field became a series")
	}
	names := strings.Join(metricNames(r), ",")
	for _, want := range []string{"custom", "kl", "kl_ref", "early_stopped", "wall_seconds"} {
		if !strings.Contains(","+names+",", ","+want+",") {
			t.Errorf("metricNames lacks %s: %s", want, names)
		}
	}
	if strings.Contains(names, "extra") {
		t.Errorf("metricNames lists the string field: %s", names)
	}
}

// TestLoadRefusals: every broken input gives one line naming the file
// (and line) at fault.
func TestLoadRefusals(t *testing.T) {
	cfg := configs.Default()
	good := `{"update":1,"timesteps":100,"kl":0.1}` + "\n"
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	noMetrics := t.TempDir()
	y, _ := cfg.YAML()
	os.WriteFile(filepath.Join(noMetrics, rundir.ConfigFile), y, 0o644)
	noConfig := t.TempDir()
	os.WriteFile(filepath.Join(noConfig, rundir.JSONLFile), []byte(good), 0o644)
	badConfig := writeRun(t, cfg, good, "")
	os.WriteFile(filepath.Join(badConfig, rundir.ConfigFile), []byte("ppo:\n  epocs: 3\n"), 0o644)
	cases := []struct {
		name string
		dir  string
		want []string
	}{
		{"missing", filepath.Join(t.TempDir(), "nope"), []string{"nope", "no such run directory"}},
		{"file", notDir, []string{"not a run directory"}},
		{"no metrics", noMetrics, []string{"not a run directory", "metrics.jsonl"}},
		{"no config", noConfig, []string{"not a run directory", "config.yaml"}},
		{"bad config", badConfig, []string{"config.yaml", "ppo.epocs"}},
		{"malformed", writeRun(t, cfg, good+"{\"update\":2,\"timesteps\":\n"+good, ""), []string{"metrics.jsonl:2:", "malformed"}},
		{"wrong type", writeRun(t, cfg, good+`{"update":2,"timesteps":200,"kl":"high"}`+"\n", ""), []string{"metrics.jsonl:2:", "malformed"}},
		{"no update", writeRun(t, cfg, good+`{"timesteps":200}`+"\n", ""), []string{"metrics.jsonl:2:", `"update"`}},
		{"not object", writeRun(t, cfg, "[1,2]\n", ""), []string{"metrics.jsonl:1:"}},
		{"empty line", writeRun(t, cfg, good+"\n"+good, ""), []string{"metrics.jsonl:2:", "empty line"}},
		{"truncated", writeRun(t, cfg, good+good+`{"update":3,"timesteps":300,"kl":0.0`, ""), []string{"metrics.jsonl:3:", "truncated"}},
		{"bad eval", writeRun(t, cfg, good, "{"), []string{"eval.json"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.dir)
			if err == nil {
				t.Fatal("loaded")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("message spans lines: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
	// A complete last row without its newline is kept: nothing was lost.
	r, err := Load(writeRun(t, cfg, good+`{"update":2,"timesteps":200,"kl":0.2}`, ""))
	if err != nil || len(r.Rows) != 2 {
		t.Fatalf("complete unterminated last row: %v", err)
	}
	// LoadAll stops at the first bad directory.
	if _, err := LoadAll([]string{r.Dir, noConfig}); err == nil || !strings.Contains(err.Error(), "config.yaml") {
		t.Errorf("LoadAll: %v", err)
	}
	// An empty metrics file is a run that has not finished an update.
	r, err = Load(writeRun(t, cfg, "", ""))
	if err != nil || len(r.Rows) != 0 {
		t.Fatalf("empty metrics: %v, %d rows", err, len(r.Rows))
	}
}
