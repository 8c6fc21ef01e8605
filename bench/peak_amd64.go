//go:build !purego

package bench

import "github.com/vlmrt/vlmrt/kernels"

//go:noescape
func fmaZMM(iters int)

//go:noescape
func fmaYMM(iters int)

// PeakFMA runs iters iterations of a loop of independent FMAs at level l
// and returns the flops it did, or 0 when l has no FMA loop here. Its rate
// is the level's peak, against which the products are read.
func PeakFMA(l kernels.Level, iters int) float64 {
	switch l {
	case kernels.AVX512:
		fmaZMM(iters)
		return float64(iters) * 12 * 16 * 2
	case kernels.AVX2:
		fmaYMM(iters)
		return float64(iters) * 12 * 8 * 2
	}
	return 0
}

//go:noescape
func sumZMM(x *float32, blocks int) float32

// StreamSum returns the sum of x[:len(x)&^127] read with AVX-512 loads in
// 8 independent chains, as fast as the cache holding x delivers it; the
// yardstick of bandwidth-bound kernels. It returns 0 for fewer than 128
// values.
func StreamSum(x []float32) float32 {
	if len(x) < 128 {
		return 0
	}
	return sumZMM(&x[0], len(x)/128)
}
