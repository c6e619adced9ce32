package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"ppo/agent"
	"ppo/bench"
)

func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo bench", flag.ContinueOnError)
	cfgPath := fs.String("config", "", "YAML config `file` (default: the embedded configs/cartpole-adaptive-kl.yaml)")
	updates := fs.Int("updates", 0, "stop after `n` updates (default: the whole run)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	var sets setFlags
	fs.Var(&sets, "set", "override a config field, `path=value` (repeatable)")
	if done, code := parse(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ppo bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *updates < 0 {
		fmt.Fprintf(stderr, "ppo bench: --updates must be >= 0, got %d\n", *updates)
		return 2
	}
	cfg, err := loadConfig(*cfgPath, sets, seedFlag{})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := bench.Run(ctx, cfg, *updates)
	if err != nil {
		var in *agent.InputError
		if errors.As(err, &in) {
			fmt.Fprintln(stderr, "ppo bench:", err)
			return 2
		}
		fmt.Fprintln(stderr, "ppo bench:", err)
		return 1
	}
	if *asJSON {
		b, _ := json.MarshalIndent(r, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	fmt.Fprint(stdout, r)
	return 0
}
