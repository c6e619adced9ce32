//go:build !unix

package rusage

import "time"

// CPU is unknown here; benchmarks then report no CPU time.
func CPU() time.Duration { return 0 }

// MaxRSS is unknown here.
func MaxRSS() int64 { return 0 }
