// Package bench holds the kernel benchmarks that bench/README.md records.
package bench

import (
	"math/rand/v2"
	"testing"

	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
)

// randRows returns n random values in [-1, 1).
func randRows(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	return x
}

func benchAttention(b *testing.B, queries, keys int, tiled bool) {
	const heads, dh = 12, 64
	rng := rand.New(rand.NewPCG(1, 2))
	w := heads * dh
	q, k, v := randRows(rng, queries*w), randRows(rng, keys*w), randRows(rng, keys*w)
	out := make([]float32, queries*w)
	leveltest.ForEachB(b, func(b *testing.B) {
		a := kernels.Attention{Queries: queries, Keys: keys, Heads: heads, HeadDim: dh, Tiled: tiled}
		scratch := make([]float32, a.ScratchLen())
		b.ReportAllocs()
		for b.Loop() {
			a.Run(out, q, k, v, scratch)
		}
	})
}

// The ViT-B shapes of the issue: 12 heads of 64, batch 1.
func BenchmarkAttention16x197(b *testing.B)      { benchAttention(b, 16, 197, false) }
func BenchmarkAttention64x577(b *testing.B)      { benchAttention(b, 64, 577, false) }
func BenchmarkAttention64x577Tiled(b *testing.B) { benchAttention(b, 64, 577, true) }
func BenchmarkAttentionDecode1x197(b *testing.B) { benchAttention(b, 1, 197, false) }
