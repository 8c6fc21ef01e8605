package heads

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// groundingHead is dl_techniques' VisualGroundingHead (SPEC.md 4.3).
type groundingHead struct {
	dim        int
	strategy   string
	fusion     *fusion
	confidence *kernels.PackedWeights
	bbox       *kernels.PackedWeights
}

func loadGrounding(l *loader, c *config, task taskConfig, name string) *groundingHead {
	h := &groundingHead{dim: task.HiddenSize, strategy: c.String("fusion_strategy", "gated")}
	s := parseFusion(c, "gated")
	checkFusionWidths(c, h.dim)
	if c.Err() != nil {
		return h
	}
	h.fusion = loadFusion(l, name+"_fusion", s, h.dim)
	h.confidence = l.dense(name+"_confidence", h.dim, 1, true)
	h.bbox = l.dense(name+"_bbox_regressor", h.dim, 4, true)
	return h
}

// checkFusionWidths rejects vision or text widths other than the hidden
// size: the fusion layers mix the two streams element by element.
func checkFusionWidths(c *config, d int) {
	for _, key := range []string{"vision_dim", "text_dim"} {
		if w := c.PositiveInt(key, d); w != d {
			c.fail(key, "%d differs from hidden_size %d, which the fusion needs", w, d)
		}
	}
}

func (h *groundingHead) inputKeys() (required, optional []string) {
	return []string{"vision_features", "text_features"}, nil
}

func (h *groundingHead) describe() string {
	return fmt.Sprintf("fusion %s, hidden %d", h.strategy, h.dim)
}

func (h *groundingHead) build(b *runtime.Builder, in map[string]runtime.Tensor) map[string]runtime.Tensor {
	vision, text := in["vision_features"], in["text_features"]
	if !checkShape(b, "vision_features", vision, -1, -1, h.dim) {
		return nil
	}
	shape := b.Shape(vision)
	batch, n := shape[0], shape[1]
	query := text
	if len(b.Shape(text)) == 3 {
		if !checkShape(b, "text_features", text, batch, -1, h.dim) {
			return nil
		}
		query = b.Pool(text, runtime.PoolMean)
	} else if !checkShape(b, "text_features", text, batch, h.dim) {
		return nil
	}
	fused := h.fusion.buildBroadcast(b, vision, query)
	confidence := b.View(b.Dense(fused, h.confidence, kernels.ActSigmoid), batch, n)
	grounded := b.SelectMax(confidence, fused)
	return map[string]runtime.Tensor{
		"confidence":        confidence,
		"grounded_features": grounded,
		"bbox":              b.Dense(grounded, h.bbox, kernels.ActSigmoid),
	}
}
