package bench

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vlmrt/vlmrt/internal/cputime"
	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
)

// timeCPU runs f b.N times and reports, beside the wall clock, the
// process's CPU time per call ("cpu-us/op"), the steadier of the two on a
// shared machine.
func timeCPU(b *testing.B, f func()) {
	start := cputime.Process()
	for b.Loop() {
		f()
	}
	used := cputime.Process() - start
	b.ReportMetric(float64(used)/float64(time.Microsecond)/float64(b.N), "cpu-us/op")
}

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
		timeCPU(b, func() { a.Run(out, q, k, v, scratch) })
	})
}

// The ViT-B shapes of the issue: 12 heads of 64, batch 1.
func BenchmarkAttention16x197(b *testing.B)      { benchAttention(b, 16, 197, false) }
func BenchmarkAttention64x577(b *testing.B)      { benchAttention(b, 64, 577, false) }
func BenchmarkAttention64x577Tiled(b *testing.B) { benchAttention(b, 64, 577, true) }
func BenchmarkAttentionDecode1x197(b *testing.B) { benchAttention(b, 1, 197, false) }

// The decode step of a flash-type head against a 577-token memory.
func BenchmarkAttentionDecode1x577Tiled(b *testing.B) { benchAttention(b, 1, 577, true) }

// BenchmarkAttentionDecodeStream is the decode step's yardstick: a plain
// streaming read of the same 1.2 MB of keys and values (197 rows of 768
// each), from the second-level cache and with no strides: a dot product of
// the keys with the values at each level, and StreamSum (eight chains of
// AVX-512 adds, the fastest read here) of each.
func BenchmarkAttentionDecodeStream(b *testing.B) {
	const keys, w = 197, 12 * 64
	rng := rand.New(rand.NewPCG(1, 2))
	k, v := randRows(rng, keys*w), randRows(rng, keys*w)
	gbs := func(b *testing.B) {
		b.ReportMetric(float64(2*keys*w*4)/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "GB/s")
	}
	var sink float32
	leveltest.ForEachB(b, func(b *testing.B) {
		timeCPU(b, func() { sink += kernels.Dot(k, v) })
		gbs(b)
	})
	b.Run("sum", func(b *testing.B) {
		timeCPU(b, func() { sink += StreamSum(k) + StreamSum(v) })
		gbs(b)
	})
	// The yardstick of BenchmarkAttentionDecode1x197Cold: 6 layers'
	// caches read in turn, from the last-level cache.
	const layers = 6
	var ks, vs [layers][]float32
	for l := range ks {
		ks[l], vs[l] = randRows(rng, keys*w), randRows(rng, keys*w)
	}
	b.Run("sum-cold", func(b *testing.B) {
		l := 0
		timeCPU(b, func() {
			sink += StreamSum(ks[l]) + StreamSum(vs[l])
			l = (l + 1) % layers
		})
		gbs(b)
	})
	_ = sink
}

// The decode step against a 577-token memory, the whole score row held.
func BenchmarkAttentionDecode1x577(b *testing.B) { benchAttention(b, 1, 577, false) }

// The decode benchmarks' shape: one query of 12 heads x 64 against 197
// cached keys, in each of a 6-layer decoder's caches.
const decodeHeads, decodeHeadDim, decodeKeys, decodeLayers = 12, 64, 197, 6

// decodeCaches returns a query row and each layer's cached keys and values.
func decodeCaches() (q []float32, k, v [decodeLayers][]float32) {
	rng := rand.New(rand.NewPCG(1, 2))
	w := decodeHeads * decodeHeadDim
	q = randRows(rng, w)
	for l := range k {
		k[l], v[l] = randRows(rng, decodeKeys*w), randRows(rng, decodeKeys*w)
	}
	return q, k, v
}

// BenchmarkAttentionDecode1x197Parallel is the decode step as the runtime
// runs it, RunParallel on a pool of 2 threads, with one layer's cache
// (hot) and 6 layers' in turn (cold).
func BenchmarkAttentionDecode1x197Parallel(b *testing.B) {
	const heads, dh, keys, layers = decodeHeads, decodeHeadDim, decodeKeys, decodeLayers
	q, k, v := decodeCaches()
	out := make([]float32, heads*dh)
	pool := parallel.New(2)
	defer pool.Close()
	for _, c := range []struct {
		name   string
		layers int
	}{{"hot", 1}, {"cold", layers}} {
		b.Run(c.name, func(b *testing.B) {
			a := kernels.Attention{Queries: 1, Keys: keys, Heads: heads, HeadDim: dh}
			scratch := make([]float32, a.ParallelScratchLen())
			l := 0
			b.ReportAllocs()
			for b.Loop() {
				a.RunParallel(pool, out, q, k[l], v[l], scratch)
				l = (l + 1) % c.layers
			}
		})
	}
}

// BenchmarkAttentionDecode1x197Cold is the decode step of a 6-layer
// decoder: each call reads the cache of the next layer (6 x 1.2 MB in
// all), so that, as in a real step, the keys and values come from the
// last-level cache rather than the second.
func BenchmarkAttentionDecode1x197Cold(b *testing.B) {
	const heads, dh, keys, layers = decodeHeads, decodeHeadDim, decodeKeys, decodeLayers
	q, k, v := decodeCaches()
	out := make([]float32, heads*dh)
	leveltest.ForEachB(b, func(b *testing.B) {
		a := kernels.Attention{Queries: 1, Keys: keys, Heads: heads, HeadDim: dh}
		scratch := make([]float32, a.ScratchLen())
		l := 0
		timeCPU(b, func() {
			a.Run(out, q, k[l], v[l], scratch)
			l = (l + 1) % layers
		})
	})
}
