//go:build !unix

package agent

import "time"

// processCPU is unknown here; benchmarks then report no CPU time.
func processCPU() time.Duration { return 0 }

// maxRSS is unknown here.
func maxRSS() int64 { return 0 }
