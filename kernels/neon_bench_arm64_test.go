//go:build !purego

package kernels

import (
	"fmt"
	"testing"
	"unsafe"
)

// Benchmarks of the NEON kernels next to their Go twins, for an arm64
// device (bench/README.md, section arm64):
//
//	go test -run '^$' -bench NEON -count 6 ./kernels/ | tee neon.txt
//
// Each row kernel reports the bytes it reads and writes (MB/s); the gemm
// reports GFLOP/s (2 flops per multiply-add), the int8 product GOP/s.

// BenchmarkNEONRows runs each row kernel at the generic and NEON levels on
// the shapes of a ViT-B head: 768-wide rows, 64-wide attention heads,
// 197-key score rows (softmax, and sparsemax over 192 of them) and a
// 3072-wide MLP activation.
func BenchmarkNEONRows(b *testing.B) {
	x, y := neonValues(16*3072, 2, 1), neonValues(16*3072, 2, 2)
	dst := make([]float32, len(x))
	zs := make([]float32, 197)
	gamma, beta := neonValues(768, 1, 3), neonValues(768, 1, 4)
	levels := []struct {
		name string
		k    rowKernels
	}{{"generic", genericRows}, {"neon", rowKernelsFor(NEON)}}
	cases := []struct {
		name  string
		bytes int
		run   func(k rowKernels)
	}{
		{"dot/64", 2 * 4 * 64, func(k rowKernels) { k.dot(x[:64], y[:64]) }},
		{"dot/768", 2 * 4 * 768, func(k rowKernels) { k.dot(x[:768], y[:768]) }},
		{"axpy/768", 3 * 4 * 768, func(k rowKernels) { k.axpy(dst[:768], 0.5, x[:768]) }},
		{"add/768", 3 * 4 * 768, func(k rowKernels) { k.add(dst[:768], x[:768], y[:768]) }},
		{"layerNorm/16x768", 4 * 4 * 16 * 768, func(k rowKernels) { k.layerNorm(dst[:16*768], x[:16*768], gamma, beta, 1e-6) }},
		{"rmsNorm/16x768", 3 * 4 * 16 * 768, func(k rowKernels) { k.rmsNorm(dst[:16*768], x[:16*768], gamma, 1e-6) }},
		{"softmax/12x197", 3 * 4 * 12 * 197, func(k rowKernels) { k.softmax(dst[:12*197], x[:12*197], 197) }},
		// sparsemax per row, as Sparsemax calls it; the bytes count x and
		// dst, not the passes over the scratch row.
		{"sparsemax/192x197", 2 * 4 * 192 * 197, func(k rowKernels) {
			for r := range 192 {
				k.sparsemax(dst[r*197:(r+1)*197], x[r*197:(r+1)*197], zs)
			}
		}},
		{"gelu/3072", 2 * 4 * 3072, func(k rowKernels) { k.gelu(dst[:3072], x[:3072]) }},
		{"silu/3072", 2 * 4 * 3072, func(k rowKernels) { k.silu(dst[:3072], x[:3072]) }},
		{"sigmoid/3072", 2 * 4 * 3072, func(k rowKernels) { k.sigmoid(dst[:3072], x[:3072]) }},
	}
	for _, c := range cases {
		for _, l := range levels {
			b.Run(c.name+"/"+l.name, func(b *testing.B) {
				b.SetBytes(int64(c.bytes))
				for b.Loop() {
					c.run(l.k)
				}
			})
		}
	}
}

// BenchmarkNEONGemm runs the 6x16 micro-kernel over a whole K x N = 768 x
// 768 packed matrix (one K chunk) for m rows, against the plain Go loop of
// the same contract (neonGemmLoop).
func BenchmarkNEONGemm(b *testing.B) {
	const k, n, nr = 768, 768, 16
	for _, m := range []int{1, 6, 64} {
		a := neonValues(m*k, 1, 5)
		panels := neonValues(k*n, 1, 6)
		bias := make([]float32, n)
		c := make([]float32, m*n)
		args := func() gemmArgs {
			return gemmArgs{a: unsafe.Pointer(&a[0]), lda: 4 * k, b: unsafe.Pointer(&panels[0]),
				ldb: 4 * k * nr, c: unsafe.Pointer(&c[0]), ldc: 4 * n, bias: unsafe.Pointer(&bias[0]),
				m: m, mr: 6, kc: k, panels: n / nr, cols: nr}
		}
		flops := float64(2 * m * k * n)
		for _, impl := range []struct {
			name string
			run  func(*gemmArgs)
		}{{"go", neonGemmLoop}, {"neon", gemm6x16NEON}} {
			b.Run(fmt.Sprintf("m=%d/%s", m, impl.name), func(b *testing.B) {
				for b.Loop() {
					g := args()
					impl.run(&g)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// neonGemmLoop is the gemm contract as a plain loop over whole 16-column
// panels from the bias: the Go baseline of BenchmarkNEONGemm.
func neonGemmLoop(g *gemmArgs) {
	const nr = 16
	for q := range g.panels {
		panel := unsafe.Slice((*float32)(unsafe.Add(g.b, uintptr(q)*g.ldb)), g.kc*nr)
		bias := unsafe.Slice((*float32)(unsafe.Add(g.bias, q*nr*4)), nr)
		for i := range g.m {
			a := unsafe.Slice((*float32)(unsafe.Add(g.a, uintptr(i)*g.lda)), g.kc)
			c := unsafe.Slice((*float32)(unsafe.Add(g.c, uintptr(i)*g.ldc+uintptr(q*nr*4))), nr)
			copy(c, bias)
			for kk, x := range a {
				for j, w := range panel[kk*nr : kk*nr+nr] {
					c[j] += x * w
				}
			}
		}
	}
}

// BenchmarkNEONAttention runs a ViT-B self-attention (197 queries and keys,
// 12 heads of 64, the blocked path at NEON) and a decode step (1 query
// against 197 cached keys, the row path) at the generic and NEON levels.
func BenchmarkNEONAttention(b *testing.B) {
	const keys, heads, dh = 197, 12, 64
	prev := Active()
	defer SetLevel(prev) //nolint:errcheck // prev was supported
	for _, queries := range []int{keys, 1} {
		a := Attention{Queries: queries, Keys: keys, Heads: heads, HeadDim: dh}
		q := neonValues(queries*heads*dh, 1, 1)
		k := neonValues(keys*heads*dh, 1, 2)
		v := neonValues(keys*heads*dh, 1, 3)
		out := make([]float32, queries*heads*dh)
		for _, l := range []Level{Generic, NEON} {
			b.Run(fmt.Sprintf("queries=%d/%s", queries, l), func(b *testing.B) {
				if err := SetLevel(l); err != nil {
					b.Fatal(err)
				}
				scratch := make([]float32, a.ScratchLen())
				flops := float64(4 * queries * keys * heads * dh)
				for b.Loop() {
					a.Run(out, q, k, v, scratch)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkNEONInt8 runs the int8 product (quantizing A, the micro-kernel
// and the epilogue) on a 768 x 768 weight matrix for m rows through each
// int8 family this CPU has: the Go twin, SDOT (DotProd) and SMMLA (I8MM),
// so that a device with I8MM shows what SMMLA gains over SDOT at decode
// (m = 1), a few tokens and a ViT sequence (m = 197). GOP/s counts 2
// operations per multiply-add of the m x 768 x 768 product.
func BenchmarkNEONInt8(b *testing.B) {
	const k, n = 768, 768
	w := neonValues(k*n, 1, 7)
	prev := Active()
	defer SetLevel(prev) //nolint:errcheck // prev was supported
	for _, m := range []int{1, 4, 16, 64, 197} {
		a := neonValues(m*k, 1, 8)
		c := make([]float32, m*n)
		for _, kern := range qgemmKernels() {
			if kern.id == qgemmGoPairs {
				continue // a model of the SMMLA kernel for the tests, not a fallback
			}
			b.Run(fmt.Sprintf("m=%d/%s", m, kern.name), func(b *testing.B) {
				if err := SetLevel(kern.level); err != nil {
					b.Fatal(err)
				}
				saved := qgemmActive
				qgemmActive = kern
				p, err := QuantizeKN(w, k, n, nil)
				qgemmActive = saved
				if err != nil {
					b.Fatal(err)
				}
				var task MatMulTask
				for b.Loop() {
					p.MatMulWith(&task, nil, c, n, a, k, m, ActNone)
				}
				b.ReportMetric(float64(2*m*k*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
			})
		}
	}
}
