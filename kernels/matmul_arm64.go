//go:build !purego

package kernels

// gemmKernelFor returns the micro-kernel family of level l on arm64. NEON
// has no micro-kernel yet, so every level runs the Go twin; a NEON one goes
// here with its routine in matmul_arm64.s (contract: matmul_kernel.go).
func gemmKernelFor(l Level) gemmKernel {
	_ = l
	return genericGemm
}

// callGemm runs the micro-kernel of level l (matmul_kernel.go).
func callGemm(l Level, args *gemmArgs) {
	_ = l
	gemmGeneric(args)
}
