// Package cli is the ppo command: its subcommands, flags and terminal output.
// A program that registers its own environments and calls Main gets every
// command with them. It may import every package of the module; none
// imports it.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

const usage = `usage: ppo <command> [flags]

commands:
  train   train a policy from a YAML config
  eval    evaluate a trained run
  inspect summarise run directories side by side
  plot    chart runs' return, KL, beta and clip fraction
  sweep   run a config over seeds and a grid of overrides
  bench   measure training speed: acting, env stepping, learning
  kl      compute KL divergences between distributions
  envs    list the registered environments
  docs    regenerate the figures in README, configs and experiments

Run 'ppo <command> -h' for the flags of a command.
`

// Main runs the ppo command with args (without the program name) and
// returns the process exit status: 0 on success, 1 on a runtime failure,
// 2 on bad input, 130 when interrupted.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "train":
		return cmdTrain(args[1:], stdout, stderr)
	case "eval":
		return cmdEval(args[1:], stdout, stderr)
	case "inspect":
		return cmdInspect(args[1:], stdout, stderr)
	case "plot":
		return cmdPlot(args[1:], stdout, stderr)
	case "sweep":
		return cmdSweep(args[1:], stdout, stderr)
	case "kl":
		return cmdKL(args[1:], stdout, stderr)
	case "envs":
		return cmdEnvs(args[1:], stdout, stderr)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "docs":
		return cmdDocs(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "ppo: unknown command %q (run 'ppo help')\n", args[0])
	return 2
}

// parse parses a subcommand's flags. -h prints the usage to stdout (done,
// status 0); a bad flag prints one line to stderr (done, status 2).
func parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (done bool, code int) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case err == nil:
		return false, 0
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fmt.Fprintf(stdout, "usage: %s [flags]\n", fs.Name())
		fs.PrintDefaults()
		return true, 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
	return true, 2
}

// plural writes n with word, adding an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
