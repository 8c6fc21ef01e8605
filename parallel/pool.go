// Package parallel runs index-split work over a fixed set of persistent
// worker goroutines without allocating per call.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Task is work split into n independent parts; Do(i) runs part i. Callers
// keep a Task value alive across runs (a struct they own) so that running it
// allocates nothing.
type Task interface {
	Do(part int)
}

// Pool is a set of worker goroutines. A nil *Pool, or one with one thread,
// runs every part on the calling goroutine. A Pool runs one Run at a time;
// concurrent callers are serialised.
type Pool struct {
	threads int
	mu      sync.Mutex // serialises Run
	wake    []chan struct{}
	done    sync.WaitGroup
	task    Task
	parts   int
	next    atomic.Int64
	closed  bool
}

// New starts a pool that runs work on up to threads goroutines, the caller's
// included. threads <= 0 means runtime.GOMAXPROCS(0).
func New(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := &Pool{threads: threads}
	p.wake = make([]chan struct{}, threads-1)
	for i := range p.wake {
		p.wake[i] = make(chan struct{}, 1)
		go p.worker(p.wake[i])
	}
	return p
}

// Threads returns how many goroutines share each Run; 1 for a nil Pool.
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Run calls t.Do(i) for every i in [0, parts) and returns when all calls
// have returned. Parts are handed out dynamically, so they may run in any
// order and on any worker: a task must not depend on which goroutine runs a
// part.
func (p *Pool) Run(parts int, t Task) {
	if parts <= 0 {
		return
	}
	if p == nil || p.threads == 1 || parts == 1 {
		for i := 0; i < parts; i++ {
			t.Do(i)
		}
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.task, p.parts = t, parts
	p.next.Store(0)
	helpers := min(len(p.wake), parts-1)
	p.done.Add(helpers)
	for i := 0; i < helpers; i++ {
		p.wake[i] <- struct{}{}
	}
	p.drain()
	p.done.Wait()
	p.task = nil
}

// drain runs parts until none is left.
func (p *Pool) drain() {
	for {
		i := int(p.next.Add(1) - 1)
		if i >= p.parts {
			return
		}
		p.task.Do(i)
	}
}

func (p *Pool) worker(wake chan struct{}) {
	for range wake {
		p.drain()
		p.done.Done()
	}
}

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for _, w := range p.wake {
		close(w)
	}
}
