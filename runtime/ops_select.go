package runtime

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
)

// SelectMax picks, for every batch element, the row of x [B, N, D] whose
// score in scores [B, N] is highest (the lowest index on ties) and returns
// those rows as [B, D].
func (b *Builder) SelectMax(scores, x Tensor) Tensor {
	ss, xs := b.Shape(scores), b.Shape(x)
	if len(ss) != 2 || len(xs) != 3 || ss[0] != xs[0] || ss[1] != xs[1] {
		b.fail(fmt.Errorf("runtime: select max: scores %v, rows %v", ss, xs))
		return x
	}
	y := b.Temp(xs[0], xs[2])
	b.Add(&selectMaxStep{scores, x, y, xs[0], xs[1], xs[2]}, []Tensor{scores, x}, []Tensor{y})
	return y
}

type selectMaxStep struct {
	scores, x, y Tensor
	batch, n, d  int
}

func (s *selectMaxStep) Run(x *Exec) {
	scores, in, out := x.F(s.scores), x.F(s.x), x.F(s.y)
	for i := 0; i < s.batch; i++ {
		row := scores[i*s.n : (i+1)*s.n]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		copy(out[i*s.d:(i+1)*s.d], in[(i*s.n+best)*s.d:])
	}
}

// L2Normalize scales every row of x (its last axis) to unit length, with
// the reference's clamp (SPEC.md 2).
func (b *Builder) L2Normalize(x Tensor) Tensor {
	_, d := rowsOf(b.Shape(x))
	y := b.Temp(b.Shape(x)...)
	b.Add(&l2Step{x, y, d}, []Tensor{x}, []Tensor{y})
	return y
}

type l2Step struct {
	x, y Tensor
	d    int
}

func (s *l2Step) Run(x *Exec) { kernels.L2Normalize(x.F(s.y), x.F(s.x), s.d) }

// RowDots computes, for every batch element, the products of the rows of
// a [B, M, K] with the rows of c [B, N, K], divided by divisor:
// out[b, i, j] = (a[b, i] . c[b, j]) / divisor, shape [B, M, N].
func (b *Builder) RowDots(a, c Tensor, divisor float32) Tensor {
	as, cs := b.Shape(a), b.Shape(c)
	if len(as) != 3 || len(cs) != 3 || as[0] != cs[0] || as[2] != cs[2] {
		b.fail(fmt.Errorf("runtime: row dots: shapes %v and %v", as, cs))
		return a
	}
	y := b.Temp(as[0], as[1], cs[1])
	b.Add(&rowDotsStep{a, c, y, as[0], as[1], cs[1], as[2], divisor}, []Tensor{a, c}, []Tensor{y})
	return y
}

type rowDotsStep struct {
	a, c, y Tensor
	batch   int
	m, n, k int
	divisor float32
}

func (s *rowDotsStep) Run(x *Exec) {
	a, c, out := x.F(s.a), x.F(s.c), x.F(s.y)
	for bi := 0; bi < s.batch; bi++ {
		for i := 0; i < s.m; i++ {
			ra := a[(bi*s.m+i)*s.k : (bi*s.m+i+1)*s.k]
			for j := 0; j < s.n; j++ {
				rc := c[(bi*s.n+j)*s.k : (bi*s.n+j+1)*s.k]
				out[(bi*s.m+i)*s.n+j] = kernels.Dot(ra, rc) / s.divisor
			}
		}
	}
}

// Divide returns x / divisor elementwise.
func (b *Builder) Divide(x Tensor, divisor float32) Tensor {
	y := b.Temp(b.Shape(x)...)
	b.Add(&divideStep{x, y, divisor}, []Tensor{x}, []Tensor{y})
	return y
}

type divideStep struct {
	x, y    Tensor
	divisor float32
}

func (s *divideStep) Run(x *Exec) {
	out := x.F(s.y)
	for i, v := range x.F(s.x) {
		out[i] = v / s.divisor
	}
}
