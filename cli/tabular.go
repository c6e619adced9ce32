package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"ppo/agent"
	"ppo/env"
	"ppo/internal/rundir"
	"ppo/internal/tabular"
	"ppo/kl"
)

func cmdTabular(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo tabular", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, `print {"runs":[...],"pairs":[...]} with every figure (tabular.Report)`)
	dirs, done, code := parseMixed(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(dirs) == 0 {
		fmt.Fprintln(stderr, "ppo tabular: name a run directory, or several to compare: ppo tabular RUN_DIR...")
		return 2
	}
	var (
		rep    tabular.Report
		pis    []tabular.Policy
		visits [][]float64
	)
	for _, d := range dirs {
		r, pi, v, err := exactRun(d)
		if err != nil {
			fmt.Fprintln(stderr, "ppo tabular:", err)
			return 2
		}
		if a := rep.Runs; len(a) > 0 && (a[0].Env != r.Env || a[0].States != r.States || a[0].Masking != r.Masking) {
			fmt.Fprintf(stderr, "ppo tabular: %s (%s) and %s (%s) are not runs of the same task\n", a[0].Run, a[0].Env, r.Run, r.Env)
			return 2
		}
		rep.Runs, pis, visits = append(rep.Runs, r), append(pis, pi), append(visits, v)
	}
	for i := range pis {
		for j := i + 1; j < len(pis); j++ {
			ab, err := tabular.CompareKL(pis[i], pis[j], visits[i])
			if err != nil {
				fmt.Fprintln(stderr, "ppo tabular:", err)
				return 1
			}
			ba, err := tabular.CompareKL(pis[j], pis[i], visits[j])
			if err != nil {
				fmt.Fprintln(stderr, "ppo tabular:", err)
				return 1
			}
			rep.Pairs = append(rep.Pairs, tabular.PairReport{A: i, B: j, AB: ab, BA: ba})
		}
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	for _, r := range rep.Runs {
		limit := fmt.Sprintf("within %d steps", r.Horizon)
		if r.Horizon == 0 {
			limit = "without a time limit"
		}
		fmt.Fprintf(stdout, "%s: %s, %d states × %d actions, undiscounted returns %s (exact)\n", r.Run, r.Env, r.States, r.Actions, limit)
		fmt.Fprintf(stdout, "  optimal return     %.4f  (value iteration)\n", r.Optimal)
		fmt.Fprintf(stdout, "  policy's return    %.4f  (sampling actions)\n", r.Policy)
		if r.Mode != nil {
			fmt.Fprintf(stdout, "  mode's return      %.4f  (acting with the mode)\n", *r.Mode)
		} else {
			fmt.Fprintln(stdout, "  mode's return      -Inf    (acting with the mode never ends an episode)")
		}
		if r.EvalReturn != nil {
			fmt.Fprintf(stdout, "  eval.json          %.4f  (mean over %s)\n", *r.EvalReturn, plural(r.EvalEpisodes, "episode"))
		}
	}
	for _, p := range rep.Pairs {
		for _, c := range []struct {
			what string
			s    tabular.KLStats
		}{{fmt.Sprintf("KL(%d‖%d), %d's visits", p.A+1, p.B+1, p.A+1), p.AB}, {fmt.Sprintf("KL(%d‖%d), %d's visits", p.B+1, p.A+1, p.B+1), p.BA}} {
			fmt.Fprintf(stdout, "%s: mean %.4g, max %.4g over %d visited states; over all %d states mean %.4g, max %.4g\n",
				c.what, c.s.Mean, c.s.Max, c.s.Visited, c.s.States, c.s.UniformMean, c.s.UniformMax)
		}
	}
	return 0
}

// exactRun computes a run's exact figures from its newest checkpoint and its env's table, with
// its policy table and expected visits.
func exactRun(dir string) (tabular.RunReport, tabular.Policy, []float64, error) {
	var r tabular.RunReport
	ev, err := rundir.LoadEvaluator(dir)
	if err != nil {
		return r, nil, nil, err
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
		return r, nil, nil, err
	}
	tab, ok := env.TableOf(e)
	if !ok {
		return r, nil, nil, fmt.Errorf("%s: %s has no transition table (tabular envs: FrozenLake, CliffWalking, Taxi)", dir, ev.EnvID)
	}
	horizon := ev.MaxEpisodeSteps
	if spec, ok := env.Lookup(ev.EnvID); ok && horizon == 0 {
		horizon = spec.MaxEpisodeSteps
	}
	r = tabular.RunReport{Run: dir, Env: ev.EnvID, States: tab.States, Actions: tab.Actions, Horizon: horizon, Masking: ev.Masking}
	pi, err := policyTable(ev.Evaluator, tab)
	if err != nil {
		return r, nil, nil, fmt.Errorf("%s: %w", dir, err)
	}
	opt, err := tabular.Optimal(tab, 1, horizon, ev.Masking)
	if err != nil {
		return r, nil, nil, fmt.Errorf("%s: optimum: %w", dir, err)
	}
	pol, err := tabular.Evaluate(tab, pi, 1, horizon)
	if err != nil {
		return r, nil, nil, fmt.Errorf("%s: the policy's return: %w", dir, err)
	}
	r.Optimal, r.Policy = opt.Return, pol.Return
	// Without a time limit the mode may never end an episode (walking into a wall forever).
	switch mode, err := tabular.Evaluate(tab, tabular.Mode(pi), 1, horizon); {
	case err == nil:
		r.Mode = &mode.Return
	case !errors.Is(err, tabular.ErrNoConvergence):
		return r, nil, nil, fmt.Errorf("%s: the mode's return: %w", dir, err)
	}
	visits, err := tabular.Visitation(tab, pi, horizon)
	if err != nil {
		return r, nil, nil, fmt.Errorf("%s: visitation: %w", dir, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, rundir.EvalFile)); err == nil {
		var res agent.EvalResult
		if json.Unmarshal(b, &res) == nil {
			r.EvalReturn, r.EvalEpisodes = &res.MeanReturn, res.Episodes
		}
	}
	return r, pi, visits, nil
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
