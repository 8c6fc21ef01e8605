package heads

import (
	"fmt"

	"github.com/vlmrt/vlmrt/runtime"
)

// captioningHead is dl_techniques' ImageCaptioningHead (SPEC.md 4.1).
type captioningHead struct {
	name       string
	dim, dv    int
	decoder    *decoder
	generation *generationWeights
}

func loadCaptioning(l *loader, c *config, task taskConfig, name string) *captioningHead {
	h := &captioningHead{name: name, dim: task.HiddenSize, dv: c.PositiveInt("vision_dim", 768)}
	cfg := readDecoderConfig(c, h.dim)
	if c.Err() != nil {
		return h
	}
	h.decoder = loadDecoder(l, cfg, name, h.dim, h.dv, task.VocabSize)
	h.generation = loadGenerationWeights(l, h.dim, task.VocabSize)
	return h
}

func (h *captioningHead) inputKeys() (required, optional []string) {
	return []string{"vision_features", "text_features"}, nil
}

func (h *captioningHead) describe() string {
	cfg := h.decoder.cfg
	return fmt.Sprintf("decoder: %d layers, %d heads, hidden %d, vision %d, vocab %d, ffn %s, attention %s",
		cfg.layers, cfg.heads, h.dim, h.dv, h.decoder.vocab, ffnName(cfg.swiglu), cfg.attention)
}

func ffnName(swiglu bool) string {
	if swiglu {
		return "swiglu"
	}
	return "mlp"
}

func (h *captioningHead) build(b *runtime.Builder, in map[string]runtime.Tensor) map[string]runtime.Tensor {
	vision, text := in["vision_features"], in["text_features"]
	if !checkShape(b, "vision_features", vision, -1, -1, h.dv) ||
		!checkShape(b, "text_features", text, b.Shape(vision)[0], -1, h.dim) {
		return nil
	}
	logits, hidden := h.decoder.build(b, text, vision)
	return map[string]runtime.Tensor{"logits": logits, "hidden_states": hidden}
}

func (h *captioningHead) memoryKeys() []string { return []string{"vision_features"} }

func (h *captioningHead) decoderMemory(b *runtime.Builder, in map[string]runtime.Tensor) (runtime.Tensor, bool) {
	vision := in["vision_features"]
	return vision, checkShape(b, "vision_features", vision, -1, -1, h.dv)
}

func (h *captioningHead) parts() (*decoder, *generationWeights) { return h.decoder, h.generation }
