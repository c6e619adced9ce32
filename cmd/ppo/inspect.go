package main

import (
	"flag"
	"fmt"
	"io"

	"ppo/report"
)

// cmdInspect summarises run directories side by side, or as JSON.
func cmdInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo inspect", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, `print {"runs": [...]} as JSON instead of a table`)
	args, dirs := splitArgs(args)
	if done, code := parse(fs, args, stdout, stderr); done {
		return code
	}
	dirs = append(dirs, fs.Args()...)
	if len(dirs) == 0 {
		fmt.Fprintln(stderr, "ppo inspect: name at least one run directory")
		return 2
	}
	runs, err := report.LoadAll(dirs)
	if err != nil {
		fmt.Fprintln(stderr, "ppo inspect:", err)
		return 2
	}
	sums := make([]report.Summary, len(runs))
	for i, r := range runs {
		sums[i] = report.Summarize(r)
	}
	if *asJSON {
		err = report.WriteJSON(stdout, sums)
	} else {
		err = report.WriteTable(stdout, sums)
	}
	if err != nil {
		fmt.Fprintln(stderr, "ppo inspect:", err)
		return 1
	}
	return 0
}

// splitArgs separates the leading directories of args (ppo inspect DIR...
// --json) from the flags after them, since package flag stops at the
// first non-flag argument.
func splitArgs(args []string) (flags, dirs []string) {
	i := 0
	for i < len(args) && (len(args[i]) == 0 || args[i][0] != '-') {
		i++
	}
	return args[i:], args[:i]
}
