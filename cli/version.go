package cli

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is this release of ppo.
const version = "0.2.0-dev"

// cmdVersion prints the version, the Go toolchain and the commit the
// binary was built from (go build records it; go run and go test do not).
func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo version", flag.ContinueOnError)
	if done, code := parse(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ppo version: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	commit := "unknown (built without VCS information, e.g. by go run)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, at, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = ", with uncommitted changes"
				}
			}
		}
		if rev != "" {
			commit = rev + " (" + at + dirty + ")"
		}
	}
	fmt.Fprintf(stdout, "ppo %s\ngo %s %s/%s\ncommit %s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH, commit)
	return 0
}
