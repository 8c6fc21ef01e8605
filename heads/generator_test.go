package heads

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/generate"
	"github.com/vlmrt/vlmrt/internal/leveltest"
)

// TestGenerationFixtures checks greedy and beam-3 tokens token for token
// against the NumPy reference (tools/make_fixtures.py), whose margins
// between the best and second-best choices exceed float32 error, at every
// kernel level.
func TestGenerationFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(referenceDir, "generation_*.safetensors"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	leveltest.ForEach(t, func(t *testing.T) {
		for _, path := range files {
			t.Run(strings.TrimSuffix(filepath.Base(path), ".safetensors"), func(t *testing.T) {
				f, m, in := openModel(t, path)
				cfg, ok := m.Generation()
				require.True(t, ok, "fixture has generation metadata")
				g, err := m.NewGenerator(in.Shapes, MaxLength(cfg.MaxLength), Beam(cfg.BeamSize))
				require.NoError(t, err)
				for _, mode := range []struct {
					name string
					beam int
				}{{"greedy", 1}, {"beam3", 3}} {
					o := generate.Options{BOS: cfg.BOS, EOS: cfg.EOS, MaxLength: cfg.MaxLength, Beam: mode.beam}
					results, err := g.Generate(in, o)
					require.NoError(t, err)
					tokens, lengths := generate.Pad(results, cfg.EOS, cfg.MaxLength)
					wantTokens, err := f.Int32("output." + mode.name + ".tokens")
					require.NoError(t, err)
					wantLengths, err := f.Int32("output." + mode.name + ".lengths")
					require.NoError(t, err)
					assert.Equal(t, wantTokens, tokens, mode.name)
					assert.Equal(t, wantLengths, lengths, mode.name)
				}
				// The first step's logits against the reference's.
				want, err := f.Float32("output.greedy.logits_step0")
				require.NoError(t, err)
				v := m.tasks[0].head.(decoderHead)
				dec, _ := v.parts()
				logits := make([]float32, dec.vocab)
				for row := 0; row < g.Rows(); row++ {
					s, err := g.Stepper(in, row)
					require.NoError(t, err)
					require.NoError(t, s.Reset(1))
					require.NoError(t, s.Step([]int32{cfg.BOS}, logits))
					assertClose(t, want[row*dec.vocab:(row+1)*dec.vocab], logits, "step 0 logits, row %d", row)
				}
			})
		}
	})
}

// assertClose checks SPEC.md 2's bound: max abs error <= 1e-4 max(1, max|ref|).
func assertClose(t *testing.T, want, got []float32, msg string, args ...any) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	var maxRef, maxErr float64
	for i := range want {
		maxRef = max(maxRef, math.Abs(float64(want[i])))
		maxErr = max(maxErr, math.Abs(float64(got[i])-float64(want[i])))
	}
	assert.LessOrEqual(t, maxErr, 1e-4*max(1, maxRef), fmt.Sprintf(msg, args...))
}

// TestIncrementalMatchesFullRecompute decodes greedily with the KV-cached
// stepper and, at every step, recomputes the whole prefix with the
// fixed-shape captioning plan (SPEC.md 4.1): the last position's logits
// must agree within tolerance and choose the same token.
func TestIncrementalMatchesFullRecompute(t *testing.T) {
	for _, name := range []string{"generation_swiglu", "generation_mlp", "generation_swiglu_nopos"} {
		t.Run(name, func(t *testing.T) {
			_, m, in := openModel(t, filepath.Join(referenceDir, name+".safetensors"))
			cfg, _ := m.Generation()
			h := m.tasks[0].head.(*captioningHead)
			dec, emb := h.parts()
			d, v := dec.dim, dec.vocab
			g, err := m.NewGenerator(in.Shapes, MaxLength(cfg.MaxLength), Beam(1))
			require.NoError(t, err)
			vision := in.Shapes["vision_features"]
			for row := 0; row < vision[0]; row++ {
				s, err := g.Stepper(in, row)
				require.NoError(t, err)
				require.NoError(t, s.Reset(1))
				tokens := []int32{cfg.BOS}
				logits := make([]float32, v)
				for step := 0; step < cfg.MaxLength; step++ {
					require.NoError(t, s.Step(tokens[len(tokens)-1:], logits))
					// Full recompute of the prefix for this image.
					n := len(tokens)
					text := make([]float32, n*d)
					for p, tok := range tokens {
						copy(text[p*d:(p+1)*d], emb.tokens[int(tok)*d:])
						if emb.positions != nil {
							for j := 0; j < d; j++ {
								text[p*d+j] += emb.positions[p*d+j]
							}
						}
					}
					plan, err := m.Compile(map[string][]int{"vision_features": {1, vision[1], vision[2]}, "text_features": {1, n, d}})
					require.NoError(t, err)
					sess := plan.NewSession()
					visionIn, _ := sess.Input("vision_features")
					textIn, _ := sess.Input("text_features")
					per := vision[1] * vision[2]
					copy(visionIn, in.Values["vision_features"][row*per:(row+1)*per])
					copy(textIn, text)
					sess.Run()
					full, _ := sess.Output("logits")
					assertClose(t, full[(n-1)*v:n*v], logits, "row %d step %d", row, step)
					next := int32(argmaxF32(logits))
					require.Equal(t, argmaxF32(full[(n-1)*v:n*v]), int(next), "row %d step %d token", row, step)
					tokens = append(tokens, next)
				}
			}
		})
	}
}

func argmaxF32(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// TestNewGeneratorRefusesHugeCaches checks that a maxLength or beam whose
// caches and histories would not fit in memory gives an error naming the
// sizes instead of an allocation that kills the process, with and without
// position embeddings (which bound the caches but not the histories).
func TestNewGeneratorRefusesHugeCaches(t *testing.T) {
	for _, name := range []string{"generation_swiglu_nopos", "generation_mlp"} {
		_, m, in := openModel(t, filepath.Join(referenceDir, name+".safetensors"))
		for _, c := range []struct{ maxLength, beam int }{{1 << 40, 1}, {8, 1 << 40}, {math.MaxInt, math.MaxInt}} {
			_, err := m.NewGenerator(in.Shapes, MaxLength(c.maxLength), Beam(c.beam))
			assert.ErrorContains(t, err, fmt.Sprintf("generation of %d tokens with beam %d needs", c.maxLength, c.beam), name)
		}
		_, err := m.NewGenerator(in.Shapes, MaxLength(4096), Beam(4))
		assert.NoError(t, err, "%s: a long but reasonable generation", name)
	}
}
