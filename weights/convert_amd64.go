//go:build !purego

package weights

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/vlmrt/vlmrt/kernels"
)

// hasF16C reports the F16C extension (VCVTPH2PS on XMM/YMM), which the AVX2
// F16 converter needs; AVX-512 F has its own form of the instruction.
var hasF16C = cpuid.CPU.Supports(cpuid.F16C)

// The assembly converters (convert_amd64.s) convert len(dst) elements from
// src, which holds at least 2*len(dst) bytes; len(dst) must be a multiple
// of the block: 8 for AVX2, 16 for AVX-512. The Go wrappers below convert
// the rest with the Go twins.

//go:noescape
func bf16ToF32AVX2(dst []float32, src []byte)

//go:noescape
func bf16ToF32AVX512(dst []float32, src []byte)

//go:noescape
func f16ToF32F16C(dst []float32, src []byte)

//go:noescape
func f16ToF32AVX512(dst []float32, src []byte)

// convertF16 converts with the converter of the active kernel level.
func convertF16(dst []float32, src []byte) {
	n := 0
	switch l := kernels.Active(); {
	case l == kernels.AVX512:
		n = len(dst) &^ 15
		f16ToF32AVX512(dst[:n], src[:2*n])
	case l == kernels.AVX2 && hasF16C:
		n = len(dst) &^ 7
		f16ToF32F16C(dst[:n], src[:2*n])
	}
	f16ToF32Go(dst[n:], src[2*n:])
}

// convertBF16 converts with the converter of the active kernel level.
func convertBF16(dst []float32, src []byte) {
	n := 0
	switch kernels.Active() {
	case kernels.AVX512:
		n = len(dst) &^ 15
		bf16ToF32AVX512(dst[:n], src[:2*n])
	case kernels.AVX2:
		n = len(dst) &^ 7
		bf16ToF32AVX2(dst[:n], src[:2*n])
	}
	bf16ToF32Go(dst[n:], src[2*n:])
}
