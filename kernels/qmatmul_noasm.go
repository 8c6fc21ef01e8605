//go:build purego || !(amd64 || arm64)

package kernels

// qgemmKernelFor returns the Go int8 micro-kernel: this build has no
// assembly.
func qgemmKernelFor(l Level) qgemmKernel {
	_ = l
	return genericQgemm
}

// callQgemm runs the int8 micro-kernel id (qmatmul_kernel.go).
func callQgemm(id qgemmID, args *qgemmArgs) {
	_ = id
	qgemmGeneric(args, genericQgemm.nr, false)
}
