//go:build !purego

package kernels

// NEON versions of L2Normalize, MeanTokens and MaxTokens
// (pool_neon_arm64.s). rows.go runs those three as Go loops at every level
// (rowKernels has no field for them yet); with fields l2Normalize,
// meanTokens and maxTokens of these signatures in rowKernels, rowKernelsFor
// sets them to the functions below. Each has the contract of the loop in
// the entry point of the same name, arguments already checked.

//go:noescape
func l2NormalizeNEON(dst, x *float32, rows, n int)

//go:noescape
func sumTokensNEON(dst, x *float32, rows, d int)

//go:noescape
func maxTokensNEON(dst, x *float32, rows, d int)

// l2NormalizeRowsNEON computes dst = x * min(1/sqrt(sum(x^2)), 1e7) for
// each row of n values.
func l2NormalizeRowsNEON(dst, x []float32, n int) {
	if len(x) == 0 {
		return
	}
	l2NormalizeNEON(&dst[0], &x[0], len(x)/n, n)
}

// meanTokensRowsNEON sets dst (d values) to the mean of the rows of x.
func meanTokensRowsNEON(dst, x []float32, d int) {
	sumTokensNEON(&dst[0], &x[0], len(x)/d, d)
	count := float32(len(x) / d)
	for i := range dst {
		dst[i] /= count
	}
}

// maxTokensRowsNEON sets dst (d values) to the elementwise maximum of the
// rows of x.
func maxTokensRowsNEON(dst, x []float32, d int) {
	maxTokensNEON(&dst[0], &x[0], len(x)/d, d)
}
