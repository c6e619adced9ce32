package env_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ppo/env"
)

// tabularGolden is one table of testdata/toytext/tabular.json (Gymnasium 1.0.0; see the README).
type tabularGolden struct {
	Env             string         `json:"env"`
	Kwargs          map[string]any `json:"kwargs"`
	ObservationN    int            `json:"observation_n"`
	ActionN         int            `json:"action_n"`
	MaxEpisodeSteps *int           `json:"max_episode_steps"`
	RewardThreshold *float64       `json:"reward_threshold"`
	Initial         []float64      `json:"initial_state_distrib"`
	P               [][][][4]any   `json:"P"`
	ActionMask      [][]int        `json:"action_mask"`
	Desc            []string       `json:"desc"`
}

func loadTabular(t *testing.T) []tabularGolden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "toytext", "tabular.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Tables []tabularGolden }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Tables) != 8 {
		t.Fatalf("%d tables, want 8", len(f.Tables))
	}
	return f.Tables
}

// options translates Gymnasium's keyword arguments into params.
func (g tabularGolden) options(t *testing.T) []env.Option {
	num, text := map[string]float64{}, map[string]string{}
	for k, v := range g.Kwargs {
		switch v := v.(type) {
		case bool:
			num[k] = map[bool]float64{false: 0, true: 1}[v]
		case string:
			text[k] = v
		case []any:
			rows := make([]string, len(v))
			for i, r := range v {
				rows[i] = r.(string)
			}
			text[k] = strings.Join(rows, "/")
		default:
			t.Fatalf("%s: kwarg %s=%v of type %T", g.Env, k, v, v)
		}
	}
	return []env.Option{env.WithParams(num), env.WithTextParams(text)}
}

// TestTabularGolden checks every state, action and outcome of each toy-text table against
// Gymnasium 1.0.0's, exactly: probabilities, next states, rewards and termination in
// Gymnasium's order, the initial-state distribution, Taxi's action masks, the time limits and
// reward thresholds.
func TestTabularGolden(t *testing.T) {
	for _, g := range loadTabular(t) {
		t.Run(g.Env+"/"+strings.ReplaceAll(strings.Trim(mustJSON(g.Kwargs), "{}"), "/", "|"), func(t *testing.T) {
			e, err := env.Make(g.Env, g.options(t)...)
			if err != nil {
				t.Fatal(err)
			}
			spec, _ := env.Lookup(g.Env)
			if want := 0; g.MaxEpisodeSteps != nil {
				want = *g.MaxEpisodeSteps
				if spec.MaxEpisodeSteps != want {
					t.Errorf("MaxEpisodeSteps %d, want %d", spec.MaxEpisodeSteps, want)
				}
			} else if spec.MaxEpisodeSteps != 0 {
				t.Errorf("MaxEpisodeSteps %d, want none", spec.MaxEpisodeSteps)
			}
			if (g.RewardThreshold != nil) != spec.HasRewardThreshold || g.RewardThreshold != nil && *g.RewardThreshold != spec.RewardThreshold {
				t.Errorf("reward threshold %v (%v), want %v", spec.RewardThreshold, spec.HasRewardThreshold, g.RewardThreshold)
			}
			if got, want := e.ObservationSpace(), (env.Discrete{N: g.ObservationN}); got != want {
				t.Errorf("observation space %v, want %v", got, want)
			}
			if got, want := e.ActionSpace(), (env.Discrete{N: g.ActionN}); got != want {
				t.Errorf("action space %v, want %v", got, want)
			}
			tab, ok := env.TableOf(e)
			if !ok {
				t.Fatal("no table")
			}
			if tab.States != g.ObservationN || tab.Actions != g.ActionN {
				t.Fatalf("table %d×%d, want %d×%d", tab.States, tab.Actions, g.ObservationN, g.ActionN)
			}
			for s, p := range g.Initial {
				if tab.Initial[s] != p {
					t.Errorf("initial[%d] = %v, want %v", s, tab.Initial[s], p)
				}
			}
			entries := 0
			for s := range g.P {
				for a := range g.P[s] {
					got, want := tab.P[s][a], g.P[s][a]
					if len(got) != len(want) {
						t.Fatalf("P[%d][%d] has %d outcomes, want %d: %v vs %v", s, a, len(got), len(want), got, want)
					}
					for i, w := range want {
						o := env.Outcome{Prob: w[0].(float64), Next: int(w[1].(float64)), Reward: w[2].(float64), Terminated: w[3].(bool)}
						if got[i] != o {
							t.Fatalf("P[%d][%d][%d] = %+v, want %+v", s, a, i, got[i], o)
						}
						entries++
					}
				}
			}
			if (g.ActionMask != nil) != (tab.Mask != nil) {
				t.Fatalf("mask present %v, want %v", tab.Mask != nil, g.ActionMask != nil)
			}
			for s, m := range g.ActionMask {
				for a, v := range m {
					if tab.Mask[s][a] != (v == 1) {
						t.Fatalf("mask[%d][%d] = %v, want %d", s, a, tab.Mask[s][a], v)
					}
				}
			}
			_, masker := env.MaskerOf(e)
			if masker != (g.ActionMask != nil) {
				t.Errorf("MaskerOf: %v, want %v", masker, g.ActionMask != nil)
			}
			t.Logf("%d outcomes checked", entries)
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestTabularSampling checks that stepping draws outcomes with the table's probabilities and
// that resets draw from the initial distribution, and that the mask follows the state: counts
// within 4 binomial standard errors (a false alarm about once in 15,000 checks; the seeds are fixed).
func TestTabularSampling(t *testing.T) {
	const n = 30000
	e, err := env.Make("FrozenLake-v1", env.WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	st := e.(env.Stateful)
	counts := map[int]int{}
	for range n {
		if _, err := e.Reset(); err != nil {
			t.Fatal(err)
		}
		if err := st.SetState([]float64{6}); err != nil {
			t.Fatal(err)
		}
		r, err := e.Step([]float64{1}) // down from 6: left to 5 (hole), down to 10, right to 7 (hole)
		if err != nil {
			t.Fatal(err)
		}
		counts[int(r.Obs[0])]++
		if r.Terminated != (r.Obs[0] == 5 || r.Obs[0] == 7) {
			t.Fatalf("to %v: terminated %v", r.Obs[0], r.Terminated)
		}
	}
	for _, s := range []int{5, 10, 7} {
		checkFreq(t, "FrozenLake P[6][1] to "+string(rune('0'+s%10)), counts[s], n, 1.0/3)
	}

	taxi, err := env.Make("Taxi-v3", env.WithSeed(4))
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := env.TableOf(taxi)
	m, _ := env.MaskerOf(taxi)
	mask := make([]bool, 6)
	starts := map[int]int{}
	for range n {
		obs, err := taxi.Reset()
		if err != nil {
			t.Fatal(err)
		}
		s := int(obs[0])
		starts[s]++
		if tab.Initial[s] == 0 {
			t.Fatalf("reset to %d, which has initial probability 0", s)
		}
		m.ActionMask(mask)
		for a := range mask {
			if mask[a] != tab.Mask[s][a] {
				t.Fatalf("mask at %d: %v, want %v", s, mask, tab.Mask[s])
			}
		}
	}
	if len(starts) != 300 {
		t.Errorf("%d distinct starts, want 300", len(starts))
	}
	checkFreq(t, "Taxi starts at 1", starts[1], n, 1.0/300)
}

func checkFreq(t *testing.T, what string, k, n int, p float64) {
	t.Helper()
	se := math.Sqrt(p * (1 - p) / float64(n))
	if f := float64(k) / float64(n); math.Abs(f-p) > 4*se {
		t.Errorf("%s: frequency %.4f, want %.4f ± %.4f (4 SE)", what, f, p, 4*se)
	}
}

// TestBlackjackStatistics plays 300,000 episodes of each of Gymnasium's reference cases (the
// policy "hit below N, else stick", for each rule set) and requires the mean return within 4
// combined standard errors of Gymnasium 1.0.0's Monte Carlo estimate, and each return value's
// frequency within 4 combined binomial standard errors.
func TestBlackjackStatistics(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "toytext", "blackjack.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Sab, Natural bool
			Policy       string
			Episodes     int
			MeanReturn   float64            `json:"mean_return"`
			StdError     float64            `json:"std_error"`
			Freq         map[string]float64 `json:"return_frequencies"`
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) != 6 {
		t.Fatalf("%d cases, want 6", len(f.Cases))
	}
	for i, c := range f.Cases {
		var below int
		switch c.Policy {
		case "hit below 17, else stick":
			below = 17
		case "hit below 20, else stick":
			below = 20
		default:
			t.Fatalf("policy %q", c.Policy)
		}
		e, err := env.Make("Blackjack-v1", env.WithSeed(uint64(100+i)), env.WithParams(map[string]float64{
			"sab": map[bool]float64{false: 0, true: 1}[c.Sab], "natural": map[bool]float64{false: 0, true: 1}[c.Natural]}))
		if err != nil {
			t.Fatal(err)
		}
		sum, sq := 0.0, 0.0
		freq := map[float64]int{}
		for range c.Episodes {
			obs, err := e.Reset()
			if err != nil {
				t.Fatal(err)
			}
			for {
				a := 0.0
				if obs[0] < float64(below) {
					a = 1
				}
				r, err := e.Step([]float64{a})
				if err != nil {
					t.Fatal(err)
				}
				obs = r.Obs
				if r.Terminated {
					sum += r.Reward
					sq += r.Reward * r.Reward
					freq[r.Reward]++
					break
				}
			}
		}
		n := float64(c.Episodes)
		mean := sum / n
		se := math.Sqrt((sq/n - mean*mean) / n)
		tol := 4 * math.Hypot(se, c.StdError)
		if math.Abs(mean-c.MeanReturn) > tol {
			t.Errorf("sab=%v natural=%v %s: mean %.5f, Gymnasium %.5f ± %.5f (4 SE)", c.Sab, c.Natural, c.Policy, mean, c.MeanReturn, tol)
		}
		for v, p := range c.Freq {
			var r float64
			if err := json.Unmarshal([]byte(v), &r); err != nil {
				t.Fatal(err)
			}
			got := float64(freq[r]) / n
			ftol := 4 * math.Sqrt(2*p*(1-p)/n)
			if math.Abs(got-p) > ftol {
				t.Errorf("sab=%v natural=%v %s: P(return %v) = %.5f, Gymnasium %.5f ± %.5f", c.Sab, c.Natural, c.Policy, r, got, p, ftol)
			}
		}
		if len(freq) != len(c.Freq) {
			t.Errorf("sab=%v natural=%v %s: returns %v, Gymnasium %v", c.Sab, c.Natural, c.Policy, freq, c.Freq)
		}
		t.Logf("sab=%v natural=%v %s: mean %.5f (Gymnasium %.5f)", c.Sab, c.Natural, c.Policy, mean, c.MeanReturn)
	}
}

// TestToyTextParams checks the params' validation and the custom map: each bad value is refused
// in one error naming it.
func TestToyTextParams(t *testing.T) {
	bad := []struct {
		id   string
		opt  env.Option
		want string
	}{
		{"FrozenLake-v1", env.WithParams(map[string]float64{"is_slippery": 0.5}), "is_slippery"},
		{"FrozenLake-v1", env.WithTextParams(map[string]string{"map_name": "5x5"}), "map_name"},
		{"FrozenLake-v1", env.WithTextParams(map[string]string{"desc": "SFF/FG"}), "row 1"},
		{"FrozenLake-v1", env.WithTextParams(map[string]string{"desc": "SFX/FFG"}), "'X'"},
		{"FrozenLake-v1", env.WithTextParams(map[string]string{"desc": "FFF/FFG"}), "no start"},
		{"FrozenLake-v1", env.WithTextParams(map[string]string{"mapname": "4x4"}), "no text parameter"},
		{"Taxi-v3", env.WithTextParams(map[string]string{"desc": "S"}), "no text parameter"},
		{"Blackjack-v1", env.WithParams(map[string]float64{"natural": 2}), "natural"},
		{"CliffWalking-v0", env.WithParams(map[string]float64{"is_slippery": -1}), "is_slippery"},
	}
	for _, b := range bad {
		_, err := env.Make(b.id, b.opt)
		if err == nil || !strings.Contains(err.Error(), b.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line mentioning %q", b.id, err, b.want)
		}
	}
	// A custom map with two starts starts uniformly on either.
	e, err := env.Make("FrozenLake-v1", env.WithTextParams(map[string]string{"desc": "SFS/FHG"}), env.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := env.TableOf(e)
	if tab.Initial[0] != 0.5 || tab.Initial[2] != 0.5 {
		t.Errorf("initial %v, want 0.5 on states 0 and 2", tab.Initial)
	}
}

// TestMaxEpisodeSteps gives CliffWalking-v0, registered without a limit, a time limit.
func TestMaxEpisodeSteps(t *testing.T) {
	e, err := env.Make("CliffWalking-v0", env.WithMaxEpisodeSteps(5))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reset(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		r, err := e.Step([]float64{3}) // left: into the wall, never terminating
		if err != nil {
			t.Fatal(err)
		}
		if r.Truncated != (i == 5) || r.Terminated {
			t.Fatalf("step %d: %+v", i, r)
		}
	}
}
