package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/viterin/vek/vek32"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/vlmrt/vlmrt/internal/cputime"
	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
)

// matmulShapes are the products of the task heads (M x K x N): one token,
// a few, a ViT-B sequence (197), the MLP up and down projections, and a
// vocabulary projection. tools/bench_openblas.py times the same list.
var matmulShapes = [][3]int{
	{1, 768, 768}, {16, 768, 768}, {64, 768, 768}, {197, 768, 768},
	{64, 768, 3072}, {64, 3072, 768}, {16, 768, 32000},
}

func randFloats(n int) []float32 {
	r := rand.New(rand.NewPCG(uint64(n), 1))
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32() - 0.5
	}
	return s
}

// reportGFLOPs adds the GFLOP/s metric for b.N products of flops each.
func reportGFLOPs(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// cpuClock measures a one-thread benchmark's rate against the process's CPU
// time as well (the cpu-GFLOP/s metric): on a machine shared with other
// work the wall-clock rate drops with the load, the CPU-time rate much
// less. start it before the loop, report after.
type cpuClock struct{ start time.Duration }

func startCPU(b *testing.B) cpuClock {
	b.Helper()
	return cpuClock{cputime.Process()}
}

func (c cpuClock) report(b *testing.B, flops float64) {
	if used := cputime.Process() - c.start; used > 0 && c.start > 0 {
		b.ReportMetric(flops*float64(b.N)/used.Seconds()/1e9, "cpu-GFLOP/s")
	}
}

// BenchmarkMatMul times C = A W + bias on one thread for vlmrt at every
// level (packing excluded), vek32.MatMul, gonum's Sgemm and a naive loop,
// and vlmrt on two threads for M >= 64.
func BenchmarkMatMul(b *testing.B) {
	for _, s := range matmulShapes {
		m, k, n := s[0], s[1], s[2]
		flops := 2 * float64(m) * float64(k) * float64(n)
		a, w, bias, c := randFloats(m*k), randFloats(k*n), randFloats(n), make([]float32, m*n)
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			leveltest.ForEachB(b, func(b *testing.B) {
				p, err := kernels.PackKN(w, k, n, bias)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				clock := startCPU(b)
				for b.Loop() {
					p.MatMul(c, a, m, kernels.ActNone)
				}
				reportGFLOPs(b, flops)
				clock.report(b, flops)
			})
			if m >= 64 {
				b.Run("threads2", func(b *testing.B) {
					pool := parallel.New(2)
					defer pool.Close()
					p, _ := kernels.PackKN(w, k, n, bias)
					b.ReportAllocs()
					for b.Loop() {
						p.MatMulParallel(pool, c, a, m, kernels.ActNone)
					}
					reportGFLOPs(b, flops)
				})
			}
			b.Run("vek", func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
				b.ReportAllocs()
				clock := startCPU(b)
				for b.Loop() {
					vek32.MatMul_Into(c, a, w, k)
				}
				reportGFLOPs(b, flops)
				clock.report(b, flops)
			})
			b.Run("gonum", func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
				var impl gonum.Implementation
				b.ReportAllocs()
				clock := startCPU(b)
				for b.Loop() {
					impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, w, n, 0, c, n)
				}
				reportGFLOPs(b, flops)
				clock.report(b, flops)
			})
			b.Run("naive", func(b *testing.B) {
				if testing.Short() && flops > 1e8 {
					b.Skip("slow")
				}
				b.ReportAllocs()
				clock := startCPU(b)
				for b.Loop() {
					naiveMatMul(c, a, w, bias, m, k, n)
				}
				reportGFLOPs(b, flops)
				clock.report(b, flops)
			})
		})
	}
}

// naiveMatMul is the loop one writes first: i, k, j order, so the inner
// loop runs along rows of W and C.
func naiveMatMul(c, a, w, bias []float32, m, k, n int) {
	for i := 0; i < m; i++ {
		ci := c[i*n : i*n+n]
		copy(ci, bias)
		for kk, x := range a[i*k : i*k+k] {
			for j, wv := range w[kk*n : kk*n+n] {
				ci[j] += x * wv
			}
		}
	}
}

// BenchmarkPeakFMA measures each level's FMA peak on one core with a loop
// of independent FMAs, so that the products read as a fraction of it.
func BenchmarkPeakFMA(b *testing.B) {
	leveltest.ForEachB(b, func(b *testing.B) {
		const iters = 1 << 16
		flops := PeakFMA(kernels.Active(), iters)
		if flops == 0 {
			b.Skip("no FMA loop for this level")
		}
		clock := startCPU(b)
		for b.Loop() {
			PeakFMA(kernels.Active(), iters)
		}
		reportGFLOPs(b, flops)
		clock.report(b, flops)
	})
}
