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
	run := fs.String("run", "", "run `directory` to evaluate (its final.ckpt, else its newest checkpoint)")
	episodes := fs.Int("episodes", 10, "number of episodes")
	seed := fs.Uint64("seed", 0, "seed of the evaluation env and of action sampling")
	det := fs.Bool("deterministic", false, "act with the distribution's mode instead of sampling")
	asJSON := fs.Bool("json", false, `print {"mean_return":..,"std_return":..,"episodes":..}`)
	if done, code := parse(fs, args, stdout, stderr); done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "ppo eval: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *run == "":
		fmt.Fprintln(stderr, "ppo eval: --run DIR is required")
		return 2
	case *episodes < 1:
		fmt.Fprintf(stderr, "ppo eval: --episodes must be >= 1, got %d\n", *episodes)
		return 2
	}
	ev, path, err := rundir.LoadEvaluator(*run)
	if err != nil {
		fmt.Fprintln(stderr, "ppo eval:", err)
		return 2
	}
	r, err := ev.Run(*episodes, *seed, *det)
	if err != nil {
		fmt.Fprintln(stderr, "ppo eval:", err)
		return 1
	}
	if *asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	fmt.Fprintf(stdout, "%s on %s: mean return %.2f ± %.2f over %d episodes (mean length %.1f)\n",
		path, ev.EnvID, r.MeanReturn, r.StdReturn, r.Episodes, r.MeanLength)
	return 0
}
