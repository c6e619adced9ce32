package cli

import (
	"flag"
	"fmt"
	"io"

	"ppo/internal/report"
)

// cmdInspect summarises run directories side by side, or as JSON.
func cmdInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo inspect", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, `print {"runs": [...]} as JSON instead of a table`)
	dirs, done, code := parseMixed(fs, args, stdout, stderr)
	if done {
		return code
	}
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
	} else if err = report.WriteTable(stdout, sums); err == nil {
		for _, s := range sums {
			switch s.State {
			case report.StateInterrupted:
				fmt.Fprintf(stdout, "%s: interrupted; resume with: %s train --resume %s\n", s.Run, self(), s.Dir)
			case report.StateStopped:
				fmt.Fprintf(stdout, "%s: stopped before its first checkpoint; %s train --resume %s starts it again\n", s.Run, self(), s.Dir)
			case report.StateFailed:
				fmt.Fprintf(stdout, "%s: failed; %s train --resume %s tries again from its last checkpoint\n", s.Run, self(), s.Dir)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "ppo inspect:", err)
		return 1
	}
	return 0
}

// parseMixed parses flags placed anywhere among the positional
// arguments (ppo inspect DIR... --json), which package flag alone stops
// at, and returns the positional ones in order. Everything after "--" is
// positional.
func parseMixed(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, done bool, code int) {
	for {
		if done, code := parse(fs, args, stdout, stderr); done {
			return nil, true, code
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, false, 0
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), false, 0
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
