package kernels_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
)

// int8Case is one int8 product to check.
type int8Case struct {
	name    string
	m, k, n int
	bias    bool
	act     kernels.Activation
}

func (c int8Case) String() string {
	return fmt.Sprintf("%s: m=%d k=%d n=%d bias=%v %s", c.name, c.m, c.k, c.n, c.bias, c.act)
}

// int8Cases covers the tails of every family: K around the 4-byte groups
// and the 16-byte NEON loads, N around the 16- and 32-column panels, M
// around every row block (4, 6, 12) and the k-split one- to three-row
// blocks, and the empty products.
func int8Cases(short bool) []int8Case {
	cs := []int8Case{
		{"empty M", 0, 17, 33, true, kernels.ActNone},
		{"empty N", 3, 17, 0, true, kernels.ActNone},
		{"K=0 gives act(bias)", 3, 0, 17, true, kernels.ActSiLU},
		{"K=1", 5, 1, 33, true, kernels.ActNone},
		{"one value", 1, 1, 1, false, kernels.ActNone},
		{"decode row, many panels", 1, 768, 260, true, kernels.ActNone},
		{"two rows, odd K", 2, 401, 129, false, kernels.ActSiLU},
		{"three rows", 3, 777, 256, true, kernels.ActNone},
		{"row blocks of 12 and partial panel", 29, 64, 70, true, kernels.ActGELU},
	}
	for _, k := range []int{2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33} {
		cs = append(cs, int8Case{fmt.Sprintf("k=%d tail", k), 7, k, 40, k%2 == 0, kernels.ActNone})
	}
	for _, n := range []int{1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 129} {
		cs = append(cs, int8Case{fmt.Sprintf("n=%d tail", n), 5, 37, n, n%2 == 1, kernels.ActNone})
	}
	for m := 1; m <= 26; m++ {
		cs = append(cs, int8Case{fmt.Sprintf("m=%d rows", m), m, 21, 45, m%3 == 0, kernels.Activation(m % 6)})
	}
	if !short {
		cs = append(cs, int8Case{"ViT sequence", 197, 768, 65, true, kernels.ActGELU},
			int8Case{"16 tokens, wide", 16, 768, 768, false, kernels.ActNone})
	}
	return cs
}

// int8Problem is the random input of an int8 product: weights q in
// [-128, 127] with positive scales, A with a row of zeros, a row of tiny
// values and rows of mixed magnitudes.
type int8Problem struct {
	a, bias, scale []float32
	q              []int8
}

func newInt8Problem(tc int8Case) int8Problem {
	r := rand.New(rand.NewPCG(uint64(tc.m*1000003+tc.k*1009+tc.n), 11))
	pr := int8Problem{a: randSlice(r, tc.m*tc.k), q: make([]int8, tc.k*tc.n), scale: make([]float32, tc.n)}
	for i := range pr.q {
		pr.q[i] = int8(r.IntN(256) - 128)
	}
	for j := range pr.scale {
		pr.scale[j] = float32(r.Float64()*0.02 + 1e-3)
	}
	for i := 0; i < tc.m; i++ {
		row := pr.a[i*tc.k : i*tc.k+tc.k]
		switch i % 7 {
		case 3:
			clear(row)
		case 5:
			for j := range row {
				row[j] *= 1e-30
			}
		case 6:
			for j := range row {
				row[j] *= 1e4
			}
		}
	}
	if tc.bias {
		pr.bias = randSlice(r, tc.n)
	}
	return pr
}

// quantizeRowRef quantizes a row of A as kernels documents it, in float32
// step by step: sa = amax/127, a_s8 = round half to even of a * (127/amax).
func quantizeRowRef(row []float32) (q []int32, sa float32) {
	var amax float32
	for _, v := range row {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return make([]int32, len(row)), float32(math.NaN())
		}
		amax = max(amax, float32(math.Abs(float64(v))))
	}
	q = make([]int32, len(row))
	if amax < 0x1p-100 {
		return q, 0
	}
	inv := 127 / amax
	for j, v := range row {
		q[j] = int32(math.RoundToEven(float64(float32(v * inv))))
	}
	return q, amax / 127
}

// int8Want returns, for each element of C, the exact int32 sum of the
// quantized product, the value the kernels round it to with ActNone
// (float32(float32(acc) * (sa * s[j])) + bias[j], step by step), and the
// float64 value of the same quantized math.
func int8Want(tc int8Case, pr int8Problem) (acc []int64, exact []float32, ref []float64) {
	m, k, n := tc.m, tc.k, tc.n
	acc, exact, ref = make([]int64, m*n), make([]float32, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		qa, sa := quantizeRowRef(pr.a[i*k : i*k+k])
		for j := 0; j < n; j++ {
			var s int64
			for kk := 0; kk < k; kk++ {
				s += int64(qa[kk]) * int64(pr.q[kk*n+j])
			}
			var b float32
			if pr.bias != nil {
				b = pr.bias[j]
			}
			acc[i*n+j] = s
			exact[i*n+j] = float32(float32(s)*(sa*pr.scale[j])) + b
			ref[i*n+j] = float64(s)*float64(sa)*float64(pr.scale[j]) + float64(b)
		}
	}
	return acc, exact, ref
}

// TestInt8MatMul checks every level's int8 product. With ActNone C must
// equal, bit for bit, the documented rounding of the exact int32 sum (so
// the int32 accumulations agree at every level, every tail); with an
// activation, C must lie within 4 ulps of the float64 value of the same
// quantized math (8 ulps of |acc * sa * s| + |bias| for the three float32
// roundings, 4 ulps of the result for the activation). A starts one float
// past an aligned address; C is a window into a larger slice whose guard
// bands must keep their sentinel.
func TestInt8MatMul(t *testing.T) {
	cases := int8Cases(testing.Short())
	leveltest.ForEach(t, func(t *testing.T) {
		t.Logf("int8 kernel: %s", kernels.Int8KernelForTest())
		for _, tc := range cases {
			checkInt8MatMul(t, tc, nil)
		}
	})
}

// TestInt8Families runs the int8 product through every int8 family this
// CPU has, not only the one each level chooses (SDOT on a CPU with I8MM,
// the Go twin of the SMMLA kernel on every machine), each at its level:
// the family's panels unpacked back to the weights, the short cases of
// TestInt8MatMul, and threaded products whose rows are quantized in units
// and split into row blocks of odd sizes.
func TestInt8Families(t *testing.T) {
	pool := parallel.New(3)
	defer pool.Close()
	for _, name := range kernels.Int8KernelsForTest() {
		t.Run(name, func(t *testing.T) {
			defer kernels.UseInt8KernelForTest(name)()
			const k, n = 37, 45
			pr := newInt8Problem(int8Case{m: 1, k: k, n: n})
			p, err := kernels.PackInt8KN(pr.q, pr.scale, k, n, nil)
			require.NoError(t, err)
			w := make([]float32, k*n)
			p.Unpack(w, nil)
			for i, v := range w {
				require.Equal(t, float32(pr.q[i])*pr.scale[i%n], v, "W[%d][%d] unpacked", i/n, i%n)
			}
			for _, tc := range int8Cases(true) {
				checkInt8MatMul(t, tc, nil)
			}
			for _, tc := range []int8Case{
				{"threaded", 64, 600, 130, true, kernels.ActNone},
				{"threaded, odd rows", 37, 300, 130, true, kernels.ActNone},
				{"threaded, two odd row blocks", 201, 64, 50, false, kernels.ActNone},
			} {
				checkInt8MatMul(t, tc, pool)
			}
		})
	}
}

func checkInt8MatMul(t *testing.T, tc int8Case, pool *parallel.Pool) {
	t.Helper()
	m, k, n := tc.m, tc.k, tc.n
	pr := newInt8Problem(tc)
	p, err := kernels.PackInt8KN(pr.q, pr.scale, k, n, pr.bias)
	require.NoError(t, err, tc.String())
	require.True(t, p.Quantized())
	require.Equal(t, kernels.Active(), p.Level())
	a := append(make([]float32, 1, m*k+1), pr.a...)[1:]
	buf := make([]float32, m*n+2*guard)
	for i := range buf {
		buf[i] = math.Float32frombits(0x7fc0dead)
	}
	c := buf[guard : guard+m*n]
	p.MatMulParallel(pool, c, a, m, tc.act)
	for i, v := range buf {
		if (i < guard || i >= guard+m*n) && math.Float32bits(v) != 0x7fc0dead {
			t.Fatalf("%v: wrote %v into the guard band at %d", tc, v, i-guard)
		}
	}
	acc, exact, ref := int8Want(tc, pr)
	eps := float64(math.Nextafter32(1, 2) - 1)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			got := c[i*n+j]
			if tc.act == kernels.ActNone {
				if math.Float32bits(got) != math.Float32bits(exact[i*n+j]) {
					t.Fatalf("%v: C[%d][%d] = %v, want %v (int32 sum %d)", tc, i, j, got, exact[i*n+j], acc[i*n+j])
				}
				continue
			}
			want := activate(tc.act, ref[i*n+j])
			mag := math.Abs(ref[i*n+j])
			if pr.bias != nil {
				mag += math.Abs(float64(pr.bias[j]))
			}
			tol := 8*eps*mag + 4*eps*math.Abs(want) + 1e-30
			if !(math.Abs(float64(got)-want) <= tol) {
				t.Fatalf("%v: C[%d][%d] = %v, want %v (tolerance %.3g)", tc, i, j, got, want, tol)
			}
		}
	}
}

// TestInt8NonFinite checks the rows that quantize specially: a row with
// NaN or an infinity gives NaN, a row of zeros gives the bias.
func TestInt8NonFinite(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		const k, n = 9, 20
		q := make([]int8, k*n)
		scale := make([]float32, n)
		for i := range q {
			q[i] = int8(i%9 - 4)
		}
		for j := range scale {
			scale[j] = 0.5
		}
		bias := make([]float32, n)
		for j := range bias {
			bias[j] = float32(j)
		}
		p, err := kernels.PackInt8KN(q, scale, k, n, bias)
		require.NoError(t, err)
		a := make([]float32, 4*k)
		a[0] = float32(math.NaN())
		a[k+3] = float32(math.Inf(-1))
		for j := 2 * k; j < 3*k; j++ {
			a[j] = 1
		}
		c := make([]float32, 4*n)
		p.MatMul(c, a, 4, kernels.ActNone)
		for j := 0; j < n; j++ {
			assert.True(t, math.IsNaN(float64(c[j])), "NaN row: C[0][%d] = %v", j, c[j])
			assert.True(t, math.IsNaN(float64(c[n+j])), "-Inf row: C[1][%d] = %v", j, c[n+j])
			assert.Equal(t, bias[j], c[3*n+j], "zero row: C[3][%d]", j)
		}
	})
}

// TestQuantize checks QuantizeKN and QuantizeNK against the documented
// rule (scale = max|column|/127, q = w/scale rounded half to even): the
// dequantized weights (Unpack) are float32(q) * scale bit for bit, within
// half a step of W, and the two layouts give the same product.
func TestQuantize(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		for _, s := range [][2]int{{1, 1}, {5, 3}, {37, 33}, {64, 100}, {17, 0}, {0, 5}} {
			k, n := s[0], s[1]
			r := rand.New(rand.NewPCG(uint64(k), uint64(n)))
			w, bias := randSlice(r, k*n), randSlice(r, n)
			if n > 2 {
				for row := 0; row < k; row++ {
					w[row*n+1] = 0 // a column of zeros: scale 0
				}
			}
			wt := make([]float32, n*k)
			for row := 0; row < k; row++ {
				for j := 0; j < n; j++ {
					wt[j*k+row] = w[row*n+j]
				}
			}
			pkn, err := kernels.QuantizeKN(w, k, n, bias)
			require.NoError(t, err)
			pnk, err := kernels.QuantizeNK(wt, n, k, bias)
			require.NoError(t, err)
			require.True(t, pkn.Quantized() && pnk.Quantized())
			got, gotBias := make([]float32, k*n), make([]float32, n)
			pkn.Unpack(got, gotBias)
			assert.Equal(t, bias, gotBias)
			gotNK := make([]float32, k*n)
			pnk.Unpack(gotNK, nil)
			for j := 0; j < n; j++ {
				var amax float32
				for row := 0; row < k; row++ {
					amax = max(amax, float32(math.Abs(float64(w[row*n+j]))))
				}
				scale := amax / 127
				for row := 0; row < k; row++ {
					var want float32
					if scale != 0 {
						q := math.RoundToEven(float64(w[row*n+j]) / float64(scale))
						want = float32(int8(q)) * scale
					}
					i := row*n + j
					require.Equal(t, math.Float32bits(want), math.Float32bits(got[i]), "k=%d n=%d W[%d][%d]", k, n, row, j)
					require.Equal(t, math.Float32bits(want), math.Float32bits(gotNK[i]), "NxK: k=%d n=%d W[%d][%d]", k, n, row, j)
					require.LessOrEqual(t, math.Abs(float64(got[i]-w[i])), float64(scale)*0.5000001)
				}
			}
			// Columns c0..c0+2 alone.
			if n >= 5 && k > 0 {
				part := make([]float32, k*3)
				pkn.UnpackCols(part, nil, 2, 3)
				for row := 0; row < k; row++ {
					assert.Equal(t, got[row*n+2:row*n+5], part[row*3:row*3+3])
				}
			}
			m := 3
			a := randSlice(r, m*k)
			c1, c2 := make([]float32, m*n), make([]float32, m*n)
			pkn.MatMul(c1, a, m, kernels.ActNone)
			pnk.MatMul(c2, a, m, kernels.ActNone)
			assert.Equal(t, c1, c2, "KxN and NxK products differ")
		}
	})
}

// TestInt8Error measures the quantization error of C against the float
// product on Gaussian data: the relative Frobenius error
// ||C_int8 - C||/||C|| over a 64 x 768 x 256 product. Measured: 0.0109 at
// every level (weights and activations each contribute about 0.7%); the
// bound is 0.02.
func TestInt8Error(t *testing.T) {
	const m, k, n = 64, 768, 256
	r := rand.New(rand.NewPCG(3, 4))
	a, w, bias := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, n)
	want := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := float64(bias[j])
			for kk := 0; kk < k; kk++ {
				s += float64(a[i*k+kk]) * float64(w[kk*n+j])
			}
			want[i*n+j] = s
		}
	}
	leveltest.ForEach(t, func(t *testing.T) {
		p, err := kernels.QuantizeKN(w, k, n, bias)
		require.NoError(t, err)
		c := make([]float32, m*n)
		p.MatMul(c, a, m, kernels.ActNone)
		var num, den float64
		for i, v := range want {
			d := float64(c[i]) - v
			num += d * d
			den += v * v
		}
		rel := math.Sqrt(num / den)
		t.Logf("relative Frobenius error %.4f", rel)
		assert.Less(t, rel, 0.02)
	})
}

// TestInt8PackErrors checks that bad int8 weights are refused with an error
// that names the problem.
func TestInt8PackErrors(t *testing.T) {
	q := make([]int8, 6)
	good := []float32{1, 2, 3}
	for _, tc := range []struct {
		name  string
		pack  func() (*kernels.PackedWeights, error)
		wants string
	}{
		{"zero scale", func() (*kernels.PackedWeights, error) {
			return kernels.PackInt8KN(q, []float32{1, 0, 3}, 2, 3, nil)
		}, "scale of column 1 is 0"},
		{"negative scale", func() (*kernels.PackedWeights, error) {
			return kernels.PackInt8KN(q, []float32{1, 2, -3}, 2, 3, nil)
		}, "scale of column 2 is -3"},
		{"NaN scale", func() (*kernels.PackedWeights, error) {
			return kernels.PackInt8KN(q, []float32{float32(math.NaN()), 2, 3}, 2, 3, nil)
		}, "scale of column 0 is NaN"},
		{"infinite scale", func() (*kernels.PackedWeights, error) {
			return kernels.PackInt8KN(q, []float32{1, float32(math.Inf(1)), 3}, 2, 3, nil)
		}, "scale of column 1 is +Inf"},
		{"short scales", func() (*kernels.PackedWeights, error) {
			return kernels.PackInt8KN(q, good[:2], 2, 3, nil)
		}, "2 scales for 3 columns"},
		{"short weights", func() (*kernels.PackedWeights, error) { return kernels.PackInt8KN(q[:5], good, 2, 3, nil) }, "5 weights"},
		{"short bias", func() (*kernels.PackedWeights, error) { return kernels.PackInt8KN(q, good, 2, 3, good[:1]) }, "1 bias values"},
		{"negative size", func() (*kernels.PackedWeights, error) { return kernels.PackInt8KN(nil, nil, -1, 0, nil) }, "negative"},
		{"K too large", func() (*kernels.PackedWeights, error) {
			return kernels.PackInt8KN(nil, nil, kernels.MaxInt8K+1, 0, nil)
		}, "exceeds MaxInt8K"},
		{"quantize K too large", func() (*kernels.PackedWeights, error) {
			return kernels.QuantizeKN(nil, kernels.MaxInt8K+1, 0, nil)
		}, "exceeds MaxInt8K"},
		{"quantize NaN", func() (*kernels.PackedWeights, error) {
			return kernels.QuantizeKN([]float32{1, 2, 3, 4, float32(math.NaN()), 6}, 2, 3, nil)
		}, "weight [1][1]"},
		{"quantize NxK Inf", func() (*kernels.PackedWeights, error) {
			return kernels.QuantizeNK([]float32{1, 2, 3, 4, float32(math.Inf(1)), 6}, 3, 2, nil)
		}, "weight [0][2]"},
	} {
		p, err := tc.pack()
		if assert.Error(t, err, tc.name) {
			assert.Nil(t, p, tc.name)
			assert.True(t, strings.Contains(err.Error(), tc.wants), "%s: %q does not say %q", tc.name, err, tc.wants)
		}
	}
	_, err := kernels.PackInt8KN(nil, nil, kernels.MaxInt8K, 0, nil)
	assert.NoError(t, err, "K = MaxInt8K")
	assert.False(t, errors.Is(err, kernels.ErrUnknownLevel))
}

// TestInt8Bytes checks that int8 weights take about a quarter of the
// float32 memory: a byte a weight, and 4 or 8 bytes a column.
func TestInt8Bytes(t *testing.T) {
	const k, n = 768, 768
	w := make([]float32, k*n)
	pf, err := kernels.PackKN(w, k, n, nil)
	require.NoError(t, err)
	pq, err := kernels.QuantizeKN(w, k, n, nil)
	require.NoError(t, err)
	assert.False(t, pf.Quantized())
	assert.GreaterOrEqual(t, pq.Bytes(), k*n+8*n)
	assert.LessOrEqual(t, pq.Bytes(), k*n+12*n+4*32*3)
	assert.Less(t, 3.9, float64(pf.Bytes())/float64(pq.Bytes()))
}

// TestInt8Threads checks that 1 and N threads give bit-identical outputs,
// split over rows and over columns, through every entry point.
func TestInt8Threads(t *testing.T) {
	pool := parallel.New(3)
	defer pool.Close()
	shapes := [][3]int{{1, 768, 197}, {16, 65, 768}, {200, 33, 97}, {400, 17, 40}, {64, 600, 130}}
	leveltest.ForEach(t, func(t *testing.T) {
		for _, s := range shapes {
			m, k, n := s[0], s[1], s[2]
			r := rand.New(rand.NewPCG(uint64(m), uint64(n)))
			a, w, bias := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, n)
			p, err := kernels.QuantizeKN(w, k, n, bias)
			require.NoError(t, err)
			one, many, with := make([]float32, m*n), make([]float32, m*n), make([]float32, m*n)
			p.MatMul(one, a, m, kernels.ActSiLU)
			p.MatMulParallel(pool, many, a, m, kernels.ActSiLU)
			var task kernels.MatMulTask
			p.MatMulWith(&task, pool, with, n, a, k, m, kernels.ActSiLU)
			for i := range one {
				if math.Float32bits(one[i]) != math.Float32bits(many[i]) || math.Float32bits(one[i]) != math.Float32bits(with[i]) {
					t.Fatalf("%dx%dx%d: C[%d] = %v with 1 thread, %v with 3, %v with a task", m, k, n, i, one[i], many[i], with[i])
				}
			}
		}
		checkInt8MatMul(t, int8Case{"threaded", 64, 600, 130, true, kernels.ActNone}, pool)
	})
}

// TestInt8Strided checks strided rows against the packed-row product: bit
// for bit, and the gaps between rows of C keep their sentinel.
func TestInt8Strided(t *testing.T) {
	shapes := [][3]int{{1, 17, 33}, {3, 64, 100}, {13, 31, 65}, {29, 5, 7}, {200, 40, 50}}
	leveltest.ForEach(t, func(t *testing.T) {
		for _, s := range shapes {
			m, k, n := s[0], s[1], s[2]
			lda, ldc := k+3, n+5
			r := rand.New(rand.NewPCG(uint64(m), uint64(k)))
			a, w, bias := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, n)
			p, err := kernels.QuantizeNK(w, n, k, bias)
			require.NoError(t, err)
			want := make([]float32, m*n)
			p.MatMul(want, a, m, kernels.ActGELU)
			as := make([]float32, (m-1)*lda+k)
			for i := range as {
				as[i] = float32(math.NaN()) // never read
			}
			for i := 0; i < m; i++ {
				copy(as[i*lda:], a[i*k:i*k+k])
			}
			cs := make([]float32, (m-1)*ldc+n)
			for i := range cs {
				cs[i] = -3
			}
			p.MatMulStrided(nil, cs, ldc, as, lda, m, kernels.ActGELU)
			for i := range cs {
				row, col := i/ldc, i%ldc
				if col >= n {
					if cs[i] != -3 {
						t.Fatalf("%dx%dx%d: wrote %v between rows %d and %d", m, k, n, cs[i], row, row+1)
					}
				} else if math.Float32bits(cs[i]) != math.Float32bits(want[row*n+col]) {
					t.Fatalf("%dx%dx%d: C[%d][%d] = %v strided, %v packed", m, k, n, row, col, cs[i], want[row*n+col])
				}
			}
		}
	})
}

// TestInt8Allocs checks that an int8 product allocates nothing, threaded or
// not, with the pooled task or the caller's.
func TestInt8Allocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are not meaningful under -race (CI runs it with -short)")
	}
	pool := parallel.New(2)
	defer pool.Close()
	leveltest.ForEach(t, func(t *testing.T) {
		for _, s := range [][3]int{{1, 768, 768}, {64, 256, 256}} {
			m, k, n := s[0], s[1], s[2]
			p, err := kernels.QuantizeKN(make([]float32, k*n), k, n, nil)
			require.NoError(t, err)
			a, c := make([]float32, m*k), make([]float32, m*n)
			for _, pl := range []*parallel.Pool{nil, pool} {
				if allocs := testing.AllocsPerRun(20, func() { p.MatMulParallel(pl, c, a, m, kernels.ActGELU) }); allocs != 0 {
					t.Errorf("%dx%dx%d, %d threads: %v allocations per product", m, k, n, pl.Threads(), allocs)
				}
				var task kernels.MatMulTask
				p.MatMulWith(&task, pl, c, n, a, k, m, kernels.ActNone) // grows the scratch
				if allocs := testing.AllocsPerRun(20, func() { p.MatMulWith(&task, pl, c, n, a, k, m, kernels.ActNone) }); allocs != 0 {
					t.Errorf("%dx%dx%d, %d threads, own task: %v allocations per product", m, k, n, pl.Threads(), allocs)
				}
			}
		}
	})
}
