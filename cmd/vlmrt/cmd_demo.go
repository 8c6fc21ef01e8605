package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/vlmrt/vlmrt/kernels"
)

func init() {
	commands["demo"] = command{"run the embedded demo models", runDemo}
}

// runDemo shows the kernel level and a short matmul measurement until the
// embedded heads land.
func runDemo(args []string, w io.Writer) error {
	if err := kernels.EnvError(); err != nil {
		return err
	}
	fmt.Fprintf(w, "kernel level: %s (available: %v)\n", kernels.Active(), kernels.Levels())
	const m, k, n = 64, 768, 768
	rng := rand.New(rand.NewPCG(1, 2))
	a, wt, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = rng.Float32()
	}
	for i := range wt {
		wt[i] = rng.Float32()
	}
	p, err := kernels.PackKN(wt, k, n, nil)
	if err != nil {
		return err
	}
	start, runs := time.Now(), 0
	for time.Since(start) < 200*time.Millisecond {
		p.MatMul(c, a, m, kernels.ActNone)
		runs++
	}
	sec := time.Since(start).Seconds() / float64(runs)
	fmt.Fprintf(w, "matmul %dx%dx%d: %.1f GFLOP/s\n", m, k, n, 2*m*k*n/sec/1e9)
	return nil
}
