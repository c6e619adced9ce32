package main

import (
	"fmt"
	"io"
)

// cmdInspect is a placeholder replaced by the inspect work.
func cmdInspect(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ppo inspect: not built yet")
	return 1
}
