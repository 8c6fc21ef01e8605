//go:build !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Shared helpers of the NEON tests: inputs, guard bands and tolerances.

// neonSentinel fills the guard bands: a quiet NaN with a payload that no
// kernel computes.
var neonSentinel = math.Float32frombits(0x7fc0dead)

// neonSizes are the lengths every elementwise kernel is tried on: every
// tail up to twice the widest loop (32 floats) and beyond, odd sizes and a
// large one.
func neonSizes() []int {
	var s []int
	for n := 0; n <= 70; n++ {
		s = append(s, n)
	}
	s = append(s, 127, 128, 129, 255, 1000)
	if !testing.Short() {
		s = append(s, 4099)
	}
	return s
}

// neonWindow is a slice of n values inside a larger slice whose other
// values hold neonSentinel; off shifts the window by whole floats, so off=1
// starts it 4 bytes past a 16-byte boundary.
type neonWindow struct {
	all    []float32
	lo, hi int
}

func newNEONWindow(n, off int) neonWindow {
	const guard = 8
	all := make([]float32, guard+off+n+guard)
	for i := range all {
		all[i] = neonSentinel
	}
	return neonWindow{all: all, lo: guard + off, hi: guard + off + n}
}

// in returns the window.
func (w neonWindow) in() []float32 { return w.all[w.lo:w.hi] }

// fill copies v into the window.
func (w neonWindow) fill(v []float32) neonWindow { copy(w.in(), v); return w }

// checkGuards reports any value outside the window that changed.
func (w neonWindow) checkGuards(t *testing.T, what string) {
	t.Helper()
	for i, v := range w.all {
		if (i < w.lo || i >= w.hi) && math.Float32bits(v) != math.Float32bits(neonSentinel) {
			t.Errorf("%s: guard value %d (window [%d, %d)) changed to %v", what, i, w.lo, w.hi, v)
			return
		}
	}
}

// neonValues returns n values uniform in [-r, r), the same for the same
// seed.
func neonValues(n int, r float32, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	v := make([]float32, n)
	for i := range v {
		v[i] = (2*rng.Float32() - 1) * r
	}
	return v
}

// neonClose reports the first element where |got-want| > abs + rel*|want|,
// treating equal NaNs and equal infinities as close.
func neonClose(got, want []float32, rel, abs float64) error {
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if g == w || math.IsNaN(g) && math.IsNaN(w) {
			continue
		}
		if !(math.Abs(g-w) <= abs+rel*math.Abs(w)) {
			return fmt.Errorf("element %d of %d: got %v, want %v (diff %.3g)", i, len(want), got[i], want[i], g-w)
		}
	}
	return nil
}
