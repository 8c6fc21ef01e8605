//go:build !purego

package kernels

import (
	"math"
	"testing"
)

// TestNEONEncodings runs each WORD-encoded instruction of neon_arm64.h
// (through its probe in neon_encoding_arm64.s) and compares every lane with
// the same operation in Go. Unary instructions read b; the by-element FMLA
// starts from a and adds a * b[i].
func TestNEONEncodings(t *testing.T) {
	a := [4]float32{1.5, -2.25, 3.5, -0.5}
	b := [4]float32{0.75, 4, -2.5, -0.5}
	bits := func(ok bool) float32 {
		if ok {
			return math.Float32frombits(0xffffffff)
		}
		return 0
	}
	lanes := func(f func(x, y float32) float32) [4]float32 {
		var r [4]float32
		for i := range r {
			r[i] = f(a[i], b[i])
		}
		return r
	}
	fmlaElem := func(i int) [4]float32 {
		return lanes(func(x, _ float32) float32 { return x + x*b[i] })
	}
	tests := []struct {
		name  string
		probe func(dst, a, b *[4]float32)
		want  [4]float32
	}{
		{"fadd", neonProbeFADD, lanes(func(x, y float32) float32 { return x + y })},
		{"fsub", neonProbeFSUB, lanes(func(x, y float32) float32 { return x - y })},
		{"fmul", neonProbeFMUL, lanes(func(x, y float32) float32 { return x * y })},
		{"fdiv", neonProbeFDIV, lanes(func(x, y float32) float32 { return x / y })},
		{"fmax", neonProbeFMAX, lanes(func(x, y float32) float32 { return max(x, y) })},
		{"fmin", neonProbeFMIN, lanes(func(x, y float32) float32 { return min(x, y) })},
		{"fcmge", neonProbeFCMGE, lanes(func(x, y float32) float32 { return bits(x >= y) })},
		{"fcmgt", neonProbeFCMGT, lanes(func(x, y float32) float32 { return bits(x > y) })},
		{"faddp 4s", neonProbeFADDP4, [4]float32{a[0] + a[1], a[2] + a[3], b[0] + b[1], b[2] + b[3]}},
		{"fabs", neonProbeFABS, lanes(func(_, y float32) float32 { return float32(math.Abs(float64(y))) })},
		{"fneg", neonProbeFNEG, lanes(func(_, y float32) float32 { return -y })},
		{"frintn", neonProbeFRINTN, lanes(func(_, y float32) float32 { return float32(math.RoundToEven(float64(y))) })},
		{"fcvtzs", neonProbeFCVTZS, lanes(func(_, y float32) float32 { return math.Float32frombits(uint32(int32(y))) })},
		{"faddp s", neonProbeFADDP2, [4]float32{b[0] + b[1]}},
		{"fmaxv", neonProbeFMAXV, [4]float32{max(b[0], b[1], b[2], b[3])}},
		{"sshr #1", neonProbeSSHR, lanes(func(_, y float32) float32 { return math.Float32frombits(uint32(int32(math.Float32bits(y)) >> 1)) })},
		{"fmla elem 0", neonProbeFMLAELEM0, fmlaElem(0)},
		{"fmla elem 1", neonProbeFMLAELEM1, fmlaElem(1)},
		{"fmla elem 2", neonProbeFMLAELEM2, fmlaElem(2)},
		{"fmla elem 3", neonProbeFMLAELEM3, fmlaElem(3)},
	}
	for _, tc := range tests {
		var got [4]float32
		tc.probe(&got, &a, &b)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(tc.want[i]) {
				t.Errorf("%s: lane %d = %v (%#08x), want %v (%#08x)", tc.name, i,
					got[i], math.Float32bits(got[i]), tc.want[i], math.Float32bits(tc.want[i]))
			}
		}
	}
}

// TestNEONFeatures logs the optional extensions cpuid found; Advanced SIMD
// itself must be there (qemu-aarch64 reports it too).
func TestNEONFeatures(t *testing.T) {
	t.Logf("arm64 features: %+v", neonFeatures)
	if !neonFeatures.asimd {
		t.Log("cpuid does not report ASIMD; the NEON level runs regardless (it is part of arm64)")
	}
}
