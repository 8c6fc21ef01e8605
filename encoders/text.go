package encoders

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// textTower is CLIP's text transformer: token and position embeddings,
// causal pre-norm layers, a final layer norm, the hidden state of the
// end-of-text token as the pooled output, and text_projection.
type textTower struct {
	cfg    TowerConfig
	tokens []float32 // [V, D]
	pos    []float32 // [MaxPositions, D]
	layers []encoderLayer
	final  runtime.Norm
	proj   *kernels.PackedWeights // nil when the file has none
}

func loadText(l *loader, c *TowerConfig, projection int) *textTower {
	d := c.Hidden
	t := &textTower{cfg: *c}
	const e = "text_model.embeddings."
	t.tokens = l.vec(e+"token_embedding.weight", c.Vocab, d)
	t.pos = l.vec(e+"position_embedding.weight", c.MaxPositions, d)
	t.layers = loadLayers(l, "text_model.encoder.layers", c)
	t.final = l.layerNorm("text_model.final_layer_norm", d, c.Eps)
	if l.f.Has("text_projection.weight") {
		t.proj = l.linear([]string{"text_projection"}, d, projection, false)
	}
	return t
}

// build appends the tower for ids [B, T] and returns its outputs by name.
func (t *textTower) build(b *runtime.Builder, ids runtime.Tensor) (map[string]runtime.Tensor, error) {
	c := &t.cfg
	s := b.Shape(ids)
	if len(s) != 2 || s[1] < 1 || s[1] > c.MaxPositions {
		return nil, fmt.Errorf("%w: %s %v, want [B, T] with T in [1, %d]", ErrShape, InputIDs, s, c.MaxPositions)
	}
	d := c.Hidden
	x := b.AddRows(b.Embed(ids, t.tokens, d), t.pos[:s[1]*d])
	x = b.Normalize(t.final, buildLayers(b, t.layers, x, c, true), nil)
	// transformers pools at the first eos_token_id, or, for configs of
	// before that key was honoured (eos_token_id 2), at the largest id.
	eos := c.EOS
	if eos == 2 {
		eos = -1
	}
	pooled := b.TokenAt(x, ids, eos)
	out := map[string]runtime.Tensor{OutputHidden: x, OutputPooled: pooled}
	if t.proj != nil {
		out[OutputTextEmbed] = b.Dense(pooled, t.proj, kernels.ActNone)
	}
	return out, nil
}

// CheckIDs reports the first id outside the tower's vocabulary, which the
// plan would embed as zeros.
func (t *textTower) checkIDs(ids []float32) error {
	for i, v := range ids {
		if v != float32(int(v)) || v < 0 || int(v) >= t.cfg.Vocab {
			return fmt.Errorf("%w: %s[%d] = %v is not a token id below %d", ErrShape, InputIDs, i, v, t.cfg.Vocab)
		}
	}
	return nil
}
