//go:build !purego

package kernels

// supported lists the levels this CPU can run. Advanced SIMD is part of the
// arm64 base architecture.
var supported = [numLevels]bool{
	Generic: true,
	NEON:    true, // Advanced SIMD is mandatory on arm64; cpuid.ASIMD only confirms it
}
