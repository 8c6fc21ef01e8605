package runtime

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
)

// This file holds the steps that turn images and token ids into the token
// rows a transformer encoder runs on, and that pick rows back out of them.

// Patches unfolds images x [B, C, H, W] into non-overlapping patch rows
// [B, (H/p)*(W/p), C*p*p], patches in row-major order and each row's
// values in (channel, row, column) order: the order of a convolution
// kernel [D, C, p, p] flattened, so that Dense with that kernel is the
// convolution of stride p. Rows and columns past the last whole patch are
// dropped, as the convolution drops them.
func (b *Builder) Patches(x Tensor, p int) Tensor {
	s := b.Shape(x)
	if len(s) != 4 || p < 1 || s[2] < p || s[3] < p {
		b.fail(fmt.Errorf("runtime: patches of %d from images %v", p, s))
		return x
	}
	st := &patchStep{x: x, batch: s[0], c: s[1], h: s[2], w: s[3], p: p}
	st.y = b.Temp(s[0], (s[2]/p)*(s[3]/p), s[1]*p*p)
	b.Add(st, []Tensor{x}, []Tensor{st.y})
	return st.y
}

type patchStep struct {
	x, y     Tensor
	batch, c int
	h, w, p  int
}

func (s *patchStep) Run(x *Exec) {
	in, out := x.F(s.x), x.F(s.y)
	p, ph, pw := s.p, s.h/s.p, s.w/s.p
	o := 0
	for bi := 0; bi < s.batch; bi++ {
		img := in[bi*s.c*s.h*s.w : (bi+1)*s.c*s.h*s.w]
		for py := 0; py < ph; py++ {
			for px := 0; px < pw; px++ {
				for c := 0; c < s.c; c++ {
					plane := img[c*s.h*s.w:]
					for i := 0; i < p; i++ {
						row := (py*p+i)*s.w + px*p
						o += copy(out[o:o+p], plane[row:row+p])
					}
				}
			}
		}
	}
}

// PrependRow puts the constant row [D] (a class token) before the rows of
// every batch element of x [B, T, D], giving [B, T+1, D].
func (b *Builder) PrependRow(row []float32, x Tensor) Tensor {
	s := b.Shape(x)
	if len(s) != 3 || len(row) != s[2] {
		b.fail(fmt.Errorf("runtime: prepend a row of %d to %v", len(row), s))
		return x
	}
	y := b.Temp(s[0], s[1]+1, s[2])
	b.Add(&prependRowStep{row, x, y, s[0], s[1] * s[2]}, []Tensor{x}, []Tensor{y})
	return y
}

type prependRowStep struct {
	row      []float32
	x, y     Tensor
	batch, n int // n values per batch element of x
}

func (s *prependRowStep) Run(x *Exec) {
	in, out := x.F(s.x), x.F(s.y)
	d := len(s.row)
	for bi := 0; bi < s.batch; bi++ {
		dst := out[bi*(d+s.n) : (bi+1)*(d+s.n)]
		copy(dst, s.row)
		copy(dst[d:], in[bi*s.n:(bi+1)*s.n])
	}
}

// AddRows adds the constant rows [T, D] (position embeddings) to every
// batch element of x [B, T, D].
func (b *Builder) AddRows(x Tensor, rows []float32) Tensor {
	s := b.Shape(x)
	if len(s) != 3 || len(rows) != s[1]*s[2] {
		b.fail(fmt.Errorf("runtime: add %d constant values to the rows of %v", len(rows), s))
		return x
	}
	y := b.Temp(s...)
	b.Add(&addRowsStep{rows, x, y, s[0]}, []Tensor{x}, []Tensor{y})
	return y
}

type addRowsStep struct {
	rows  []float32
	x, y  Tensor
	batch int
}

func (s *addRowsStep) Run(x *Exec) {
	in, out := x.F(s.x), x.F(s.y)
	n := len(s.rows)
	for bi := 0; bi < s.batch; bi++ {
		kernels.Add(out[bi*n:(bi+1)*n], in[bi*n:(bi+1)*n], s.rows)
	}
}

// Constant returns a tensor of the given shape that holds values at the
// start of every run: the values are copied into the arena by a step, so
// later steps may read them as any other tensor (e.g. a learned query).
func (b *Builder) Constant(values []float32, shape ...int) Tensor {
	y := b.Temp(shape...)
	if b.Size(y) != len(values) {
		b.fail(fmt.Errorf("runtime: constant of %d values as %v", len(values), shape))
		return y
	}
	b.Add(&constantStep{values, y}, nil, []Tensor{y})
	return y
}

type constantStep struct {
	values []float32
	y      Tensor
}

func (s *constantStep) Run(x *Exec) { copy(x.F(s.y), s.values) }

// Token picks row i of every batch element of x [B, T, D], giving [B, D].
func (b *Builder) Token(x Tensor, i int) Tensor {
	s := b.Shape(x)
	if len(s) != 3 || i < 0 || i >= s[1] {
		b.fail(fmt.Errorf("runtime: token %d of %v", i, s))
		return x
	}
	y := b.Temp(s[0], s[2])
	b.Add(&tokenStep{x, y, s[0], s[1], s[2], i}, []Tensor{x}, []Tensor{y})
	return y
}

type tokenStep struct {
	x, y        Tensor
	batch, t, d int
	i           int
}

func (s *tokenStep) Run(x *Exec) {
	in, out := x.F(s.x), x.F(s.y)
	for bi := 0; bi < s.batch; bi++ {
		copy(out[bi*s.d:(bi+1)*s.d], in[(bi*s.t+s.i)*s.d:])
	}
}

// Embed looks token ids [B, T] (held as float32, exact below 2^24) up in
// table [V, D], giving [B, T, D]. An id outside [0, V) gives a row of zeros:
// callers that take ids from users check them first.
func (b *Builder) Embed(ids Tensor, table []float32, d int) Tensor {
	s := b.Shape(ids)
	if len(s) != 2 || d < 1 || len(table)%d != 0 {
		b.fail(fmt.Errorf("runtime: embed ids %v in a table of %d values of width %d", s, len(table), d))
		return ids
	}
	y := b.Temp(s[0], s[1], d)
	b.Add(&embedStep{ids, y, table, d}, []Tensor{ids}, []Tensor{y})
	return y
}

type embedStep struct {
	ids, y Tensor
	table  []float32
	d      int
}

func (s *embedStep) Run(x *Exec) {
	ids, out := x.F(s.ids), x.F(s.y)
	v := len(s.table) / s.d
	for i, f := range ids {
		dst := out[i*s.d : (i+1)*s.d]
		id := int(f)
		if f != float32(id) || id < 0 || id >= v {
			clear(dst)
			continue
		}
		copy(dst, s.table[id*s.d:(id+1)*s.d])
	}
}

// TokenAt picks, for every batch element, the row of x [B, T, D] at the
// first position where ids [B, T] equals id, giving [B, D]; with id < 0 it
// takes the position of the largest id instead (the first on ties). This is
// how CLIP's text tower pools its end-of-text token. A row without id
// takes the last position.
func (b *Builder) TokenAt(x, ids Tensor, id int) Tensor {
	s, is := b.Shape(x), b.Shape(ids)
	if len(s) != 3 || len(is) != 2 || is[0] != s[0] || is[1] != s[1] {
		b.fail(fmt.Errorf("runtime: token of %v at ids %v", s, is))
		return x
	}
	y := b.Temp(s[0], s[2])
	b.Add(&tokenAtStep{x, ids, y, s[0], s[1], s[2], float32(id)}, []Tensor{x, ids}, []Tensor{y})
	return y
}

type tokenAtStep struct {
	x, ids, y   Tensor
	batch, t, d int
	id          float32
}

func (s *tokenAtStep) Run(x *Exec) {
	in, ids, out := x.F(s.x), x.F(s.ids), x.F(s.y)
	for bi := 0; bi < s.batch; bi++ {
		row := ids[bi*s.t : (bi+1)*s.t]
		at := s.t - 1
		if s.id < 0 {
			at = 0
			for j, v := range row {
				if v > row[at] {
					at = j
				}
			}
		} else {
			for j, v := range row {
				if v == s.id {
					at = j
					break
				}
			}
		}
		copy(out[bi*s.d:(bi+1)*s.d], in[(bi*s.t+at)*s.d:])
	}
}

// PatchesNHWC is Patches for channels-last images x [B, H, W, C] (Keras):
// each row holds a patch's values in (row, column, channel) order, the
// order of a Keras convolution kernel [p, p, C, D] reshaped to [p*p*C, D].
func (b *Builder) PatchesNHWC(x Tensor, p int) Tensor {
	s := b.Shape(x)
	if len(s) != 4 || p < 1 || s[1] < p || s[2] < p {
		b.fail(fmt.Errorf("runtime: patches of %d from channels-last images %v", p, s))
		return x
	}
	st := &patchNHWCStep{x: x, batch: s[0], h: s[1], w: s[2], c: s[3], p: p}
	st.y = b.Temp(s[0], (s[1]/p)*(s[2]/p), p*p*s[3])
	b.Add(st, []Tensor{x}, []Tensor{st.y})
	return st.y
}

type patchNHWCStep struct {
	x, y       Tensor
	batch      int
	h, w, c, p int
}

func (s *patchNHWCStep) Run(x *Exec) {
	in, out := x.F(s.x), x.F(s.y)
	p, ph, pw, rowLen := s.p, s.h/s.p, s.w/s.p, s.p*s.c
	o := 0
	for bi := 0; bi < s.batch; bi++ {
		img := in[bi*s.h*s.w*s.c : (bi+1)*s.h*s.w*s.c]
		for py := 0; py < ph; py++ {
			for px := 0; px < pw; px++ {
				for i := 0; i < p; i++ {
					start := ((py*p+i)*s.w + px*p) * s.c
					o += copy(out[o:o+rowLen], img[start:start+rowLen])
				}
			}
		}
	}
}

// TokenLastReal picks, for every batch element, the row of x [B, T, D] at
// position count(ids != pad) - 1 (clipped to [0, T-1]): the last token of
// a right-padded sequence, where dl_techniques' CLIP pools its text.
func (b *Builder) TokenLastReal(x, ids Tensor, pad int) Tensor {
	s, is := b.Shape(x), b.Shape(ids)
	if len(s) != 3 || len(is) != 2 || is[0] != s[0] || is[1] != s[1] {
		b.fail(fmt.Errorf("runtime: last token of %v at ids %v", s, is))
		return x
	}
	y := b.Temp(s[0], s[2])
	b.Add(&tokenLastStep{x, ids, y, s[0], s[1], s[2], float32(pad)}, []Tensor{x, ids}, []Tensor{y})
	return y
}

type tokenLastStep struct {
	x, ids, y   Tensor
	batch, t, d int
	pad         float32
}

func (s *tokenLastStep) Run(x *Exec) {
	in, ids, out := x.F(s.x), x.F(s.ids), x.F(s.y)
	for bi := 0; bi < s.batch; bi++ {
		n := 0
		for _, v := range ids[bi*s.t : (bi+1)*s.t] {
			if v != s.pad {
				n++
			}
		}
		at := min(max(n-1, 0), s.t-1)
		copy(out[bi*s.d:(bi+1)*s.d], in[(bi*s.t+at)*s.d:])
	}
}
