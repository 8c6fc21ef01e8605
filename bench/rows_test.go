package bench

import (
	"math/rand/v2"
	"testing"

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
