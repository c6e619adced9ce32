package main

import (
	"fmt"
	"io"
)

// cmdPlot is a placeholder replaced by the plot work.
func cmdPlot(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ppo plot: not built yet")
	return 1
}
