//go:build !linux

package main

import "time"

// benchClock returns a wall clock: this system has no per-thread CPU clock
// that the standard library reaches.
func benchClock() (now func() time.Duration, done func()) {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }, func() {}
}
