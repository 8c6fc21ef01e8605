package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGatherT checks every level's query transposition against the Go twin
// (exactly: it moves values) on blocks of 8, 16 and 32 lanes (those a level
// does not use still go through its entry point), every count of rows up
// to the block, dims with and without a tail of 16 (AVX-512 transposes
// full half-blocks of a multiple of 16 dims in registers and gathers the
// rest), strided, unaligned rows and an output window with guard bands.
func TestGatherT(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, l := range Levels() {
		k := rowKernelsFor(l)
		for _, qb := range []int{8, 16, 32} {
			if k.queryBlock != 0 && qb != k.queryBlock && qb != k.queryBlock/2 {
				continue
			}
			for _, dh := range []int{1, 15, 16, 17, 32, 48, 64, 80} {
				for _, nq := range []int{1, 2, qb / 2, qb/2 + 1, qb - 1, qb} {
					name := fmt.Sprintf("%v qb=%d dh=%d nq=%d", l, qb, dh, nq)
					qs := dh + 7
					q := randSlice(rng, 1+(nq-1)*qs+dh, -1, 1)[1:]
					want := make([]float32, dh*qb)
					gatherTGeneric(want, q, nq, dh, qs)
					got, check := guarded(t, dh*qb)
					for i := range got {
						got[i] = float32(math.NaN())
					}
					k.gatherT(got, q, nq, dh, qs)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: qt[%d] = %v, want %v", name, i, got[i], want[i])
						}
					}
					check(name)
				}
			}
		}
	}
}
