//go:build purego || !(amd64 || arm64)

package kernels

// gemmKernelFor returns the Go micro-kernel: this build has no assembly.
func gemmKernelFor(l Level) gemmKernel {
	_ = l
	return genericGemm
}

// callGemm runs the micro-kernel of level l (matmul_kernel.go).
func callGemm(l Level, args *gemmArgs) {
	_ = l
	gemmGeneric(args)
}
