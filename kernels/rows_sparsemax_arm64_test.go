//go:build !purego

package kernels

import (
	"fmt"
	"math"
	"testing"
)

// sparsemaxNEONSizes are the row lengths of TestSparsemaxNEON: every tail
// of the 16-value loop up to 40, a ViT-B score row (197), a 24x24+1 one
// (577) and a long one.
func sparsemaxNEONSizes() []int {
	var s []int
	for n := 0; n <= 40; n++ {
		s = append(s, n)
	}
	return append(s, 197, 577, 1000)
}

// sparsemaxNEONInputs are the rows of TestSparsemaxNEON, by what each
// checks: spreads that keep many, some or one value; ties; a masked score
// and blocked keys (-1e9, -Inf); values that make every output NaN (a NaN
// or +Inf anywhere gives a NaN maximum or z - tau = -Inf + Inf); and rows
// of one repeated value, where tau is exactly -1/n.
func sparsemaxNEONInputs(n int) []struct {
	name string
	x    []float32
} {
	inf := float32(math.Inf(1))
	with := func(x []float32, at int, v ...float32) []float32 {
		for i, w := range v {
			if at+i >= 0 && at+i < len(x) {
				x[at+i] = w
			}
		}
		return x
	}
	return []struct {
		name string
		x    []float32
	}{
		{"uniform 0.1", neonValues(n, 0.1, uint64(n)+1)},
		{"uniform 2", neonValues(n, 2, uint64(n)+2)},
		{"uniform 50", neonValues(n, 50, uint64(n)+3)},
		{"ties and -1e9", with(neonValues(n, 3, uint64(n)+4), n/2, 2.5, 2.5, 2.5, -1e9)},
		{"-Inf keys", with(neonValues(n, 1, uint64(n)+5), n/3, -inf, 0.5, -inf)},
		{"all -Inf", with(make([]float32, n), 0, repeat(-inf, n)...)},
		{"a +Inf", with(neonValues(n, 1, uint64(n)+6), n-1, inf)},
		{"a NaN", with(neonValues(n, 1, uint64(n)+7), n/2, float32(math.NaN()))},
		{"all equal", repeat(0.75, n)},
		{"all equal -3e38", repeat(-3e38, n)},
		{"±3e38 (z overflows to -Inf)", with(neonValues(n, 3e38, uint64(n)+8), 0, 3e38, -3e38)},
	}
}

func repeat(v float32, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = v
	}
	return x
}

// TestSparsemaxNEON compares sparsemaxNEON with its Go twin sparsemaxRow on
// every tail, unaligned windows and guard bands around dst and zs, and in
// place. zs = x - max(x) rounds once in both, so it must match bit for
// bit; the outputs are z - tau, and tau comes from a float32 sum taken in
// a different order (16 lanes, then the tail), so they may differ by a few
// ulps of the largest kept |z| (at least 1, the scale of 1/count): we
// allow 4 + n/64 such ulps.
func TestSparsemaxNEON(t *testing.T) {
	for _, n := range sparsemaxNEONSizes() {
		for _, in := range sparsemaxNEONInputs(n) {
			for off := range 2 {
				what := fmt.Sprintf("n=%d %s off=%d", n, in.name, off)
				want, wantZ := make([]float32, n), make([]float32, n)
				sparsemaxRow(want, in.x, wantZ)

				src := newNEONWindow(n, 1-off).fill(in.x)
				dst, zs := newNEONWindow(n, off), newNEONWindow(n, 1-off)
				sparsemaxNEON(dst.in(), src.in(), zs.in())
				dst.checkGuards(t, what+" dst")
				zs.checkGuards(t, what+" zs")
				src.checkGuards(t, what+" x")
				if err := neonClose(zs.in(), wantZ, 0, 0); err != nil {
					t.Errorf("%s: zs: %v", what, err)
				}
				big := 1.0
				for i, p := range want {
					if p > 0 {
						big = max(big, math.Abs(float64(wantZ[i])))
					}
				}
				tol := (4 + float64(n)/64) * big * 0x1p-23
				if err := neonClose(dst.in(), want, 0, tol); err != nil {
					t.Errorf("%s: %v", what, err)
				}
				for i, v := range dst.in() {
					if math.IsNaN(float64(v)) != math.IsNaN(float64(want[i])) {
						t.Errorf("%s: element %d = %v, twin %v", what, i, v, want[i])
						break
					}
				}

				// In place: dst is x, and the result is the same bits.
				sparsemaxNEON(src.in(), src.in(), zs.in())
				src.checkGuards(t, what+" in place")
				if err := neonClose(src.in(), dst.in(), 0, 0); err != nil {
					t.Errorf("%s in place: %v", what, err)
				}
			}
		}
	}
}

// TestSparsemaxNEONShortScratch checks that the wrapper refuses a dst or
// zs shorter than x instead of letting the kernel write past them.
func TestSparsemaxNEONShortScratch(t *testing.T) {
	x := neonValues(9, 1, 1)
	for _, tc := range []struct {
		name    string
		dst, zs []float32
	}{
		{"short dst", make([]float32, 8), make([]float32, 9)},
		{"short zs", make([]float32, 9), make([]float32, 8)},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			sparsemaxNEON(tc.dst, x, tc.zs)
		}()
	}
}
