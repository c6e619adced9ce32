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
	"strings"

	"ppo/agent"
	"ppo/env/external"
	"ppo/internal/bench"
)

func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo bench", flag.ContinueOnError)
	cfgPath := fs.String("config", "", "YAML config `file` (default: the embedded configs/cartpole-adaptive-kl.yaml)")
	updates := fs.Int("updates", 0, "stop after `n` updates (default: the whole run)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	var sets setFlags
	fs.Var(&sets, "set", "override a config field, `path=value` (repeatable)")
	ext := fs.String("external", "", "instead, measure the pipe to the ppoenv.py program `cmd` (split at spaces)")
	copies := fs.Int("copies", 8, "with --external: environment copies `n`")
	steps := fs.Int("steps", 20000, "with --external: steps `n` per copy")
	if done, code := parse(fs, args, stdout, stderr); done {
		return code
	}
	if *ext != "" {
		return benchPipe(*ext, *copies, *steps, *asJSON, stdout, stderr)
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
		fmt.Fprintln(stderr, "ppo bench:", err)
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

// benchPipe implements ppo bench --external.
func benchPipe(cmd string, copies, steps int, asJSON bool, stdout, stderr io.Writer) int {
	r, err := external.Bench(external.Command{Argv: strings.Fields(cmd)}, copies, steps)
	if err != nil {
		fmt.Fprintln(stderr, "ppo bench:", err)
		return 1
	}
	if asJSON {
		b, _ := json.MarshalIndent(r, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	fmt.Fprintf(stdout, "%d copies x %d steps of %s\n", r.Copies, r.Steps, cmd)
	fmt.Fprintf(stdout, "  in process          %9.0f env-steps/s\n", r.InProcess.StepsPerSec)
	fmt.Fprintf(stdout, "  one process (pipe)  %9.0f env-steps/s  overhead %.2f µs/step\n", r.OneProcess.StepsPerSec, r.OverheadOneProcess)
	fmt.Fprintf(stdout, "  process per copy    %9.0f env-steps/s  overhead %.2f µs/step\n", r.ProcessPerCopy.StepsPerSec, r.OverheadProcessPerCopy)
	return 0
}
