//go:build purego || !amd64

package bench

import "github.com/vlmrt/vlmrt/kernels"

// PeakFMA returns 0: this build has no FMA loop to measure the peak with.
func PeakFMA(l kernels.Level, iters int) float64 {
	_, _ = l, iters
	return 0
}

// StreamSum returns the sum of x[:len(x)&^127] in plain Go.
func StreamSum(x []float32) float32 {
	var s float32
	for _, v := range x[:len(x)&^127] {
		s += v
	}
	return s
}
