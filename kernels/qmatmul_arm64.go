//go:build !purego

package kernels

// qgemmKernelFor returns the int8 micro-kernel family of level l on arm64.
func qgemmKernelFor(l Level) qgemmKernel {
	_ = l
	return genericQgemm
}

// callQgemm runs the int8 micro-kernel id (qmatmul_kernel.go).
func callQgemm(id qgemmID, args *qgemmArgs) {
	_ = id
	qgemmGeneric(args, genericQgemm.nr, false)
}
