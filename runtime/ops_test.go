package runtime

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// run compiles b with the given outputs, fills the inputs and returns the
// outputs' values.
func run(t *testing.T, b *Builder, inputs map[string][]float32, outputs map[string]Tensor) map[string][]float32 {
	t.Helper()
	for name, o := range outputs {
		b.Output(name, o)
	}
	p, err := b.Compile()
	require.NoError(t, err)
	s := p.NewSession()
	for name, v := range inputs {
		dst, err := s.Input(name)
		require.NoError(t, err)
		require.Len(t, v, len(dst), name)
		copy(dst, v)
	}
	s.Run()
	got := map[string][]float32{}
	for name := range outputs {
		v, err := s.Output(name)
		require.NoError(t, err)
		got[name] = append([]float32(nil), v...)
	}
	return got
}

func TestTopKOrderAndTies(t *testing.T) {
	b := NewBuilder()
	scores := b.Input("s", 2, 5)
	values, indices := b.TopK(scores, 3)
	got := run(t, b, map[string][]float32{"s": {
		0.5, 0.9, 0.5, 0.1, 0.9, // ties: lower index first
		1, 2, 3, 4, 5,
	}}, map[string]Tensor{"v": values, "i": indices})
	assert.Equal(t, []float32{0.9, 0.9, 0.5, 5, 4, 3}, got["v"])
	assert.Equal(t, []float32{1, 4, 0, 4, 3, 2}, got["i"])
}

func TestSelectMaxLowestIndexOnTies(t *testing.T) {
	b := NewBuilder()
	scores := b.Input("s", 1, 3)
	x := b.Input("x", 1, 3, 2)
	got := run(t, b, map[string][]float32{"s": {0.2, 0.7, 0.7}, "x": {1, 1, 2, 2, 3, 3}},
		map[string]Tensor{"y": b.SelectMax(scores, x)})
	assert.Equal(t, []float32{2, 2}, got["y"])
}

func TestGatherAndPrependRows(t *testing.T) {
	b := NewBuilder()
	x := b.Input("x", 1, 3, 2)
	idx := b.Input("i", 1, 2)
	g := b.Gather(x, idx)
	got := run(t, b, map[string][]float32{"x": {0, 1, 10, 11, 20, 21}, "i": {2, 0}},
		map[string]Tensor{"g": g, "p": b.PrependRows(g, x)})
	assert.Equal(t, []float32{20, 21, 0, 1}, got["g"])
	assert.Equal(t, []float32{
		20, 21, 0, 1, 10, 11, 20, 21, // region 0: its row, then the memory
		0, 1, 0, 1, 10, 11, 20, 21,
	}, got["p"])
}

func TestConcatOuterPoolRepeat(t *testing.T) {
	b := NewBuilder()
	x := b.Input("x", 1, 2, 2)
	y := b.Input("y", 1, 1, 2)
	got := run(t, b, map[string][]float32{"x": {1, 2, 3, 4}, "y": {5, 7}}, map[string]Tensor{
		"tokens": b.ConcatTokens(x, y),
		"last":   b.Concat(b.View(x, 2, 2), b.View(x, 2, 2)),
		"outer":  b.Outer(y, y),
		"mean":   b.Pool(x, PoolMean),
		"max":    b.Pool(x, PoolMax),
		"repeat": b.Repeat(b.View(y, 1, 2), 2),
	})
	assert.Equal(t, []float32{1, 2, 3, 4, 5, 7}, got["tokens"])
	assert.Equal(t, []float32{1, 2, 1, 2, 3, 4, 3, 4}, got["last"])
	assert.Equal(t, []float32{25, 35, 35, 49}, got["outer"])
	assert.Equal(t, []float32{2, 3}, got["mean"])
	assert.Equal(t, []float32{3, 4}, got["max"])
	assert.Equal(t, []float32{5, 7, 5, 7}, got["repeat"])
}

func TestRowDotsAndL2(t *testing.T) {
	b := NewBuilder()
	a := b.Input("a", 1, 2, 2)
	c := b.Input("c", 1, 1, 2)
	got := run(t, b, map[string][]float32{"a": {3, 4, 0, 0}, "c": {1, 2}}, map[string]Tensor{
		"dots": b.RowDots(a, c, 2),
		"l2":   b.L2Normalize(a),
		"div":  b.Divide(c, 4),
	})
	assert.Equal(t, []float32{5.5, 0}, got["dots"])
	assert.InDeltaSlice(t, []float32{0.6, 0.8, 0, 0}, got["l2"], 1e-7)
	assert.Equal(t, []float32{0.25, 0.5}, got["div"])
}
