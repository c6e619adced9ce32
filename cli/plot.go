package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"ppo/internal/report"
)

// cmdPlot charts run directories into a PNG or SVG file.
func cmdPlot(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo plot", flag.ContinueOnError)
	out := fs.String("out", "", "chart `file`, .png or .svg (required)")
	metrics := fs.String("metrics", strings.Join(report.DefaultMetrics(), ","),
		"comma-separated `names` of the row fields to draw, one panel each")
	dirs, done, code := parseMixed(fs, args, stdout, stderr)
	if done {
		return code
	}
	if *out == "" {
		fmt.Fprintln(stderr, "ppo plot: --out FILE.png or FILE.svg is required")
		return 2
	}
	if _, err := report.Format(*out); err != nil {
		fmt.Fprintln(stderr, "ppo plot: --out", err)
		return 2
	}
	if st, err := os.Stat(filepath.Dir(*out)); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "ppo plot: --out %s: directory %s does not exist\n", *out, filepath.Dir(*out))
		return 2
	}
	if len(dirs) == 0 {
		fmt.Fprintln(stderr, "ppo plot: name at least one run directory")
		return 2
	}
	var names []string
	seen := map[string]bool{}
	for _, m := range strings.Split(*metrics, ",") {
		if m = strings.TrimSpace(m); m != "" && !seen[m] {
			seen[m] = true
			names = append(names, m)
		}
	}
	if len(names) == 0 {
		fmt.Fprintln(stderr, "ppo plot: --metrics names no metric")
		return 2
	}
	runs, err := report.LoadAll(dirs)
	if err != nil {
		fmt.Fprintln(stderr, "ppo plot:", err)
		return 2
	}
	asked := false
	fs.Visit(func(f *flag.Flag) { asked = asked || f.Name == "metrics" })
	if !asked {
		// One return panel per evaluation task.
		names = append(names, report.TaskMetrics(runs...)...)
	}
	if asked {
		// The default panels draw "no data" for a run too young to have
		// them; metrics asked for by name must exist.
		if err := report.CheckMetrics(names, runs...); err != nil {
			fmt.Fprintln(stderr, "ppo plot: --metrics:", err)
			return 2
		}
	}
	if err := report.Plot(*out, runs, names); err != nil {
		fmt.Fprintln(stderr, "ppo plot:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return 0
}
