package bench

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time this process has used, all threads
// together. On a shared machine it is a steadier clock than the wall for
// one-thread benchmarks: time the scheduler gives to other processes does
// not count.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
