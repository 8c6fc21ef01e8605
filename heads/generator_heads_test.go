package heads

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/weights"
)

// withEmbedding serves a file's weights plus random generation tables.
type withEmbedding struct {
	Source
	tables map[string][]float32
}

func (s withEmbedding) Float32(path string, shape ...int) ([]float32, error) {
	if v, ok := s.tables[path]; ok {
		return v, nil
	}
	return s.Source.Float32(path, shape...)
}

func (s withEmbedding) Has(path string) bool {
	_, ok := s.tables[path]
	return ok || s.Source.Has(path)
}

// TestGenerationOfDenseCaptionsAndDialogue decodes greedily with the
// KV-cached stepper for every region of dense captioning and every image of
// dialogue, and checks each step's logits and token against a full
// recompute of the head's plan (SPEC.md 5.1, 5.2 and 6).
func TestGenerationOfDenseCaptionsAndDialogue(t *testing.T) {
	tests := []struct {
		fixture, textKey, logitsKey string
	}{
		{"dense_captioning_k4", "text_features", "caption_logits"},
		{"dialogue_candidates", "response_features", "response_logits"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			f, err := weights.Open(filepath.Join(referenceDir, tt.fixture+".safetensors"))
			require.NoError(t, err)
			defer f.Close()
			md := f.Metadata()
			probe, err := New(f)
			require.NoError(t, err)
			dec, _ := probe.tasks[0].head.(decoderHead).parts()
			d, v, maxLen := dec.dim, dec.vocab, 5
			rng := rand.New(rand.NewPCG(5, 6))
			tables := map[string][]float32{
				"token_embedding":    make([]float32, v*d),
				"position_embedding": make([]float32, maxLen*d),
			}
			for _, tab := range tables {
				for i := range tab {
					tab[i] = float32(rng.NormFloat64())
				}
			}
			m, err := NewFromSource(md, func(head string) Source { return withEmbedding{f.Scope(head), tables} })
			require.NoError(t, err)
			in, err := ReadInputs(f)
			require.NoError(t, err)
			g, err := m.NewGenerator(in.Shapes, MaxLength(maxLen), Beam(1))
			require.NoError(t, err)
			batch := in.Shapes["vision_features"][0]
			perImage := g.Rows() / batch
			for row := 0; row < g.Rows(); row++ {
				s, err := g.Stepper(in, row)
				require.NoError(t, err)
				require.NoError(t, s.Reset(1))
				tokens := []int32{1}
				logits := make([]float32, v)
				for step := 0; step < maxLen; step++ {
					require.NoError(t, s.Step(tokens[len(tokens)-1:], logits))
					n := len(tokens)
					// Full recompute: every sequence of the batch gets this prefix.
					prefix := make([]float32, n*d)
					for p, tok := range tokens {
						for j := 0; j < d; j++ {
							prefix[p*d+j] = tables["token_embedding"][int(tok)*d+j] + tables["position_embedding"][p*d+j]
						}
					}
					shapes := map[string][]int{}
					values := map[string][]float32{}
					for k, sh := range in.Shapes {
						shapes[k], values[k] = sh, in.Values[k]
					}
					shapes[tt.textKey] = []int{g.Rows(), n, d}
					if tt.textKey == "text_features" {
						shapes[tt.textKey] = []int{batch, perImage, n, d}
					}
					text := make([]float32, 0, g.Rows()*n*d)
					for range g.Rows() {
						text = append(text, prefix...)
					}
					values[tt.textKey] = text
					plan, err := m.Compile(shapes)
					require.NoError(t, err)
					sess := plan.NewSession()
					require.NoError(t, Inputs{Shapes: shapes, Values: values}.Fill(sess))
					sess.Run()
					full, err := sess.Output(tt.logitsKey)
					require.NoError(t, err)
					last := full[(row*n+n-1)*v : (row*n+n)*v]
					assertClose(t, last, logits, "row %d step %d", row, step)
					next := argmaxF32(logits)
					require.Equal(t, argmaxF32(last), next, "row %d step %d token", row, step)
					tokens = append(tokens, int32(next))
				}
			}
		})
	}
}
