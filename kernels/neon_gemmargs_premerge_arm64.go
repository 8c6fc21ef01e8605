//go:build !purego

package kernels

import "unsafe"

// A copy of gemmArgs and gemmKernel from the matmul branch's
// matmul_kernel.go, so that the NEON micro-kernel builds and is tested
// before that branch reaches this one. Delete this file when merging it.

type gemmArgs struct {
	a          unsafe.Pointer
	lda        uintptr
	b          unsafe.Pointer
	ldb        uintptr
	c          unsafe.Pointer
	ldc        uintptr
	bias       unsafe.Pointer
	m          int
	mr         int
	kc         int
	panels     int
	accumulate int
	maskLo     uint64
	maskHi     uint64
	rowsLeft   int
	panelsLeft int
	mask       [16]int32
	cols       int
}

type gemmKernel struct {
	level     Level
	nr, mrMax int
}
