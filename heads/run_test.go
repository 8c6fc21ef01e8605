package heads

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

// loadFixture returns a fixture's model, a plan for its inputs and the inputs.
func loadFixture(t testing.TB, path string) (*Model, *runtime.Plan, Inputs) {
	t.Helper()
	_, m, plan, in := openFixture(t, path)
	return m, plan, in
}

// openFixture is loadFixture that also returns the fixture's file, open
// until the test ends, for its reference outputs.
func openFixture(t testing.TB, path string, opts ...LoadOption) (*weights.File, *Model, *runtime.Plan, Inputs) {
	t.Helper()
	f, m, in := openModel(t, path, opts...)
	plan, err := m.Compile(in.Shapes)
	require.NoError(t, err)
	return f, m, plan, in
}

// openModel returns a fixture's file (open until the test ends), its model
// and its inputs, without compiling (a generation fixture holds only the
// memory's inputs).
func openModel(t testing.TB, path string, opts ...LoadOption) (*weights.File, *Model, Inputs) {
	t.Helper()
	f, err := weights.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	m, err := New(f, opts...)
	require.NoError(t, err)
	in, err := ReadInputs(f)
	require.NoError(t, err)
	return f, m, in
}

// outputs runs s once and returns copies of every output.
func outputs(t testing.TB, s *runtime.Session) map[string][]float32 {
	s.Run()
	out := map[string][]float32{}
	for _, spec := range s.Plan().Outputs() {
		v, err := s.Output(spec.Name)
		require.NoError(t, err)
		out[spec.Name] = append([]float32(nil), v...)
	}
	return out
}

// fixtureFiles lists every head fixture, Keras's and the NumPy reference's,
// except the generation cases.
func fixtureFiles(t testing.TB) []string {
	keras, err := filepath.Glob(filepath.Join(kerasDir, "*.safetensors"))
	require.NoError(t, err)
	reference, err := filepath.Glob(filepath.Join(referenceDir, "*.safetensors"))
	require.NoError(t, err)
	var files []string
	for _, f := range append(keras, reference...) {
		if !strings.HasPrefix(filepath.Base(f), "generation_") {
			files = append(files, f)
		}
	}
	require.NotEmpty(t, files)
	return files
}

// TestRunAllocatesNothing checks that Session.Run allocates nothing, for
// every head, either way of cross-attention, single-threaded and with a
// worker pool.
func TestRunAllocatesNothing(t *testing.T) {
	pool := parallel.New(2)
	defer pool.Close()
	for _, path := range fixtureFiles(t) {
		forEachMemoryAttention(t, filepath.Base(path), func(t *testing.T) {
			_, plan, in := loadFixture(t, path)
			for _, p := range []*parallel.Pool{nil, pool} {
				s := plan.NewSession(runtime.WithPool(p))
				require.NoError(t, in.Fill(s))
				s.Run()
				allocs := testing.AllocsPerRun(5, s.Run)
				assert.Zero(t, allocs, "%d threads", p.Threads())
			}
		})
	}
}

// TestRunIsDeterministic checks that outputs are bit-identical from run to
// run, for 1 and 2 threads, and for sessions running concurrently.
func TestRunIsDeterministic(t *testing.T) {
	pool := parallel.New(2)
	defer pool.Close()
	for _, path := range fixtureFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".safetensors")
		forEachMemoryAttention(t, name, func(t *testing.T) {
			_, plan, in := loadFixture(t, path)
			s := plan.NewSession()
			require.NoError(t, in.Fill(s))
			first := outputs(t, s)
			assert.Equal(t, first, outputs(t, s), "second run")

			threaded := plan.NewSession(runtime.WithPool(pool))
			require.NoError(t, in.Fill(threaded))
			assert.Equal(t, first, outputs(t, threaded), "2 threads")

			var wg sync.WaitGroup
			results := make([]map[string][]float32, 4)
			for g := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := plan.NewSession()
					if err := in.Fill(s); err != nil {
						t.Error(err)
						return
					}
					for range 3 {
						results[g] = outputs(t, s)
					}
				}()
			}
			wg.Wait()
			for g, r := range results {
				assert.Equal(t, first, r, "concurrent session %d", g)
			}
		})
	}
}

// TestPlanSharesMemory checks that the arena is smaller than the sum of the
// buffers: intermediates with disjoint lifetimes share memory.
func TestPlanSharesMemory(t *testing.T) {
	_, plan, _ := loadFixture(t, filepath.Join(kerasDir, "captioning_swiglu.safetensors"))
	assert.Greater(t, plan.Steps(), 20)
	// 2 layers of [2, 7, 48] activations and [2, 7, 256] FFN buffers would
	// need well over 100 KB without reuse.
	assert.Less(t, plan.ArenaBytes(), 64<<10, "arena %d bytes", plan.ArenaBytes())
}

// TestCrossAttentionEnv checks that an unknown value of CrossAttentionEnv is
// a Compile error naming the variable, and that "auto" picks the direct
// way for few queries per memory row and the projected way when the memory
// is short or many queries share it.
func TestCrossAttentionEnv(t *testing.T) {
	m, _, in := loadFixture(t, filepath.Join(kerasDir, "captioning_mlp.safetensors"))
	t.Setenv(CrossAttentionEnv, "fast")
	_, err := m.Compile(in.Shapes)
	require.ErrorContains(t, err, CrossAttentionEnv)

	t.Setenv(CrossAttentionEnv, "auto")
	kv, err := kernels.PackKN(make([]float32, 768*1536), 768, 1536, nil)
	require.NoError(t, err)
	a := &attention{heads: 12, dim: 768, kv: kv}
	require.True(t, a.attendsMemory(16, 197), "16 queries, 197 memory rows")
	require.False(t, a.attendsMemory(197, 16), "197 queries, 16 memory rows")
	require.False(t, a.attendsMemory(160, 197), "160 queries (10 regions), 197 memory rows")
	require.True(t, a.attendsMemory(16, 4096), "16 queries, 4096 memory rows")
}
