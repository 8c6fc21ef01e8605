package runtime

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/parallel"
)

// TestPatchesIsStridedConvolution checks that Patches followed by a product
// with the flattened kernel [D, C, p, p] equals a convolution of stride p
// computed directly, on images whose sides are not multiples of p (the
// remainder is dropped).
func TestPatchesIsStridedConvolution(t *testing.T) {
	const batch, c, h, w, p = 2, 3, 7, 9, 3
	img := make([]float32, batch*c*h*w)
	for i := range img {
		img[i] = float32(i%97) - 40
	}
	b := NewBuilder()
	x := b.Input("x", batch, c, h, w)
	got := run(t, b, map[string][]float32{"x": img}, map[string]Tensor{"y": b.Patches(x, p)})["y"]
	ph, pw := h/p, w/p
	require.Len(t, got, batch*ph*pw*c*p*p)
	// Patch (py, px) of image bi, value (ch, i, j) is pixel (py*p+i, px*p+j).
	for bi := range batch {
		for py := range ph {
			for px := range pw {
				for ch := range c {
					for i := range p {
						for j := range p {
							row := ((bi*ph+py)*pw + px) * c * p * p
							want := img[((bi*c+ch)*h+py*p+i)*w+px*p+j]
							assert.Equal(t, want, got[row+(ch*p+i)*p+j], "image %d patch (%d,%d) value (%d,%d,%d)", bi, py, px, ch, i, j)
						}
					}
				}
			}
		}
	}
}

// TestTokenOps checks the class-token, position, constant and row-picking
// steps on a hand-written batch of two sequences of three rows of width 2.
func TestTokenOps(t *testing.T) {
	b := NewBuilder()
	x := b.Input("x", 2, 3, 2)
	ids := b.Input("ids", 2, 3)
	in := map[string][]float32{
		"x":   {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
		"ids": {5, 9, 7, 4, 4, 1},
	}
	got := run(t, b, in, map[string]Tensor{
		"prepend":  b.PrependRow([]float32{-1, -2}, x),
		"add":      b.AddRows(x, []float32{100, 200, 300, 400, 500, 600}),
		"token1":   b.Token(x, 1),
		"eos7":     b.TokenAt(x, ids, 7),  // first 7: row 2 of sequence 0; none in sequence 1: the last row
		"argmax":   b.TokenAt(x, ids, -1), // largest id, the first on ties
		"constant": b.Constant([]float32{3, 1, 4}, 1, 3),
	})
	assert.Equal(t, []float32{-1, -2, 1, 2, 3, 4, 5, 6, -1, -2, 7, 8, 9, 10, 11, 12}, got["prepend"])
	assert.Equal(t, []float32{101, 202, 303, 404, 505, 606, 107, 208, 309, 410, 511, 612}, got["add"])
	assert.Equal(t, []float32{3, 4, 9, 10}, got["token1"])
	assert.Equal(t, []float32{5, 6, 11, 12}, got["eos7"])
	assert.Equal(t, []float32{3, 4, 7, 8}, got["argmax"])
	assert.Equal(t, []float32{3, 1, 4}, got["constant"])
}

// TestEmbed checks the lookup of ids in a table, with ids outside the table
// or not integers giving rows of zeros.
func TestEmbed(t *testing.T) {
	b := NewBuilder()
	ids := b.Input("ids", 1, 5)
	table := []float32{0, 1, 10, 11, 20, 21} // 3 rows of width 2
	got := run(t, b, map[string][]float32{"ids": {2, 0, 3, -1, 1.5}},
		map[string]Tensor{"e": b.Embed(ids, table, 2)})["e"]
	assert.Equal(t, []float32{20, 21, 0, 1, 0, 0, 0, 0, 0, 0}, got)
}

// TestTokenOpsRejectShapes checks that bad shapes fail at Compile.
func TestTokenOpsRejectShapes(t *testing.T) {
	for name, build := range map[string]func(b *Builder){
		"patch larger than image": func(b *Builder) { b.Output("y", b.Patches(b.Input("x", 1, 3, 4, 4), 5)) },
		"patches of rank 3":       func(b *Builder) { b.Output("y", b.Patches(b.Input("x", 3, 4, 4), 2)) },
		"class row width":         func(b *Builder) { b.Output("y", b.PrependRow(make([]float32, 3), b.Input("x", 1, 2, 4))) },
		"position rows":           func(b *Builder) { b.Output("y", b.AddRows(b.Input("x", 1, 2, 4), make([]float32, 7))) },
		"token index":             func(b *Builder) { b.Output("y", b.Token(b.Input("x", 1, 2, 4), 2)) },
		"constant size":           func(b *Builder) { b.Output("y", b.Constant(make([]float32, 3), 2, 2)) },
		"ids shape":               func(b *Builder) { b.Output("y", b.TokenAt(b.Input("x", 1, 2, 4), b.Input("i", 1, 3), 0)) },
	} {
		b := NewBuilder()
		build(b)
		_, err := b.Compile()
		assert.Error(t, err, name)
	}
}

// TestAddNormalize checks AddNormalize against Binary then Normalize, for
// LayerNorm and RMSNorm, on one goroutine and split over a pool (40 rows:
// three parts, the last one short).
func TestAddNormalize(t *testing.T) {
	const rows, d = 40, 24
	x, y := make([]float32, rows*d), make([]float32, rows*d)
	gamma, beta := make([]float32, d), make([]float32, d)
	for i := range x {
		x[i], y[i] = float32(i%13)-6, float32(i%7)*0.5
	}
	for i := range gamma {
		gamma[i], beta[i] = 1+float32(i)/d, float32(i)/10
	}
	pool := parallel.New(2)
	defer pool.Close()
	for _, n := range []Norm{{Gamma: gamma, Beta: beta, Eps: 1e-5}, {Gamma: gamma, Eps: 1e-6}} {
		b := NewBuilder()
		xt, yt := b.Input("x", 2, rows/2, d), b.Input("y", 2, rows/2, d)
		sum, normed := b.AddNormalize(n, xt, yt)
		b.Output("sum", sum)
		b.Output("normed", normed)
		ref := b.Binary(OpAdd, xt, yt)
		b.Output("ref_sum", ref)
		b.Output("ref_normed", b.Normalize(n, ref, nil))
		p, err := b.Compile()
		require.NoError(t, err)
		for _, s := range []*Session{p.NewSession(), p.NewSession(WithPool(pool))} {
			in, _ := s.Input("x")
			copy(in, x)
			in, _ = s.Input("y")
			copy(in, y)
			s.Run()
			for _, name := range []string{"sum", "normed"} {
				got, _ := s.Output(name)
				want, _ := s.Output("ref_" + name)
				assert.Equal(t, want, got, name)
			}
			assert.Zero(t, testing.AllocsPerRun(3, s.Run))
		}
	}
}

// TestRotateAndRepeatHeads checks rotary positions on hand-computed pairs
// (the pair of position 1 turns by 90 degrees, a head's tail passes) and
// the widening of grouped keys, and the channels-last patches and the
// last-real-token pooling.
func TestRotateAndRepeatHeads(t *testing.T) {
	b := NewBuilder()
	x := b.Input("x", 1, 2, 6) // 2 positions; 2 heads of 3 at column 0 (one pair each)
	cos := []float32{1, 0}     // position 0: angle 0; position 1: 90 degrees
	sin := []float32{0, 1}
	ids := b.Input("ids", 1, 2)
	img := b.Input("img", 1, 2, 2, 2) // 2 x 2 pixels, 2 channels
	got := run(t, b, map[string][]float32{
		"x":   {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6},
		"ids": {7, 0},
		"img": {1, 2, 3, 4, 5, 6, 7, 8},
	}, map[string]Tensor{
		"rot":    b.Rotate(x, 0, 2, 3, cos, sin, 1),
		"rep":    b.RepeatHeads(x, 2, 2, 4, 2), // kv heads (3,4) and (5,6) -> 4 heads
		"nhwc":   b.PatchesNHWC(img, 2),
		"lastok": b.TokenLastReal(x, ids, 0),
	})
	assert.Equal(t, []float32{1, 2, 3, 4, 5, 6, -2, 1, 3, -5, 4, 6}, got["rot"])
	assert.Equal(t, []float32{3, 4, 3, 4, 5, 6, 5, 6, 3, 4, 3, 4, 5, 6, 5, 6}, got["rep"])
	assert.Equal(t, []float32{1, 2, 3, 4, 5, 6, 7, 8}, got["nhwc"])
	assert.Equal(t, []float32{1, 2, 3, 4, 5, 6}, got["lastok"])
}
