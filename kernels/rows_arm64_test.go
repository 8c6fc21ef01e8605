//go:build !purego

package kernels

import (
	"fmt"
	"math"
	"testing"
)

// The NEON row kernels against their Go twins (genericRows) on every tail,
// unaligned windows and guard bands.

var neonRows = rowKernelsFor(NEON)

// TestNEONRowsDispatch checks that the NEON level routes the entry points
// to the assembly.
func TestNEONRowsDispatch(t *testing.T) {
	prev := Active()
	defer SetLevel(prev) //nolint:errcheck // prev was supported
	if err := SetLevel(NEON); err != nil {
		t.Fatal(err)
	}
	a, b := neonValues(37, 1, 1), neonValues(37, 1, 2)
	if got, want := Dot(a, b), dotNEON(a, b); got != want {
		t.Errorf("Dot at NEON = %v, dotNEON = %v", got, want)
	}
}

// TestNEONElementwise covers add, mul, axpy, sigmoid, SiLU and GELU.
// Tolerances: add and mul round once like the twin, so they must match
// exactly; axpy may fuse where the twin does not (one rounding apart);
// the vector exp is within ~2 ulp and the twins round a float64 result,
// so sigmoid and SiLU get 2e-6 relative; GELU is within 2.2 ulps of
// float64 (TestGELUSweep) and its twin rounds once more: 5e-7 relative
// (or 1e-37 absolute, below which it flushes to 0).
func TestNEONElementwise(t *testing.T) {
	specials := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 90, -90, 1000, -1000, 5.5, -5.5, 13, -13, 87.5, -87.5}
	type unary = func(dst, x []float32)
	type binary = func(dst, a, b []float32)
	unaries := []struct {
		name      string
		neon, twn unary
		r         float32
		rel, abs  float64
	}{
		{"sigmoid", neonRows.sigmoid, genericRows.sigmoid, 12, 2e-6, 1e-30},
		{"silu", neonRows.silu, genericRows.silu, 12, 2e-6, 1e-30},
		{"gelu", neonRows.gelu, genericRows.gelu, 6, 5e-7, 1e-37},
	}
	binaries := []struct {
		name      string
		neon, twn binary
	}{
		{"add", neonRows.add, genericRows.add},
		{"mul", neonRows.mul, genericRows.mul},
	}
	for _, n := range neonSizes() {
		for off := range 2 {
			x := neonValues(n, 1, uint64(n))
			for _, u := range unaries {
				in := neonValues(n, u.r, uint64(n)+100)
				copy(in, specials)
				want := make([]float32, n)
				u.twn(want, in)
				dst := newNEONWindow(n, off)
				src := newNEONWindow(n, 1-off).fill(in)
				u.neon(dst.in(), src.in())
				what := fmt.Sprintf("%s n=%d off=%d", u.name, n, off)
				if err := neonClose(dst.in(), want, u.rel, u.abs); err != nil {
					t.Errorf("%s: %v", what, err)
				}
				dst.checkGuards(t, what)
				// In place, as the activations of a matmul run.
				u.neon(src.in(), src.in())
				if err := neonClose(src.in(), dst.in(), 0, 0); err != nil {
					t.Errorf("%s in place: %v", what, err)
				}
				src.checkGuards(t, what+" in place")
			}
			y := neonValues(n, 1, uint64(n)+1)
			for _, bk := range binaries {
				want := make([]float32, n)
				bk.twn(want, x, y)
				dst := newNEONWindow(n, off)
				a := newNEONWindow(n, 1-off).fill(x)
				b := newNEONWindow(n, off).fill(y)
				bk.neon(dst.in(), a.in(), b.in())
				what := fmt.Sprintf("%s n=%d off=%d", bk.name, n, off)
				if err := neonClose(dst.in(), want, 0, 0); err != nil {
					t.Errorf("%s: %v", what, err)
				}
				dst.checkGuards(t, what)
			}
			alpha := float32(-0.375)
			want := append([]float32(nil), y...)
			genericRows.axpy(want, alpha, x)
			dst := newNEONWindow(n, off).fill(y)
			src := newNEONWindow(n, 1-off).fill(x)
			neonRows.axpy(dst.in(), alpha, src.in())
			what := fmt.Sprintf("axpy n=%d off=%d", n, off)
			if err := neonClose(dst.in(), want, 1.2e-7, 1e-7); err != nil {
				t.Errorf("%s: %v", what, err)
			}
			dst.checkGuards(t, what)
		}
	}
}

// TestNEONDot compares dot with a float64 sum: the NEON order (eight
// accumulators) and the twin's (sequential) both stay within
// n * 2^-24 * sum|a b| of it; the test asks for 1e-6 relative to sum|a b|,
// which holds with margin for these lengths.
func TestNEONDot(t *testing.T) {
	for _, n := range neonSizes() {
		for off := range 2 {
			x, y := neonValues(n, 1, uint64(n)+7), neonValues(n, 1, uint64(n)+8)
			a := newNEONWindow(n, off).fill(x)
			b := newNEONWindow(n, 1-off).fill(y)
			got := neonRows.dot(a.in(), b.in())
			var ref, mag float64
			for i := range x {
				ref += float64(x[i]) * float64(y[i])
				mag += math.Abs(float64(x[i]) * float64(y[i]))
			}
			if math.Abs(float64(got)-ref) > 1e-6*mag+1e-30 {
				t.Errorf("dot n=%d off=%d = %v, want %v (sum |ab| = %v)", n, off, got, ref, mag)
			}
		}
	}
}

// neonRowShapes are the (rows, width) pairs of the row kernels: widths on
// both sides of each loop (4 and 16) and odd widths.
func neonRowShapes() [][2]int {
	var s [][2]int
	for _, d := range []int{1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 19, 31, 32, 33, 35, 48, 64, 67, 100, 257} {
		s = append(s, [2]int{1, d}, [2]int{3, d})
	}
	return append(s, [2]int{0, 5}, [2]int{2, 768})
}

// TestNEONNorms compares LayerNorm and RMSNorm with the twins. Both sum in
// a different order from the twin (four accumulators) and the twin may or
// may not fuse its multiply-adds, so outputs of size ~|gamma| get 2e-5
// relative and 2e-5 absolute; the inputs have a large mean to exercise the
// two-pass variance.
func TestNEONNorms(t *testing.T) {
	for _, shape := range neonRowShapes() {
		rows, d := shape[0], shape[1]
		for off := range 2 {
			x := neonValues(rows*d, 2, uint64(d)+11)
			for i := range x {
				x[i] += 3
			}
			gamma, beta := neonValues(d, 1.5, uint64(d)+12), neonValues(d, 0.5, uint64(d)+13)
			g := newNEONWindow(d, off).fill(gamma)
			be := newNEONWindow(d, 1-off).fill(beta)
			src := newNEONWindow(rows*d, 1-off).fill(x)
			const eps = 1e-5

			want := make([]float32, rows*d)
			genericRows.layerNorm(want, x, gamma, beta, eps)
			dst := newNEONWindow(rows*d, off)
			neonRows.layerNorm(dst.in(), src.in(), g.in(), be.in(), eps)
			what := fmt.Sprintf("layerNorm rows=%d d=%d off=%d", rows, d, off)
			if err := neonClose(dst.in(), want, 2e-5, 2e-5); err != nil {
				t.Errorf("%s: %v", what, err)
			}
			dst.checkGuards(t, what)

			genericRows.rmsNorm(want, x, gamma, eps)
			dst = newNEONWindow(rows*d, off)
			neonRows.rmsNorm(dst.in(), src.in(), g.in(), eps)
			what = fmt.Sprintf("rmsNorm rows=%d d=%d off=%d", rows, d, off)
			if err := neonClose(dst.in(), want, 2e-5, 2e-5); err != nil {
				t.Errorf("%s: %v", what, err)
			}
			dst.checkGuards(t, what)

			// In place, as AddLayerNorm runs them.
			neonRows.layerNorm(src.in(), src.in(), g.in(), be.in(), eps)
			genericRows.layerNorm(want, x, gamma, beta, eps)
			if err := neonClose(src.in(), want, 2e-5, 2e-5); err != nil {
				t.Errorf("%s in place: %v", what, err)
			}
			src.checkGuards(t, what+" in place")
		}
	}
}

// TestNEONSoftmax compares softmax with the twin, rows with blocked (-Inf)
// scores included: those must come out exactly 0. Tolerance 1e-5 relative
// (the vector exp's ~2 ulp plus the sum in another order) and 1e-9 absolute.
func TestNEONSoftmax(t *testing.T) {
	for _, shape := range append(neonRowShapes(), [2]int{4, 1000}) {
		rows, n := shape[0], shape[1]
		for off := range 2 {
			x := neonValues(rows*n, 20, uint64(n)+21)
			for i := 1; i < len(x); i += 5 {
				x[i] = float32(math.Inf(-1))
			}
			if len(x) > 3 {
				x[0], x[2] = -100, 0 // e^-100 underflows to 0 in float32
			}
			want := make([]float32, rows*n)
			genericRows.softmax(want, x, n)
			dst := newNEONWindow(rows*n, off)
			src := newNEONWindow(rows*n, 1-off).fill(x)
			neonRows.softmax(dst.in(), src.in(), n)
			what := fmt.Sprintf("softmax rows=%d n=%d off=%d", rows, n, off)
			if err := neonClose(dst.in(), want, 1e-5, 1e-9); err != nil {
				t.Errorf("%s: %v", what, err)
			}
			for i, v := range x {
				if math.IsInf(float64(v), -1) && dst.in()[i] != 0 && n > 1 && want[i] == 0 {
					t.Errorf("%s: blocked score %d gives %v, want 0", what, i, dst.in()[i])
				}
			}
			dst.checkGuards(t, what)
			neonRows.softmax(src.in(), src.in(), n)
			if err := neonClose(src.in(), dst.in(), 0, 0); err != nil {
				t.Errorf("%s in place: %v", what, err)
			}
			src.checkGuards(t, what+" in place")
		}
	}
}
