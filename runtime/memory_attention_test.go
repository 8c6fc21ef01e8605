package runtime

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
)

// memoryCase is a cross-attention of S queries to a memory of T rows of
// width Dkv, with heads x dh heads, batch 2.
type memoryCase struct {
	name              string
	heads, dh, s, t   int
	dkv               int
	prob              kernels.Probability
	differential      bool
	lambda            float32
	queryCol, qsWidth int // the queries are columns [queryCol, queryCol+D) of rows qsWidth wide
}

// memoryReference computes the attention of SPEC.md 3.1-3.3 in float64 by
// projecting the memory: K = M Wk + bk, V = M Wv + bv, per head
// prob(q k^T / sqrt(dh)) v (minus lambda times the second stream's).
func memoryReference(c memoryCase, q, mem []float32, wk [][]float32, bk [][]float32, wv, bv []float32) []float64 {
	d := c.heads * c.dh
	batch := len(mem) / (c.t * c.dkv)
	project := func(w, bias []float32, b int) []float64 {
		out := make([]float64, c.t*d)
		for j := 0; j < c.t; j++ {
			for o := 0; o < d; o++ {
				s := float64(bias[o])
				for i := 0; i < c.dkv; i++ {
					s += float64(mem[(b*c.t+j)*c.dkv+i]) * float64(w[i*d+o])
				}
				out[j*d+o] = s
			}
		}
		return out
	}
	out := make([]float64, batch*c.s*d)
	for b := 0; b < batch; b++ {
		v := project(wv, bv, b)
		for st := range wk {
			k := project(wk[st], bk[st], b)
			sign := 1.0
			if st == 1 {
				sign = -float64(c.lambda)
			}
			for h := 0; h < c.heads; h++ {
				for i := 0; i < c.s; i++ {
					scores := make([]float64, c.t)
					for j := range scores {
						for e := 0; e < c.dh; e++ {
							qv := q[(b*c.s+i)*c.qsWidth+c.queryCol+st*d+h*c.dh+e]
							scores[j] += float64(qv) * k[j*d+h*c.dh+e]
						}
						scores[j] /= math.Sqrt(float64(c.dh))
					}
					p := softmax64(scores)
					if c.prob == kernels.ProbSparsemax {
						p = sparsemax64(scores)
					}
					for e := 0; e < c.dh; e++ {
						var s float64
						for j, pj := range p {
							s += pj * v[j*d+h*c.dh+e]
						}
						out[(b*c.s+i)*d+h*c.dh+e] += sign * s
					}
				}
			}
		}
	}
	return out
}

func softmax64(x []float64) []float64 {
	m := slices.Max(x)
	out, sum := make([]float64, len(x)), 0.0
	for i, v := range x {
		out[i] = math.Exp(v - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

func sparsemax64(x []float64) []float64 {
	z := slices.Clone(x)
	slices.Sort(z)
	slices.Reverse(z)
	var cum, tau float64
	for k, v := range z {
		cum += v
		if t := (cum - 1) / float64(k+1); v > t {
			tau = t
		}
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = max(v-tau, 0)
	}
	return out
}

// TestAttendMemory checks AttendMemory against attention over projected
// keys and values, computed in float64, for softmax, sparsemax and
// differential attention at every level, with queries taken from a column
// block of wider rows; and that a pool of two threads gives the same bits.
func TestAttendMemory(t *testing.T) {
	cases := []memoryCase{
		{name: "softmax", heads: 3, dh: 4, s: 5, t: 13, dkv: 24, queryCol: 3, qsWidth: 20},
		{name: "one_query_one_key", heads: 2, dh: 3, s: 1, t: 1, dkv: 5, qsWidth: 6},
		{name: "sparsemax", heads: 2, dh: 8, s: 7, t: 33, dkv: 17, prob: kernels.ProbSparsemax, qsWidth: 16},
		{name: "differential", heads: 4, dh: 4, s: 6, t: 40, dkv: 16, differential: true, lambda: 0.3, queryCol: 1, qsWidth: 40},
		// Memories of several tiles (memoryTile rows), the last one partial:
		// softmax runs online over the tiles, the others hold every score.
		{name: "softmax_tiles", heads: 2, dh: 4, s: 3, t: 2*memoryTile + 77, dkv: 8, qsWidth: 8},
		{name: "sparsemax_tiles", heads: 2, dh: 4, s: 3, t: memoryTile + 1, dkv: 8, prob: kernels.ProbSparsemax, qsWidth: 8},
		{name: "differential_tiles", heads: 2, dh: 4, s: 2, t: memoryTile + 40, dkv: 8, differential: true, lambda: 0.6, qsWidth: 16},
	}
	leveltest.ForEach(t, func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := rand.New(rand.NewPCG(5, uint64(c.t)))
				fill := func(n int, scale float64) []float32 {
					v := make([]float32, n)
					for i := range v {
						v[i] = float32(r.NormFloat64() * scale)
					}
					return v
				}
				d := c.heads * c.dh
				streams := 1
				if c.differential {
					streams = 2
				}
				const batch = 2
				q := fill(batch*c.s*c.qsWidth, 1)
				mem := fill(batch*c.t*c.dkv, 1)
				var wk, bk [][]float32
				for range streams {
					wk, bk = append(wk, fill(c.dkv*d, 0.5)), append(bk, fill(d, 1))
				}
				wv, bv := fill(c.dkv*d, 0.5), fill(d, 1)
				rowSum := float32(1)
				if c.differential {
					rowSum = 1 - c.lambda
				}
				// k|v (k1|k2|v) side by side, as heads pack them.
				kvw, kvb := make([]float32, c.dkv*(streams+1)*d), slices.Concat(append(bk, bv)...)
				for i := 0; i < c.dkv; i++ {
					for s, m := range append(slices.Clone(wk), wv) {
						copy(kvw[(i*(streams+1)+s)*d:], m[i*d:(i+1)*d])
					}
				}
				kv, err := kernels.PackKN(kvw, c.dkv, (streams+1)*d, kvb)
				require.NoError(t, err)
				w, err := NewMemoryWeights(c.heads, kv, streams, rowSum, 0)
				require.NoError(t, err)
				want := memoryReference(c, q, mem, wk, bk, wv, bv)

				got := make([][]float32, 2)
				for threads := 1; threads <= 2; threads++ {
					b := NewBuilder()
					qt, mt := b.Input("q", batch, c.s, c.qsWidth), b.Input("m", batch, c.t, c.dkv)
					ops := []Operand{{T: qt, Col: c.queryCol}}
					if c.differential {
						ops = append(ops, Operand{T: qt, Col: c.queryCol + d})
					}
					spec := AttentionSpec{Heads: c.heads, HeadDim: c.dh, Probability: c.prob}
					b.Output("out", b.AttendMemory(spec, mt, w, c.lambda, ops...))
					p, err := b.Compile()
					require.NoError(t, err)
					var pool *parallel.Pool
					if threads > 1 {
						pool = parallel.New(threads)
						defer pool.Close()
					}
					s := p.NewSession(WithPool(pool))
					in, _ := s.Input("q")
					copy(in, q)
					in, _ = s.Input("m")
					copy(in, mem)
					s.Run()
					out, err := s.Output("out")
					require.NoError(t, err)
					got[threads-1] = slices.Clone(out)
				}
				require.Len(t, got[0], len(want))
				for i, v := range want {
					require.InDelta(t, v, float64(got[0][i]), 2e-5*(1+math.Abs(v)), "output %d", i)
				}
				require.Equal(t, got[0], got[1], "one thread and two give different bits")
			})
		}
	})
}

// TestAttendMemoryRefuses checks that shapes and kinds AttendMemory does
// not compute are build errors.
func TestAttendMemoryRefuses(t *testing.T) {
	kv, err := kernels.PackKN(make([]float32, 6*16), 6, 16, nil)
	require.NoError(t, err)
	w, err := NewMemoryWeights(2, kv, 1, 1, 0)
	require.NoError(t, err)
	for name, build := range map[string]func(b *Builder, q, m Tensor){
		"causal": func(b *Builder, q, m Tensor) {
			b.AttendMemory(AttentionSpec{Heads: 2, HeadDim: 4, Causal: true}, m, w, 0, Operand{T: q})
		},
		"heads": func(b *Builder, q, m Tensor) {
			b.AttendMemory(AttentionSpec{Heads: 4, HeadDim: 2}, m, w, 0, Operand{T: q})
		},
		"two streams": func(b *Builder, q, m Tensor) {
			b.AttendMemory(AttentionSpec{Heads: 2, HeadDim: 4}, m, w, 0, Operand{T: q}, Operand{T: q})
		},
		"empty memory": func(b *Builder, q, _ Tensor) {
			b.AttendMemory(AttentionSpec{Heads: 2, HeadDim: 4}, b.Input("m0", 1, 0, 6), w, 0, Operand{T: q})
		},
		"memory width": func(b *Builder, q, _ Tensor) {
			b.AttendMemory(AttentionSpec{Heads: 2, HeadDim: 4}, b.Input("m7", 1, 3, 7), w, 0, Operand{T: q})
		},
	} {
		b := NewBuilder()
		q, m := b.Input("q", 1, 2, 8), b.Input("m", 1, 3, 6)
		build(b, q, m)
		_, err := b.Compile()
		require.Error(t, err, name)
	}
	_, err = NewMemoryWeights(3, kv, 1, 1, 0)
	require.Error(t, err, "8 columns for 3 heads")
	_, err = NewMemoryWeights(2, kv, 3, 1, 0)
	require.Error(t, err, "16 columns for 3 key streams and the values")
}

// TestAttendMemorySharesPacking checks that attentions to the same memory
// pack it once (one packing step for two attentions) and read it alike.
func TestAttendMemorySharesPacking(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	kvw := make([]float32, 6*16)
	for i := range kvw {
		kvw[i] = float32(r.NormFloat64())
	}
	kv, err := kernels.PackKN(kvw, 6, 16, nil)
	require.NoError(t, err)
	w, err := NewMemoryWeights(2, kv, 1, 1, 0)
	require.NoError(t, err)
	b := NewBuilder()
	q, m := b.Input("q", 1, 3, 8), b.Input("m", 1, 5, 6)
	spec := AttentionSpec{Heads: 2, HeadDim: 4}
	b.Output("a", b.AttendMemory(spec, m, w, 0, Operand{T: q}))
	b.Output("b", b.AttendMemory(spec, m, w, 0, Operand{T: q}))
	p, err := b.Compile()
	require.NoError(t, err)
	require.Equal(t, 3, p.Steps(), "one packing step and two attentions")
	s := p.NewSession()
	for _, name := range []string{"q", "m"} {
		in, _ := s.Input(name)
		for i := range in {
			in[i] = float32(r.NormFloat64())
		}
	}
	s.Run()
	a, _ := s.Output("a")
	c, _ := s.Output("b")
	require.Equal(t, a, c)
	require.NotEqual(t, make([]float32, len(a)), a)
}
