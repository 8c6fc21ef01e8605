//go:build !purego

package kernels

// sparsemaxRowNEON is sparsemaxRow in one call (rows_sparsemax_arm64.s):
// dst and zs must hold len(x) values; dst may be x.
//
//go:noescape
func sparsemaxRowNEON(dst, x, zs []float32)

// sparsemaxNEON checks that dst and zs hold a row as long as x, which the
// kernel trusts.
func sparsemaxNEON(dst, x, zs []float32) {
	_, _ = dst[:len(x)], zs[:len(x)]
	sparsemaxRowNEON(dst, x, zs)
}
