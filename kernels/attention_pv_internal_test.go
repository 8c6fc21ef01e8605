package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// guarded returns a window of n values at offset 1 (unaligned) inside a
// buffer whose other values hold the NaN sentinel 0x7fc0dead, and a check
// that the guard bands kept it.
func guarded(t *testing.T, n int) ([]float32, func(string)) {
	buf := make([]float32, n+33)
	for i := range buf {
		buf[i] = math.Float32frombits(0x7fc0dead)
	}
	return buf[1 : 1+n], func(name string) {
		t.Helper()
		for i, x := range buf {
			if (i < 1 || i >= 1+n) && math.Float32bits(x) != 0x7fc0dead {
				t.Fatalf("%s: guard value %d changed to %v", name, i, x)
			}
		}
	}
}

func randSlice(rng *rand.Rand, n int, lo, hi float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return x
}

// TestPVOutT checks every level's transposed P*V kernel against the Go
// twin on blocks of 16 and 32 lanes, every dims tail up to 2 groups (the
// assembly takes 8 or 16 dims at a time and then one), key counts odd and
// even, an unaligned, strided V and an output window with guard bands.
// Tolerance: each value within 1e-6 of the sum of its terms' magnitudes
// (float32 FMAs against separate products and sums, in the same order).
func TestPVOutT(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	dims := []int{1, 3, 7, 8, 9, 15, 16, 17, 24, 31, 33, 64, 80, 130}
	keys := []int{1, 2, 3, 8, 9, 64, 65}
	for _, l := range Levels() {
		pv := rowKernelsFor(l).pvOutT
		if pv == nil {
			pv = pvOutTGeneric
		}
		for _, qb := range []int{16, 32} {
			for _, dh := range dims {
				for _, nk := range keys {
					name := fmt.Sprintf("%v qb=%d dh=%d nk=%d", l, qb, dh, nk)
					vs := dh + 5
					st := randSlice(rng, nk*qb, 0, 1)
					v := randSlice(rng, 1+(nk-1)*vs+dh, -1, 1)[1:]
					c := randSlice(rng, qb, 0, 1)
					ot0 := randSlice(rng, dh*qb, -1, 1)
					want := append([]float32(nil), ot0...)
					pvOutTGeneric(want, st, v, c, nk, dh, vs)
					got, check := guarded(t, dh*qb)
					copy(got, ot0)
					pv(got, st, v, c, nk, dh, vs)
					check(name)
					for d := 0; d < dh; d++ {
						for r := 0; r < qb; r++ {
							mag := math.Abs(float64(ot0[d*qb+r] * c[r]))
							for j := 0; j < nk; j++ {
								mag += math.Abs(float64(st[j*qb+r] * v[j*vs+d]))
							}
							g, w := got[d*qb+r], want[d*qb+r]
							if math.IsNaN(float64(g)) || math.Abs(float64(g-w)) > 1e-6*mag {
								t.Fatalf("%s: ot[%d][%d] = %v, twin %v", name, d, r, g, w)
							}
						}
					}
				}
			}
		}
	}
}

// TestOutT checks every level's write-back of the transposed output
// against the Go twin, bit for bit: a partial block, every dims tail up to
// 2 chunks of 16, strided output rows whose gaps are guard bands too.
func TestOutT(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, l := range Levels() {
		outT := rowKernelsFor(l).outT
		for _, qb := range []int{16, 32} {
			for _, dh := range []int{1, 5, 15, 16, 17, 31, 32, 33, 64, 80} {
				for _, nq := range []int{1, 7, qb - 1, qb} {
					name := fmt.Sprintf("%v qb=%d dh=%d nq=%d", l, qb, dh, nq)
					os := dh + 3
					ot := randSlice(rng, dh*qb, -1, 1)
					lsum := randSlice(rng, qb, 0.5, 4)
					n := (nq-1)*os + dh
					want := make([]float32, n)
					outTGeneric(want, ot, lsum, nq, dh, os)
					got, check := guarded(t, n)
					outT(got, ot, lsum, nq, dh, os)
					check(name)
					for i := range got {
						if i%os >= dh {
							if math.Float32bits(got[i]) != 0x7fc0dead {
								t.Fatalf("%s: gap value %d written", name, i)
							}
							continue
						}
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: out[%d] = %v, twin %v", name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
