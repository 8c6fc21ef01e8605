package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
)

// attentionRef is SPEC.md 3.1 in float64: per head, scores = (q k^T) *
// scale, keep-mask with the reference's additive -1e9 (a row that keeps
// nothing keeps everything), softmax or sparsemax, P V. It returns the
// output rows (width Heads*HeadDim) and, per output value, the magnitude
// sum_j p_j |v_jd| that its tolerance scales with.
func attentionRef(a *kernels.Attention, q, k, v []float32) (ref, mag []float64) {
	w := a.Heads * a.HeadDim
	stride := func(s int) int {
		if s == 0 {
			return w
		}
		return s
	}
	qs, ks, vs := stride(a.QStride), stride(a.KStride), stride(a.VStride)
	scale := float64(a.Scale)
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(a.HeadDim))
	}
	ref, mag = make([]float64, a.Queries*w), make([]float64, a.Queries*w)
	s := make([]float64, a.Keys)
	for h := 0; h < a.Heads; h++ {
		for i := 0; i < a.Queries; i++ {
			keepsAny := false
			keep := func(j int) bool {
				if a.Causal && j > i+a.Keys-a.Queries {
					return false
				}
				if a.Mask != nil {
					m := a.Mask
					if len(m) == a.Queries*a.Keys {
						m = m[i*a.Keys:]
					}
					return m[j] != 0
				}
				return true
			}
			for j := 0; j < a.Keys; j++ {
				keepsAny = keepsAny || keep(j)
			}
			for j := range s {
				var dot float64
				for d := 0; d < a.HeadDim; d++ {
					dot += float64(q[i*qs+h*a.HeadDim+d]) * float64(k[j*ks+h*a.HeadDim+d])
				}
				s[j] = dot * scale
				if keepsAny && !keep(j) {
					s[j] = math.Inf(-1)
				}
			}
			if a.Probability == kernels.ProbSparsemax {
				sparsemaxRef(s)
			} else {
				m := math.Inf(-1)
				for _, x := range s {
					m = max(m, x)
				}
				var sum float64
				for j, x := range s {
					s[j] = math.Exp(x - m)
					sum += s[j]
				}
				for j := range s {
					s[j] /= sum
				}
			}
			for d := 0; d < a.HeadDim; d++ {
				var o, g float64
				for j, p := range s {
					x := float64(v[j*vs+h*a.HeadDim+d])
					o += p * x
					g += p * math.Abs(x)
				}
				ref[i*w+h*a.HeadDim+d], mag[i*w+h*a.HeadDim+d] = o, g
			}
		}
	}
	return ref, mag
}

// sparsemaxRef is SPEC.md 3.3's sparsemax in float64, in place.
func sparsemaxRef(s []float64) {
	m := math.Inf(-1)
	for _, x := range s {
		m = max(m, x)
	}
	zs := make([]float64, len(s))
	for i, x := range s {
		zs[i] = x - m
	}
	slices.Sort(zs)
	slices.Reverse(zs)
	var cs, tau float64
	for k, z := range zs {
		cs += z
		if 1+float64(k+1)*z > cs {
			tau = (cs - 1) / float64(k+1)
		}
	}
	for i, x := range s {
		s[i] = max(x-m-tau, 0)
	}
}

type attentionCase struct {
	name                    string
	queries, keys, heads, d int
	pad                     int // extra values between rows of q, k, v and out
	causal, tiled, sparse   bool
	mask                    string // "", "shared", "rows", "none-kept"
}

func attentionCases() []attentionCase {
	cs := []attentionCase{
		{name: "decode 1x197 12x64", queries: 1, keys: 197, heads: 12, d: 64},
		{name: "16x197 12x64", queries: 16, keys: 197, heads: 12, d: 64},
		{name: "odd 17x33 3x7", queries: 17, keys: 33, heads: 3, d: 7},
		{name: "dh tail 5x9 2x80 strided", queries: 5, keys: 9, heads: 2, d: 80, pad: 3},
		{name: "dh 130 4x70", queries: 4, keys: 70, heads: 1, d: 130, pad: 1},
		{name: "one key", queries: 6, keys: 1, heads: 2, d: 16},
		{name: "blocks 33 = 32+1, 70 keys", queries: 33, keys: 70, heads: 2, d: 20, mask: "rows"},
		{name: "blocks 40 = 32+8, causal", queries: 40, keys: 50, heads: 1, d: 64, causal: true, pad: 2},
		{name: "causal 19x19", queries: 19, keys: 19, heads: 2, d: 24, causal: true},
		{name: "causal 36x150, two key tiles", queries: 36, keys: 150, heads: 2, d: 32, causal: true, pad: 1},
		{name: "causal decode 3x40 cache", queries: 3, keys: 40, heads: 2, d: 32, causal: true, pad: 5},
		{name: "shared mask 7x23", queries: 7, keys: 23, heads: 2, d: 16, mask: "shared"},
		{name: "row mask 20x31", queries: 20, keys: 31, heads: 2, d: 17, mask: "rows"},
		{name: "row mask, a row keeps nothing", queries: 9, keys: 12, heads: 1, d: 8, mask: "none-kept"},
		{name: "causal + row mask", queries: 18, keys: 25, heads: 2, d: 16, mask: "rows", causal: true},
		{name: "tiled 21x300", queries: 21, keys: 300, heads: 2, d: 64, tiled: true},
		{name: "tiled decode 1x300 causal", queries: 2, keys: 300, heads: 2, d: 40, tiled: true, causal: true},
		{name: "tiled masked 5x260", queries: 5, keys: 260, heads: 1, d: 16, tiled: true, mask: "rows"},
		{name: "decode heads 4 at a time, last group of 2, strided", queries: 1, keys: 7, heads: 6, d: 64, pad: 3},
		{name: "decode 2x37 4x128 causal, row mask", queries: 2, keys: 37, heads: 4, d: 128, causal: true, mask: "rows"},
		{name: "decode 3x5 8x64 shared mask", queries: 3, keys: 5, heads: 8, d: 64, mask: "shared"},
		{name: "decode one key 4x64", queries: 1, keys: 1, heads: 4, d: 64},
		{name: "decode 1x4 5x192", queries: 1, keys: 4, heads: 5, d: 192, pad: 1},
		{name: "sparsemax 6x29", queries: 6, keys: 29, heads: 2, d: 16, sparse: true},
		{name: "sparsemax masked 4x17", queries: 4, keys: 17, heads: 2, d: 8, sparse: true, mask: "rows", causal: true},
	}
	if !testing.Short() {
		cs = append(cs, attentionCase{name: "64x577 2x64", queries: 64, keys: 577, heads: 2, d: 64})
	}
	return cs
}

func (c attentionCase) build(rng *rand.Rand) (a kernels.Attention, q, k, v []float32) {
	w := c.heads * c.d
	a = kernels.Attention{Queries: c.queries, Keys: c.keys, Heads: c.heads, HeadDim: c.d,
		Causal: c.causal, Tiled: c.tiled}
	if c.pad > 0 {
		a.QStride, a.KStride, a.VStride, a.OutStride = w+c.pad, w+2*c.pad, w+3*c.pad, w+c.pad
	}
	if c.sparse {
		a.Probability = kernels.ProbSparsemax
	}
	rows := func(n, stride int, span float64) []float32 {
		if stride == 0 {
			stride = w
		}
		return input(rng, (n-1)*stride+w, -span, span)
	}
	q, k, v = rows(c.queries, a.QStride, 2), rows(c.keys, a.KStride, 2), rows(c.keys, a.VStride, 1)
	switch c.mask {
	case "shared":
		a.Mask = make([]float32, c.keys)
		for j := range a.Mask {
			a.Mask[j] = float32(rng.IntN(2))
		}
	case "rows", "none-kept":
		a.Mask = make([]float32, c.queries*c.keys)
		for j := range a.Mask {
			a.Mask[j] = float32(rng.IntN(3) % 2)
		}
		if c.mask == "none-kept" {
			clear(a.Mask[2*c.keys : 3*c.keys])
		}
	}
	return a, q, k, v
}

func TestAttention(t *testing.T) {
	leveltest.ForEach(t, testAttention)
	// The blocked path's Go twins, which no level uses by default.
	t.Run("generic blocked", func(t *testing.T) {
		prev := kernels.Active()
		defer kernels.SetLevel(prev) //nolint:errcheck // prev was supported
		if err := kernels.SetLevel(kernels.Generic); err != nil {
			t.Fatal(err)
		}
		defer kernels.SetQueryBlockForTest(5)()
		testAttention(t)
		t.Run("transposed output", func(t *testing.T) {
			defer kernels.SetTransposedPVForTest()()
			testAttention(t)
		})
	})
	t.Run("generic decode 4 heads at a time", func(t *testing.T) {
		prev := kernels.Active()
		defer kernels.SetLevel(prev) //nolint:errcheck // prev was supported
		if err := kernels.SetLevel(kernels.Generic); err != nil {
			t.Fatal(err)
		}
		defer kernels.SetDecodeKernelsForTest()()
		testAttention(t)
	})
}

func testAttention(t *testing.T) {
	{
		rng := rand.New(rand.NewPCG(9, 10))
		for _, c := range attentionCases() {
			a, q, k, v := c.build(rng)
			ref, mag := attentionRef(&a, q, k, v)
			w := a.Heads * a.HeadDim
			os := a.OutStride
			if os == 0 {
				os = w
			}
			n := (a.Queries-1)*os + w
			out, check := window(t, n, 1)
			// The gaps between strided output rows are guard bands too.
			for i := range out {
				if i%os >= w {
					out[i] = sentinel
				}
			}
			scratch := make([]float32, a.ScratchLen())
			a.Run(out, q, k, v, scratch)
			check()
			// Probabilities within a few ulps each (float32 scores,
			// exp, sums), so each output within 1e-5 of the sum of its
			// terms' magnitudes.
			for i := 0; i < a.Queries; i++ {
				for x := 0; x < os && i*os+x < len(out); x++ {
					g := out[i*os+x]
					if x >= w {
						if i < a.Queries-1 && math.Float32bits(g) != 0x7fc0dead {
							t.Fatalf("%s: gap value %d of row %d written", c.name, x, i)
						}
						continue
					}
					r, m := ref[i*w+x], mag[i*w+x]
					if math.IsNaN(float64(g)) || math.Abs(float64(g)-r) > 1e-5*m+1e-30 {
						t.Fatalf("%s: out[%d][%d] = %v, want %v (error %.3g, magnitude %.3g)", c.name, i, x, g, r, math.Abs(float64(g)-r), m)
					}
				}
			}
			// RunParallel: bit-identical, and no allocation.
			pool := parallel.New(3)
			par := make([]float32, len(out))
			pscratch := make([]float32, a.ParallelScratchLen())
			a.RunParallel(pool, par, q, k, v, pscratch)
			for i := 0; i < a.Queries; i++ {
				for x := 0; x < w; x++ {
					if math.Float32bits(par[i*os+x]) != math.Float32bits(out[i*os+x]) {
						t.Fatalf("%s: RunParallel out[%d][%d] = %v, Run %v", c.name, i, x, par[i*os+x], out[i*os+x])
					}
				}
			}
			pool.Close()
		}
	}
}

func TestAttentionAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	pool := parallel.New(2)
	defer pool.Close()
	for _, c := range attentionCases()[:3] {
		a, q, k, v := c.build(rng)
		out := make([]float32, a.Queries*a.Heads*a.HeadDim)
		scratch := make([]float32, a.ParallelScratchLen())
		if n := testing.AllocsPerRun(5, func() { a.Run(out, q, k, v, scratch) }); n != 0 {
			t.Errorf("%s: Run allocates %v times", c.name, n)
		}
		if n := testing.AllocsPerRun(5, func() { a.RunParallel(pool, out, q, k, v, scratch) }); n != 0 {
			t.Errorf("%s: RunParallel allocates %v times", c.name, n)
		}
		dscratch := make([]float32, a.DifferentialScratchLen())
		if n := testing.AllocsPerRun(5, func() { a.RunDifferential(out, q, k, q, k, v, 0.3, dscratch) }); n != 0 {
			t.Errorf("%s: RunDifferential allocates %v times", c.name, n)
		}
	}
}

func TestDifferentialAttention(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, c := range []attentionCase{
			{name: "diff 16x197 4x32", queries: 16, keys: 197, heads: 4, d: 32},
			{name: "diff causal decode", queries: 1, keys: 30, heads: 2, d: 16, causal: true},
			{name: "diff strided", queries: 5, keys: 11, heads: 3, d: 9, pad: 2, mask: "rows"},
		} {
			a, q1, k1, v := c.build(rng)
			_, q2, k2, _ := c.build(rng)
			const lambda = 0.35
			r1, m1 := attentionRef(&a, q1, k1, v)
			r2, m2 := attentionRef(&a, q2, k2, v)
			w := a.Heads * a.HeadDim
			os := max(a.OutStride, w)
			out := make([]float32, (a.Queries-1)*os+w)
			scratch := make([]float32, a.DifferentialScratchLen())
			a.RunDifferential(out, q1, k1, q2, k2, v, lambda, scratch)
			for i := 0; i < a.Queries; i++ {
				for x := 0; x < w; x++ {
					want := r1[i*w+x] - lambda*r2[i*w+x]
					tol := 1e-5*(m1[i*w+x]+lambda*m2[i*w+x]) + 1e-30
					if g := float64(out[i*os+x]); math.Abs(g-want) > tol {
						t.Fatalf("%s: out[%d][%d] = %v, want %v", c.name, i, x, g, want)
					}
				}
			}
		}
	})
}

func ExampleAttention() {
	// One query against two keys, one head of width 2.
	a := kernels.Attention{Queries: 1, Keys: 2, Heads: 1, HeadDim: 2}
	q := []float32{1, 0}
	k := []float32{1, 0, 0, 1}
	v := []float32{1, 0, 0, 1}
	out := make([]float32, 2)
	a.Run(out, q, k, v, make([]float32, a.ScratchLen()))
	fmt.Printf("%.3f %.3f\n", out[0], out[1])
	// Output: 0.670 0.330
}
