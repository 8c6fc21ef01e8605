//go:build !purego

package weights

import "github.com/vlmrt/vlmrt/kernels"

// The assembly converters (convert_arm64.s) convert len(dst) elements from
// src, which holds at least 2*len(dst) bytes; len(dst) must be a multiple
// of 8. The Go wrappers below convert the rest with the Go twins.

//go:noescape
func bf16ToF32NEON(dst []float32, src []byte)

//go:noescape
func f16ToF32NEON(dst []float32, src []byte)

// convertF16 converts with the converter of the active kernel level.
func convertF16(dst []float32, src []byte) {
	n := 0
	if kernels.Active() == kernels.NEON {
		n = len(dst) &^ 7
		f16ToF32NEON(dst[:n], src[:2*n])
	}
	f16ToF32Go(dst[n:], src[2*n:])
}

// convertBF16 converts with the converter of the active kernel level.
func convertBF16(dst []float32, src []byte) {
	n := 0
	if kernels.Active() == kernels.NEON {
		n = len(dst) &^ 7
		bf16ToF32NEON(dst[:n], src[:2*n])
	}
	bf16ToF32Go(dst[n:], src[2*n:])
}
