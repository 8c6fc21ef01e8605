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

// qabsMax returns absMaxBits(row) with level l's row kernel.
func qabsMax(l Level, row []float32) uint32 {
	_ = l
	return absMaxBits(row)
}

// qquantizeRow runs quantizeRow with level l's row kernel.
func qquantizeRow(l Level, dst []int8, row []float32, inv float32, flip int8) {
	_ = l
	quantizeRow(dst, row, inv, flip)
}

// qquantizeRow16 runs quantizeRow16 with level l's row kernel.
func qquantizeRow16(l Level, dst []int16, row []float32, inv float32) {
	_ = l
	quantizeRow16(dst, row, inv)
}
