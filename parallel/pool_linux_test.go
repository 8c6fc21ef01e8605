//go:build linux

package parallel

import (
	"syscall"
	"testing"
	"time"
)

// TestIdleParks checks that an idle pool burns no CPU: after its workers
// have had time to park, the process uses almost no CPU time while asleep.
func TestIdleParks(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	p := New(4)
	defer p.Close()
	p.Run(8, nopTask{})
	time.Sleep(50 * time.Millisecond) // let the workers stop spinning
	before := cpuTime()
	time.Sleep(200 * time.Millisecond)
	if used := cpuTime() - before; used > 20*time.Millisecond {
		t.Errorf("idle pool used %v of CPU in 200ms", used)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
