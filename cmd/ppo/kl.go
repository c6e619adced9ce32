package main

import (
	"fmt"
	"io"
)

// cmdKL is a placeholder replaced by the kl work.
func cmdKL(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ppo kl: not built yet")
	return 1
}
