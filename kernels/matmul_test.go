package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
)

// matmulSizes are the sizes every dimension is drawn from: 0, every tail
// of the 8-, 16- and 32-wide vectors and panels and their neighbours, and
// the widths of the models.
var matmulSizes = []int{0, 1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 197, 768}

// matmulCase is one product to check.
type matmulCase struct {
	m, k, n int
	nk      bool // weights given N x K (PyTorch) rather than K x N (Keras)
	bias    bool
	act     kernels.Activation
}

func (c matmulCase) String() string {
	layout := "KxN"
	if c.nk {
		layout = "NxK"
	}
	return fmt.Sprintf("m=%d k=%d n=%d %s bias=%v %s", c.m, c.k, c.n, layout, c.bias, c.act)
}

// matmulCases covers every size in every dimension against a few of the
// others, then random draws, rotating layout, bias and activation.
func matmulCases(short bool) []matmulCase {
	var cs []matmulCase
	add := func(m, k, n int) {
		i := len(cs)
		cs = append(cs, matmulCase{m, k, n, i%2 == 1, i/2%2 == 0, kernels.Activation(i / 4 % 4)})
	}
	for _, s := range matmulSizes {
		add(s, 17, 33)
		add(5, s, 31)
		add(7, 65, s)
		add(s, 64, s%100+1)
	}
	r := rand.New(rand.NewPCG(1, 2))
	draws := 120
	if short {
		draws = 30
	}
	for len(cs) < 4*len(matmulSizes)+draws {
		m, k, n := matmulSizes[r.IntN(19)], matmulSizes[r.IntN(19)], matmulSizes[r.IntN(19)]
		if m*k*n > 3e6 {
			continue
		}
		add(m, k, n)
	}
	for act := kernels.ActNone; act <= kernels.ActGELUTanh; act++ {
		cs = append(cs, matmulCase{13, 40, 70, false, true, act}, matmulCase{3, 9, 16, true, true, act})
	}
	// One to three rows over many full panels and K chunks: the kernels'
	// several-panels-at-once path, starting from the bias and from C.
	cs = append(cs, matmulCase{1, 768, 260, true, true, kernels.ActNone},
		matmulCase{2, 400, 129, false, false, kernels.ActSiLU},
		matmulCase{3, 777, 256, false, true, kernels.ActNone})
	if !short {
		cs = append(cs, matmulCase{197, 768, 65, true, true, kernels.ActGELU}, matmulCase{16, 768, 768, false, true, kernels.ActNone})
	}
	return cs
}

// TestMatMul checks every level against a float64 reference. A and the
// weights start one element past an aligned address, C is a window into a
// larger slice whose guard bands must keep their sentinel. The tolerance is
// 4 ulps of the sum of |terms| times sqrt(K+1), the growth of rounding error
// in a float32 dot product, plus 4 ulps of the result for the activation.
func TestMatMul(t *testing.T) {
	cases := matmulCases(testing.Short())
	leveltest.ForEach(t, func(t *testing.T) {
		for _, tc := range cases {
			checkMatMul(t, tc, nil)
		}
	})
}

const guard = 19 // floats of guard band on each side of C

func checkMatMul(t *testing.T, tc matmulCase, pool *parallel.Pool) {
	t.Helper()
	m, k, n := tc.m, tc.k, tc.n
	r := rand.New(rand.NewPCG(uint64(m*1000003+k*1009+n), 7))
	a := randSlice(r, m*k+1)[1:]
	w := randSlice(r, k*n+1)[1:]
	var bias []float32
	if tc.bias {
		bias = randSlice(r, n)
	}
	var p *kernels.PackedWeights
	var err error
	if tc.nk {
		p, err = kernels.PackNK(w, n, k, bias)
	} else {
		p, err = kernels.PackKN(w, k, n, bias)
	}
	if err != nil {
		t.Fatalf("%v: %v", tc, err)
	}
	if p.K() != k || p.N() != n || p.Level() != kernels.Active() {
		t.Fatalf("%v: packed K=%d N=%d level %s", tc, p.K(), p.N(), p.Level())
	}
	buf := make([]float32, m*n+2*guard)
	sentinel := math.Float32frombits(0x7fc0dead)
	for i := range buf {
		buf[i] = sentinel
	}
	c := buf[guard : guard+m*n]
	p.MatMulParallel(pool, c, a, m, tc.act)
	for i, v := range buf {
		if (i < guard || i >= guard+m*n) && math.Float32bits(v) != 0x7fc0dead {
			t.Fatalf("%v: wrote %v into the guard band at %d", tc, v, i-guard)
		}
	}
	eps := float64(math.Nextafter32(1, 2) - 1)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sum, mag float64
			if tc.bias {
				sum, mag = float64(bias[j]), math.Abs(float64(bias[j]))
			}
			for kk := 0; kk < k; kk++ {
				wv := w[kk*n+j]
				if tc.nk {
					wv = w[j*k+kk]
				}
				term := float64(a[i*k+kk]) * float64(wv)
				sum += term
				mag += math.Abs(term)
			}
			want := activate(tc.act, sum)
			tol := 4*eps*math.Sqrt(float64(k+1))*mag + 4*eps*math.Abs(want) + 1e-30
			if got := float64(c[i*n+j]); !(math.Abs(got-want) <= tol) {
				t.Fatalf("%v: C[%d][%d] = %v, want %v (tolerance %.3g)", tc, i, j, got, want, tol)
			}
		}
	}
}

func activate(act kernels.Activation, x float64) float64 {
	switch act {
	case kernels.ActGELU:
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	case kernels.ActSiLU:
		return x / (1 + math.Exp(-x))
	case kernels.ActSigmoid:
		return 1 / (1 + math.Exp(-x))
	case kernels.ActQuickGELU:
		return x / (1 + math.Exp(-1.702*x))
	case kernels.ActGELUTanh:
		return geluTanh(x)
	}
	return x
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// TestMatMulThreads checks that 1 and N threads give bit-identical outputs
// and that both are correct, on shapes that split over rows and columns.
func TestMatMulThreads(t *testing.T) {
	pool := parallel.New(3)
	defer pool.Close()
	shapes := [][3]int{{1, 768, 197}, {16, 65, 768}, {200, 33, 97}, {400, 17, 40}, {64, 600, 130}}
	leveltest.ForEach(t, func(t *testing.T) {
		for _, s := range shapes {
			m, k, n := s[0], s[1], s[2]
			r := rand.New(rand.NewPCG(uint64(m), uint64(n)))
			a, w, bias := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, n)
			p, err := kernels.PackKN(w, k, n, bias)
			if err != nil {
				t.Fatal(err)
			}
			one, many := make([]float32, m*n), make([]float32, m*n)
			p.MatMul(one, a, m, kernels.ActSiLU)
			p.MatMulParallel(pool, many, a, m, kernels.ActSiLU)
			for i := range one {
				if math.Float32bits(one[i]) != math.Float32bits(many[i]) {
					t.Fatalf("%dx%dx%d: C[%d] = %v with 1 thread, %v with 3", m, k, n, i, one[i], many[i])
				}
			}
			checkMatMul(t, matmulCase{m, k, n, false, true, kernels.ActNone}, pool)
		}
	})
}

// TestMatMulChecks checks that bad arguments are refused before any kernel
// runs.
func TestMatMulChecks(t *testing.T) {
	if _, err := kernels.PackKN(make([]float32, 5), 2, 3, nil); err == nil {
		t.Error("PackKN accepted 5 weights for 2 x 3")
	}
	if _, err := kernels.PackNK(make([]float32, 6), 3, 2, make([]float32, 2)); err == nil {
		t.Error("PackNK accepted 2 bias values for 3 columns")
	}
	if _, err := kernels.PackKN(nil, -1, 0, nil); err == nil {
		t.Error("PackKN accepted a negative size")
	}
	p, err := kernels.PackKN(make([]float32, 6), 2, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		la, lc int
		m      int
		act    kernels.Activation
	}{
		{"short A", 3, 6, 2, kernels.ActNone},
		{"short C", 4, 5, 2, kernels.ActNone},
		{"negative m", 0, 0, -1, kernels.ActNone},
		{"unknown activation", 4, 6, 2, kernels.Activation(9)},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: MatMul did not panic", tc.name)
				}
			}()
			p.MatMul(make([]float32, tc.lc), make([]float32, tc.la), tc.m, tc.act)
		}()
	}
}

// TestMatMulAllocs checks that a product allocates nothing, threaded or not.
func TestMatMulAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are not meaningful under -race (CI runs it with -short)")
	}
	pool := parallel.New(2)
	defer pool.Close()
	const m, k, n = 64, 256, 256
	p, _ := kernels.PackKN(make([]float32, k*n), k, n, nil)
	a, c := make([]float32, m*k), make([]float32, m*n)
	for _, pl := range []*parallel.Pool{nil, pool} {
		if allocs := testing.AllocsPerRun(20, func() { p.MatMulParallel(pl, c, a, m, kernels.ActGELU) }); allocs != 0 {
			t.Errorf("%d threads: %v allocations per product", pl.Threads(), allocs)
		}
	}
}

// TestMatMulStrided checks strided rows against the packed-row product: the
// same sums in the same order, so bit-identical, and the gaps between rows
// of C keep their sentinel.
func TestMatMulStrided(t *testing.T) {
	shapes := [][3]int{{1, 17, 33}, {3, 64, 100}, {13, 31, 65}, {29, 5, 7}, {200, 40, 50}}
	leveltest.ForEach(t, func(t *testing.T) {
		for _, s := range shapes {
			m, k, n := s[0], s[1], s[2]
			lda, ldc := k+3, n+5
			r := rand.New(rand.NewPCG(uint64(m), uint64(k)))
			a, w, bias := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, n)
			p, err := kernels.PackNK(w, n, k, bias)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float32, m*n)
			p.MatMul(want, a, m, kernels.ActGELU)
			as := make([]float32, (m-1)*lda+k)
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
	p, _ := kernels.PackKN(make([]float32, 6), 2, 3, nil)
	for _, tc := range []struct {
		name     string
		lda, ldc int
	}{{"lda < K", 1, 3}, {"ldc < N", 2, 2}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: MatMulStrided did not panic", tc.name)
				}
			}()
			p.MatMulStrided(nil, make([]float32, 12), tc.ldc, make([]float32, 12), tc.lda, 2, kernels.ActNone)
		}()
	}
}
