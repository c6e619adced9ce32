package main

import (
	"fmt"
	"io"
)

// cmdEnvs is a placeholder replaced by the env work.
func cmdEnvs(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ppo envs: not built yet")
	return 1
}
