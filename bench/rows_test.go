package bench

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/vlmrt/vlmrt/internal/cputime"
	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
)

func BenchmarkLayerNorm64x768(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, gamma, beta := randRows(rng, 64*768), randRows(rng, 768), randRows(rng, 768)
	dst := make([]float32, len(x))
	leveltest.ForEachB(b, func(b *testing.B) {
		b.SetBytes(int64(8 * len(x)))
		timeCPU(b, func() { kernels.LayerNorm(dst, x, gamma, beta, 1e-6) })
	})
}

func BenchmarkSoftmax192x197(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := randRows(rng, 192*197)
	dst := make([]float32, len(x))
	leveltest.ForEachB(b, func(b *testing.B) {
		b.SetBytes(int64(8 * len(x)))
		timeCPU(b, func() { kernels.Softmax(dst, x, 197) })
	})
}

func BenchmarkSparsemax192x197(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := randRows(rng, 192*197)
	for i := range x {
		x[i] *= 4
	}
	dst, scratch := make([]float32, len(x)), make([]float32, 197)
	leveltest.ForEachB(b, func(b *testing.B) {
		b.SetBytes(int64(8 * len(x)))
		b.ReportAllocs()
		timeCPU(b, func() { kernels.Sparsemax(dst, x, 197, scratch) })
	})
}

func benchElementwise(b *testing.B, f func(dst, x []float32)) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := randRows(rng, 64*3072)
	for i := range x {
		x[i] *= 4
	}
	dst := make([]float32, len(x))
	leveltest.ForEachB(b, func(b *testing.B) {
		b.SetBytes(int64(8 * len(x)))
		timeCPU(b, func() { f(dst, x) })
	})
}

func BenchmarkGELU64x3072(b *testing.B)    { benchElementwise(b, kernels.GELU) }
func BenchmarkSiLU64x3072(b *testing.B)    { benchElementwise(b, kernels.SiLU) }
func BenchmarkSigmoid64x3072(b *testing.B) { benchElementwise(b, kernels.Sigmoid) }
func BenchmarkAdd64x3072(b *testing.B) {
	benchElementwise(b, func(dst, x []float32) { kernels.Add(dst, x, x) })
}

// gatedComposed is the gated-sigmoid epilogue as kernels/activation.go had
// it before its fused row kernels: x sigmoid(a x + c x^3) composed from the
// level's Mul, Scale, AddScaled and Sigmoid over 256-value chunks of a
// scratch from a sync.Pool. It is kept here only to be timed beside the
// fused kernel.
func gatedComposed(a, c float32) func(dst, x []float32) {
	const chunk = 256
	pool := sync.Pool{New: func() any { return new([chunk]float32) }}
	return func(dst, x []float32) {
		buf := pool.Get().(*[chunk]float32)
		defer pool.Put(buf)
		for off := 0; off < len(x); off += chunk {
			xs := x[off:min(off+chunk, len(x))]
			g := buf[:len(xs)]
			if c == 0 {
				kernels.Scale(g, xs, a)
			} else {
				kernels.Mul(g, xs, xs)
				kernels.Mul(g, g, xs)
				kernels.Scale(g, g, c)
				kernels.AddScaled(g, a, xs)
			}
			kernels.Sigmoid(g, g)
			kernels.Mul(dst[off:off+len(xs)], xs, g)
		}
	}
}

// benchGated times an activation on a ViT-B/16 MLP block (197 tokens x
// 3072) one row at a time, as the product's epilogue applies it, at every
// level: the fused kernel of Activation.Apply ("fused") beside the old
// composed path ("composed"). Out of place, so that every run sees the
// same values (in place, repeated runs would drive the negative side into
// subnormals). cpu-ns/value is the process's CPU time per value.
func benchGated(b *testing.B, act kernels.Activation, a, c float32) {
	const tokens, width = 197, 3072
	rng := rand.New(rand.NewPCG(9, 10))
	x := randRows(rng, tokens*width)
	for i := range x {
		x[i] *= 4
	}
	dst := make([]float32, len(x))
	for _, impl := range []struct {
		name  string
		apply func(dst, x []float32)
	}{{"fused", act.Apply}, {"composed", gatedComposed(a, c)}} {
		b.Run(impl.name, func(b *testing.B) {
			leveltest.ForEachB(b, func(b *testing.B) {
				b.SetBytes(int64(8 * len(x)))
				b.ReportAllocs()
				start := cputime.Process()
				for b.Loop() {
					for off := 0; off < len(x); off += width {
						impl.apply(dst[off:off+width], x[off:off+width])
					}
				}
				used := cputime.Process() - start
				b.ReportMetric(float64(used)/float64(b.N)/float64(len(x)), "cpu-ns/value")
			})
		})
	}
}

func BenchmarkQuickGELU197x3072(b *testing.B) { benchGated(b, kernels.ActQuickGELU, 1.702, 0) }

func BenchmarkGELUTanh197x3072(b *testing.B) {
	const c = 2 * 0.7978845608028654 // 2 sqrt(2/pi), as Activation.Apply has it
	benchGated(b, kernels.ActGELUTanh, c, c*0.044715)
}
