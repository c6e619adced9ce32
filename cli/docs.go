package cli

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"ppo/internal/docs"
)

// cmdDocs regenerates the generated regions of README.md, configs/*.yaml and
// experiments/**/README.md, or with --check lists the stale ones (exit 1).
func cmdDocs(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo docs", flag.ContinueOnError)
	check := fs.Bool("check", false, "write nothing; list stale regions and exit 1 if there are any")
	root := fs.String("root", ".", "repository root `directory`")
	if done, code := parse(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ppo docs: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if _, err := os.Stat(filepath.Join(*root, "README.md")); err != nil {
		fmt.Fprintf(stderr, "ppo docs: %s is not the repository root (it has no README.md); run ppo docs there or give --root\n", *root)
		return 2
	}
	files, err := docs.Files(*root)
	if err != nil {
		fmt.Fprintln(stderr, "ppo docs:", err)
		return 2
	}
	gens := docGenerators()
	if *check {
		stale, err := docs.Check(*root, files, gens)
		if err != nil {
			fmt.Fprintln(stderr, "ppo docs:", err)
			return 2
		}
		for _, r := range stale {
			fmt.Fprintf(stdout, "%s:%d: %s: stale (%s)\n", r.File, r.Line, r.Command(), r.FirstDifference())
		}
		if len(stale) > 0 {
			fmt.Fprintf(stdout, "%s stale; run ppo docs to regenerate\n", plural(len(stale), "region"))
			return 1
		}
		return 0
	}
	changed, err := docs.Update(*root, files, gens)
	if err != nil {
		fmt.Fprintln(stderr, "ppo docs:", err)
		return 2
	}
	for _, r := range changed {
		fmt.Fprintf(stdout, "%s:%d: %s: regenerated\n", r.File, r.Line, r.Command())
	}
	fmt.Fprintf(stdout, "%s regenerated\n", plural(len(changed), "region"))
	return 0
}

// docGenerators is docs.Builtin with "run", which shows a ppo command that
// needs no files (its arguments are the command line) and what it prints,
// as a shell session.
func docGenerators() docs.Generators {
	gens := docs.Builtin()
	gens["run"] = func(_ string, args []string) (string, error) {
		if len(args) == 0 || args[0] == "train" || args[0] == "sweep" || args[0] == "bench" || args[0] == "docs" {
			return "", fmt.Errorf("want a ppo command that reads no files and trains nothing")
		}
		var out bytes.Buffer
		code := Main(args, &out, &out)
		if code == 1 {
			return "", fmt.Errorf("ppo %v failed: %s", args, out.String())
		}
		return fmt.Sprintf("```\n$ ppo %s\n%s```\n", strings.Join(args, " "), out.String()), nil
	}
	return gens
}
