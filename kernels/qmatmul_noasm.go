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
	if id == qgemmGoPairs {
		qgemm8x8c8Generic(args)
		return
	}
	qgemmGeneric(args)
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

// qgemmKernels returns every int8 family this build can run, for the
// tests: the Go twin and the Go twin of the SMMLA family.
func qgemmKernels() []qgemmKernel { return []qgemmKernel{genericQgemm, pairsGoQgemm} }

// qquantizeRowPairs runs quantizeRowPairs with level l's row kernel.
func qquantizeRowPairs(l Level, dst []int8, row []float32, inv float32, flip int8) {
	_ = l
	quantizeRowPairs(dst, row, inv, flip)
}
