package generate

import (
	"math"
	"testing"
)

var sinkF float64

// BenchmarkSumExp compares the inline exponential of the normaliser with
// math.Exp on one row of V=32000.
func BenchmarkSumExp(b *testing.B) {
	row := newBenchStepper(32000).rows[0]
	_, m, _, _ := rowStats(row)
	b.Run("inline", func(b *testing.B) {
		for b.Loop() {
			sinkF = sumExp(row, m)
		}
	})
	b.Run("math.Exp", func(b *testing.B) {
		for b.Loop() {
			s := 0.0
			for _, x := range row {
				s += math.Exp(float64(x) - m)
			}
			sinkF = s
		}
	})
}
