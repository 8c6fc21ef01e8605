//go:build !purego

package kernels

import (
	"math"
	"math/rand/v2"
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

// TestSMMLAEncoding runs the SMMLA word of the I8MM int8 kernel, with two
// register triples that between them set and clear every bit of each
// register field, against smmla (its Go model, qmatmul_pairs.go): random
// and extreme s8 operands (-128 * -128 in every product, 8 of them into
// one lane) onto a nonzero accumulator. Skipped on a CPU without I8MM
// (qemu-aarch64 -cpu max has it).
func TestSMMLAEncoding(t *testing.T) {
	if !neonFeatures.i8mm {
		t.Skip("no I8MM on this CPU")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		var a, b [16]int8
		acc := [4]int32{int32(r.Uint32()), -7, 1 << 30, int32(trial)}
		for i := range a {
			a[i], b[i] = int8(r.IntN(256)-128), int8(r.IntN(256)-128)
			if trial == 0 {
				a[i], b[i] = -128, -128
			}
		}
		want := acc
		smmla(&want, &a, &b)
		for _, probe := range []struct {
			name string
			run  func(dst *[4]int32, a, b *[16]int8)
		}{{"smmla v29, v3, v17", neonProbeSMMLA}, {"smmla v2, v28, v14", neonProbeSMMLAComplement}} {
			got := acc
			probe.run(&got, &a, &b)
			if got != want {
				t.Fatalf("%s: a=%v b=%v acc=%v: got %v, want %v", probe.name, a, b, acc, got, want)
			}
		}
	}
}

// TestInt8KernelChoice checks (and logs) the int8 family the NEON level
// takes from the CPU's extensions: SMMLA with I8MM, else SDOT with
// DotProd, else the Go twin. Run under qemu-aarch64 with -cpu max,
// neoverse-n1 and cortex-a72 it covers all three.
func TestInt8KernelChoice(t *testing.T) {
	got := qgemmKernelFor(NEON)
	want := genericQgemm
	switch {
	case neonFeatures.i8mm:
		want = smmlaQgemm
	case neonFeatures.dotProd:
		want = sdotQgemm
	}
	t.Logf("i8mm=%v dotProd=%v: int8 kernel at neon %s", neonFeatures.i8mm, neonFeatures.dotProd, got.name)
	if got != want {
		t.Errorf("int8 kernel at neon is %s, want %s", got.name, want.name)
	}
	if g := qgemmKernelFor(Generic); g != genericQgemm {
		t.Errorf("int8 kernel at generic is %s, want %s", g.name, genericQgemm.name)
	}
}
