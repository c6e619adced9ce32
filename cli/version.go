package cli

import (
	"flag"
	"fmt"
	"io"

	"ppo/internal/rundir"
)

// version is this release of ppo.
const version = "0.2.0-dev"

// cmdVersion prints the version, the Go toolchain and the stamp this
// binary puts on what it trains (rundir.CurrentStamp: the commit, from the
// binary's VCS stamp or the work tree it runs in, and the kernel path).
func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo version", flag.ContinueOnError)
	if done, code := parse(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ppo version: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	st := rundir.CurrentStamp()
	fmt.Fprintf(stdout, "ppo %s\ngo %s\n%s\n", version, st.Go, st)
	return 0
}
