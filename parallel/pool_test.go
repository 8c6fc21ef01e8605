package parallel

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countTask counts how often each part runs.
type countTask struct{ hits []atomic.Int32 }

func (t *countTask) Do(i int) { t.hits[i].Add(1) }

// TestRun checks that every part runs exactly once, for part counts around
// the thread count, on nil, one-thread and multi-thread pools, many times
// in a row (so that workers are caught both spinning and parked).
func TestRun(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		p := New(threads)
		for _, pl := range []*Pool{nil, p} {
			for _, parts := range []int{0, 1, 2, 3, 7, 8, 9, 100} {
				task := &countTask{hits: make([]atomic.Int32, parts)}
				for range 50 {
					pl.Run(parts, task)
				}
				for i := range task.hits {
					if n := task.hits[i].Load(); n != 50 {
						t.Fatalf("threads=%d parts=%d: part %d ran %d times in 50 runs", pl.Threads(), parts, i, n)
					}
				}
			}
		}
		p.Close()
		p.Close()
	}
}

// TestRunConcurrent checks that callers sharing a pool are serialised.
func TestRunConcurrent(t *testing.T) {
	p := New(3)
	defer p.Close()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task := &countTask{hits: make([]atomic.Int32, 17)}
			for range 200 {
				p.Run(17, task)
			}
			for i := range task.hits {
				if n := task.hits[i].Load(); n != 200 {
					t.Errorf("part %d ran %d times in 200 runs", i, n)
				}
			}
		}()
	}
	wg.Wait()
}

// TestRunAllocs checks that a run allocates nothing.
func TestRunAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are not meaningful under -race (CI runs it with -short)")
	}
	p := New(2)
	defer p.Close()
	task := &countTask{hits: make([]atomic.Int32, 8)}
	if n := testing.AllocsPerRun(100, func() { p.Run(8, task) }); n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}

func TestNewDefault(t *testing.T) {
	p := New(0)
	defer p.Close()
	if p.Threads() < 1 {
		t.Fatalf("New(0) has %d threads", p.Threads())
	}
}

type nopTask struct{}

func (nopTask) Do(int) {}

// BenchmarkRun measures the cost of a run of empty parts: the wake-up and
// the wait, the overhead a product pays to go parallel.
func BenchmarkRun(b *testing.B) {
	p := New(2)
	defer p.Close()
	for b.Loop() {
		p.Run(2, nopTask{})
	}
}

// rendezvousTask's two parts each wait for the other to start: they can
// only finish if two goroutines run them at once.
type rendezvousTask struct {
	started [2]chan struct{}
	failed  atomic.Bool
}

func (t *rendezvousTask) Do(i int) {
	close(t.started[i])
	select {
	case <-t.started[1-i]:
	case <-time.After(5 * time.Second):
		t.failed.Store(true)
	}
}

// TestRunUsesWorkers checks that a run's parts really run on a worker as
// well as on the caller, both with the worker spinning and parked.
func TestRunUsesWorkers(t *testing.T) {
	p := New(2)
	defer p.Close()
	for round := 0; round < 3; round++ {
		task := &rendezvousTask{started: [2]chan struct{}{make(chan struct{}), make(chan struct{})}}
		p.Run(2, task)
		if task.failed.Load() {
			t.Fatalf("round %d: the two parts never ran at the same time", round)
		}
		if round == 1 {
			time.Sleep(20 * time.Millisecond) // let the worker park
		}
	}
}
