//go:build linux || darwin

package main

import (
	goruntime "runtime"
	"syscall"
)

// peakRSS returns the process's peak resident set size in bytes.
func peakRSS() (int64, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	if goruntime.GOOS == "darwin" {
		return ru.Maxrss, true // bytes on darwin
	}
	return ru.Maxrss * 1024, true // KiB on linux
}
