package main

import (
	"errors"
	"fmt"
	"io"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/vlmrt/vlmrt/kernels"
)

// benchModel measures a whole head: "vlmrt bench --model M --inputs I".
func benchModel(args []string, w io.Writer) error {
	fs := newFlags("bench", "--model M [--inputs I] [--task T] [--runs N] [--threads T] [--isa L]\n"+
		"       vlmrt bench KERNEL [flags] (KERNEL: "+strings.Join(benchKernelNames(), ", ")+"; vlmrt bench KERNEL -h)")
	model := fs.String("model", "", "model file (safetensors)")
	inputs := fs.String("inputs", "", "file with the input.<key> tensors (default: the model file)")
	task := fs.String("task", "", "task of a multi-task head (default: all)")
	runs := fs.Int("runs", 100, "measured runs")
	machine := addMachineFlags(fs, 1)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *model == "" {
		return errors.New("--model is required (or a kernel: bench matmul ...)")
	}
	if *inputs == "" {
		*inputs = *model
	}
	if *runs < 1 {
		return fmt.Errorf("--runs must be positive, got %d", *runs)
	}
	m, s, pool, err := openSession(*model, *inputs, *task, machine)
	if err != nil {
		return err
	}
	defer pool.Close()
	plan := s.Plan()
	for range 3 { // warm caches and the pool
		s.Run()
	}
	times := make([]float64, *runs)
	for i := range times {
		start := time.Now()
		s.Run()
		times[i] = float64(time.Since(start).Nanoseconds()) / 1e6
	}
	slices.Sort(times)
	allocs := allocsPerRun(s.Run, min(*runs, 100))
	fmt.Fprintf(w, "model: %s\n", *model)
	fmt.Fprintf(w, "class: %s\n", m.Class())
	fmt.Fprintf(w, "level: %s\n", kernels.Active())
	fmt.Fprintf(w, "threads: %d\n", pool.Threads())
	fmt.Fprintf(w, "runs: %d\n", *runs)
	fmt.Fprintf(w, "p50_ms: %.4f\n", percentile(times, 0.5))
	fmt.Fprintf(w, "p90_ms: %.4f\n", percentile(times, 0.9))
	fmt.Fprintf(w, "min_ms: %.4f\n", times[0])
	fmt.Fprintf(w, "allocs_per_run: %g\n", allocs)
	fmt.Fprintf(w, "arena_bytes: %d\n", plan.ArenaBytes())
	fmt.Fprintf(w, "weights_bytes: %d\n", m.WeightBytes())
	fmt.Fprintf(w, "packed_bytes: %d\n", m.PackedBytes())
	if rss, ok := peakRSS(); ok {
		fmt.Fprintf(w, "peak_rss_bytes: %d\n", rss)
	}
	return nil
}

// percentile returns the q-quantile of sorted values (nearest rank).
func percentile(sorted []float64, q float64) float64 {
	i := int(q*float64(len(sorted)) + 0.5)
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// allocsPerRun counts the heap allocations of n calls of run, as
// testing.AllocsPerRun does: with GOMAXPROCS at 1, so that the runtime's own
// background work does not count.
func allocsPerRun(run func(), n int) float64 {
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(1))
	run() // warm per-P caches after the change of GOMAXPROCS
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	for range n {
		run()
	}
	goruntime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(n)
}
