package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
)

// quickGELUZ and geluTanhZ are the gates z(x) of the two gated-sigmoid
// activations, x sigmoid(z(x)), in float64: quick_gelu's 1.702 x and
// gelu_pytorch_tanh's 2 sqrt(2/pi) (x + 0.044715 x^3) (0.5 (1 + tanh u) =
// sigmoid(2u)).
func quickGELUZ(x float64) float64 { return 1.702 * x }

func geluTanhZ(x float64) float64 { return 2 * math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x) }

// gatedRef is x sigmoid(z) in float64, written x / (1 + exp(-z)): no
// cancellation on either side.
func gatedRef(x, z float64) float64 { return x / (1 + math.Exp(-z)) }

// gatedCase is one gated-sigmoid activation: its gate and the weight k of
// the gate's roundings in gatedTol.
type gatedCase struct {
	name string
	act  kernels.Activation
	z    func(x float64) float64
	k    float64
}

var gatedCases = []gatedCase{
	{"quick_gelu", kernels.ActQuickGELU, quickGELUZ, 1},
	{"gelu_pytorch_tanh", kernels.ActGELUTanh, geluTanhZ, 2},
}

// gatedTol bounds |got - ref| for ref = x sigmoid(z), s = sigmoid(z), as
// (4 + k (1 - s) |z|) ulps of ref (ulp = eps32, one at 1) + 1e-35:
//
//   - 4 ulps, what the SiLU test accepts: the vector exp is within 2 ulps,
//     1 + e and the division round once each (the Go twin rounds once).
//   - k (1 - s) |z|: every kernel computes z = x fma(c x, x, a) from a and
//     c rounded to float32. quick_gelu's z carries two roundings of at most
//     half an ulp of |z| (a's and the product's; c = 0 makes the FMA
//     exact): k = 1; gelu_pytorch_tanh's cubic term four (c's, c x's, the
//     FMA's and the product's), and its terms have the sign of x, so each
//     is within half an ulp of |z|: k = 2. An error dz of the gate moves
//     log(x sigmoid(z)) by (1 - s) dz: nothing where the sigmoid saturates
//     at 1, about |z| times z's relative error on the negative side, where
//     it decays as exp(z).
//   - 1e-35 absolute, as SiLU's: the AVX2 exp flushes to 0 below
//     exp(-87.7), where |x| <= 52 for both gates, so |ref| < 1e-36.
//
// TestGatedSigmoidSweep logs the largest errors seen: about 1.7 ulps where
// (1 - s) |z| <= 1, and k = 0.6 (quick_gelu) and 1.2 (gelu_pytorch_tanh)
// at avx2, avx512 and neon (under qemu); the Go twin, 0.1 and 0.2.
func gatedTol(k, z, ref float64) float64 {
	oneMinusS := 1 / (1 + math.Exp(z))
	return (4+k*oneMinusS*math.Abs(z))*eps32*math.Abs(ref) + 1e-35
}

// checkGated compares got = act(x) with the float64 reference: within
// gatedTol, never NaN for a finite x; exactly x where the sigmoid is 1 to
// float32 precision (z >= 20: 1 + exp(-z) rounds to 1); exactly -0 where
// the product is far below the smallest subnormal (z <= -120:
// |x| exp(z) < 1e-50); exactly x for x = +-0.
func checkGated(t *testing.T, what string, c gatedCase, x, got []float32) {
	t.Helper()
	for i, v := range x {
		g := got[i]
		xv := float64(v)
		z := c.z(xv)
		switch {
		case v == 0:
			if math.Float32bits(g) != math.Float32bits(v) {
				require.Failf(t, "signed zero", "%s: %s(%v) at %d of %d = %v", what, c.name, v, i, len(x), g)
			}
		case z >= 20:
			if math.Float32bits(g) != math.Float32bits(v) {
				require.Failf(t, "want x (saturated)", "%s: %s(%v) at %d of %d = %v", what, c.name, v, i, len(x), g)
			}
		case z <= -120:
			if math.Float32bits(g) != 0x80000000 {
				require.Failf(t, "want -0 (saturated)", "%s: %s(%v) at %d of %d = %v", what, c.name, v, i, len(x), g)
			}
		default:
			if ref := gatedRef(xv, z); math.IsNaN(float64(g)) || math.Abs(float64(g)-ref) > gatedTol(c.k, z, ref) {
				require.InDeltaf(t, ref, float64(g), gatedTol(c.k, z, ref), "%s: %s(%v) at %d of %d", what, c.name, v, i, len(x))
			}
		}
	}
}

// gatedSpecials are the values put at every kind of lane position: signed
// zeros, tiny and subnormal values (z rounds to 0 or a subnormal), both
// saturations of the sigmoid (|z| > 88: exp overflows or underflows),
// |x| where x^2 or x^3 overflows float32 (z = +-Inf), and the largest
// finite values.
var gatedSpecials = []float32{
	0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	1e-3, -1e-3, 1, -1, 5, -5, 10.2, -10.2, 20, -20, 52, -52, 60, -60, 88, -88, 100, -100,
	1e4, -1e4, 1e19, -1e19, 7e19, -7e19, 1e30, -1e30, math.MaxFloat32, -math.MaxFloat32,
}

// TestGatedSigmoid checks quick_gelu and gelu_pytorch_tanh at every level
// against float64 (checkGated): lengths 0, every tail up to twice the
// widest vector + 1 (33) and large rows, unaligned input and output,
// guard bands around dst, in place (as the product's epilogue applies
// them) and out of place, uniform values up to |x| = 100 with the
// specials spread over the lanes.
func TestGatedSigmoid(t *testing.T) {
	layouts := []struct {
		name    string
		inPlace bool
	}{
		{"out of place", false},
		{"in place", true},
	}
	leveltest.ForEach(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 24))
		for _, c := range gatedCases {
			for _, n := range sizes() {
				for _, span := range []float64{1, 8, 30, 100} {
					x := input(rng, n, -span, span)
					for i := n % 5; i < n; i += 5 {
						x[i] = gatedSpecials[(i/5+n)%len(gatedSpecials)]
					}
					for _, l := range layouts {
						what := fmt.Sprintf("%s n=%d |x|<=%g dst at +%d", l.name, n, span, n%3)
						dst, check := window(t, n, n%3)
						if l.inPlace {
							copy(dst, x)
							c.act.Apply(dst, dst)
						} else {
							c.act.Apply(dst, x)
						}
						check()
						checkGated(t, what, c, x, dst)
					}
				}
			}
		}
	})
}

// TestGatedSigmoidSpecial puts each special value at the first, a middle
// and the last position of rows of several lengths (the vector loops'
// lanes and the masked or scalar tails), so that a special lane cannot
// harm its neighbours.
func TestGatedSigmoidSpecial(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	leveltest.ForEach(t, func(t *testing.T) {
		for _, c := range gatedCases {
			for _, n := range []int{1, 3, 7, 8, 16, 19, 33, 67} {
				for _, v := range gatedSpecials {
					for _, p := range []int{0, n / 2, n - 1} {
						x := input(rng, n, -6, 6)
						x[p] = v
						got, check := window(t, n, 1)
						c.act.Apply(got, x)
						check()
						checkGated(t, fmt.Sprintf("%v at %d", v, p), c, x, got)
					}
				}
			}
		}
	})
}

// TestGatedSigmoidSweep checks both activations on a dense sweep of
// [-25, 25], which takes z across the exp's range on the negative side,
// and logs the largest errors that gatedTol's terms stand for (go test -v
// -run GatedSigmoidSweep): in ulps where (1 - s) |z| <= 1, and as k
// where it is larger.
func TestGatedSigmoidSweep(t *testing.T) {
	n := 1 << 20
	if testing.Short() {
		n = 1 << 14
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(-25 + 50*float64(i)/float64(n))
	}
	got := make([]float32, n)
	leveltest.ForEach(t, func(t *testing.T) {
		for _, c := range gatedCases {
			c.act.Apply(got, x)
			checkGated(t, "sweep", c, x, got)
			base, k := 0.0, 0.0
			for i, v := range x {
				z := c.z(float64(v))
				r := gatedRef(float64(v), z)
				if math.Abs(r) < 1e-30 {
					continue
				}
				ulps := math.Abs(float64(got[i])-r) / (eps32 * math.Abs(r))
				if g := math.Abs(z) / (1 + math.Exp(z)); g > 1 {
					k = max(k, (ulps-1)/g)
				} else {
					base = max(base, ulps)
				}
			}
			t.Logf("%s: %.2f ulps where (1-s)|z| <= 1, k = %.2f beyond", c.name, base, k)
		}
	})
}

// TestActivationAllocs checks that Activation.Apply allocates nothing, in
// place as the product's epilogue calls it, for every activation at every
// level.
func TestActivationAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are not meaningful under -race (CI runs it with -short)")
	}
	row := input(rand.New(rand.NewPCG(27, 28)), 3072, -4, 4)
	leveltest.ForEach(t, func(t *testing.T) {
		for act := kernels.ActNone; act <= kernels.ActGELUTanh; act++ {
			allocs := testing.AllocsPerRun(20, func() { act.Apply(row, row) })
			require.Zerof(t, allocs, "%s: Apply allocates", act)
		}
	})
}
