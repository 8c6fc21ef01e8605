//go:build !purego

package kernels

import (
	"fmt"
	"testing"
)

// TestNEONPooling compares l2NormalizeRowsNEON, meanTokensRowsNEON and
// maxTokensRowsNEON with the Go loops of L2Normalize, MeanTokens and
// MaxTokens (which run at every level) on rows of every chunk tail, one and
// several rows, unaligned windows and guard bands, a zero row included
// (its factor is the 1e7 ceiling). Max must match exactly; the mean sums
// in the twin's order, so it must match exactly too; L2Normalize sums in
// another order: 1e-6 relative.
func TestNEONPooling(t *testing.T) {
	for _, shape := range append(neonRowShapes(), [2]int{5, 1}, [2]int{7, 40}) {
		rows, d := shape[0], shape[1]
		if rows == 0 {
			continue
		}
		for off := range 2 {
			what := fmt.Sprintf("rows=%d d=%d off=%d", rows, d, off)
			x := neonValues(rows*d, 3, uint64(rows*d))
			clear(x[:d]) // a zero row for L2Normalize
			src := newNEONWindow(rows*d, 1-off).fill(x)

			want := make([]float32, rows*d)
			L2Normalize(want, x, d)
			dst := newNEONWindow(rows*d, off)
			l2NormalizeRowsNEON(dst.in(), src.in(), d)
			if err := neonClose(dst.in(), want, 1e-6, 1e-30); err != nil {
				t.Errorf("l2Normalize %s: %v", what, err)
			}
			dst.checkGuards(t, "l2Normalize "+what)

			for _, c := range []struct {
				name      string
				neon, twn func(dst, x []float32, d int)
			}{
				{"meanTokens", meanTokensRowsNEON, MeanTokens},
				{"maxTokens", maxTokensRowsNEON, MaxTokens},
			} {
				want := make([]float32, d)
				c.twn(want, x, d)
				dst := newNEONWindow(d, off)
				c.neon(dst.in(), src.in(), d)
				if err := neonClose(dst.in(), want, 0, 0); err != nil {
					t.Errorf("%s %s: %v", c.name, what, err)
				}
				dst.checkGuards(t, c.name+" "+what)
			}
		}
	}
}
