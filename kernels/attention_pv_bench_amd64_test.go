//go:build !purego

package kernels

import (
	"fmt"
	"testing"
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
