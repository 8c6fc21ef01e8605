package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
)

// eps32 is the float32 unit roundoff's double, one ulp at 1.
const eps32 = 1.0 / (1 << 23)

// sentinel fills the guard bands around every output window: a NaN with a
// payload no kernel produces.
var sentinel = math.Float32frombits(0x7fc0dead)

// window returns a slice of n values at offset guard+shift inside a buffer
// filled with the sentinel, and a check that nothing outside it changed.
func window(t *testing.T, n, shift int) ([]float32, func()) {
	t.Helper()
	const guard = 19
	buf := make([]float32, n+2*guard+shift)
	for i := range buf {
		buf[i] = sentinel
	}
	w := buf[guard+shift : guard+shift+n : guard+shift+n]
	return w, func() {
		t.Helper()
		for i, v := range buf {
			if i >= guard+shift && i < guard+shift+n {
				continue
			}
			if math.Float32bits(v) != 0x7fc0dead {
				t.Fatalf("guard band: value %d (window starts at %d, %d long) changed to %v", i, guard+shift, n, v)
			}
		}
	}
}

// input returns n values at an odd offset in a fresh slice (unaligned),
// drawn uniformly from [lo, hi).
func input(rng *rand.Rand, n int, lo, hi float64) []float32 {
	buf := make([]float32, n+1)
	for i := range buf {
		buf[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return buf[1:]
}

// sizes are the row lengths every kernel is tested on: zero, every tail
// up to twice the widest vector, odd sizes and a large one.
func sizes() []int {
	s := []int{0}
	for n := 1; n <= 33; n++ {
		s = append(s, n)
	}
	s = append(s, 47, 63, 64, 65, 97, 197, 577, 768, 1000)
	if !testing.Short() {
		s = append(s, 3072, 4099)
	}
	return s
}

// checkClose fails if got differs from ref by more than tol(i).
func checkClose(t *testing.T, what string, got []float32, ref []float64, tol func(i int) float64) {
	t.Helper()
	for i, r := range ref {
		g := float64(got[i])
		if math.IsNaN(g) || math.Abs(g-r) > tol(i) {
			t.Fatalf("%s: value %d = %v, want %v (error %.3g, tolerance %.3g)", what, i, g, r, math.Abs(g-r), tol(i))
		}
	}
}

// elementwise cases: the function, its float64 reference and the tolerance
// in ulps of the result plus an absolute floor for results near
// underflow, where the AVX2 exp flushes to zero (2^-126) below -87.7.
var elementwise = []struct {
	name  string
	apply func(dst, x []float32)
	ref   func(x float64) float64
	tol   func(x, ref float64) float64
}{
	// exp has a relative error under 2 ulps; 1+e and the division add one
	// rounding each.
	{"sigmoid", kernels.Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) },
		func(x, r float64) float64 {
			if kernels.Active() == kernels.NEON {
				// rows_exp_arm64.s rounds t^2 = x^2/2 to float32 and
				// takes erfc's exponent in the Numerical Recipes form:
				// up to about 2 t^2 ulps on the negative side.
				return (6+x*x)*eps32*math.Abs(r) + 1e-37
			}
			return 4*eps32*math.Abs(r) + 1e-37
		}},
	{"silu", kernels.SiLU, func(x float64) float64 { return x / (1 + math.Exp(-x)) },
		func(x, r float64) float64 { return 4*eps32*math.Abs(r) + 1e-35 }},
	// GELU at avx2, avx512 and neon: relu(x) - m exp((Q(m) - x^2)/2) with
	// x^2 kept inside FMAs, so only a difference under 2.1 is rounded: Q's
	// fit (7e-8), its float32 Horner, the exp and the products add up to
	// 2.2 ulps on a dense sweep of [-15, 15] (TestGELUSweep); 3 here.
	{"gelu", kernels.GELU, func(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) },
		func(x, r float64) float64 { return 3*eps32*math.Abs(r) + 1e-37 }},
	// quick_gelu and gelu_pytorch_tanh: x sigmoid(z) in one pass, with
	// the tolerance of gatedTol (activation_test.go).
	{"quick_gelu", kernels.ActQuickGELU.Apply, func(x float64) float64 { return gatedRef(x, quickGELUZ(x)) },
		func(x, r float64) float64 { return gatedTol(1, quickGELUZ(x), r) }},
	{"gelu_pytorch_tanh", kernels.ActGELUTanh.Apply, func(x float64) float64 { return gatedRef(x, geluTanhZ(x)) },
		func(x, r float64) float64 { return gatedTol(2, geluTanhZ(x), r) }},
}

func TestElementwise(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, c := range elementwise {
			for _, n := range sizes() {
				for _, span := range []float64{8, 30, 120} {
					x := input(rng, n, -span, span)
					if n > 3 {
						x[0], x[1], x[2] = 0, float32(math.Copysign(0, -1)), 1e-30
					}
					dst, check := window(t, n, n%3)
					c.apply(dst, x)
					check()
					ref := make([]float64, n)
					for i, v := range x {
						ref[i] = c.ref(float64(v))
					}
					checkClose(t, fmt.Sprintf("%s n=%d span=%g", c.name, n, span), dst, ref,
						func(i int) float64 { return c.tol(float64(x[i]), ref[i]) })
					// In place.
					orig := append([]float32(nil), x...)
					c.apply(x, x)
					checkClose(t, fmt.Sprintf("%s in place n=%d", c.name, n), x, ref,
						func(i int) float64 { return c.tol(float64(orig[i]), ref[i]) })
				}
			}
		}
	})
}

func TestElementwiseExtremes(t *testing.T) {
	x := []float32{-1e30, -1000, -104, -89, -88.5, -87.5, -20, 20, 87.5, 88.5, 89, 1000, 1e30, float32(math.Inf(1))}
	leveltest.ForEach(t, func(t *testing.T) {
		got := make([]float32, len(x))
		kernels.Sigmoid(got, x)
		for i, v := range x {
			want := 1 / (1 + math.Exp(-float64(v)))
			if math.Abs(float64(got[i])-want) > 4*eps32*want+1e-37 {
				t.Errorf("sigmoid(%g) = %g, want %g", v, got[i], want)
			}
		}
		kernels.SiLU(got, x[:len(x)-1])
		for i, v := range x[:len(x)-1] {
			want := float64(v) / (1 + math.Exp(-float64(v)))
			if math.Abs(float64(got[i])-want) > 4*eps32*math.Abs(want)+1e-30 {
				t.Errorf("silu(%g) = %g, want %g", v, got[i], want)
			}
		}
		kernels.GELU(got, x[:len(x)-1])
		for i, v := range x[:len(x)-1] {
			want := 0.5 * float64(v) * math.Erfc(-float64(v)/math.Sqrt2)
			if math.Abs(float64(got[i])-want) > 4*eps32*math.Abs(want)+1e-14 {
				t.Errorf("gelu(%g) = %g, want %g", v, got[i], want)
			}
		}
	})
}

func TestSoftmax(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, n := range sizes()[1:] {
			for _, span := range []float64{1, 50, 1e4} {
				rows := 3
				x := input(rng, rows*n, -span, span)
				x[0] = -1e9 // a masked score
				dst, check := window(t, rows*n, 1)
				kernels.Softmax(dst, x, n)
				check()
				ref := make([]float64, rows*n)
				for r := 0; r < rows; r++ {
					row := x[r*n : (r+1)*n]
					m := math.Inf(-1)
					for _, v := range row {
						m = max(m, float64(v))
					}
					var sum float64
					for i, v := range row {
						ref[r*n+i] = math.Exp(float64(v) - m)
						sum += ref[r*n+i]
					}
					for i := range row {
						ref[r*n+i] /= sum
					}
				}
				// x - max is rounded to float32 (SPEC's float32 formula),
				// which costs |x - max| ulps; exp: 2 ulps; the float32
				// sum of n terms in 16 (or 8) partial sums, then a tree:
				// (n/8 + 6) ulps at most; the reciprocal and product: 2.
				tol := (float64(n)/8 + 10) * eps32
				checkClose(t, fmt.Sprintf("softmax n=%d span=%g", n, span), dst, ref,
					func(i int) float64 {
						d := math.Abs(math.Log(ref[i]*float64(n))) + 1
						return (tol+d*eps32)*ref[i] + 1e-38
					})
			}
		}
	})
}

func TestNorms(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, d := range sizes()[1:] {
			for _, kind := range []string{"random", "offset", "constant", "zero"} {
				rows := 3
				x := input(rng, rows*d, -2, 3)
				switch kind {
				case "offset":
					for i := range x {
						x[i] += 40
					}
				case "constant":
					for i := range x {
						x[i] = 0.1
					}
				case "zero":
					clear(x)
				}
				gamma, beta := input(rng, d, 0.5, 2), input(rng, d, -1, 1)
				r := input(rng, rows*d, -1, 1)
				dst, check := window(t, rows*d, d%2)
				kernels.LayerNorm(dst, x, gamma, beta, 1e-6)
				check()
				ref, tol := layerNormRef(x, gamma, beta, d)
				checkClose(t, fmt.Sprintf("LayerNorm d=%d %s", d, kind), dst, ref, tol)

				sum := make([]float32, len(x))
				for i := range x {
					sum[i] = x[i] + r[i]
				}
				ref, tol = layerNormRef(sum, gamma, beta, d)
				got := append([]float32(nil), x...)
				kernels.AddLayerNorm(got, got, r, gamma, beta, 1e-6)
				checkClose(t, fmt.Sprintf("AddLayerNorm d=%d %s", d, kind), got, ref, tol)

				dst, check = window(t, rows*d, 1)
				kernels.RMSNorm(dst, x, gamma, 1e-6)
				check()
				ref = make([]float64, len(x))
				for o := 0; o < len(x); o += d {
					var ss float64
					for _, v := range x[o : o+d] {
						ss += float64(v) * float64(v)
					}
					rs := 1 / math.Sqrt(ss/float64(d)+1e-6)
					for i, v := range x[o : o+d] {
						ref[o+i] = float64(v) * rs * float64(gamma[i])
					}
				}
				// A float32 sum of squares (d/16 + 6 ulps), rsqrt and two
				// products.
				tl := (float64(d)/16 + 10) * eps32
				checkClose(t, fmt.Sprintf("RMSNorm d=%d %s", d, kind), dst, ref, func(i int) float64 { return tl*math.Abs(ref[i]) + 1e-30 })
			}
		}
	})
}

// layerNormRef is SPEC.md's LayerNorm in float64 and the tolerance of a
// float32 evaluation: the statistics cost a few ulps of rstd, and the
// formula's last two roundings are of x*inv and mean*inv, which can be much
// larger than the result (a row of near-constant values): 6 ulps of each.
func layerNormRef(x, gamma, beta []float32, d int) ([]float64, func(int) float64) {
	ref := make([]float64, len(x))
	bound := make([]float64, len(x))
	for o := 0; o < len(x); o += d {
		var sum, ss float64
		for _, v := range x[o : o+d] {
			sum += float64(v)
		}
		mean := sum / float64(d)
		for _, v := range x[o : o+d] {
			ss += (float64(v) - mean) * (float64(v) - mean)
		}
		rstd := 1 / math.Sqrt(ss/float64(d)+1e-6)
		for i, v := range x[o : o+d] {
			inv := rstd * float64(gamma[i])
			ref[o+i] = float64(v)*inv + (float64(beta[i]) - mean*inv)
			bound[o+i] = 6*eps32*(math.Abs(ref[o+i])+math.Abs(float64(v)*inv)+math.Abs(mean*inv)+math.Abs(float64(beta[i]))) +
				(float64(d)/16+8)*eps32*math.Abs((float64(v)-mean)*inv)
		}
	}
	return ref, func(i int) float64 { return bound[i] }
}

func TestLinear(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, n := range sizes() {
			a, b := input(rng, n, -4, 4), input(rng, n, -4, 4)
			dst, check := window(t, n, 1)
			kernels.Add(dst, a, b)
			check()
			for i := range a {
				if dst[i] != a[i]+b[i] {
					t.Fatalf("Add n=%d: value %d = %v, want %v", n, i, dst[i], a[i]+b[i])
				}
			}
			kernels.Mul(dst, a, b)
			check()
			for i := range a {
				if dst[i] != a[i]*b[i] {
					t.Fatalf("Mul n=%d: value %d = %v, want %v", n, i, dst[i], a[i]*b[i])
				}
			}
			kernels.Scale(dst, a, -1.25)
			check()
			for i := range a {
				if dst[i] != a[i]*-1.25 {
					t.Fatalf("Scale n=%d: value %d = %v, want %v", n, i, dst[i], a[i]*-1.25)
				}
			}
			copy(dst, b)
			kernels.AddScaled(dst, 0.75, a)
			check()
			for i := range a {
				// One rounding (fused) or two.
				want := float64(b[i]) + 0.75*float64(a[i])
				if math.Abs(float64(dst[i])-want) > eps32*(math.Abs(want)+math.Abs(0.75*float64(a[i]))) {
					t.Fatalf("AddScaled n=%d: value %d = %v, want %v", n, i, dst[i], want)
				}
			}
			var want, mag float64
			for i := range a {
				want += float64(a[i]) * float64(b[i])
				mag += math.Abs(float64(a[i]) * float64(b[i]))
			}
			got := kernels.Dot(a, b)
			// A float32 sum: (n/16 + 6) roundings of partial sums.
			if math.Abs(float64(got)-want) > (float64(n)/8+8)*eps32*mag {
				t.Fatalf("Dot n=%d = %v, want %v", n, got, want)
			}
		}
	})
}

func TestPoolingAndL2(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(15, 16))
		for _, d := range sizes()[1:] {
			rows := 5
			x := input(rng, rows*d, -3, 3)
			for i := range x[:d] {
				x[i] *= 1e-9 // a row under the 1e7 clamp
			}
			clear(x[d : 2*d]) // a zero row
			dst, check := window(t, rows*d, 1)
			kernels.L2Normalize(dst, x, d)
			check()
			for o := 0; o < len(x); o += d {
				var ss float64
				for _, v := range x[o : o+d] {
					ss += float64(v) * float64(v)
				}
				inv := min(1/math.Sqrt(ss), 1e7)
				for i, v := range x[o : o+d] {
					want := float64(v) * inv
					// A float32 sum of squares: (d/8 + 8) ulps, halved by
					// the square root; the clamp is exact.
					if g := float64(dst[o+i]); math.Abs(g-want) > (float64(d)/16+6)*eps32*math.Abs(want) {
						t.Fatalf("L2Normalize d=%d: value %d of row %d = %v, want %v", d, i, o/d, g, want)
					}
				}
			}
			mean, check := window(t, d, 1)
			kernels.MeanTokens(mean, x, d)
			check()
			mx, check := window(t, d, 2)
			kernels.MaxTokens(mx, x, d)
			check()
			for i := 0; i < d; i++ {
				var sum, mag float64
				m := math.Inf(-1)
				for o := 0; o < len(x); o += d {
					sum += float64(x[o+i])
					mag += math.Abs(float64(x[o+i]))
					m = max(m, float64(x[o+i]))
				}
				want := sum / float64(rows)
				// rows-1 float32 additions and a product.
				if g := float64(mean[i]); math.Abs(g-want) > float64(rows+1)*eps32*mag/float64(rows) {
					t.Fatalf("MeanTokens d=%d: value %d = %v, want %v", d, i, g, want)
				}
				if float64(mx[i]) != m {
					t.Fatalf("MaxTokens d=%d: value %d = %v, want %v", d, i, mx[i], m)
				}
			}
		}
	})
}

// TestElementwiseSweep runs each elementwise kernel over a dense sweep of
// [-12, 12] and logs its largest error in ulps of the float64 reference
// (go test -v -run Sweep), failing beyond the tolerances of elementwise.
func TestElementwiseSweep(t *testing.T) {
	n := 1 << 16
	if testing.Short() {
		n = 1 << 12
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(-12 + 24*float64(i)/float64(n))
	}
	got := make([]float32, n)
	leveltest.ForEach(t, func(t *testing.T) {
		for _, c := range elementwise {
			c.apply(got, x)
			worst, at := 0.0, float32(0)
			for i, v := range x {
				r := c.ref(float64(v))
				if math.Abs(r) < 1e-30 {
					continue
				}
				e := math.Abs(float64(got[i])-r) / (eps32 * math.Abs(r))
				if math.Abs(float64(got[i])-r) > c.tol(float64(v), r) {
					t.Errorf("%s(%v) = %v, want %v", c.name, v, got[i], r)
				}
				if e > worst {
					worst, at = e, v
				}
			}
			t.Logf("%s: largest error on [-12, 12] %.2f ulps (at %v)", c.name, worst, at)
		}
	})
}

// TestSparsemax checks Sparsemax at every level against SPEC.md's
// sort-and-scan definition in float64, on every tail, with ties, a masked
// (-1e9) and a -Inf score, in place and out of place.
func TestSparsemax(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(17, 18))
		for _, n := range sizes()[1:] {
			for _, span := range []float64{0.1, 2, 50} {
				rows := 3
				x := input(rng, rows*n, -span, span)
				if n > 4 {
					x[1], x[2], x[3] = x[0], x[0], -1e9 // ties and a masked score
				}
				if n > 6 {
					x[n+5] = float32(math.Inf(-1)) // a blocked key, as attention masks it
				}
				dst, check := window(t, rows*n, n%3)
				kernels.Sparsemax(dst, x, n, make([]float32, n))
				check()
				inPlace := append([]float32(nil), x...)
				kernels.Sparsemax(inPlace, inPlace, n, make([]float32, n))
				for o := 0; o < len(x); o += n {
					ref := make([]float64, n)
					for i, v := range x[o : o+n] {
						ref[i] = float64(v)
					}
					sparsemaxRef(ref)
					var sum float64
					big := 1.0
					for i, p := range ref {
						sum += float64(dst[o+i])
						if p > 0 {
							big = max(big, math.Abs(float64(x[o+i])))
						}
					}
					// tau comes from a float32 sum of the kept values: n/8 + 4
					// ulps of the largest kept magnitude.
					tol := (float64(n)/8 + 4) * eps32 * big
					what := fmt.Sprintf("Sparsemax n=%d span=%g row %d", n, span, o/n)
					checkClose(t, what, dst[o:o+n], ref, func(int) float64 { return tol })
					checkClose(t, what+" in place", inPlace[o:o+n], ref, func(int) float64 { return tol })
					if math.Abs(sum-1) > float64(n)*tol {
						t.Fatalf("%s: row sums to %v", what, sum)
					}
				}
			}
		}
	})
}

func TestDifferentialLambda(t *testing.T) {
	for _, c := range []struct {
		layer int
		param float32
		want  float64
	}{
		{0, 1, 0.2}, {1, 1, 0.2}, {2, 1, 0.8 - 0.6*math.Exp(-0.3)}, {12, 1, 0.8 - 0.6*math.Exp(-3.3)},
		{3, 0.01, 0.1}, {40, 5, 0.9},
	} {
		if got := kernels.DifferentialLambda(c.layer, c.param); math.Abs(float64(got)-c.want) > 1e-7 {
			t.Errorf("DifferentialLambda(%d, %v) = %v, want %v", c.layer, c.param, got, c.want)
		}
	}
}

// geluTanh is gelu_pytorch_tanh in float64, written as x sigmoid(2 z):
// 0.5 x (1 + tanh z) loses every digit to cancellation for z below -20.
func geluTanh(x float64) float64 {
	z := math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x)
	return x / (1 + math.Exp(-2*z))
}
