package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/vlmrt/vlmrt/internal/cputime"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
)

func init() {
	benchKernels["matmul"] = command{"C = A W + bias: bench matmul -m M -k K -n N [--threads T] [--isa L]", benchMatMul}
}

// benchMatMul times one packed product and prints the median rate of
// repeated runs; packing is done once, outside the timing.
func benchMatMul(args []string, w io.Writer) error {
	fs := newFlags("bench matmul", "-m M -k K -n N [--threads T] [--isa L]")
	m := fs.Int("m", 64, "rows of A and C")
	k := fs.Int("k", 768, "columns of A, rows of W")
	n := fs.Int("n", 768, "columns of W and C")
	machine := addMachineFlags(fs, 0)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *m < 1 || *k < 1 || *n < 1 {
		return fmt.Errorf("-m, -k and -n must be at least 1, have %d, %d, %d", *m, *k, *n)
	}
	if err := machine.apply(); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = r.Float32() - 0.5
		}
		return s
	}
	a, c := fill(*m**k), make([]float32, *m**n)
	p, err := kernels.PackKN(fill(*k**n), *k, *n, fill(*n))
	if err != nil {
		return err
	}
	pool := parallel.New(*machine.threads)
	defer pool.Close()
	flops := 2 * float64(*m) * float64(*k) * float64(*n)
	// Repeat each timed run until it lasts about 10 ms, 21 runs.
	reps := 1
	for {
		start := time.Now()
		for range reps {
			p.MatMulParallel(pool, c, a, *m, kernels.ActNone)
		}
		if time.Since(start) > 10*time.Millisecond || reps > 1<<20 {
			break
		}
		reps *= 2
	}
	rates, cpuRates := make([]float64, 21), make([]float64, 21)
	for i := range rates {
		start, cpu := time.Now(), cputime.Process()
		for range reps {
			p.MatMulParallel(pool, c, a, *m, kernels.ActNone)
		}
		rates[i] = flops * float64(reps) / time.Since(start).Seconds() / 1e9
		cpuRates[i] = flops * float64(reps) / (cputime.Process() - cpu).Seconds() / 1e9
	}
	slices.Sort(rates)
	slices.Sort(cpuRates)
	// The CPU-time rate (all threads' CPU time, so per thread when threads
	// > 1) is steadier than the wall on a shared machine; the line ends with
	// the wall-clock median.
	cpuNote := ""
	if cpuRates[0] > 0 && !math.IsInf(cpuRates[0], 0) {
		cpuNote = fmt.Sprintf("cpu-time %.1f GFLOP/s, ", cpuRates[len(cpuRates)/2])
	}
	fmt.Fprintf(w, "matmul %dx%dx%d %s threads=%d: %swall %.1f GFLOP/s\n",
		*m, *k, *n, p.Level(), pool.Threads(), cpuNote, rates[len(rates)/2])
	return nil
}
