package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"ppo/rundir"
)

func cmdEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo eval", flag.ContinueOnError)
	run := fs.String("run", "", "run `directory` or checkpoint to evaluate (the same as the argument)")
	ckpt := fs.String("checkpoint", "", "evaluate this checkpoint `file` (default: the run's final.ckpt, else its newest)")
	episodes := fs.Int("episodes", 0, "number of episodes (default: the run's eval.episodes, as eval.json)")
	var seed seedFlag
	fs.Var(&seed, "seed", "seed of the evaluation env and of action sampling (default: the run's evaluation seed, as eval.json)")
	det := fs.Bool("deterministic", false, "act with the distribution's mode instead of sampling (as eval.json)")
	asJSON := fs.Bool("json", false, `print {"mean_return":..,"std_return":..,"episodes":..}`)
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
	n := *episodes
	if n == 0 {
		n = ev.Episodes
	}
	r, err := ev.Run(n, seed.or(ev.Seed), *det)
	if err != nil {
		fmt.Fprintln(stderr, "ppo eval:", err)
		return 1
	}
	if *asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	fmt.Fprintf(stdout, "%s on %s: mean return %.2f ± %.2f over %s (mean length %.1f)\n",
		ev.Checkpoint, ev.EnvID, r.MeanReturn, r.StdReturn, plural(r.Episodes, "episode"), r.MeanLength)
	return 0
}
