package kernels_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
)

// TestOnlineSoftmax feeds rows of scores to OnlineSoftmax in tiles of
// uneven sizes, adds each tile's P*V to the output as flash attention does,
// and checks o / l against the float64 softmax-weighted sum at every level:
// rows that start low and then grow (every rescale), a row whose first
// tiles are all -Inf (masked keys), and a row of large magnitudes.
func TestOnlineSoftmax(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		const rows, keys, w = 4, 70, 19
		scores := make([]float32, rows*keys)
		for i := range scores {
			scores[i] = float32(r.NormFloat64() * 3)
		}
		for j := 0; j < keys; j++ {
			scores[j] += float32(j) / 4 // row 0 grows: every tile raises the maximum
			if j < 40 {
				scores[keys+j] = float32(math.Inf(-1)) // row 1: the first tiles are masked
			}
			scores[3*keys+j] *= 1000 // row 3: large magnitudes
		}
		values := make([]float32, keys*w)
		for i := range values {
			values[i] = float32(r.NormFloat64())
		}
		m, l, o := make([]float32, rows), make([]float32, rows), make([]float32, rows*w)
		for i := range m {
			m[i] = float32(math.Inf(-1))
		}
		for j0, tile := 0, 0; j0 < keys; j0 += tile {
			tile = min([]int{16, 1, 33, 7, 64}[j0%5], keys-j0)
			s := make([]float32, rows*tile)
			for i := 0; i < rows; i++ {
				copy(s[i*tile:(i+1)*tile], scores[i*keys+j0:i*keys+j0+tile])
			}
			kernels.OnlineSoftmax(s, tile, m, l, o, w)
			for i := 0; i < rows; i++ {
				for j := 0; j < tile; j++ {
					kernels.AddScaled(o[i*w:(i+1)*w], s[i*tile+j], values[(j0+j)*w:(j0+j+1)*w])
				}
			}
		}
		for i := 0; i < rows; i++ {
			mx := math.Inf(-1)
			for j := 0; j < keys; j++ {
				mx = math.Max(mx, float64(scores[i*keys+j]))
			}
			var sum float64
			want := make([]float64, w)
			for j := 0; j < keys; j++ {
				e := math.Exp(float64(scores[i*keys+j]) - mx)
				sum += e
				for c := 0; c < w; c++ {
					want[c] += e * float64(values[j*w+c])
				}
			}
			for c := 0; c < w; c++ {
				got := float64(o[i*w+c] / l[i])
				if d := math.Abs(got - want[c]/sum); d > 1e-5*(1+math.Abs(want[c]/sum)) {
					t.Fatalf("row %d column %d: %v, want %v", i, c, got, want[c]/sum)
				}
			}
		}
	})
}
