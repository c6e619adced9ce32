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
	"os"
	"path/filepath"
	"strings"
)

// A command is one ppo subcommand.
type command struct {
	name, args, summary string
	run                 func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order usage shows them; args is
// the synopsis after the flags, shown by -h.
var commands []command

func init() {
	commands = []command{
		{"train", "", "train a policy from a YAML config (--resume DIR continues a run)", cmdTrain},
		{"eval", "RUN_DIR | CHECKPOINT", "evaluate a trained run or checkpoint", cmdEval},
		{"inspect", "RUN_DIR...", "summarise run directories side by side", cmdInspect},
		{"plot", "RUN_DIR...", "chart runs' return, KL, beta and clip fraction", cmdPlot},
		{"sweep", "", "run a config over seeds and a grid of overrides (--collect DIR...)", cmdSweep},
		{"tradeoff", "SUMMARY.json...", "chart a forgetting study's sweeps: return on X vs Y, forgetting vs KL", cmdTradeoff},
		{"bench", "", "measure training speed: acting, env stepping, learning", cmdBench},
		{"tabular", "RUN_DIR...", "exact returns and optimum of tabular-env runs; KL between runs over every state", cmdTabular},
		{"kl", "categorical|normal|gaussian", "compute KL divergences between distributions", cmdKL},
		{"envs", "[ID...]", "list the registered environments", cmdEnvs},
		{"config", "[--defaults | PATH [--set path=value]...]", "the config schema with defaults and docs, the defaults as a file, or a config resolved", cmdConfig},
		{"canary", "[STUDY_DIR...]", "check that the code still gives the committed studies' numbers, or write a study's canary", cmdCanary},
		{"docs", "", "regenerate the figures in README, configs and experiments", cmdDocs},
		{"version", "", "print the version, Go version and commit", cmdVersion},
	}
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: ppo <command> [flags] [arguments]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-10s%s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'ppo <command> -h' for the flags and arguments of a command.\n")
	return b.String()
}

// Main runs the ppo command with args (without the program name) and
// returns the process exit status: 0 on success, 1 on a runtime failure,
// 2 on bad input, 130 when interrupted.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	switch args[0] {
	case "help":
		if len(args) == 2 { // ppo help CMD is ppo CMD -h
			for _, c := range commands {
				if c.name == args[1] {
					return c.run([]string{"-h"}, stdout, stderr)
				}
			}
		}
		fmt.Fprint(stdout, usage())
		return 0
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage())
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
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
		line := fs.Name() + " [flags]"
		for _, c := range commands {
			if "ppo "+c.name == fs.Name() && c.args != "" {
				line += " " + c.args
			}
		}
		fmt.Fprintf(stdout, "usage: %s\n", line)
		fs.PrintDefaults()
		return true, 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
	return true, 2
}

// isSet says whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// plural writes n with word, adding an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// self is the name to give this program in the commands a message
// suggests: the binary's own name (a program built on Main has its own),
// "ppo" under go test.
func self() string {
	name := filepath.Base(os.Args[0])
	if name == "." || strings.HasSuffix(name, ".test") {
		return "ppo"
	}
	return name
}
