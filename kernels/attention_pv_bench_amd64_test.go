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
			b.Run(fmt.Sprintf("outT/qb=%d/vs=%d", qb, vs), func(b *testing.B) {
				for b.Loop() {
					pvOutTAVX512(o, st, v, c, nk, dh, vs)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
