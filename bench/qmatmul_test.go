package bench

import (
	"fmt"
	"testing"

	"github.com/vlmrt/vlmrt/internal/cputime"
	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
)

// int8Shapes are the products the int8 kernels are measured on (M x K x
// N): the decode step and a vocabulary projection, both bound by reading
// the weights, and a short and a ViT-B sequence through an MLP up
// projection, bound by arithmetic.
var int8Shapes = [][3]int{{1, 768, 768}, {16, 768, 32000}, {64, 768, 768}, {197, 768, 3072}}

// BenchmarkInt8MatMul times, at every level and on one thread, the float32
// product and the int8 one (QuantizeKN weights, A quantized per row inside
// every call, which is timed) side by side on the same A and W. GOP/s
// counts 2 M K N operations a product for both, so the two rates compare
// directly; cpu-GOP/s is the same against the process's CPU time, and
// weight-MB the packed weights' size (Bytes).
func BenchmarkInt8MatMul(b *testing.B) {
	for _, s := range int8Shapes {
		m, k, n := s[0], s[1], s[2]
		ops := 2 * float64(m) * float64(k) * float64(n)
		a, w, bias, c := randFloats(m*k), randFloats(k*n), randFloats(n), make([]float32, m*n)
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			leveltest.ForEachB(b, func(b *testing.B) {
				for _, kind := range []string{"float32", "int8"} {
					b.Run(kind, func(b *testing.B) {
						pack := kernels.PackKN
						if kind == "int8" {
							pack = kernels.QuantizeKN
						}
						p, err := pack(w, k, n, bias)
						if err != nil {
							b.Fatal(err)
						}
						p.MatMul(c, a, m, kernels.ActNone) // grows the pooled task's scratch
						b.ReportAllocs()
						start := cputime.Process()
						for b.Loop() {
							p.MatMul(c, a, m, kernels.ActNone)
						}
						b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
						b.ReportMetric(float64(p.Bytes())/1e6, "weight-MB") // after the loop, which resets metrics
						if used := cputime.Process() - start; used > 0 && start > 0 {
							b.ReportMetric(ops*float64(b.N)/used.Seconds()/1e9, "cpu-GOP/s")
						}
					})
				}
			})
		})
	}
}
