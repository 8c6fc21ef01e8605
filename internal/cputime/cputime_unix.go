//go:build unix

// Package cputime reads the CPU time a process has used: on a shared
// machine a steadier clock than the wall for one-thread benchmarks, since
// time the scheduler gives to other processes does not count.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the CPU time this process has used, all threads
// together; 0 where it cannot be read.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
