// Package tabular computes exact whole-state quantities of environments with a transition
// table (env.Table): a policy's expected return by policy evaluation, the optimal return by
// value iteration, the state visitation, and the KL between two policies over every state.
// It imports env, dist and kl.
package tabular

import (
	"errors"
	"fmt"
	"math"

	"ppo/dist"
	"ppo/env"
	"ppo/internal/detmath"
	"ppo/kl"
)

// Policy is a stochastic policy over a table's states: row s holds the logits of π(·|s), with
// masked actions at kl.MaskBias (probability exactly 0).
type Policy [][]float64

// Deterministic is the policy taking actions[s] in state s: logit 0 for it, kl.MaskBias for the
// others.
func Deterministic(actions []int, numActions int) Policy {
	p := make(Policy, len(actions))
	for s, a := range actions {
		p[s] = make([]float64, numActions)
		for j := range p[s] {
			if j != a {
				p[s][j] = kl.MaskBias
			}
		}
	}
	return p
}

// Mode is the policy acting with each state's most probable action (the first on ties), as
// evaluation with the distribution's mode does.
func Mode(pi Policy) Policy {
	acts := make([]int, len(pi))
	for s, row := range pi {
		for j, v := range row {
			if v > row[acts[s]] {
				acts[s] = j
			}
		}
	}
	n := 0
	if len(pi) > 0 {
		n = len(pi[0])
	}
	return Deterministic(acts, n)
}

// probs is π(·|s) for every state.
func (pi Policy) probs() [][]float64 {
	out := make([][]float64, len(pi))
	for s, row := range pi {
		out[s] = kl.LogSoftmax(nil, row)
		for j, v := range out[s] {
			out[s][j] = detmath.Exp(v)
		}
	}
	return out
}

func (pi Policy) check(t *env.Table) error {
	if len(pi) != t.States {
		return fmt.Errorf("tabular: policy over %d states, table has %d", len(pi), t.States)
	}
	for s, row := range pi {
		if len(row) != t.Actions {
			return fmt.Errorf("tabular: policy row %d has %d actions, table has %d", s, len(row), t.Actions)
		}
	}
	return nil
}

// Convergence of the infinite-horizon iterations (horizon 0): stop when no state's value (or
// visit count) changes by more than Tol in one sweep; fail after MaxSweeps.
const (
	Tol       = 1e-12
	MaxSweeps = 1_000_000
)

// ErrNoConvergence is returned when an infinite-horizon iteration has not converged: the
// policy may never end an episode (its return is then -∞ or undefined without discounting).
var ErrNoConvergence = errors.New("tabular: iteration did not converge (does the policy end its episodes?)")

// Values are a value function and the expected return from the initial distribution.
type Values struct {
	V      []float64
	Return float64 // Σ_s Initial(s) V(s)
	// Sweeps is the number of Bellman sweeps: the horizon, or those to convergence.
	Sweeps int
}

// backup is one Bellman sweep: next(s) = f over actions of Σ_o p (r + γ [not terminated] v(o.Next)),
// where f is the π-weighted sum (pi != nil) or the max over the allowed actions.
func backup(t *env.Table, probs [][]float64, useMask bool, gamma float64, v, next []float64) float64 {
	change := 0.0
	for s, row := range t.P {
		best, sum := math.Inf(-1), 0.0
		for a, outs := range row {
			if probs == nil && useMask && t.Mask != nil && !t.Mask[s][a] {
				continue
			}
			if probs != nil && probs[s][a] == 0 {
				continue
			}
			q := actionValue(outs, v, gamma)
			if probs != nil {
				sum += probs[s][a] * q
			} else {
				best = max(best, q)
			}
		}
		if probs == nil {
			sum = best
		}
		change = max(change, math.Abs(sum-v[s]))
		next[s] = sum
	}
	return change
}

// iterate runs Bellman sweeps from V = 0: horizon of them (the expected return of the first
// horizon steps, Gymnasium's time limit truncating the episode), or until convergence if
// horizon is 0.
func iterate(t *env.Table, probs [][]float64, useMask bool, gamma float64, horizon int) (Values, error) {
	v, next := make([]float64, t.States), make([]float64, t.States)
	n := 0
	for {
		if horizon > 0 && n == horizon {
			break
		}
		if horizon == 0 && n == MaxSweeps {
			return Values{}, ErrNoConvergence
		}
		change := backup(t, probs, useMask, gamma, v, next)
		v, next = next, v
		n++
		if horizon == 0 && change <= Tol {
			break
		}
	}
	r := 0.0
	for s, p := range t.Initial {
		r += p * v[s]
	}
	return Values{V: v, Return: r, Sweeps: n}, nil
}

// Evaluate is the exact expected return of pi over episodes of at most horizon steps (0: no
// limit) with rewards discounted by gamma: V_h(s) = Σ_a π(a|s) Σ_o p (r + γ [not terminated]
// V_{h-1}(s')), V_0 = 0.
func Evaluate(t *env.Table, pi Policy, gamma float64, horizon int) (Values, error) {
	if err := pi.check(t); err != nil {
		return Values{}, err
	}
	return iterate(t, pi.probs(), false, gamma, horizon)
}

// Optimal is the optimal expected return by value iteration, V_h(s) = max_a Σ_o p (r + γ
// [not terminated] V_{h-1}(s')), the max over the table's allowed actions if mask. With a
// horizon the optimum is that of a policy that may depend on the steps left; a stationary
// policy (all a network can express) may fall short of it.
func Optimal(t *env.Table, gamma float64, horizon int, mask bool) (Values, error) {
	return iterate(t, nil, mask, gamma, horizon)
}

// Visitation is the expected number of visits to each state in an episode of at most horizon
// steps (0: no limit) under pi: the sum over steps k < horizon of μ_k, with μ_0 the initial
// distribution and μ_{k+1}(s') = Σ_s μ_k(s) Σ_a π(a|s) Σ_o p [not terminated, o.Next = s'].
func Visitation(t *env.Table, pi Policy, horizon int) ([]float64, error) {
	if err := pi.check(t); err != nil {
		return nil, err
	}
	probs := pi.probs()
	mu := append([]float64(nil), t.Initial...)
	next := make([]float64, t.States)
	visits := make([]float64, t.States)
	for k := 0; ; k++ {
		if horizon > 0 && k == horizon {
			return visits, nil
		}
		if horizon == 0 && k == MaxSweeps {
			return nil, ErrNoConvergence
		}
		mass := 0.0
		for s, m := range mu {
			visits[s] += m
			mass += m
		}
		if horizon == 0 && mass <= Tol {
			return visits, nil
		}
		clear(next)
		for s, m := range mu {
			if m == 0 {
				continue
			}
			for a, outs := range t.P[s] {
				if probs[s][a] == 0 {
					continue
				}
				for _, o := range outs {
					if !o.Terminated {
						next[o.Next] += m * probs[s][a] * o.Prob
					}
				}
			}
		}
		mu, next = next, mu
	}
}

// KLStats summarises KL(P(·|s) || Q(·|s)) over a table's states.
type KLStats struct {
	// Mean and Max weight the states by a visitation distribution: Mean is Σ_s d(s) KL(s) with
	// d the visits normalised to sum to 1, Max the largest KL over the states with d(s) > 0.
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
	// UniformMean and UniformMax are over every state alike.
	UniformMean float64 `json:"uniform_mean"`
	UniformMax  float64 `json:"uniform_max"`
	// States is the number of states, Visited those with d(s) > 0.
	States  int `json:"states"`
	Visited int `json:"visited_states"`
}

// CompareKL is the KL between p and q in every state, summarised with the visits (from
// Visitation; any non-negative weights with a positive sum) as weights.
func CompareKL(p, q Policy, visits []float64) (KLStats, error) {
	if len(p) != len(q) || len(p) != len(visits) || len(p) == 0 {
		return KLStats{}, fmt.Errorf("tabular: policies over %d and %d states, %d visit counts", len(p), len(q), len(visits))
	}
	total := 0.0
	for _, v := range visits {
		if !(v >= 0) {
			return KLStats{}, fmt.Errorf("tabular: visit count %v", v)
		}
		total += v
	}
	if !(total > 0) {
		return KLStats{}, errors.New("tabular: no state is visited")
	}
	st := KLStats{States: len(p)}
	for s := range p {
		if len(p[s]) != len(q[s]) {
			return KLStats{}, fmt.Errorf("tabular: state %d: %d and %d actions", s, len(p[s]), len(q[s]))
		}
		d := dist.Categorical{}.KL(kl.OldNew, dist.Params{Head: p[s]}, dist.Params{Head: q[s]})
		st.UniformMean += d / float64(len(p))
		st.UniformMax = max(st.UniformMax, d)
		if visits[s] > 0 {
			st.Visited++
			st.Mean += visits[s] / total * d
			st.Max = max(st.Max, d)
		}
	}
	return st, nil
}

// greedy is the stationary policy acting greedily on v: in each state the (allowed, if mask)
// action maximising Σ_o p (r + γ [not terminated] v(s')), the first on ties. With v the
// converged optimal values it is an optimal stationary policy of the unlimited task.
func greedy(t *env.Table, v []float64, gamma float64, mask bool) []int {
	acts := make([]int, t.States)
	for s, row := range t.P {
		best := math.Inf(-1)
		for a, outs := range row {
			if mask && t.Mask != nil && !t.Mask[s][a] {
				continue
			}
			q := actionValue(outs, v, gamma)
			if q > best+1e-12 {
				best, acts[s] = q, a
			}
		}
	}
	return acts
}

// actionValue is one action's expected return Σ_o p (r + γ [not terminated] v(s')) from its
// outcomes, the term of every Bellman backup here.
func actionValue(outs []env.Outcome, v []float64, gamma float64) float64 {
	q := 0.0
	for _, o := range outs {
		c := o.Reward
		if !o.Terminated {
			c += gamma * v[o.Next]
		}
		q += o.Prob * c
	}
	return q
}
