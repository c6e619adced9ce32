package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"ppo/configs"
	"ppo/env"
	"ppo/env/external"
	"ppo/internal/rundir"
)

func cmdEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo eval", flag.ContinueOnError)
	run := fs.String("run", "", "run `directory` or checkpoint to evaluate (the same as the argument)")
	ckpt := fs.String("checkpoint", "", "evaluate this checkpoint `file` (default: the run's final.ckpt, else its newest)")
	episodes := fs.Int("episodes", 0, "number of episodes (default: the run's eval.episodes, as eval.json)")
	var seed seedFlag
	fs.Var(&seed, "seed", "seed of the evaluation env and of action sampling (default: the run's evaluation seed, as eval.json)")
	det := fs.Bool("deterministic", false, "act with the distribution's mode instead of sampling (default: the run's eval.deterministic, as eval.json; false for a checkpoint without its config); --deterministic=false samples")
	asJSON := fs.Bool("json", false, `print {"mean_return":..,"std_return":..,"episodes":..}`)
	task := fs.String("task", "", "play the run's eval.tasks entry `NAME` (as in eval.json's tasks, with the KL to the reference)")
	var sets setFlags
	fs.Var(&sets, "set", "play another task: `env.id=ID` or env.params.NAME=V (repeatable), on top of the run's env or --task")
	pos, done, code := parseMixed(fs, args, stdout, stderr)
	if done {
		return code
	}
	var targets []string
	for _, t := range append([]string{*run, *ckpt}, pos...) {
		if t != "" {
			targets = append(targets, t)
		}
	}
	switch {
	case len(targets) == 0:
		fmt.Fprintln(stderr, "ppo eval: name a run directory or a checkpoint: ppo eval RUN_DIR (or --run DIR, --checkpoint FILE)")
		return 2
	case len(targets) > 1:
		fmt.Fprintf(stderr, "ppo eval: name one run directory or checkpoint, got %q\n", targets)
		return 2
	case isSet(fs, "episodes") && *episodes < 1:
		fmt.Fprintf(stderr, "ppo eval: --episodes must be >= 1, got %d\n", *episodes)
		return 2
	}
	ev, err := rundir.LoadEvaluator(targets[0])
	if err != nil {
		fmt.Fprintln(stderr, "ppo eval:", err)
		return 2
	}
	if *task != "" {
		if err := ev.UseTask(*task); err != nil {
			fmt.Fprintln(stderr, "ppo eval:", err)
			return 2
		}
	}
	if len(sets) > 0 {
		if err := setEnv(ev, sets); err != nil {
			fmt.Fprintln(stderr, "ppo eval:", err)
			return 2
		}
	}
	n := *episodes
	if n == 0 {
		n = ev.Episodes
	}
	if !isSet(fs, "deterministic") && ev.Config != nil {
		*det = ev.Config.Eval.Deterministic
	}
	r, err := ev.Run(n, seed.or(ev.Seed), *det)
	if err != nil {
		fmt.Fprintln(stderr, "ppo eval:", err)
		if len(sets) > 0 || *task != "" || errors.Is(err, env.ErrUnknownEnv) || errors.Is(err, external.ErrMissing) {
			return 2 // the env the flags (or the run) name cannot be made
		}
		return 1
	}
	if *asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	on := ev.EnvID
	if r.Served != "" {
		on = r.Served + " (external)"
	}
	if ev.Task != "" {
		on = fmt.Sprintf("task %s (%s)", ev.Task, ev.EnvID)
	}
	if len(ev.Params) > 0 {
		on += " " + formatParams(ev.Params)
	}
	kl := ""
	if r.KLRef != nil {
		kl = fmt.Sprintf(", KL to the reference %.4g", *r.KLRef)
	}
	how := "sampled actions"
	if *det {
		how = "the mode"
	}
	fmt.Fprintf(stdout, "%s on %s: mean return %.2f ± %.2f over %s (mean length %.1f)%s; %s, seed %d\n",
		ev.Checkpoint, on, r.MeanReturn, r.StdReturn, plural(r.Episodes, "episode"), r.MeanLength, kl, how, seed.or(ev.Seed))
	cutNote(stdout, r)
	return 0
}

// setEnv applies ppo eval's --set flags, which may name env.id, env.params
// and env.external.dir (where an external env's program is started) only,
// to the environment ev plays; the env package checks the names when it is
// made.
func setEnv(ev *rundir.Evaluation, sets []string) error {
	c := configs.Default()
	c.Env.ID = ev.EnvID
	c.Env.External = ev.External
	c.Env.Params = maps.Clone(ev.Params)
	if c.Env.Params == nil {
		c.Env.Params = map[string]float64{}
	}
	for _, s := range sets {
		path, _, _ := strings.Cut(s, "=")
		if p := strings.TrimSpace(path); p != "env.id" && p != "env.params" && !strings.HasPrefix(p, "env.params.") && p != "env.external.dir" {
			return fmt.Errorf("--set %s: only env.id, env.params.NAME and env.external.dir choose the task to play", s)
		}
		if err := c.Set(s); err != nil {
			return err
		}
	}
	if err := c.Validate(); err != nil {
		return err
	}
	ev.EnvID, ev.Params, ev.External = c.Env.ID, c.Env.Params, c.Env.External
	return nil
}

// formatParams writes env params as {a: 1, b: 2}, sorted by name.
func formatParams(p map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, fmt.Sprintf("%s: %g", k, p[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
