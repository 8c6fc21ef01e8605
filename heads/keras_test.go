package heads

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/internal/leveltest"
)

// kerasDir holds the outputs of the real dl_techniques heads (SPEC.md 1.1).
const kerasDir = "../testdata/keras"

// runFixture loads a fixture's model, runs it on the fixture's inputs and
// checks every output against the fixture's reference within SPEC.md 2's
// bound.
func runFixture(t *testing.T, path string) {
	t.Helper()
	// SPEC.md 2's math is float: I8 kernels are dequantized (an int8 run
	// of every fixture is TestInt8Fixtures).
	f, _, plan, in := openFixture(t, path, Quantize(Float32))
	s := plan.NewSession()
	require.NoError(t, in.Fill(s))
	s.Run()
	require.NotEmpty(t, plan.Outputs())
	for _, out := range plan.Outputs() {
		got, err := s.Output(out.Name)
		require.NoError(t, err)
		want, err := f.Float32(OutputPrefix + out.Name)
		require.NoError(t, err, "reference output %s", out.Name)
		info, _ := f.Info(OutputPrefix + out.Name)
		require.Equal(t, info.Shape, out.Shape, "shape of %s", out.Name)
		var maxRef, maxErr float64
		for i := range want {
			maxRef = max(maxRef, math.Abs(float64(want[i])))
			maxErr = max(maxErr, math.Abs(float64(got[i])-float64(want[i])))
		}
		bound := 1e-4 * max(1, maxRef)
		require.LessOrEqual(t, maxErr, bound, "%s: max abs error %.3g, bound %.3g", out.Name, maxErr, bound)
		t.Logf("%-28s max abs error %.2e (bound %.1e)", out.Name, maxErr, bound)
	}
}

// TestKerasFixtures runs every reference case of the real dl_techniques heads
// at every kernel level and checks every output within SPEC.md 2's bound.
func TestKerasFixtures(t *testing.T) { checkFixtures(t, kerasDir) }

// forEachMemoryAttention runs fn as subtest name twice: with every
// cross-attention projecting its memory, and with every one that can
// attending to the memory directly (runtime.AttendMemory).
func forEachMemoryAttention(t *testing.T, name string, fn func(t *testing.T)) {
	for _, mode := range []string{"projected", "direct"} {
		t.Run(name+"/"+mode, func(t *testing.T) {
			t.Setenv(CrossAttentionEnv, mode)
			fn(t)
		})
	}
}

// referenceDir holds fixtures made by tools/make_fixtures.py from the NumPy
// reference of SPEC.md: the heads and attention types dl_techniques lacks.
const referenceDir = "../testdata/reference"

// TestReferenceFixtures runs every head fixture of the NumPy reference at
// every kernel level (generation fixtures have their own test).
func TestReferenceFixtures(t *testing.T) { checkFixtures(t, referenceDir) }

// checkFixtures runs runFixture on every head fixture in dir (not the
// generation cases) at every kernel level, both ways of cross-attention.
func checkFixtures(t *testing.T, dir string) {
	files, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no fixtures in %s", dir)
	leveltest.ForEach(t, func(t *testing.T) {
		for _, path := range files {
			name := strings.TrimSuffix(filepath.Base(path), ".safetensors")
			if strings.HasPrefix(name, "generation_") {
				continue
			}
			forEachMemoryAttention(t, name, func(t *testing.T) { runFixture(t, path) })
		}
	})
}
