package runtime

import "fmt"

// Rotate applies rotary position embeddings in place to heads blocks of
// headDim columns of x [B, S, *], starting at column col: in every head,
// the pairs (2i, 2i+1) of its first 2*len(cos[0]) values turn by the angle
// of their row's position s, (a, b) -> (a cos - b sin, a sin + b cos) with
// cos = cos[s*half+i] and sin likewise, tables [maxPositions, half]
// (interleaved pairs, as dl_techniques' RotaryPositionEmbedding). The
// rest of a head passes through. It returns x.
func (b *Builder) Rotate(x Tensor, col, heads, headDim int, cos, sin []float32, half int) Tensor {
	s := b.Shape(x)
	if len(s) != 3 || col < 0 || col+heads*headDim > s[2] || half < 1 || 2*half > headDim ||
		len(cos) != len(sin) || len(cos)%half != 0 || len(cos)/half < s[1] {
		b.fail(fmt.Errorf("runtime: rotate %d heads of %d at column %d of %v with tables of %d x %d",
			heads, headDim, col, s, len(cos)/max(half, 1), half))
		return x
	}
	y := b.Temp(s...)
	b.Add(&rotateStep{x: x, y: y, batch: s[0], rows: s[1], width: s[2], col: col, heads: heads,
		dh: headDim, half: half, cos: cos, sin: sin}, []Tensor{x}, []Tensor{y})
	return y
}

type rotateStep struct {
	x, y                 Tensor
	batch, rows, width   int
	col, heads, dh, half int
	cos, sin             []float32
}

func (s *rotateStep) Run(x *Exec) {
	in, out := x.F(s.x), x.F(s.y)
	copy(out, in)
	for r := 0; r < s.batch*s.rows; r++ {
		pos := r % s.rows
		c, sn := s.cos[pos*s.half:(pos+1)*s.half], s.sin[pos*s.half:(pos+1)*s.half]
		row := out[r*s.width+s.col : r*s.width+s.col+s.heads*s.dh]
		for h := 0; h < s.heads; h++ {
			v := row[h*s.dh : h*s.dh+2*s.half]
			for i := range s.half {
				a, bv := v[2*i], v[2*i+1]
				v[2*i] = a*c[i] - bv*sn[i]
				v[2*i+1] = a*sn[i] + bv*c[i]
			}
		}
	}
}

// RepeatHeads widens a block of kvHeads heads of headDim columns of x [B,
// S, *], starting at column col, to heads = g*kvHeads heads by repeating
// each g times in place (query head h reads kv head h/g): the keys and
// values of grouped-query attention as multi-head attention reads them.
func (b *Builder) RepeatHeads(x Tensor, col, kvHeads, heads, headDim int) Tensor {
	s := b.Shape(x)
	if len(s) != 3 || kvHeads < 1 || heads%kvHeads != 0 || col < 0 || col+kvHeads*headDim > s[2] {
		b.fail(fmt.Errorf("runtime: repeat %d heads of %d at column %d of %v to %d", kvHeads, headDim, col, s, heads))
		return x
	}
	y := b.Temp(s[0], s[1], heads*headDim)
	b.Add(&repeatHeadsStep{x, y, s[0] * s[1], s[2], col, kvHeads, heads / kvHeads, headDim}, []Tensor{x}, []Tensor{y})
	return y
}

type repeatHeadsStep struct {
	x, y           Tensor
	rows, width    int
	col, kv, g, dh int
}

func (s *repeatHeadsStep) Run(x *Exec) {
	in, out := x.F(s.x), x.F(s.y)
	w := s.kv * s.g * s.dh
	for r := range s.rows {
		src := in[r*s.width+s.col:]
		dst := out[r*w : (r+1)*w]
		for h := range s.kv * s.g {
			kvh := h / s.g
			copy(dst[h*s.dh:(h+1)*s.dh], src[kvh*s.dh:(kvh+1)*s.dh])
		}
	}
}
