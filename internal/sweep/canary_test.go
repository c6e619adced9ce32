package sweep

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ppo/configs"
	"ppo/internal/rundir"
)

// fullSteps is how long a canary's cell may train for the canaries to
// also rerun it whole against its summary.json: none in go test ./...;
// .ci/run sets PPO_CANARY_FULL=1 (every cell) on the assembly kernels and
// PPO_CANARY_FULL=100000 on the pure-Go ones, which are about 20 times
// slower (every CartPole, Pendulum and Acrobot study's cell).
func fullSteps(t *testing.T) int {
	switch v := os.Getenv("PPO_CANARY_FULL"); v {
	case "", "0":
		return 0
	case "1":
		return math.MaxInt
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("PPO_CANARY_FULL=%q: want 1 (every cell) or a number of steps", v)
		}
		return n
	}
}

// TestCanaries runs every committed study's canary: a current study's
// cell reruns its first updates and must give the committed rows bit for
// bit (with PPO_CANARY_FULL, its whole run must also give summary.json's
// record); a stale one must carry its banner; every study has a canary and
// its summary a stamp.
func TestCanaries(t *testing.T) {
	root := filepath.Join("..", "..")
	dirs, err := CommittedStudies(root)
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no committed studies found (%v)", err)
	}
	for _, d := range dirs {
		t.Run(strings.ReplaceAll(strings.TrimPrefix(d, "experiments/"), "/", "_"), func(t *testing.T) {
			t.Parallel()
			rep, err := CheckCanary(context.Background(), root, d, fullSteps(t), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status == Current && rep.Updates == 0 {
				t.Fatalf("%s: a current canary compared no rows", d)
			}
		})
	}
}

// TestCommittedRuns reruns the first updates of each run committed under
// experiments/runs from its own config.yaml and compares them with the
// committed metrics.jsonl bit for bit; rundir's TestCommittedRunsReproduce
// reruns them whole in .ci/run. Each carries a stamp.json.
func TestCommittedRuns(t *testing.T) {
	root := filepath.Join("..", "..")
	runs, err := filepath.Glob(filepath.Join(root, "experiments", "runs", "*", rundir.ConfigFile))
	if err != nil || len(runs) == 0 {
		t.Fatalf("no committed runs found (%v)", err)
	}
	for _, cfgPath := range runs {
		dir := filepath.Dir(cfgPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			if s, err := rundir.ReadStamps(dir); err != nil || len(s) == 0 || s[0].Commit == "" {
				t.Fatalf("%s: no stamp (%v)", dir, err)
			}
			cfg, err := configs.Load(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			if cmd := cfg.Env.External.Command; len(cmd) > 0 { // written relative to the repository root
				if _, err := exec.LookPath(cmd[0]); err != nil {
					t.Skipf("%s is not on PATH", cmd[0])
				}
				for i, a := range cmd[1:] {
					if _, err := os.Stat(filepath.Join(root, a)); err == nil {
						cmd[i+1] = filepath.Join(root, a)
					}
				}
			}
			want, err := ReadRows(dir)
			if err != nil || len(want) < CanaryUpdates {
				t.Fatalf("%s: %d committed rows (%v)", dir, len(want), err)
			}
			want = want[:CanaryUpdates]
			got, err := Prefix(context.Background(), cfg, len(want), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			d, err := CompareRows(got, want)
			if err != nil {
				t.Fatal(err)
			}
			if d != nil {
				t.Fatalf("%s no longer reproduces: %v", dir, d)
			}
		})
	}
}

// TestCompareRows checks that the comparison finds a one-ulp change, in
// the right update and field, ignores fields the committed rows lack and
// the timing fields, and reports a missing row.
func TestCompareRows(t *testing.T) {
	row := func(u int, kl float64, extra string) json.RawMessage {
		r, err := withoutTiming([]byte(`{"update":` + strconv.Itoa(u) + `,"kl":` + strconv.FormatFloat(kl, 'g', -1, 64) + `,"sps":123.4,"wall_seconds":5` + extra + `}`))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	want := []json.RawMessage{row(1, 0.01, ""), row(2, 0.02, "")}
	if strings.Contains(string(want[0]), "sps") || strings.Contains(string(want[0]), "wall_seconds") {
		t.Fatalf("timing fields kept: %s", want[0])
	}
	same := []json.RawMessage{row(1, 0.01, `,"kl_k1":3`), row(2, 0.02, "")}
	if d, err := CompareRows(same, want); err != nil || d != nil {
		t.Fatalf("equal rows (with a later field) differ: %v %v", d, err)
	}
	ulp := math.Nextafter(0.02, 1)
	d, err := CompareRows([]json.RawMessage{row(1, 0.01, ""), row(2, ulp, "")}, want)
	if err != nil || d == nil {
		t.Fatalf("a one-ulp change was not found (%v)", err)
	}
	if d.Update != 2 || d.Field != "kl" || !(d.Relative > 0 && d.Relative < 1e-15) {
		t.Fatalf("got %+v, want update 2, field kl, relative about 1e-16", d)
	}
	d, _ = CompareRows(want[:1], want)
	if d == nil || d.Update != 2 {
		t.Fatalf("a missing row: got %+v", d)
	}
}

// TestLoadCanaryRefuses checks that a canary without what its status needs
// is refused.
func TestLoadCanaryRefuses(t *testing.T) {
	for _, body := range []string{
		`{"status":"current"}`,
		`{"status":"stale"}`,
		`{"status":"exempt"}`,
		`{"status":"maybe"}`,
		`not json`,
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, CanaryFile), []byte(body), 0o666); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadCanary(dir); err == nil {
			t.Errorf("%s: accepted", body)
		}
	}
}

// TestStaleBanner checks that a stale study is accepted only under a
// README that names it in a canary region.
func TestStaleBanner(t *testing.T) {
	root := t.TempDir()
	study := filepath.Join("experiments", "x", "a")
	if err := os.MkdirAll(filepath.Join(root, study), 0o777); err != nil {
		t.Fatal(err)
	}
	readme := filepath.Join(root, "experiments", "x", "README.md")
	os.WriteFile(readme, []byte("# x\n<!-- generated by: ppo docs canary experiments/x/b -->\n"), 0o666)
	if got, _ := staleBanner(root, study); got != "" {
		t.Fatalf("a banner for another study accepted (%s)", got)
	}
	os.WriteFile(readme, []byte("# x\n<!-- generated by: ppo docs canary experiments/x/b experiments/x/a -->\n"), 0o666)
	if got, _ := staleBanner(root, study); got != filepath.Join("experiments", "x", "README.md") {
		t.Fatalf("banner not found: %q", got)
	}
}
