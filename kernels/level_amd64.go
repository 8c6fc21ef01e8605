//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// supported lists the levels this CPU can run. cpuid checks that the OS
// saves the wide registers (XSAVE/XCR0) before it reports AVX features.
var supported = [numLevels]bool{
	Generic: true,
	AVX2:    cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3),
	AVX512: cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.AVX512BW,
		cpuid.AVX512DQ, cpuid.AVX512VL),
}
