package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"ppo/agent"
	"ppo/env"
	"ppo/kl"
	"ppo/rundir"
	"ppo/tabular"
)

// tabularRun is one run's exact whole-state figures (ppo tabular --json).
type tabularRun struct {
	Run     string `json:"run"`
	Env     string `json:"env"`
	States  int    `json:"states"`
	Actions int    `json:"actions"`
	// Horizon is the time limit in steps, 0 for none; returns are undiscounted.
	Horizon int  `json:"horizon"`
	Masking bool `json:"masking"`
	// Optimal is value iteration's optimum (with a horizon: of a policy that may depend on the
	// steps left); Policy the exact expected return sampling from the policy, Mode acting with
	// its mode (as eval.json with eval.deterministic).
	Optimal jsonFloat `json:"optimal_return"`
	Policy  jsonFloat `json:"policy_return"`
	Mode    jsonFloat `json:"mode_return"`
	// EvalReturn and EvalEpisodes are the run's eval.json, if it has one.
	EvalReturn   *jsonFloat `json:"eval_mean_return,omitempty"`
	EvalEpisodes int        `json:"eval_episodes,omitempty"`

	pi     tabular.Policy
	visits []float64
}

// tabularKL is the KL between two runs' policies over every state.
type tabularKL struct {
	// AB is KL(A‖B) per state, weighted by A's expected visits; BA is KL(B‖A) weighted by B's.
	AB tabularKLStats `json:"kl_ab"`
	BA tabularKLStats `json:"kl_ba"`
}

type tabularKLStats struct {
	Mean        jsonFloat `json:"mean"`
	Max         jsonFloat `json:"max"`
	UniformMean jsonFloat `json:"uniform_mean"`
	UniformMax  jsonFloat `json:"uniform_max"`
	Visited     int       `json:"visited_states"`
}

func cmdTabular(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo tabular", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, `print {"runs":[...],"kl":{...}} with every figure`)
	dirs, done, code := parseMixed(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(dirs) < 1 || len(dirs) > 2 {
		fmt.Fprintln(stderr, "ppo tabular: name one run directory, or two to compare: ppo tabular RUN_DIR [RUN_DIR2]")
		return 2
	}
	var runs []*tabularRun
	for _, d := range dirs {
		r, err := exactRun(d)
		if err != nil {
			fmt.Fprintln(stderr, "ppo tabular:", err)
			return 2
		}
		runs = append(runs, r)
	}
	var cmp *tabularKL
	if len(runs) == 2 {
		a, b := runs[0], runs[1]
		if a.Env != b.Env || a.States != b.States || a.Actions != b.Actions || a.Masking != b.Masking {
			fmt.Fprintf(stderr, "ppo tabular: %s (%s) and %s (%s) are not runs of the same task\n", a.Run, a.Env, b.Run, b.Env)
			return 2
		}
		ab, err := tabular.CompareKL(a.pi, b.pi, a.visits)
		if err == nil {
			var ba tabular.KLStats
			ba, err = tabular.CompareKL(b.pi, a.pi, b.visits)
			cmp = &tabularKL{AB: klStats(ab), BA: klStats(ba)}
		}
		if err != nil {
			fmt.Fprintln(stderr, "ppo tabular:", err)
			return 1
		}
	}
	if *asJSON {
		b, _ := json.MarshalIndent(struct {
			Runs []*tabularRun `json:"runs"`
			KL   *tabularKL    `json:"kl,omitempty"`
		}{runs, cmp}, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	for _, r := range runs {
		limit := fmt.Sprintf("within %d steps", r.Horizon)
		if r.Horizon == 0 {
			limit = "without a time limit"
		}
		fmt.Fprintf(stdout, "%s: %s, %d states × %d actions, undiscounted returns %s (exact)\n", r.Run, r.Env, r.States, r.Actions, limit)
		fmt.Fprintf(stdout, "  optimal return     %.4f  (value iteration)\n", float64(r.Optimal))
		fmt.Fprintf(stdout, "  policy's return    %.4f  (sampling actions)\n", float64(r.Policy))
		fmt.Fprintf(stdout, "  mode's return      %.4f  (acting with the mode)\n", float64(r.Mode))
		if r.EvalReturn != nil {
			fmt.Fprintf(stdout, "  eval.json          %.4f  (mean over %s)\n", float64(*r.EvalReturn), plural(r.EvalEpisodes, "episode"))
		}
	}
	if cmp != nil {
		for _, c := range []struct {
			what string
			s    tabularKLStats
		}{{"KL(A‖B), A's visits", cmp.AB}, {"KL(B‖A), B's visits", cmp.BA}} {
			fmt.Fprintf(stdout, "%s: mean %.4g, max %.4g over %d visited states; over all states mean %.4g, max %.4g\n",
				c.what, float64(c.s.Mean), float64(c.s.Max), c.s.Visited, float64(c.s.UniformMean), float64(c.s.UniformMax))
		}
	}
	return 0
}

func klStats(s tabular.KLStats) tabularKLStats {
	return tabularKLStats{jsonFloat(s.Mean), jsonFloat(s.Max), jsonFloat(s.UniformMean), jsonFloat(s.UniformMax), s.Visited}
}

// exactRun computes a run's exact figures from its newest checkpoint and its env's table.
func exactRun(dir string) (*tabularRun, error) {
	ev, err := rundir.LoadEvaluator(dir)
	if err != nil {
		return nil, err
	}
	var opts []env.Option
	if len(ev.Params) > 0 {
		opts = append(opts, env.WithParams(ev.Params))
	}
	if len(ev.TextParams) > 0 {
		opts = append(opts, env.WithTextParams(ev.TextParams))
	}
	e, err := env.Make(ev.EnvID, opts...)
	if err != nil {
		return nil, err
	}
	tab, ok := env.TableOf(e)
	if !ok {
		return nil, fmt.Errorf("%s: %s has no transition table (tabular envs: FrozenLake, CliffWalking, Taxi)", dir, ev.EnvID)
	}
	horizon := ev.MaxEpisodeSteps
	if spec, ok := env.Lookup(ev.EnvID); ok && horizon == 0 {
		horizon = spec.MaxEpisodeSteps
	}
	r := &tabularRun{Run: dir, Env: ev.EnvID, States: tab.States, Actions: tab.Actions, Horizon: horizon, Masking: ev.Masking}
	if r.pi, err = policyTable(ev.Evaluator, tab); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	opt, err := tabular.Optimal(tab, 1, horizon, ev.Masking)
	if err != nil {
		return nil, fmt.Errorf("%s: optimum: %w", dir, err)
	}
	pol, err := tabular.Evaluate(tab, r.pi, 1, horizon)
	if err != nil {
		return nil, fmt.Errorf("%s: the policy's return: %w", dir, err)
	}
	// The mode may never end an episode (walking into a wall forever): its return is then -∞.
	mode, err := tabular.Evaluate(tab, tabular.Mode(r.pi), 1, horizon)
	switch {
	case errors.Is(err, tabular.ErrNoConvergence):
		mode.Return = math.Inf(-1)
	case err != nil:
		return nil, fmt.Errorf("%s: the mode's return: %w", dir, err)
	}
	if r.visits, err = tabular.Visitation(tab, r.pi, horizon); err != nil {
		return nil, fmt.Errorf("%s: visitation: %w", dir, err)
	}
	r.Optimal, r.Policy, r.Mode = jsonFloat(opt.Return), jsonFloat(pol.Return), jsonFloat(mode.Return)
	if b, err := os.ReadFile(filepath.Join(dir, rundir.EvalFile)); err == nil {
		var res agent.EvalResult
		if json.Unmarshal(b, &res) == nil {
			v := jsonFloat(res.MeanReturn)
			r.EvalReturn, r.EvalEpisodes = &v, res.Episodes
		}
	}
	return r, nil
}

// policyTable is the policy's logits in every state of tab, masked as the run acts.
func policyTable(ev *agent.Evaluator, tab *env.Table) (tabular.Policy, error) {
	spec := ev.Policy.Spec
	if !spec.Discrete || len(spec.ActNvec) > 0 || spec.ActDim != tab.Actions {
		return nil, fmt.Errorf("the policy's actions (%d, discrete %v) are not the table's %d", spec.ActDim, spec.Discrete, tab.Actions)
	}
	pi := make(tabular.Policy, tab.States)
	for s := range pi {
		pi[s] = make([]float64, tab.Actions)
		if err := ev.Head([]float64{float64(s)}, pi[s]); err != nil {
			return nil, err
		}
		if ev.Masking && tab.Mask != nil {
			kl.MaskLogits(pi[s], pi[s], tab.Mask[s])
		}
	}
	return pi, nil
}
