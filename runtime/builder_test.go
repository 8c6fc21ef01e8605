package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fillStep writes a tensor with a value and checks its inputs hold theirs,
// so that a plan whose buffers overlap wrongly fails.
type fillStep struct {
	t     *testing.T
	out   Tensor
	value float32
	reads []Tensor
	want  []float32
}

func (s *fillStep) Run(x *Exec) {
	for i, r := range s.reads {
		for _, v := range x.F(r) {
			if v != s.want[i] {
				s.t.Errorf("tensor %d holds %v, want %v: its memory was reused while live", r.id, v, s.want[i])
				return
			}
		}
	}
	for i := range x.F(s.out) {
		x.F(s.out)[i] = s.value
	}
}

// TestCompileNeverOverlapsLiveTensors builds random chains of steps, each
// reading a few earlier tensors, and checks that no tensor's memory is
// overwritten while it is still to be read.
func TestCompileNeverOverlapsLiveTensors(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for trial := 0; trial < 50; trial++ {
		b := NewBuilder()
		in := b.Input("x", 1+rng.IntN(40))
		tensors, values := []Tensor{in}, []float32{0}
		var steps []*fillStep
		for i := 1; i < 30; i++ {
			out := b.Temp(1 + rng.IntN(100))
			var reads []Tensor
			var want []float32
			for r := 0; r < rng.IntN(3); r++ {
				j := rng.IntN(len(tensors))
				reads, want = append(reads, tensors[j]), append(want, values[j])
			}
			s := &fillStep{t: t, out: out, value: float32(i), reads: reads, want: want}
			b.Add(s, reads, []Tensor{out})
			steps = append(steps, s)
			tensors, values = append(tensors, out), append(values, float32(i))
		}
		b.Output("y", tensors[len(tensors)-1])
		p, err := b.Compile()
		require.NoError(t, err)
		s := p.NewSession()
		x, err := s.Input("x")
		require.NoError(t, err)
		clear(x)
		s.Run()
		y, err := s.Output("y")
		require.NoError(t, err)
		assert.Equal(t, float32(29), y[0])
	}
}

// TestCompileSharesMemory checks that a chain of temporaries needs far less
// than the sum of their sizes.
func TestCompileSharesMemory(t *testing.T) {
	b := NewBuilder()
	x := b.Input("x", 1024)
	for i := 0; i < 10; i++ {
		x = b.Activate(x, 0)
	}
	b.Output("y", x)
	p, err := b.Compile()
	require.NoError(t, err)
	// input, output and at most two live temporaries at a time
	assert.LessOrEqual(t, p.ArenaBytes(), 4*4*1024)
	assert.Equal(t, 10, p.Steps())
}

func TestBuilderErrors(t *testing.T) {
	b := NewBuilder()
	x := b.Input("x", 2, 3)
	b.View(x, 4, 2)
	_, err := b.Compile()
	assert.ErrorContains(t, err, "view of [2 3] as [4 2]")

	b = NewBuilder()
	b.Input("x", 1)
	_, err = b.Compile()
	assert.ErrorIs(t, err, ErrEmptyPlan)

	b = NewBuilder()
	x = b.Input("x", 1)
	b.Output("x", x)
	p, err := b.Compile()
	require.NoError(t, err)
	s := p.NewSession()
	_, err = s.Input("nope")
	assert.ErrorIs(t, err, ErrUnknownTensor)
	_, err = s.Output("nope")
	assert.ErrorIs(t, err, ErrUnknownTensor)
}

// TestBuilderRejectsEmptyShapes checks that ops whose kernels need at least
// one row fail at Compile, naming the shapes, instead of panicking in Run.
func TestBuilderRejectsEmptyShapes(t *testing.T) {
	for _, shape := range [][]int{{1, 0, 4}, {2, 3, 0}, {3, 4}} {
		b := NewBuilder()
		x := b.Input("x", shape...)
		b.Output("y", b.Pool(x, PoolMean))
		_, err := b.Compile()
		assert.ErrorContains(t, err, fmt.Sprintf("pool: want [batch, tokens, dim] with at least one token and one dim, got %v", shape))
	}
	for _, c := range []struct{ q, kv []int }{{[]int{1, 0, 8}, []int{1, 3, 8}}, {[]int{1, 2, 8}, []int{1, 0, 8}}} {
		b := NewBuilder()
		q, kv := b.Input("q", c.q...), b.Input("kv", c.kv...)
		b.Output("y", b.Attend(AttentionSpec{Heads: 2, HeadDim: 4}, Operand{T: q}, Operand{T: kv}, Operand{T: kv}))
		_, err := b.Compile()
		assert.ErrorContains(t, err, fmt.Sprintf("attention needs at least one query and one key, got q %v and k %v", c.q, c.kv))
	}
}
