//go:build !linux

package bench

import "time"

// processCPU returns 0: the CPU-time metric is measured on Linux only.
func processCPU() time.Duration { return 0 }
