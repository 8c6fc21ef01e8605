// Package parallel runs index-split work over a fixed set of persistent
// worker goroutines without allocating per call.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Task is work split into n independent parts; Do(i) runs part i. Callers
// keep a Task value alive across runs (a struct they own, or one from a
// sync.Pool) so that running it allocates nothing.
type Task interface {
	Do(part int)
}

// spinIters is how many times an idle worker polls for the next run before
// it parks: tens of microseconds, long enough to
// catch the next product of a layer sequence, short enough that an idle
// pool burns no CPU.
const spinIters = 1 << 14

// Pool is a set of persistent worker goroutines. A nil *Pool, or one with
// one thread, runs every part on the calling goroutine. A Pool runs one Run
// at a time; concurrent callers are serialised.
//
// Idle workers spin briefly, then park on a channel; Run wakes only the
// parked workers it needs. A run is published as one atomic word (run
// number and helper count), so a worker never mixes two runs; each helper
// reports the end of its part of a run on a channel, which orders its last
// read of the run before the caller's next Run.
type Pool struct {
	threads int
	mu      sync.Mutex // serialises Run and Close
	workers []worker

	state  atomic.Uint64 // run number << 16 | helpers taking part
	task   Task
	parts  int
	next   atomic.Int64  // next part to hand out
	done   chan struct{} // one receive per helper that finished the run
	closed atomic.Bool
}

// worker is one helper goroutine's parking place.
type worker struct {
	parked atomic.Bool
	wake   chan struct{} // capacity 1: a send never blocks
	_      [48]byte      // keeps workers' flags on separate cache lines
}

const helperBits = 16

// New starts a pool that runs work on up to threads goroutines, the caller's
// included. threads <= 0 means runtime.GOMAXPROCS(0).
func New(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = min(threads, 1<<helperBits-1)
	p := &Pool{threads: threads, done: make(chan struct{}, threads)}
	p.workers = make([]worker, threads-1)
	for i := range p.workers {
		p.workers[i].wake = make(chan struct{}, 1)
		go p.work(i)
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
// order and on any goroutine: a task must not depend on which one runs a
// part. Run must not be called after Close, nor from a Task running on the
// same pool (it would wait for itself).
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
	if p.closed.Load() {
		panic("parallel: Run on a closed Pool")
	}
	helpers := min(len(p.workers), parts-1)
	p.task, p.parts = t, parts
	p.next.Store(0)
	run := p.state.Load()>>helperBits + 1
	p.state.Store(run<<helperBits | uint64(helpers))
	for i := 0; i < helpers; i++ {
		if w := &p.workers[i]; w.parked.Swap(false) {
			w.wake <- struct{}{}
		}
	}
	p.drain()
	// Each helper reports on done when it has left drain: the receives
	// order its last read of the run before the caller's next write.
	for range helpers {
		<-p.done
	}
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

// work is worker i's loop: wait for a run that includes it, drain, report.
func (p *Pool) work(i int) {
	w := &p.workers[i]
	var seen uint64
	for {
		s := p.await(w, seen)
		seen = s >> helperBits
		if p.closed.Load() {
			return
		}
		if i >= int(s&(1<<helperBits-1)) {
			continue // this run does not need worker i
		}
		p.drain()
		p.done <- struct{}{}
	}
}

// await returns the state of the first run after run number seen: spinning
// first, then parked until Run or Close wakes w.
func (p *Pool) await(w *worker, seen uint64) uint64 {
	for i := 0; i < spinIters; i++ {
		if s := p.state.Load(); s>>helperBits != seen {
			return s
		}
		if i%128 == 127 {
			runtime.Gosched()
		}
	}
	for {
		w.parked.Store(true)
		if s := p.state.Load(); s>>helperBits != seen {
			if !w.parked.Swap(false) {
				<-w.wake // a waker took the flag: its token is ours to consume
			}
			return s
		}
		<-w.wake
		if s := p.state.Load(); s>>helperBits != seen {
			return s
		}
	}
}

// Close stops the workers. The pool must not be used afterwards; Close on a
// nil or closed pool does nothing.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Swap(true) {
		return
	}
	run := p.state.Load()>>helperBits + 1
	p.state.Store(run << helperBits)
	for i := range p.workers {
		if w := &p.workers[i]; w.parked.Swap(false) {
			w.wake <- struct{}{}
		}
	}
}
