//go:build !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func BenchmarkPVKernels(b *testing.B) {
	const nk, dh = 64, 64
	for _, qb := range []int{32, 16} {
		for _, vs := range []int{768, 64} {
			st := make([]float32, nk*qb)
			v := make([]float32, nk*vs)
			o := make([]float32, qb*dh)
			c := make([]float32, qb)
			for i := range st {
				st[i] = 0.5
			}
			for i := range c {
				c[i] = 1
			}
			flops := float64(2 * nk * dh * qb)
			b.Run(fmt.Sprintf("pv4/qb=%d/vs=%d", qb, vs), func(b *testing.B) {
				for b.Loop() {
					pvTAVX512(o, st, v, c, nk, dh, vs)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			qt := make([]float32, dh*qb)
			b.Run(fmt.Sprintf("scores/qb=%d/ks=%d", qb, vs), func(b *testing.B) {
				for b.Loop() {
					scoresTAVX512(st, qt, v, nk, dh, vs, 1)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			mlc := make([]float32, 3*qb)
			b.Run(fmt.Sprintf("softmaxCols/qb=%d", qb), func(b *testing.B) {
				for b.Loop() {
					softmaxColsAVX512(st, nk, mlc)
				}
			})
			b.Run(fmt.Sprintf("outT/qb=%d/vs=%d", qb, vs), func(b *testing.B) {
				for b.Loop() {
					pvOutTAVX512(o, st, v, c, nk, dh, vs)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func BenchmarkDecodeKernels(b *testing.B) {
	const dh = 64
	for _, c := range []struct {
		name   string
		nk, ks int
	}{{"L1 nk=32 ks=64", 32, 64}, {"L2 nk=197 ks=768", 197, 768}, {"L2 nk=2364 ks=64", 2364, 64}} {
		k := make([]float32, c.nk*c.ks)
		q := make([]float32, dh)
		s := make([]float32, c.nk)
		o := make([]float32, dh)
		bytes := float64(c.nk * dh * 4)
		b.Run("dotRows/"+c.name, func(b *testing.B) {
			for b.Loop() {
				for h := 0; h < c.ks/dh; h++ {
					dotRowsAVX512Go(s, q, k[h*dh:], c.ks, 1)
				}
			}
			b.ReportMetric(bytes*float64(c.ks/dh)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
		b.Run("axpyRows/"+c.name, func(b *testing.B) {
			for b.Loop() {
				for h := 0; h < c.ks/dh; h++ {
					axpyRowsAVX512Go(o, s, k[h*dh:], c.ks)
				}
			}
			b.ReportMetric(bytes*float64(c.ks/dh)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

func BenchmarkDecode4Kernels(b *testing.B) {
	const dh = 64
	for _, c := range []struct {
		name   string
		nk, ks int
	}{{"L1 nk=32 ks=256", 32, 256}, {"L2 nk=197 ks=768", 197, 768}} {
		k := make([]float32, c.nk*c.ks)
		q := make([]float32, 4*dh)
		s := make([]float32, 4*c.nk)
		o := make([]float32, 4*dh)
		groups := c.ks / (4 * dh)
		bytes := float64(c.nk * c.ks * 4)
		b.Run("scores/"+c.name, func(b *testing.B) {
			for b.Loop() {
				for g := 0; g < groups; g++ {
					decodeScoresAVX512(s, q, k[g*4*dh:], c.nk, dh, c.ks, c.nk, 1)
				}
			}
			b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
		b.Run("pv/"+c.name, func(b *testing.B) {
			for b.Loop() {
				for g := 0; g < groups; g++ {
					decodePVAVX512(o, s, k[g*4*dh:], c.nk, dh, c.ks, c.nk)
				}
			}
			b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// abRatios times old() and new() in turns, 40 rounds of the best of 5
// batches of n calls each, and returns the best times and the median and
// quartiles of the per-round ratios old/new: in one process, with the same
// buffers, so that neither the machine's load nor the memory layout of a
// run favours one side.
func abRatios(n int, old, new func()) (bestOld, bestNew time.Duration, q1, med, q3 float64) {
	timeIt := func(f func()) time.Duration {
		best := time.Hour
		for r := 0; r < 5; r++ {
			t0 := time.Now()
			for i := 0; i < n; i++ {
				f()
			}
			best = min(best, time.Since(t0)/time.Duration(n))
		}
		return best
	}
	bestOld, bestNew = time.Hour, time.Hour
	var ratios []float64
	for r := 0; r < 40; r++ {
		o, w := timeIt(old), timeIt(new)
		bestOld, bestNew = min(bestOld, o), min(bestNew, w)
		ratios = append(ratios, float64(o)/float64(w))
	}
	sort.Float64s(ratios)
	return bestOld, bestNew, ratios[10], ratios[20], ratios[30]
}

// BenchmarkAttentionPathsAB compares, in one process at AVX-512, the
// transposed P*V (pvOutT) with pv4AVX512 on the blocked shapes ("pv"), the
// query transposition in registers with gathers only ("gather"), the
// softmax step with its former exp and one row at a time ("softmax"), the
// last two together ("gather+softmax"), and the 4-head decode with the row
// path on one layer's cache (second-level cache) and on 6 layers' caches in
// turn (last-level cache). Run it with -benchtime 1x; old/new > 1 means the
// new path is faster.
func BenchmarkAttentionPathsAB(b *testing.B) {
	if err := SetLevel(AVX512); err != nil {
		b.Skip("no AVX-512")
	}
	defer SetLevel(Best()) //nolint:errcheck // Best is supported
	rng := rand.New(rand.NewPCG(1, 2))
	const heads, dh = 12, 64
	w := heads * dh
	report := func(b *testing.B) func(o, n time.Duration, q1, med, q3 float64) {
		return func(o, n time.Duration, q1, med, q3 float64) {
			b.ReportMetric(float64(o.Nanoseconds())/1e3, "old-us")
			b.ReportMetric(float64(n.Nanoseconds())/1e3, "new-us")
			b.ReportMetric(med, "old/new")
			b.ReportMetric(q1, "q1")
			b.ReportMetric(q3, "q3")
		}
	}
	for _, shape := range [][2]int{{64, 577}, {16, 197}} {
		b.Run(fmt.Sprintf("pv/%dx%d", shape[0], shape[1]), func(b *testing.B) {
			q := randSlice(rng, shape[0]*w, -1, 1)
			k, v := randSlice(rng, shape[1]*w, -1, 1), randSlice(rng, shape[1]*w, -1, 1)
			out := make([]float32, shape[0]*w)
			a := Attention{Queries: shape[0], Keys: shape[1], Heads: heads, HeadDim: dh}
			scratch := make([]float32, a.ScratchLen())
			pv := rowImpl.pvOutT
			defer func() { rowImpl.pvOutT = pv }()
			for b.Loop() {
				report(b)(abRatios(4,
					func() { rowImpl.pvOutT = nil; a.Run(out, q, k, v, scratch) },
					func() { rowImpl.pvOutT = pv; a.Run(out, q, k, v, scratch) }))
			}
		})
		b.Run(fmt.Sprintf("gather/%dx%d", shape[0], shape[1]), func(b *testing.B) {
			q := randSlice(rng, shape[0]*w, -1, 1)
			k, v := randSlice(rng, shape[1]*w, -1, 1), randSlice(rng, shape[1]*w, -1, 1)
			out := make([]float32, shape[0]*w)
			a := Attention{Queries: shape[0], Keys: shape[1], Heads: heads, HeadDim: dh}
			scratch := make([]float32, a.ScratchLen())
			gather := rowImpl.gatherT
			defer func() { rowImpl.gatherT = gather }()
			old := func(qt, q []float32, nq, dh, qs int) { gatherTAVX512With(qt, q, nq, dh, qs, false) }
			for b.Loop() {
				report(b)(abRatios(4,
					func() { rowImpl.gatherT = old; a.Run(out, q, k, v, scratch) },
					func() { rowImpl.gatherT = gather; a.Run(out, q, k, v, scratch) }))
			}
		})
	}
	for _, shape := range [][2]int{{64, 577}, {16, 197}} {
		b.Run(fmt.Sprintf("softmax/%dx%d", shape[0], shape[1]), func(b *testing.B) {
			q := randSlice(rng, shape[0]*w, -1, 1)
			k, v := randSlice(rng, shape[1]*w, -1, 1), randSlice(rng, shape[1]*w, -1, 1)
			out := make([]float32, shape[0]*w)
			a := Attention{Queries: shape[0], Keys: shape[1], Heads: heads, HeadDim: dh}
			scratch := make([]float32, a.ScratchLen())
			cols := rowImpl.softmaxCols
			defer func() { rowImpl.softmaxCols = cols }()
			for b.Loop() {
				report(b)(abRatios(4,
					func() { rowImpl.softmaxCols = softmaxColsRefAVX512; a.Run(out, q, k, v, scratch) },
					func() { rowImpl.softmaxCols = cols; a.Run(out, q, k, v, scratch) }))
			}
		})
		b.Run(fmt.Sprintf("gather+softmax/%dx%d", shape[0], shape[1]), func(b *testing.B) {
			q := randSlice(rng, shape[0]*w, -1, 1)
			k, v := randSlice(rng, shape[1]*w, -1, 1), randSlice(rng, shape[1]*w, -1, 1)
			out := make([]float32, shape[0]*w)
			a := Attention{Queries: shape[0], Keys: shape[1], Heads: heads, HeadDim: dh}
			scratch := make([]float32, a.ScratchLen())
			gather, cols := rowImpl.gatherT, rowImpl.softmaxCols
			defer func() { rowImpl.gatherT, rowImpl.softmaxCols = gather, cols }()
			old := func(qt, q []float32, nq, dh, qs int) { gatherTAVX512With(qt, q, nq, dh, qs, false) }
			for b.Loop() {
				report(b)(abRatios(4,
					func() {
						rowImpl.gatherT, rowImpl.softmaxCols = old, softmaxColsRefAVX512
						a.Run(out, q, k, v, scratch)
					},
					func() {
						rowImpl.gatherT, rowImpl.softmaxCols = gather, cols
						a.Run(out, q, k, v, scratch)
					}))
			}
		})
	}
	for _, layers := range []int{1, 6} {
		b.Run(fmt.Sprintf("decode/1x197/layers=%d", layers), func(b *testing.B) {
			q := randSlice(rng, w, -1, 1)
			ks, vs := make([][]float32, layers), make([][]float32, layers)
			for l := range ks {
				ks[l], vs[l] = randSlice(rng, 197*w, -1, 1), randSlice(rng, 197*w, -1, 1)
			}
			out := make([]float32, w)
			a := Attention{Queries: 1, Keys: 197, Heads: heads, HeadDim: dh}
			scratch := make([]float32, a.ScratchLen())
			scores := rowImpl.decodeScores
			defer func() { rowImpl.decodeScores = scores }()
			l := 0
			run := func() { a.Run(out, q, ks[l], vs[l], scratch); l = (l + 1) % layers }
			for b.Loop() {
				report(b)(abRatios(60,
					func() { rowImpl.decodeScores = nil; run() },
					func() { rowImpl.decodeScores = scores; run() }))
			}
		})
	}
}
