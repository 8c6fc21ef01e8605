package runtime

import "fmt"

// TopK selects, for every batch element, the k highest scores of
// scores [B, N] in descending order, the lower index first on ties. It
// returns the scores [B, k] and their indices [B, k], stored as float32
// (exact for any index below 2^24).
func (b *Builder) TopK(scores Tensor, k int) (values, indices Tensor) {
	s := b.Shape(scores)
	if len(s) != 2 || k < 1 || k > s[1] {
		b.fail(fmt.Errorf("runtime: top-%d of scores %v", k, s))
		return scores, scores
	}
	values, indices = b.Temp(s[0], k), b.Temp(s[0], k)
	b.Add(&topKStep{scores, values, indices, s[0], s[1], k}, []Tensor{scores}, []Tensor{values, indices})
	return values, indices
}

type topKStep struct {
	scores, values, indices Tensor
	batch, n, k             int
}

// Run selects by repeated arg-max passes: k is small (regions of an image),
// and the pass keeps the order rule plain and allocation-free.
func (s *topKStep) Run(x *Exec) {
	scores, values, indices := x.F(s.scores), x.F(s.values), x.F(s.indices)
	for bi := 0; bi < s.batch; bi++ {
		row := scores[bi*s.n : (bi+1)*s.n]
		for j := 0; j < s.k; j++ {
			best := -1
			for i, v := range row {
				if s.taken(indices[bi*s.k:bi*s.k+j], i) {
					continue
				}
				if best < 0 || v > row[best] {
					best = i
				}
			}
			values[bi*s.k+j], indices[bi*s.k+j] = row[best], float32(best)
		}
	}
}

func (s *topKStep) taken(chosen []float32, i int) bool {
	for _, c := range chosen {
		if int(c) == i {
			return true
		}
	}
	return false
}

// Gather picks rows of x [B, N, D] by indices [B, K] (as TopK returns them)
// and returns them as [B, K, D].
func (b *Builder) Gather(x, indices Tensor) Tensor {
	xs, is := b.Shape(x), b.Shape(indices)
	if len(xs) != 3 || len(is) != 2 || xs[0] != is[0] {
		b.fail(fmt.Errorf("runtime: gather rows of %v by %v", xs, is))
		return x
	}
	y := b.Temp(xs[0], is[1], xs[2])
	b.Add(&gatherStep{x, indices, y, xs[0], xs[1], is[1], xs[2]}, []Tensor{x, indices}, []Tensor{y})
	return y
}

type gatherStep struct {
	x, indices, y Tensor
	batch, n, k   int
	d             int
}

func (s *gatherStep) Run(x *Exec) {
	in, idx, out := x.F(s.x), x.F(s.indices), x.F(s.y)
	for bi := 0; bi < s.batch; bi++ {
		for j := 0; j < s.k; j++ {
			i := min(max(int(idx[bi*s.k+j]), 0), s.n-1)
			copy(out[(bi*s.k+j)*s.d:(bi*s.k+j+1)*s.d], in[(bi*s.n+i)*s.d:])
		}
	}
}

// PrependRows builds, for every batch element b and every row k of
// prefix [B, K, W], the sequence prefix[b, k] followed by rows[b] [N, W]:
// the result is [B*K, 1+N, W].
func (b *Builder) PrependRows(prefix, rows Tensor) Tensor {
	ps, rs := b.Shape(prefix), b.Shape(rows)
	if len(ps) != 3 || len(rs) != 3 || ps[0] != rs[0] || ps[2] != rs[2] {
		b.fail(fmt.Errorf("runtime: prepend rows %v to %v", ps, rs))
		return rows
	}
	y := b.Temp(ps[0]*ps[1], 1+rs[1], rs[2])
	b.Add(&prependStep{prefix, rows, y, ps[0], ps[1], rs[1], rs[2]}, []Tensor{prefix, rows}, []Tensor{y})
	return y
}

type prependStep struct {
	prefix, rows, y Tensor
	batch, k, n     int
	w               int
}

func (s *prependStep) Run(x *Exec) {
	pre, rows, out := x.F(s.prefix), x.F(s.rows), x.F(s.y)
	seq := (1 + s.n) * s.w
	for bi := 0; bi < s.batch; bi++ {
		src := rows[bi*s.n*s.w : (bi+1)*s.n*s.w]
		for j := 0; j < s.k; j++ {
			dst := out[(bi*s.k+j)*seq : (bi*s.k+j+1)*seq]
			copy(dst[:s.w], pre[(bi*s.k+j)*s.w:])
			copy(dst[s.w:], src)
		}
	}
}

// ConcatTokens joins tensors [B, Ti, D] along the token axis into
// [B, sum Ti, D].
func (b *Builder) ConcatTokens(xs ...Tensor) Tensor {
	first := b.Shape(xs[0])
	tokens := make([]int, len(xs))
	total := 0
	for i, t := range xs {
		s := b.Shape(t)
		if len(s) != 3 || len(first) != 3 || s[0] != first[0] || s[2] != first[2] {
			b.fail(fmt.Errorf("runtime: concat tokens of %v and %v", first, s))
			return xs[0]
		}
		tokens[i] = s[1]
		total += s[1]
	}
	y := b.Temp(first[0], total, first[2])
	b.Add(&concatTokensStep{append([]Tensor(nil), xs...), tokens, y, first[0], total, first[2]}, xs, []Tensor{y})
	return y
}

type concatTokensStep struct {
	xs     []Tensor
	tokens []int
	y      Tensor
	batch  int
	total  int
	d      int
}

func (s *concatTokensStep) Run(x *Exec) {
	out := x.F(s.y)
	at := 0
	for i, t := range s.xs {
		in, n := x.F(t), s.tokens[i]*s.d
		for bi := 0; bi < s.batch; bi++ {
			copy(out[bi*s.total*s.d+at:], in[bi*n:(bi+1)*n])
		}
		at += n
	}
}
