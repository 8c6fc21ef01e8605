package main

import (
	"runtime"
	"syscall"
	"time"
)

// benchClock returns a clock of the calling thread's CPU time (user and
// system), so that time lost to other processes on a shared machine does
// not count, and a function to call when done. The goroutine stays on its
// thread meanwhile.
func benchClock() (now func() time.Duration, done func()) {
	runtime.LockOSThread()
	const rusageThread = 1 // RUSAGE_THREAD
	return func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(rusageThread, &ru); err != nil {
			panic(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}, runtime.UnlockOSThread
}
