package report

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"ppo/configs"
	"ppo/internal/rundir"
)

// Synthetic rows whose summary is worked out by hand below.
const handRows = `{"update":1,"timesteps":200,"minibatches":8,"kl":0.005,"kl_reverse":0.02,"beta":1,"episode_return_mean":null,"early_stopped":false,"sps":100}
{"update":2,"timesteps":400,"minibatches":3,"kl":0.01,"kl_reverse":0.012,"beta":2,"episode_return_mean":10,"early_stopped":true,"sps":200}
{"update":3,"timesteps":600,"minibatches":8,"kl":0.02,"kl_reverse":0.003,"beta":0.5,"episode_return_mean":30,"early_stopped":false,"sps":300}
{"update":4,"timesteps":800,"minibatches":0,"kl":0.0067,"kl_reverse":0.0069,"beta":0.25,"episode_return_mean":20,"early_stopped":true,"sps":400}
`

func TestSummarizeByHand(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	cases := []struct {
		name string
		sets []string
		rows string // handRows when empty
		eval string
		want Summary
	}{{
		// Default config: target 0.01, schulman2017 high_mult 1.5 (PPO paper
		// section 4), so the band is [0.01/1.5, 0.015] = [0.006667, 0.015]:
		// kl 0.01 and 0.0067 are inside, 0.005 and 0.02 outside -> 2/4.
		// kl mean (0.005+0.01+0.02+0.0067)/4 = 0.010425; final return is the
		// last row's 20, best 30 (the null row is skipped); beta 0.25..2;
		// early stops 2, one of them (update 4) before any minibatch; sps mean
		// (100+200+300+400)/4 = 250.
		name: "default",
		eval: `{"mean_return": 42.5, "std_return": 1.5, "episodes": 4, "mean_length": 42.5, "returns": [41,42,43,44]}`,
		want: Summary{Env: "CartPole-v1", EnvParams: map[string]float64{}, Objective: "kl_penalty", KLPenalty: true,
			Controller: "adaptive", Preset: "schulman2017",
			Seed: 1, Steps: 800, TotalTimesteps: 100000, Updates: 4, Finished: true,
			FinalReturn: f(20), BestReturn: f(30), EvalReturn: f(42.5), EvalReturnStd: f(1.5),
			KLMetric: "kl", KLMean: f(0.010425), KLMax: f(0.02), KLTarget: f(0.01), KLBand: &[2]float64{0.01 / 1.5, 0.015},
			KLInBand: f(0.5), BetaMin: f(0.25), BetaMax: f(2), EarlyStops: 2, NoStepUpdates: 1, SPSMean: f(250)},
	}, {
		// KL(new||old) penalised: the controller follows kl_reverse. rllib's
		// high_mult is 2 (RLlib PPO update_kl), target 0.01 -> [0.005, 0.02]:
		// 0.02, 0.012 and 0.0069 inside, 0.003 outside -> 3/4. Mean
		// (0.02+0.012+0.003+0.0069)/4 = 0.010475.
		name: "reverse-rllib",
		sets: []string{"kl.direction=new_old", "kl.controller.preset=rllib", "seed=9"},
		want: Summary{Env: "CartPole-v1", EnvParams: map[string]float64{}, Objective: "kl_penalty", KLPenalty: true,
			Controller: "adaptive", Preset: "rllib",
			Seed: 9, Steps: 800, TotalTimesteps: 100000, Updates: 4,
			FinalReturn: f(20), BestReturn: f(30),
			KLMetric: "kl_reverse", KLMean: f(0.010475), KLMax: f(0.02), KLTarget: f(0.01), KLBand: &[2]float64{0.005, 0.02},
			KLInBand: f(0.75), BetaMin: f(0.25), BetaMax: f(2), EarlyStops: 2, NoStepUpdates: 1, SPSMean: f(250)},
	}, {
		// A fixed controller has no preset; custom high_mult would not apply
		// either, but the band still uses the resolved schulman2017 factor.
		name: "fixed",
		sets: []string{"kl.controller.kind=fixed", "kl.controller.target=0.02", "ppo.objective=clip_kl"},
		want: Summary{Env: "CartPole-v1", EnvParams: map[string]float64{}, Objective: "clip_kl", KLPenalty: true,
			Controller: "fixed",
			Seed:       1, Steps: 800, TotalTimesteps: 100000, Updates: 4,
			FinalReturn: f(20), BestReturn: f(30),
			KLMetric: "kl", KLMean: f(0.010425), KLMax: f(0.02), KLTarget: f(0.02), KLBand: &[2]float64{0.02 / 1.5, 0.03},
			KLInBand: f(0.25), BetaMin: f(0.25), BetaMax: f(2), EarlyStops: 2, NoStepUpdates: 1, SPSMean: f(250)},
	}, {
		// The clipped objective has no KL penalty: its controller, target,
		// band and beta are left out (null), while the KL itself is still
		// summarised. The env parameters and the mean kl_ref of the rows
		// that have it, (0.5+0.25)/2, are reported.
		name: "clip-params-ref",
		sets: []string{"ppo.objective=clip", "env.params.masspole=0.2", "env.params.length=0.6"},
		rows: strings.Replace(strings.Replace(handRows, `"beta":1,`, `"beta":1,"kl_ref":0.5,`, 1),
			`"beta":0.5,`, `"beta":0.5,"kl_ref":0.25,`, 1),
		want: Summary{Env: "CartPole-v1", EnvParams: map[string]float64{"masspole": 0.2, "length": 0.6}, Objective: "clip",
			Seed: 1, Steps: 800, TotalTimesteps: 100000, Updates: 4,
			FinalReturn: f(20), BestReturn: f(30),
			KLMetric: "kl", KLMean: f(0.010425), KLMax: f(0.02), KLRefMean: f(0.375), EarlyStops: 2, NoStepUpdates: 1, SPSMean: f(250)},
	}, {
		// No penalty either: the plain policy gradient.
		name: "none",
		sets: []string{"ppo.objective=none"},
		want: Summary{Env: "CartPole-v1", EnvParams: map[string]float64{}, Objective: "none",
			Seed: 1, Steps: 800, TotalTimesteps: 100000, Updates: 4,
			FinalReturn: f(20), BestReturn: f(30),
			KLMetric: "kl", KLMean: f(0.010425), KLMax: f(0.02), EarlyStops: 2, NoStepUpdates: 1, SPSMean: f(250)},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := configs.Default()
			for _, s := range tc.sets {
				if err := cfg.Set(s); err != nil {
					t.Fatal(err)
				}
			}
			rows := tc.rows
			if rows == "" {
				rows = handRows
			}
			dir := writeRun(t, cfg, rows, tc.eval)
			r, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			got := Summarize(r)
			tc.want.Run, tc.want.Dir = "synthetic", dir
			// Without eval.json, a lock or a checkpoint: stopped.
			tc.want.State = map[bool]string{true: StateFinished, false: StateStopped}[tc.eval != ""]
			compareSummaries(t, got, tc.want)
		})
	}
}

// compareSummaries compares field by field through JSON, floats within
// 1e-12 relative (the hand values are sums of four decimals).
func compareSummaries(t *testing.T, got, want Summary) {
	t.Helper()
	var g, w map[string]any
	b, _ := json.Marshal(got)
	json.Unmarshal(b, &g)
	b, _ = json.Marshal(want)
	json.Unmarshal(b, &w)
	for k, wv := range w {
		gv := g[k]
		switch wv := wv.(type) {
		case float64:
			gf, ok := gv.(float64)
			if !ok || math.Abs(gf-wv) > 1e-12*math.Max(1, math.Abs(wv)) {
				t.Errorf("%s = %v, want %v", k, gv, wv)
			}
		case []any:
			ga, _ := gv.([]any)
			if len(ga) != len(wv) {
				t.Errorf("%s = %v, want %v", k, gv, wv)
				continue
			}
			for i := range wv {
				if math.Abs(ga[i].(float64)-wv[i].(float64)) > 1e-12 {
					t.Errorf("%s = %v, want %v", k, gv, wv)
				}
			}
		case map[string]any:
			if !reflect.DeepEqual(gv, wv) {
				t.Errorf("%s = %v, want %v", k, gv, wv)
			}
		default:
			if gv != wv {
				t.Errorf("%s = %v, want %v", k, gv, wv)
			}
		}
	}
	for k := range g {
		if _, ok := w[k]; !ok {
			t.Errorf("unexpected field %s = %v", k, g[k])
		}
	}
}

// TestSummarizeRealRuns recomputes each summary from the metrics rows and
// eval.json of real runs, decoded generically.
func TestSummarizeRealRuns(t *testing.T) {
	for _, tc := range []struct {
		run       string
		low, high float64 // the preset's low_mult and high_mult, from the PPO paper / modular_rl
		penalised bool    // the objective has the KL penalty (clip has not)
	}{{"clip-early", 1 / 1.5, 1.5, false}, {"modular", 0.7, 1.3, true}, {"sweep-s2", 1 / 1.5, 1.5, true}} {
		t.Run(tc.run, func(t *testing.T) {
			dir := fixture(t, tc.run)
			r, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			s := Summarize(r)
			rows := rawRows(t, dir)
			var ev map[string]any
			b, _ := os.ReadFile(filepath.Join(dir, rundir.EvalFile))
			json.Unmarshal(b, &ev)
			target := r.Config.KL.Controller.Target
			lo, hi := target*tc.low, target*tc.high
			var klSum, klMax, spsSum float64
			betaMin, betaMax := math.Inf(1), math.Inf(-1)
			best := math.Inf(-1)
			in, early := 0, 0
			for _, row := range rows {
				k := row["kl"].(float64)
				klSum += k
				klMax = math.Max(klMax, k)
				if lo <= k && k <= hi {
					in++
				}
				betaMin = math.Min(betaMin, row["beta"].(float64))
				betaMax = math.Max(betaMax, row["beta"].(float64))
				if row["early_stopped"].(bool) {
					early++
				}
				spsSum += row["sps"].(float64)
				if v, ok := row["episode_return_mean"].(float64); ok {
					best = math.Max(best, v)
				}
			}
			n := float64(len(rows))
			last := rows[len(rows)-1]
			want := Summary{Run: tc.run, Dir: dir, Env: "CartPole-v1", EnvParams: map[string]float64{},
				Objective: r.Config.PPO.Objective, Seed: r.Config.Seed,
				Steps: int(last["timesteps"].(float64)), TotalTimesteps: 1536, Updates: len(rows), Finished: true,
				FinalReturn: ptr(last["episode_return_mean"].(float64)), BestReturn: ptr(best),
				EvalReturn: ptr(ev["mean_return"].(float64)), EvalReturnStd: ptr(ev["std_return"].(float64)),
				KLMetric: "kl", KLMean: ptr(klSum / n), KLMax: ptr(klMax), EarlyStops: early,
				SPSMean: ptr(spsSum / n), State: StateFinished}
			if tc.penalised {
				want.KLPenalty, want.Controller, want.Preset = true, "adaptive", r.Config.KL.Controller.Preset
				want.KLTarget, want.KLBand, want.KLInBand = ptr(target), &[2]float64{lo, hi}, ptr(float64(in)/n)
				want.BetaMin, want.BetaMax = ptr(betaMin), ptr(betaMax)
			}
			compareSummaries(t, s, want)
			if tc.run == "clip-early" && early == 0 {
				t.Error("the early-stop run never stopped early; the count is untested")
			}
		})
	}
}

func TestSummarizeEmptyRun(t *testing.T) {
	r, err := Load(writeRun(t, configs.Default(), "", ""))
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(r)
	if s.Updates != 0 || s.KLMean != nil || s.FinalReturn != nil || s.BetaMin != nil || s.Finished {
		t.Errorf("summary of an empty run: %+v", s)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, []Summary{s}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "stopped") {
		t.Errorf("table of an empty run:\n%s", buf.String())
	}
}

func TestWriteJSON(t *testing.T) {
	r, err := Load(writeRun(t, configs.Default(), handRows, ""))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, []Summary{Summarize(r), Summarize(r)}); err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	runs := doc["runs"]
	if len(doc) != 1 || len(runs) != 2 {
		t.Fatalf("JSON shape: %s", buf.String())
	}
	for k, v := range runs[0] {
		if strings.ToLower(k) != k || strings.ContainsAny(k, " -") {
			t.Errorf("key %q is not snake_case", k)
		}
		_ = v
	}
	for _, k := range []string{"run", "env", "objective", "controller", "steps", "updates", "final_return",
		"best_return", "eval_return", "kl_mean", "kl_max", "kl_in_band", "beta_min", "beta_max", "early_stops", "sps_mean"} {
		if _, ok := runs[0][k]; !ok {
			t.Errorf("JSON lacks %s", k)
		}
	}
	if runs[0]["eval_return"] != nil || runs[0]["finished"] != false {
		t.Errorf("a run without eval.json: eval_return %v finished %v", runs[0]["eval_return"], runs[0]["finished"])
	}
	buf.Reset()
	WriteJSON(&buf, nil)
	if strings.TrimSpace(buf.String()) != `{
  "runs": []
}` {
		t.Errorf("no runs: %s", buf.String())
	}
}

// TestWriteTable: every line fits in 100 columns however many runs there
// are, every run appears with its values, and long names get a key.
func TestWriteTable(t *testing.T) {
	r, err := Load(writeRun(t, configs.Default(), handRows, `{"mean_return": 442.5, "std_return": 101.25}`))
	if err != nil {
		t.Fatal(err)
	}
	var sums []Summary
	for i := range 7 {
		s := Summarize(r)
		s.Run = strings.Repeat("x", i) + "run"
		sums = append(sums, s)
	}
	long := "cartpole-adaptive-kl-s1-20250101-120000"
	sums[3].Run, sums[3].Dir = long, "/runs/"+long
	var buf bytes.Buffer
	if err := WriteTable(&buf, sums); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > 100 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
	blocks := strings.Count(out, "\nrun ") + 1
	if !strings.HasPrefix(out, "run ") || blocks < 2 {
		t.Errorf("7 runs in %d blocks:\n%s", blocks, out)
	}
	for _, want := range []string{"xxxxxxrun", "run 4", "run 4: /runs/" + long, "442.50 ± 101.25", "50% (2/4)",
		"0.25–2", "20.00", "30.00", "0.01043", "0.00667–0.015", "800/100000", "finished"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, long+" ") {
		t.Errorf("long name used as a column heading:\n%s", out)
	}
}

// TestWriteTableOptionalRows: a run without the KL penalty shows no
// controller quantities; env parameter rows and the kl_ref row appear
// only when some run has them, with "-" for the others.
func TestWriteTableOptionalRows(t *testing.T) {
	load := func(rows string, sets ...string) Summary {
		cfg := configs.Default()
		for _, s := range sets {
			if err := cfg.Set(s); err != nil {
				t.Fatal(err)
			}
		}
		r, err := Load(writeRun(t, cfg, rows, ""))
		if err != nil {
			t.Fatal(err)
		}
		return Summarize(r)
	}
	table := func(sums ...Summary) map[string][]string {
		var buf bytes.Buffer
		if err := WriteTable(&buf, sums); err != nil {
			t.Fatal(err)
		}
		// Cells are separated by two or more spaces; labels by at least one.
		cells := map[string][]string{}
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			f := regexp.MustCompile(`\s{2,}`).Split(l, -1)
			cells[f[0]] = f[1:]
		}
		return cells
	}
	withRef := strings.Replace(handRows, `"beta":1,`, `"beta":1,"kl_ref":0.125,`, 1)
	pen := load(handRows)
	clip := load(withRef, "ppo.objective=clip", "env.params.link_com_pos_1=0.4")
	got := table(pen, clip)
	for label, want := range map[string][]string{
		"controller":         {"adaptive", "-"},
		"preset":             {"schulman2017", "-"},
		"kl target":          {"0.01", "-"},
		"kl band":            {"0.00667–0.015", "-"},
		"kl in band":         {"50% (2/4)", "n/a (no KL penalty)"},
		"beta range":         {"0.25–2", "-"},
		"kl mean":            {"0.01043", "0.01043"},
		"kl_ref mean":        {"-", "0.125"},
		"env link_com_pos_1": {"-", "0.4"},
	} {
		if !reflect.DeepEqual(got[label], want) {
			t.Errorf("row %q = %q, want %q", label, got[label], want)
		}
	}
	got = table(pen)
	for _, label := range []string{"kl_ref mean", "env link_com_pos_1"} {
		if _, ok := got[label]; ok {
			t.Errorf("row %q shown for a run without it", label)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, tc := range []struct {
		frac float64
		want string
	}{{0, "0%"}, {1, "100%"}, {89.0 / 390, "23%"}, {71.0 / 390, "18%"}, {0.004, "0%"}, {0.996, "100%"}} {
		if got := Percent(tc.frac); got != tc.want {
			t.Errorf("Percent(%v) = %q, want %q", tc.frac, got, tc.want)
		}
	}
}

func TestDisambiguate(t *testing.T) {
	runs := []*Run{{Dir: "/x/sweeps/a/base/seed-1", Name: "seed-1"}, {Dir: "/x/sweeps/b/base/seed-1", Name: "seed-1"}, {Dir: "/x/other", Name: "other"}}
	disambiguate(runs)
	if runs[0].Name != "a/base/seed-1" || runs[1].Name != "b/base/seed-1" || runs[2].Name != "other" {
		t.Fatalf("names %q %q %q", runs[0].Name, runs[1].Name, runs[2].Name)
	}
}

func TestDisambiguateSweepSeeds(t *testing.T) {
	runs := []*Run{{Dir: "/s/lr=3e-4/seed-1", Name: "seed-1"}, {Dir: "/t/lr=1e-3/seed-2", Name: "seed-2"}}
	disambiguate(runs)
	if runs[0].Name != "lr=3e-4/seed-1" || runs[1].Name != "lr=1e-3/seed-2" {
		t.Fatalf("names %q %q", runs[0].Name, runs[1].Name)
	}
	same := []*Run{{Dir: "/s/base/seed-1", Name: "seed-1"}, {Dir: "/s/base/seed-2", Name: "seed-2"}}
	disambiguate(same)
	if same[0].Name != "seed-1" || same[1].Name != "seed-2" {
		t.Fatalf("one sweep's seeds renamed: %q %q", same[0].Name, same[1].Name)
	}
}
