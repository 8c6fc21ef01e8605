package kernels

import (
	"testing"
	"unsafe"
)

// TestGemmArgsLayout checks the gemmArgs offsets that the generated
// assembly (_matmulgen) hard-codes.
func TestGemmArgsLayout(t *testing.T) {
	var g gemmArgs
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"a", unsafe.Offsetof(g.a), 0},
		{"lda", unsafe.Offsetof(g.lda), 8},
		{"b", unsafe.Offsetof(g.b), 16},
		{"ldb", unsafe.Offsetof(g.ldb), 24},
		{"c", unsafe.Offsetof(g.c), 32},
		{"ldc", unsafe.Offsetof(g.ldc), 40},
		{"bias", unsafe.Offsetof(g.bias), 48},
		{"m", unsafe.Offsetof(g.m), 56},
		{"mr", unsafe.Offsetof(g.mr), 64},
		{"kc", unsafe.Offsetof(g.kc), 72},
		{"panels", unsafe.Offsetof(g.panels), 80},
		{"accumulate", unsafe.Offsetof(g.accumulate), 88},
		{"maskLo", unsafe.Offsetof(g.maskLo), 96},
		{"maskHi", unsafe.Offsetof(g.maskHi), 104},
		{"rowsLeft", unsafe.Offsetof(g.rowsLeft), 112},
		{"panelsLeft", unsafe.Offsetof(g.panelsLeft), 120},
		{"mask", unsafe.Offsetof(g.mask), 128},
		{"partial", unsafe.Offsetof(g.partial), 200},
	} {
		if f.got != f.want {
			t.Errorf("gemmArgs.%s at offset %d, the assembly reads %d", f.name, f.got, f.want)
		}
	}
}

// TestGemmRowBlocks runs each micro-kernel with every row block size on a
// shape with several panels and K chunks, against a plain loop, so that
// every generated block (not only those the planner picks) is exercised.
func TestGemmRowBlocks(t *testing.T) {
	for _, l := range Levels() {
		kern := gemmKernelFor(l)
		const m, k = 29, 37
		n := 2*kern.nr + 5
		np := (n + kern.nr - 1) / kern.nr
		a := make([]float32, m*k+1)[1:]
		panels := make([]float32, np*k*kern.nr)
		bias := make([]float32, np*kern.nr)
		for i := range a {
			a[i] = float32(i%13) - 6
		}
		for i := range panels {
			panels[i] = float32(i%7) - 3
		}
		for i := range bias[:n] {
			bias[i] = float32(i % 5)
		}
		// Sums of small integers are exact, so any order gives the same C.
		want := make([]float32, m*n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				s := bias[j]
				for kk := 0; kk < k; kk++ {
					s += a[i*k+kk] * panels[(j/kern.nr)*k*kern.nr+kk*kern.nr+j%kern.nr]
				}
				want[i*n+j] = s
			}
		}
		for mr := 1; mr <= kern.mrMax; mr++ {
			got := make([]float32, m*n+2)
			for i := range got {
				got[i] = -7
			}
			runGemm(kern, got[1:m*n+1], a, panels, bias, m, k, n, mr)
			if got[0] != -7 || got[m*n+1] != -7 {
				t.Fatalf("%s mr=%d: wrote outside C", l, mr)
			}
			for i, v := range got[1 : m*n+1] {
				if v != want[i] {
					t.Fatalf("%s mr=%d: C[%d][%d] = %v, want %v", l, mr, i/n, i%n, v, want[i])
				}
			}
		}
	}
}

// runGemm computes C = A P + bias with K split in two chunks.
func runGemm(kern gemmKernel, c, a, panels, bias []float32, m, k, n, mr int) {
	nr := kern.nr
	np := (n + nr - 1) / nr
	for k0, kc := 0, k/2; k0 < k; k0, kc = k0+kc, k-kc {
		g := gemmArgs{
			a: unsafe.Pointer(&a[k0]), lda: uintptr(4 * k),
			b: unsafe.Pointer(&panels[k0*nr]), ldb: uintptr(4 * k * nr),
			c: unsafe.Pointer(&c[0]), ldc: uintptr(4 * n),
			bias: unsafe.Pointer(&bias[0]), m: m, mr: mr, kc: kc, panels: np,
			accumulate: min(k0, 1),
		}
		g.setCols(n-(np-1)*nr, nr)
		callGemm(kern.level, &g)
	}
}
