package kernels

import (
	"fmt"
	"math"
)

// OnlineSoftmax folds a tile of scores into the running state of a softmax
// computed a tile of keys at a time (the online softmax of flash
// attention), for rows rows: s holds each row's n scores, m and l each
// row's running maximum and sum of exponentials, and o each row's running
// output of width w (the sum of exp(score - m) times the value rows). For
// each row, with m' = max(m, max(s)), it sets s = exp(s - m'),
// l = l exp(m - m') + sum(s), o = o exp(m - m') and m = m'. Start with m =
// -Inf, l = 0 and o = 0; after the last tile, with the tiles' P*V added
// to o, the softmax-weighted output is o / l. A row whose scores are all
// -Inf so far keeps m = -Inf and gives no weight. It allocates nothing.
func OnlineSoftmax(s []float32, n int, m, l, o []float32, w int) {
	rows := len(m)
	if n <= 0 || len(s) != rows*n || len(l) != rows || w < 0 || len(o) != rows*w {
		panic(fmt.Sprintf("kernels: OnlineSoftmax: %d rows of %d scores in %d, sums %d, output %d of width %d",
			rows, n, len(s), len(l), len(o), w))
	}
	for r := 0; r < rows; r++ {
		row := s[r*n : (r+1)*n]
		tm := m[r]
		for _, v := range row {
			tm = max(tm, v)
		}
		if math.IsInf(float64(tm), -1) { // nothing kept yet
			clear(row)
			continue
		}
		if tm > m[r] {
			c := float32(math.Exp(float64(m[r] - tm))) // 0 when m was -Inf
			l[r] *= c
			out := o[r*w : (r+1)*w]
			rowImpl.scale(out, out, c)
			m[r] = tm
		}
		l[r] += rowImpl.expSum(row, row, tm)
	}
}
