package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDecodeKernels checks every level's 4-head decode kernels against the
// Go twins: every key count tail of the 4-key blocks, head dims of 1 to 4
// chunks of 16 (scores) or groups of 64 (P*V), strided unaligned rows, and
// output windows with guard bands (the gaps between the 4 heads' score
// rows are guarded too). Tolerance: within 1e-6 of the sum of the terms'
// magnitudes (a reduction tree against a running sum).
func TestDecodeKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, l := range Levels() {
		kern := rowKernelsFor(l)
		if kern.decodeScores == nil {
			kern.decodeScores, kern.decodePV, kern.decodeDimStep = decodeScoresGeneric, decodePVGeneric, 1
		}
		for _, dh := range []int{16, 48, 64, 128, 192} {
			for _, nk := range []int{1, 2, 3, 4, 5, 7, 8, 9, 17, 64} {
				name := fmt.Sprintf("%v dh=%d nk=%d", l, dh, nk)
				ks, ss := 4*dh+5, nk+3
				q := randSlice(rng, 1+4*dh, -1, 1)[1:]
				k := randSlice(rng, 1+(nk-1)*ks+4*dh, -1, 1)[1:]
				want := make([]float32, 3*ss+nk)
				decodeScoresGeneric(want, q, k, nk, dh, ks, ss, 0.3)
				got, check := guarded(t, 3*ss+nk)
				kern.decodeScores(got, q, k, nk, dh, ks, ss, 0.3)
				check(name)
				for hh := 0; hh < 4; hh++ {
					for j := 0; j < ss && hh*ss+j < len(got); j++ {
						g := got[hh*ss+j]
						if j >= nk {
							if math.Float32bits(g) != 0x7fc0dead {
								t.Fatalf("%s: gap s[%d][%d] written", name, hh, j)
							}
							continue
						}
						var mag float64
						for d := 0; d < dh; d++ {
							mag += math.Abs(float64(q[hh*dh+d] * k[j*ks+hh*dh+d]))
						}
						if w := want[hh*ss+j]; math.IsNaN(float64(g)) || math.Abs(float64(g-w)) > 1e-6*mag*0.3 {
							t.Fatalf("%s: s[%d][%d] = %v, twin %v", name, hh, j, g, w)
						}
					}
				}
				if dh%max(kern.decodeDimStep, 64) != 0 {
					continue
				}
				vs, ps := 4*dh+7, nk+2
				p := randSlice(rng, 1+3*ps+nk, 0, 1)[1:]
				v := randSlice(rng, 1+(nk-1)*vs+4*dh, -1, 1)[1:]
				wantO := make([]float32, 4*dh)
				decodePVGeneric(wantO, p, v, nk, dh, vs, ps)
				gotO, checkO := guarded(t, 4*dh)
				kern.decodePV(gotO, p, v, nk, dh, vs, ps)
				checkO(name + " P*V")
				for hh := 0; hh < 4; hh++ {
					for d := 0; d < dh; d++ {
						var mag float64
						for j := 0; j < nk; j++ {
							mag += math.Abs(float64(p[hh*ps+j] * v[j*vs+hh*dh+d]))
						}
						g, w := gotO[hh*dh+d], wantO[hh*dh+d]
						if math.IsNaN(float64(g)) || math.Abs(float64(g-w)) > 1e-6*mag {
							t.Fatalf("%s: o[%d][%d] = %v, twin %v", name, hh, d, g, w)
						}
					}
				}
			}
		}
	}
}
