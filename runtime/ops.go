package runtime

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
)

// This file holds the steps that heads build plans from. Each op declares
// its output tensor, appends one step and returns the output.

// rowsOf splits shape into leading rows and the last axis.
func rowsOf(shape []int) (rows, last int) {
	if len(shape) == 0 {
		return 1, 1
	}
	rows = 1
	for _, d := range shape[:len(shape)-1] {
		rows *= d
	}
	return rows, shape[len(shape)-1]
}

func withLast(shape []int, last int) []int {
	out := append([]int(nil), shape...)
	if len(out) == 0 {
		return []int{last}
	}
	out[len(out)-1] = last
	return out
}

// Dense computes act(x W + bias) on the last axis of x.
func (b *Builder) Dense(x Tensor, w *kernels.PackedWeights, act kernels.Activation) Tensor {
	shape := b.Shape(x)
	rows, k := rowsOf(shape)
	if k != w.K() {
		b.fail(fmt.Errorf("runtime: dense: input %v, weights %d x %d", shape, w.K(), w.N()))
		return x
	}
	y := b.Temp(withLast(shape, w.N())...)
	b.Add(&denseStep{x: x, y: y, w: w, act: act, rows: rows}, []Tensor{x}, []Tensor{y})
	return y
}

type denseStep struct {
	x, y Tensor
	w    *kernels.PackedWeights
	act  kernels.Activation
	rows int
}

// NewState gives each session its own task state for products split over
// its pool, so that runs allocate nothing even after the collector empties
// the kernels' shared pool of tasks.
func (s *denseStep) NewState() any { return new(kernels.MatMulTask) }

func (s *denseStep) Run(x *Exec) {
	s.w.MatMulWith(x.State().(*kernels.MatMulTask), x.Pool, x.F(s.y), s.w.N(), x.F(s.x), s.w.K(), s.rows, s.act)
}

// Norm is a normalisation layer's weights: LayerNorm when Beta is set,
// RMSNorm otherwise.
type Norm struct {
	Gamma, Beta []float32 // Gamma is RMSNorm's scale
	Eps         float32
}

// Normalize applies n to the last axis of x, after adding residual when
// residual is not nil (the post-norm residual of a transformer layer).
func (b *Builder) Normalize(n Norm, x Tensor, residual *Tensor) Tensor {
	shape := b.Shape(x)
	if _, d := rowsOf(shape); d != len(n.Gamma) {
		b.fail(fmt.Errorf("runtime: norm: input %v, weights [%d]", shape, len(n.Gamma)))
		return x
	}
	y := b.Temp(shape...)
	reads := []Tensor{x}
	s := &normStep{n: n, x: x, y: y}
	if residual != nil {
		if b.Size(*residual) != b.Size(x) {
			b.fail(fmt.Errorf("runtime: norm: residual %v, input %v", b.Shape(*residual), shape))
			return x
		}
		s.r, s.hasR = *residual, true
		reads = append(reads, *residual)
	}
	b.Add(s, reads, []Tensor{y})
	return y
}

type normStep struct {
	n    Norm
	x, y Tensor
	r    Tensor
	hasR bool
}

func (s *normStep) Run(x *Exec) {
	in, out := x.F(s.x), x.F(s.y)
	switch {
	case s.hasR && s.n.Beta != nil:
		kernels.AddLayerNorm(out, in, x.F(s.r), s.n.Gamma, s.n.Beta, s.n.Eps)
	case s.hasR:
		kernels.AddRMSNorm(out, in, x.F(s.r), s.n.Gamma, s.n.Eps)
	case s.n.Beta != nil:
		kernels.LayerNorm(out, in, s.n.Gamma, s.n.Beta, s.n.Eps)
	default:
		kernels.RMSNorm(out, in, s.n.Gamma, s.n.Eps)
	}
}

// Elementwise names a binary elementwise op.
type Elementwise uint8

// The binary elementwise ops.
const (
	OpAdd Elementwise = iota
	OpMul
)

// Binary computes x op y elementwise for tensors of one shape.
func (b *Builder) Binary(op Elementwise, x, y Tensor) Tensor {
	if b.Size(x) != b.Size(y) {
		b.fail(fmt.Errorf("runtime: elementwise: shapes %v and %v", b.Shape(x), b.Shape(y)))
		return x
	}
	z := b.Temp(b.Shape(x)...)
	b.Add(&binaryStep{op, x, y, z}, []Tensor{x, y}, []Tensor{z})
	return z
}

type binaryStep struct {
	op      Elementwise
	x, y, z Tensor
}

func (s *binaryStep) Run(x *Exec) {
	if s.op == OpAdd {
		kernels.Add(x.F(s.z), x.F(s.x), x.F(s.y))
	} else {
		kernels.Mul(x.F(s.z), x.F(s.x), x.F(s.y))
	}
}

// Activate applies act elementwise.
func (b *Builder) Activate(x Tensor, act kernels.Activation) Tensor {
	y := b.Temp(b.Shape(x)...)
	b.Add(&actStep{act, x, y}, []Tensor{x}, []Tensor{y})
	return y
}

type actStep struct {
	act  kernels.Activation
	x, y Tensor
}

func (s *actStep) Run(x *Exec) { s.act.Apply(x.F(s.y), x.F(s.x)) }

// Concat joins tensors along their last axis; their leading dimensions
// must agree.
func (b *Builder) Concat(xs ...Tensor) Tensor {
	rows, _ := rowsOf(b.Shape(xs[0]))
	widths := make([]int, len(xs))
	total := 0
	for i, t := range xs {
		r, w := rowsOf(b.Shape(t))
		if r != rows {
			b.fail(fmt.Errorf("runtime: concat: shapes %v and %v", b.Shape(xs[0]), b.Shape(t)))
			return xs[0]
		}
		widths[i] = w
		total += w
	}
	y := b.Temp(withLast(b.Shape(xs[0]), total)...)
	b.Add(&concatStep{xs: append([]Tensor(nil), xs...), widths: widths, y: y, rows: rows, total: total}, xs, []Tensor{y})
	return y
}

type concatStep struct {
	xs     []Tensor
	widths []int
	y      Tensor
	rows   int
	total  int
}

func (s *concatStep) Run(x *Exec) {
	out := x.F(s.y)
	col := 0
	for i, t := range s.xs {
		in, w := x.F(t), s.widths[i]
		for r := 0; r < s.rows; r++ {
			copy(out[r*s.total+col:r*s.total+col+w], in[r*w:(r+1)*w])
		}
		col += w
	}
}

// Pooling names a reduction over the token axis.
type Pooling uint8

// The token poolings of SPEC.md section 2.
const (
	PoolMean Pooling = iota
	PoolMax
)

// Pool reduces x [B, T, D] over its token axis to [B, D].
func (b *Builder) Pool(x Tensor, p Pooling) Tensor {
	shape := b.Shape(x)
	if len(shape) != 3 || shape[1] == 0 || shape[2] == 0 {
		b.fail(fmt.Errorf("runtime: pool: want [batch, tokens, dim] with at least one token and one dim, got %v", shape))
		return x
	}
	y := b.Temp(shape[0], shape[2])
	b.Add(&poolStep{p, x, y, shape[0], shape[1] * shape[2], shape[2]}, []Tensor{x}, []Tensor{y})
	return y
}

type poolStep struct {
	p         Pooling
	x, y      Tensor
	batch, in int
	d         int
}

func (s *poolStep) Run(x *Exec) {
	in, out := x.F(s.x), x.F(s.y)
	for i := 0; i < s.batch; i++ {
		if s.p == PoolMean {
			kernels.MeanTokens(out[i*s.d:(i+1)*s.d], in[i*s.in:(i+1)*s.in], s.d)
		} else {
			kernels.MaxTokens(out[i*s.d:(i+1)*s.d], in[i*s.in:(i+1)*s.in], s.d)
		}
	}
}

// Repeat tiles x [B, D] into [B, n, D].
func (b *Builder) Repeat(x Tensor, n int) Tensor {
	shape := b.Shape(x)
	if len(shape) != 2 {
		b.fail(fmt.Errorf("runtime: repeat: want rank 2, got %v", shape))
		return x
	}
	y := b.Temp(shape[0], n, shape[1])
	b.Add(&repeatStep{x, y, shape[0], n, shape[1]}, []Tensor{x}, []Tensor{y})
	return y
}

type repeatStep struct {
	x, y     Tensor
	batch, n int
	d        int
}

func (s *repeatStep) Run(x *Exec) {
	in, out := x.F(s.x), x.F(s.y)
	for i := 0; i < s.batch; i++ {
		row := in[i*s.d : (i+1)*s.d]
		for j := 0; j < s.n; j++ {
			copy(out[(i*s.n+j)*s.d:], row)
		}
	}
}

// Outer computes, row by row, the outer product of x1 [.., P] and x2
// [.., Q] flattened to [.., P*Q]: out[p*Q+q] = x1[p] * x2[q].
func (b *Builder) Outer(x1, x2 Tensor) Tensor {
	r1, p := rowsOf(b.Shape(x1))
	r2, q := rowsOf(b.Shape(x2))
	if r1 != r2 {
		b.fail(fmt.Errorf("runtime: outer: shapes %v and %v", b.Shape(x1), b.Shape(x2)))
		return x1
	}
	y := b.Temp(withLast(b.Shape(x1), p*q)...)
	b.Add(&outerStep{x1, x2, y, r1, p, q}, []Tensor{x1, x2}, []Tensor{y})
	return y
}

type outerStep struct {
	x1, x2, y Tensor
	rows      int
	p, q      int
}

func (s *outerStep) Run(x *Exec) {
	a, c, out := x.F(s.x1), x.F(s.x2), x.F(s.y)
	for r := 0; r < s.rows; r++ {
		row2 := c[r*s.q : (r+1)*s.q]
		for i, v := range a[r*s.p : (r+1)*s.p] {
			dst := out[(r*s.p+i)*s.q : (r*s.p+i+1)*s.q]
			for j, w := range row2 {
				dst[j] = v * w
			}
		}
	}
}

// DenseAdd computes act(x W + add) on the last axis of x, where W has no
// bias of its own and add either has the output's shape or, for x
// [B, N, K], the shape [B, Nout]: one row per batch element, shared by its
// N rows. It serves products split by rows of W, such as a fusion's
// concat(x1, x2) W = x1 W_top + (x2 W_bottom + b), whose second part is
// computed once per image when x2 is the same for every row.
func (b *Builder) DenseAdd(x Tensor, w *kernels.PackedWeights, add Tensor, act kernels.Activation) Tensor {
	shape := b.Shape(x)
	rows, k := rowsOf(shape)
	if k != w.K() {
		b.fail(fmt.Errorf("runtime: dense: input %v, weights %d x %d", shape, w.K(), w.N()))
		return x
	}
	y := b.Temp(withLast(shape, w.N())...)
	per := rows // rows of x that share one row of add
	switch as := b.Shape(add); {
	case b.Size(add) == b.Size(y):
		per = 1
	case len(shape) == 3 && len(as) == 2 && as[0] == shape[0] && as[1] == w.N():
		per = shape[1]
	default:
		b.fail(fmt.Errorf("runtime: dense add: output %v, addend %v", b.Shape(y), as))
		return x
	}
	b.Add(&denseAddStep{denseStep{x: x, y: y, w: w, act: act, rows: rows}, add, per}, []Tensor{x, add}, []Tensor{y})
	return y
}

type denseAddStep struct {
	denseStep
	add Tensor
	per int // output rows per row of add
}

func (s *denseAddStep) Run(x *Exec) {
	y, add, n := x.F(s.y), x.F(s.add), s.w.N()
	s.w.MatMulWith(x.State().(*kernels.MatMulTask), x.Pool, y, n, x.F(s.x), s.w.K(), s.rows, kernels.ActNone)
	for r := 0; r < s.rows; r++ {
		row := y[r*n : (r+1)*n]
		kernels.Add(row, row, add[r/s.per*n:(r/s.per+1)*n])
	}
	if s.act != kernels.ActNone {
		s.act.Apply(y, y)
	}
}
