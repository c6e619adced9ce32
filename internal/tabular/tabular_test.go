package tabular

import (
	"math"
	"testing"

	"ppo/env"
	"ppo/kl"
)

// coin is a one-state table with hand-computable values. Action 0 ends the episode with reward
// 1 with probability 1/2 and otherwise stays (reward 0); action 1 ends it with reward 0.
func coin() *env.Table {
	return &env.Table{States: 1, Actions: 2, Initial: []float64{1}, P: [][][]env.Outcome{{
		{{Prob: 0.5, Next: 0, Reward: 1, Terminated: true}, {Prob: 0.5, Next: 0}},
		{{Prob: 1, Next: 0, Terminated: true}},
	}}}
}

// TestCoin checks evaluation, value iteration and visitation against closed forms on coin. With
// π(0) = q and b = q/2, a step continues with probability b and pays b in expectation, so over
// H steps V = b(1 - b^H)/(1 - b) and the expected visits are (1 - b^H)/(1 - b); without a limit
// V = b/(1 - b). The optimum always takes action 0: 1 - 2^-H, or 1 without a limit. Geometric
// sums in float64: 1e-12 absolute (the infinite-horizon iterations stop at a change of Tol =
// 1e-12, a remainder of at most Tol·b/(1-b)).
func TestCoin(t *testing.T) {
	tab := coin()
	for _, q := range []float64{1, 0.7, 0.2} {
		pi := Policy{{math.Log(q), math.Log(1 - q)}}
		if q == 1 {
			pi = Policy{{0, kl.MaskBias}}
		}
		b := q / 2
		for _, h := range []int{1, 3, 100, 0} {
			want, visits := b*(1-math.Pow(b, float64(h)))/(1-b), (1-math.Pow(b, float64(h)))/(1-b)
			opt := 1 - math.Pow(2, -float64(h))
			if h == 0 {
				want, visits, opt = b/(1-b), 1/(1-b), 1
			}
			got, err := Evaluate(tab, pi, 1, h)
			if err != nil || math.Abs(got.Return-want) > 1e-11 {
				t.Errorf("q %v horizon %d: return %v (%v), want %v", q, h, got.Return, err, want)
			}
			vis, err := Visitation(tab, pi, h)
			if err != nil || math.Abs(vis[0]-visits) > 1e-11 {
				t.Errorf("q %v horizon %d: visits %v (%v), want %v", q, h, vis, err, visits)
			}
			o, err := Optimal(tab, 1, h, false)
			if err != nil || math.Abs(o.Return-opt) > 1e-11 {
				t.Errorf("horizon %d: optimum %v (%v), want %v", h, o.Return, err, opt)
			}
		}
	}
	// Discounting: V = b/(1 - γb) without a limit.
	got, _ := Evaluate(tab, Policy{{0, kl.MaskBias}}, 0.9, 0)
	if want := 0.5 / (1 - 0.45); math.Abs(got.Return-want) > 1e-11 {
		t.Errorf("γ 0.9: return %v, want %v", got.Return, want)
	}
}

// TestNoConvergence: a policy that never ends its episode has no undiscounted value without a
// limit, and the iteration says so instead of looping.
func TestNoConvergence(t *testing.T) {
	tab := &env.Table{States: 1, Actions: 1, Initial: []float64{1}, P: [][][]env.Outcome{{{{Prob: 1, Next: 0, Reward: -1}}}}}
	if _, err := Evaluate(tab, Policy{{0}}, 1, 0); err != ErrNoConvergence {
		t.Errorf("evaluate: %v", err)
	}
	if _, err := Visitation(tab, Policy{{0}}, 0); err != ErrNoConvergence {
		t.Errorf("visitation: %v", err)
	}
	if _, err := Evaluate(tab, Policy{{0, 0}}, 1, 5); err == nil {
		t.Error("a policy over the wrong number of actions is accepted")
	}
}

// TestOptima checks value iteration on the reference tables against the optima the issue
// quotes (rounded there to 3 figures; 5e-4 absolute, or 5e-3 for Taxi's 7.93): the success
// rate of slippery FrozenLake 4x4 within its 100 steps, 8x8 within 200, Taxi's mean return within
// 200 steps with and without masking (its masked actions are never optimal: the optimum is the
// same), and CliffWalking's -13 without a limit. It also checks that the optimal stationary
// policy of the unlimited 4x4 task, evaluated within 100 steps, falls short of the
// step-dependent optimum, as the Optimal doc says.
func TestOptima(t *testing.T) {
	for _, c := range []struct {
		id      string
		horizon int
		want    float64
		tol     float64
	}{
		{"FrozenLake-v1", 100, 0.744, 5e-4},
		{"FrozenLake8x8-v1", 200, 0.913, 5e-4},
		{"Taxi-v3", 200, 7.93, 5e-3},
		{"CliffWalking-v0", 0, -13, 1e-9},
	} {
		e, err := env.Make(c.id)
		if err != nil {
			t.Fatal(err)
		}
		tab, ok := env.TableOf(e)
		if !ok {
			t.Fatalf("%s has no table", c.id)
		}
		for _, mask := range []bool{false, true} {
			v, err := Optimal(tab, 1, c.horizon, mask)
			if err != nil || math.Abs(v.Return-c.want) > c.tol {
				t.Errorf("%s (mask %v): optimum %v (%v), want %v", c.id, mask, v.Return, err, c.want)
			}
		}
	}
	e, _ := env.Make("FrozenLake-v1")
	tab, _ := env.TableOf(e)
	inf, err := Optimal(tab, 1, 0, false)
	if err != nil || math.Abs(inf.Return-14.0/17) > 1e-9 {
		t.Errorf("4x4 without a limit: optimum %v (%v), want 14/17", inf.Return, err)
	}
	st, _ := Evaluate(tab, Deterministic(greedy(tab, inf.V, 1, false), tab.Actions), 1, 100)
	opt, _ := Optimal(tab, 1, 100, false)
	if !(st.Return < opt.Return && st.Return > 0.7) {
		t.Errorf("4x4 stationary greedy policy within 100 steps: %v, step-dependent optimum %v", st.Return, opt.Return)
	}
}

// TestMatchesSampling plays FrozenLake-v1 (slippery 4x4, 100-step limit) with the stationary
// greedy policy and checks the exact return (the success rate) against 20000 sampled episodes
// within 4 standard errors, and the exact visits of the start state likewise: the table's
// semantics (termination, the time limit) are the env's.
func TestMatchesSampling(t *testing.T) {
	const episodes = 20000
	e, err := env.Make("FrozenLake-v1", env.WithSeed(17))
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := env.TableOf(e)
	inf, _ := Optimal(tab, 1, 0, false)
	acts := greedy(tab, inf.V, 1, false)
	pi := Deterministic(acts, tab.Actions)
	exact, _ := Evaluate(tab, pi, 1, 100)
	visits, _ := Visitation(tab, pi, 100)
	var sum, sumSq, startVisits, startSq float64
	for range episodes {
		obs, err := e.Reset()
		if err != nil {
			t.Fatal(err)
		}
		ret, n0 := 0.0, 0.0
		for {
			if obs[0] == 0 {
				n0++
			}
			st, err := e.Step([]float64{float64(acts[int(obs[0])])})
			if err != nil {
				t.Fatal(err)
			}
			ret += st.Reward
			obs = st.Obs
			if st.Terminated || st.Truncated {
				break
			}
		}
		sum, sumSq = sum+ret, sumSq+ret*ret
		startVisits, startSq = startVisits+n0, startSq+n0*n0
	}
	check := func(what string, s, sq, want float64) {
		mean := s / episodes
		se := math.Sqrt((sq/episodes - mean*mean) / episodes)
		if math.Abs(mean-want) > 4*se {
			t.Errorf("%s: sampled %v ± %v, exact %v", what, mean, se, want)
		}
	}
	check("return", sum, sumSq, exact.Return)
	check("visits of state 0", startVisits, startSq, visits[0])
}

// TestCompareKL checks the per-state KL summaries on a hand-made pair over three states, the
// third never visited: KL is log 2 in state 0 (a certain action against a fair coin), 0 in
// state 1 and large in state 2.
func TestCompareKL(t *testing.T) {
	p := Policy{{0, kl.MaskBias}, {1, 2}, {0, -20}}
	q := Policy{{0, 0}, {1, 2}, {-20, 0}}
	st, err := CompareKL(p, q, []float64{3, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	d2 := kl.CategoricalLogits(p[2], q[2])
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"mean", st.Mean, 0.75 * math.Ln2},
		{"max", st.Max, math.Ln2},
		{"uniform mean", st.UniformMean, (math.Ln2 + d2) / 3},
		{"uniform max", st.UniformMax, d2},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if st.Visited != 2 || st.States != 3 {
		t.Errorf("visited %d of %d states", st.Visited, st.States)
	}
	if _, err := CompareKL(p, q, []float64{0, 0, 0}); err == nil {
		t.Error("no visited state accepted")
	}
	if _, err := CompareKL(p, q[:2], []float64{1, 1, 1}); err == nil {
		t.Error("policies over different states accepted")
	}
}
