package main

import (
	"fmt"
	"io"
)

// cmdSweep is a placeholder replaced by the sweep work.
func cmdSweep(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ppo sweep: not built yet")
	return 1
}
