package rundir

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"

	"ppo/configs"
)

// smallConfig is a CartPole run of 6 short updates: enough to exercise
// every part of an update in well under a second.
func smallConfig(t *testing.T, sets ...string) *configs.Config {
	t.Helper()
	cfg := configs.Default()
	for _, s := range append([]string{"total_timesteps=1536", "env.num_envs=4", "ppo.rollout_steps=64",
		"ppo.minibatch_size=64", "ppo.epochs=4", "eval.episodes=2", "log.checkpoint_every=2"}, sets...) {
		if err := cfg.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// readRows reads metrics.jsonl with the timing fields removed.
func readRows(t *testing.T, dir string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, JSONLFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "sps")
		delete(m, "wall_seconds")
		rows = append(rows, m)
	}
	return rows
}

// laterFields are the metrics added after the committed runs (experiments/runs,
// testdata/v1) were written: rows compared with those runs drop them, after
// checking the one that repeats an older field (k3 is approx_kl).
var laterFields = []string{"kl_k1", "kl_k2", "kl_k3", "clip_range", "entropy_coef", "kl_target", "kl_per_epoch"}

// asWrittenBefore returns rows without laterFields, so that they compare with
// rows written before those fields existed.
func asWrittenBefore(t *testing.T, rows []map[string]any) []map[string]any {
	t.Helper()
	for _, m := range rows {
		if k3, ok := m["kl_k3"]; ok && k3 != m["approx_kl"] {
			t.Fatalf("update %v: kl_k3 %v != approx_kl %v", m["update"], k3, m["approx_kl"])
		}
		for _, f := range laterFields {
			delete(m, f)
		}
	}
	return rows
}

func trainRun(t *testing.T, cfg *configs.Config) (string, *Summary) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	s, err := Train(context.Background(), cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dir, s
}

// TestTrainSmoke runs a short job per objective and action-space kind and
// checks the run directory is complete and every row is sane.
func TestTrainSmoke(t *testing.T) {
	for _, tc := range []struct {
		name string
		sets []string
	}{
		{"cartpole-klpen", nil},
		{"cartpole-clip-k3-target-tb", []string{"ppo.objective=clip", "kl.estimator=k3", "ppo.target_kl=0.005", "log.tensorboard=true"}},
		{"pendulum-clipkl-norm-f64", []string{"env.id=Pendulum-v1", "ppo.objective=clip_kl", "env.normalize_obs=true",
			"env.normalize_reward=true", "policy.dtype=float64", "kl.direction=new_old", "ppo.value_clip=0.2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, sum := trainRun(t, smallConfig(t, tc.sets...))
			for _, f := range []string{ConfigFile, JSONLFile, CSVFile, FinalCkpt, EvalFile, "ckpt-000002.ckpt", "ckpt-000004.ckpt"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("run directory lacks %s", f)
				}
			}
			if tb, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*")); (len(tb) == 1) != strings.HasSuffix(tc.name, "-tb") {
				t.Errorf("TensorBoard event files: %v", tb)
			}
			rows := readRows(t, dir)
			if len(rows) != 6 || sum.Updates != 6 || sum.Steps != 1536 {
				t.Fatalf("%d rows, %d updates, %d steps; want 6, 6, 1536", len(rows), sum.Updates, sum.Steps)
			}
			for i, r := range rows {
				if r["update"].(float64) != float64(i+1) || r["timesteps"].(float64) != float64(256*(i+1)) {
					t.Errorf("row %d: update %v timesteps %v", i, r["update"], r["timesteps"])
				}
				if kl := r["kl"].(float64); kl < 0 || kl > r["kl_max"].(float64) {
					t.Errorf("row %d: kl %v outside [0, kl_max %v]", i, kl, r["kl_max"])
				}
				if cf := r["clip_fraction"].(float64); cf < 0 || cf > 1 {
					t.Errorf("row %d: clip fraction %v", i, cf)
				}
			}
			csv, _ := os.ReadFile(filepath.Join(dir, CSVFile))
			if n := strings.Count(string(csv), "\n"); n != 7 {
				t.Errorf("metrics.csv has %d lines, want header + 6", n)
			}
			// The config written into the run loads back to the same config.
			back, err := configs.Load(filepath.Join(dir, ConfigFile))
			if err != nil {
				t.Fatal(err)
			}
			y1, _ := back.YAML()
			y2, _ := smallConfig(t, tc.sets...).YAML()
			if string(y1) != string(y2) {
				t.Error("config.yaml does not reload to the run's config")
			}
			ev, err := LoadEvaluator(dir)
			if err != nil {
				t.Fatal(err)
			}
			r, err := ev.Run(2, 0, true)
			if err != nil || r.Episodes != 2 || math.IsNaN(r.MeanReturn) {
				t.Fatalf("eval of the final checkpoint: %+v, %v", r, err)
			}
		})
	}
}

// TestTrainDeterministic: same config and seed give bit-identical metrics;
// another seed gives different ones.
func TestTrainDeterministic(t *testing.T) {
	a, _ := trainRun(t, smallConfig(t))
	b, _ := trainRun(t, smallConfig(t))
	c, _ := trainRun(t, smallConfig(t, "seed=2"))
	ra, rb, rc := readRows(t, a), readRows(t, b), readRows(t, c)
	ja, _ := json.Marshal(ra)
	jb, _ := json.Marshal(rb)
	jc, _ := json.Marshal(rc)
	if string(ja) != string(jb) {
		t.Fatal("two runs with one seed differ")
	}
	if string(ja) == string(jc) {
		t.Fatal("runs with different seeds are identical")
	}
	fa, _ := os.ReadFile(filepath.Join(a, FinalCkpt))
	fb, _ := os.ReadFile(filepath.Join(b, FinalCkpt))
	if string(fa) != string(fb) {
		t.Fatal("final checkpoints differ")
	}
}

// TestBetaFollowsPaperRule replays the logged KL through the PPO paper's
// rule (schulman2017 preset: KL < target/1.5 halves beta, KL > 1.5·target
// doubles it, clamped to [min_beta, max_beta]) and compares with the
// logged beta of the next update.
func TestBetaFollowsPaperRule(t *testing.T) {
	dir, _ := trainRun(t, smallConfig(t, "total_timesteps=4096", "kl.controller.target=0.003"))
	rows := readRows(t, dir)
	const target = 0.003
	changed := 0
	for i := 0; i+1 < len(rows); i++ {
		beta, d := rows[i]["beta"].(float64), rows[i]["kl"].(float64)
		want := beta
		switch {
		case d > 1.5*target:
			want = beta * 2
		case d < target/1.5:
			want = beta / 2
		}
		want = math.Max(1e-4, math.Min(1e4, want))
		if got := rows[i+1]["beta"].(float64); got != want {
			t.Fatalf("update %d: kl %v, beta %v -> %v, the paper's rule gives %v", i+1, d, beta, got, want)
		}
		if want != beta {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("beta never changed, so the rule was not exercised")
	}
}

// TestKeepCheckpoints: only the newest log.keep_checkpoints periodic
// checkpoints stay; 0 keeps them all.
func TestKeepCheckpoints(t *testing.T) {
	for _, tc := range []struct {
		keep string
		want []string
	}{{"2", []string{"ckpt-000004.ckpt", "ckpt-000005.ckpt"}}, {"0", []string{"ckpt-000001.ckpt", "ckpt-000002.ckpt", "ckpt-000003.ckpt", "ckpt-000004.ckpt", "ckpt-000005.ckpt"}}} {
		dir, _ := trainRun(t, smallConfig(t, "log.checkpoint_every=1", "log.keep_checkpoints="+tc.keep))
		got, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.ckpt"))
		for i := range got {
			got[i] = filepath.Base(got[i])
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("keep %s: checkpoints %v, want %v", tc.keep, got, tc.want)
		}
	}
}

// TestKLTracksTarget trains Pendulum for 100k steps (24 updates) with an
// adaptive controller (RLlib's preset) on seeds 1-3 and checks that the KL
// the controller acts on lands in its own dead zone, [target·low_mult,
// target·high_mult] of the resolved preset, in most updates, and that beta
// really moved to get it there. About 3 s per seed; the seeds run in
// parallel.
//
// The thresholds were set on seeds 101-120, which the test does not
// assert on; PPO_KL_SEEDS=101-120 go test -run 'TestKLTracksTarget$' -v
// ./rundir runs them instead and logs the figures. Their in-band
// fractions over 24 updates range over [0.54, 0.79], mean 0.67, standard
// deviation 0.075, and beta took 6 to 12 distinct values. Pooled over any
// 3 of them the fraction is at least 0.55, so "more than half of the
// pooled updates" holds for every triple, 3.9 standard deviations of a
// 3-seed mean (0.075/√3 = 0.043) below the mean; the per-seed floor 0.4
// lies 0.14 (about 2 standard deviations) below the lowest seed. The
// first updates are a transient while beta moves away from init_beta,
// which is why a single seed's fraction is not higher. Runs are
// deterministic, so on one machine the outcome is fixed; the margins are
// for other platforms (fused multiply-add changes the trajectories) and
// for code changes that perturb them.
func TestKLTracksTarget(t *testing.T) {
	if testing.Short() || pureGo {
		t.Skip("three 100k-step training runs")
	}
	seeds := []uint64{1, 2, 3}
	if s := os.Getenv("PPO_KL_SEEDS"); s != "" {
		seeds = seedRange(t, s)
	}
	in := make([]int, len(seeds))
	n := make([]int, len(seeds))
	t.Run("seeds", func(t *testing.T) {
		for i, seed := range seeds {
			t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
				t.Parallel()
				cfg, err := configs.Load("../../configs/pendulum-adaptive-kl.yaml")
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range []string{"total_timesteps=100000", "kl.controller.preset=rllib", "eval.episodes=1", fmt.Sprintf("seed=%d", seed)} {
					if err := cfg.Set(s); err != nil {
						t.Fatal(err)
					}
				}
				ctl := cfg.KL.Controller
				high, low, _, _ := ctl.Resolved()
				lo, hi := ctl.Target*low, ctl.Target*high
				// The controller acts on KL(new||old) under kl.direction new_old.
				field := "kl"
				if cfg.KL.Direction == "new_old" {
					field = "kl_reverse"
				}
				dir, _ := trainRun(t, cfg)
				rows := readRows(t, dir)
				betas := map[float64]bool{}
				for _, r := range rows {
					if k := r[field].(float64); lo <= k && k <= hi {
						in[i]++
					}
					betas[r["beta"].(float64)] = true
				}
				n[i] = len(rows)
				frac := float64(in[i]) / float64(n[i])
				t.Logf("KL in [%g, %g] in %d of %d updates (%.2f); beta took %d values", lo, hi, in[i], n[i], frac, len(betas))
				if frac < 0.4 {
					t.Errorf("KL in [%g, %g] in %.0f%% of %d updates, want at least 40%%", lo, hi, 100*frac, n[i])
				}
				if len(betas) < 3 {
					t.Errorf("beta took only %d values; the controller did not act", len(betas))
				}
			})
		}
	})
	sumIn, sumN := 0, 0
	fracs := make([]float64, len(seeds))
	for i, seed := range seeds {
		if n[i] == 0 {
			t.Fatalf("seed %d logged no updates", seed)
		}
		sumIn, sumN = sumIn+in[i], sumN+n[i]
		fracs[i] = float64(in[i]) / float64(n[i])
	}
	mean, sd := stat.MeanStdDev(fracs, nil)
	frac := float64(sumIn) / float64(sumN)
	t.Logf("seeds %v: pooled %d of %d (%.3f); per seed min %.3f max %.3f mean %.3f sd %.3f",
		seeds, sumIn, sumN, frac, floats.Min(fracs), floats.Max(fracs), mean, sd)
	if frac <= 0.5 {
		t.Errorf("KL in the dead zone in %d of %d updates over seeds %v (%.2f), want most", sumIn, sumN, seeds, frac)
	}
}

// seedRange parses "a-b" or a single seed.
func seedRange(t *testing.T, s string) []uint64 {
	t.Helper()
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		hi = lo
	}
	a, err1 := strconv.ParseUint(lo, 10, 64)
	b, err2 := strconv.ParseUint(hi, 10, 64)
	if err1 != nil || err2 != nil || b < a {
		t.Fatalf("PPO_KL_SEEDS=%q: want a seed or a range a-b", s)
	}
	var seeds []uint64
	for x := a; x <= b; x++ {
		seeds = append(seeds, x)
	}
	return seeds
}

// TestThreadsDoNotMatter: the same seed gives the same rows with one
// thread and with two: unsharded (with two, the actor's and the critic's
// parts of the loss run on two goroutines), with minibatches in 2 and 3
// shards (3 does not divide the 64-row minibatches), and with a shared
// trunk; discrete and continuous.
func TestThreadsDoNotMatter(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	for _, c := range [][]string{
		{},
		{"policy.shared=true"},
		{"env.id=Pendulum-v1"},
		{"env.id=Pendulum-v1", "ppo.shards=2"},
		{"ppo.shards=3", "ppo.objective=clip_kl"},
	} {
		runtime.GOMAXPROCS(1)
		one, _ := trainRun(t, smallConfig(t, c...))
		runtime.GOMAXPROCS(2)
		two, _ := trainRun(t, smallConfig(t, c...))
		if !reflect.DeepEqual(readRows(t, one), readRows(t, two)) {
			t.Fatalf("%v: GOMAXPROCS 1 and 2 give different metrics", c)
		}
	}
}
