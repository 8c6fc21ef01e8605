//go:build !purego

package kernels

import (
	"fmt"
	"math"
	"testing"
	"unsafe"
)

// TestNEONGemmArgsCols checks the one gemmArgs offset the NEON kernel reads
// that TestGemmArgsLayout does not list.
func TestNEONGemmArgsCols(t *testing.T) {
	var g gemmArgs
	if got := unsafe.Offsetof(g.cols); got != 192 {
		t.Errorf("gemmArgs.cols at offset %d, gemm_neon_arm64.s reads 192", got)
	}
	if got := unsafe.Offsetof(g.accumulate); got != 88 {
		t.Errorf("gemmArgs.accumulate at offset %d, gemm_neon_arm64.s reads 88", got)
	}
}

// TestNEONGemm runs gemm6x16NEON on every row block size 1-6, row counts
// that leave every remainder, K chunks of 1 and odd lengths, whole and
// partial last panels, from the bias and accumulating into C, against a
// float64 product. A starts one float past a 16-byte boundary with rows
// longer than kc; C rows are longer than N and everything outside the
// product is a guard band. Tolerance: 1e-6 of sum |terms| (float32 sums of
// up to 40 terms, one rounding each).
func TestNEONGemm(t *testing.T) {
	for _, n := range []int{1, 5, 15, 16, 17, 33, 48} {
		for _, kc := range []int{1, 2, 7, 37} {
			for _, m := range []int{1, 2, 3, 5, 6, 7, 11, 13, 29} {
				for mr := 1; mr <= 6; mr++ {
					for _, accumulate := range []int{0, 1} {
						name := fmt.Sprintf("n=%d kc=%d m=%d mr=%d accumulate=%d", n, kc, m, mr, accumulate)
						neonGemmCase(t, name, m, n, kc, mr, accumulate)
					}
				}
			}
		}
	}
}

func neonGemmCase(t *testing.T, name string, m, n, kc, mr, accumulate int) {
	const nr = 16
	np := (n + nr - 1) / nr
	lda, ldc := kc+3, n+5
	aw := newNEONWindow(m*lda, 1).fill(neonValues(m*lda, 1, uint64(m*kc+n)))
	a := aw.in()
	panels := make([]float32, np*kc*nr)
	bias := make([]float32, np*nr)
	w := neonValues(kc*n, 1, uint64(kc+n))
	for k := range kc {
		for j := range n {
			panels[(j/nr)*kc*nr+k*nr+j%nr] = w[k*n+j]
		}
	}
	copy(bias, neonValues(n, 1, uint64(n)))
	cw := newNEONWindow(m*ldc, 0)
	c := cw.in()
	start := neonValues(m*ldc, 1, uint64(m+n+kc))
	for i := range m {
		copy(c[i*ldc:i*ldc+n], start[i*ldc:i*ldc+n])
	}
	want := make([]float64, m*n)
	mag := make([]float64, m*n)
	for i := range m {
		for j := range n {
			s := float64(bias[j])
			if accumulate != 0 {
				s = float64(start[i*ldc+j])
			}
			mag[i*n+j] = math.Abs(s)
			for k := range kc {
				term := float64(a[i*lda+k]) * float64(w[k*n+j])
				s += term
				mag[i*n+j] += math.Abs(term)
			}
			want[i*n+j] = s
		}
	}
	g := gemmArgs{
		a: unsafe.Pointer(&a[0]), lda: uintptr(4 * lda),
		b: unsafe.Pointer(&panels[0]), ldb: uintptr(4 * kc * nr),
		c: unsafe.Pointer(&c[0]), ldc: uintptr(4 * ldc),
		bias: unsafe.Pointer(&bias[0]),
		m:    m, mr: mr, kc: kc, panels: np, accumulate: accumulate,
		cols: n - (np-1)*nr,
	}
	gemm6x16NEON(&g)
	for i := range m {
		for j := range n {
			got, wv := float64(c[i*ldc+j]), want[i*n+j]
			if math.Abs(got-wv) > 1e-6*mag[i*n+j] {
				t.Fatalf("%s: C[%d][%d] = %v, want %v", name, i, j, got, wv)
			}
		}
		for j := n; j < ldc && i*ldc+j < len(c); j++ {
			if math.Float32bits(c[i*ldc+j]) != math.Float32bits(neonSentinel) {
				t.Fatalf("%s: C[%d][%d] past N changed to %v", name, i, j, c[i*ldc+j])
			}
		}
	}
	cw.checkGuards(t, name)
	aw.checkGuards(t, name+" (A)")
}
