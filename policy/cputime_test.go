//go:build unix

package policy

import (
	"syscall"
	"time"
)

// processCPU is the process's CPU time on all threads: benchmarks report
// it per op because on a busy machine it tracks the work better than wall
// time does.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
