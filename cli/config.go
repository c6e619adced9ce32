package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"ppo/configs"
)

// cmdConfig prints the config schema (every field's path, type, default
// and meaning), the schema's defaults as a config file, or a config file
// resolved: every field with the value a run of it would use.
func cmdConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo config", flag.ContinueOnError)
	defaults := fs.Bool("defaults", false, "print the schema's defaults as a config file (what a key left out of a file takes)")
	var sets setFlags
	fs.Var(&sets, "set", "with PATH: override a field, `path=value` (repeatable)")
	pos, done, code := parseMixed(fs, args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case len(pos) > 1:
		fmt.Fprintf(stderr, "ppo config: one config file at most, got %q\n", strings.Join(pos, " "))
		return 2
	case *defaults && len(pos) > 0:
		fmt.Fprintln(stderr, "ppo config: --defaults takes no config file")
		return 2
	case len(sets) > 0 && len(pos) == 0:
		fmt.Fprintln(stderr, "ppo config: --set needs a config file (PATH)")
		return 2
	}
	if len(pos) == 1 || *defaults {
		cfg := configs.Default()
		if len(pos) == 1 {
			var err error
			if cfg, err = loadConfig(pos[0], sets, seedFlag{}); err != nil {
				fmt.Fprintln(stderr, "ppo config:", err)
				return 2
			}
		}
		y, err := cfg.YAML()
		if err != nil {
			fmt.Fprintln(stderr, "ppo config:", err)
			return 1
		}
		stdout.Write(y)
		return 0
	}
	for _, f := range configs.Fields() {
		fmt.Fprintf(stdout, "%s  (%s, default %s)\n    %s\n", f.Path, f.Type, f.Default, f.Doc)
	}
	return 0
}
