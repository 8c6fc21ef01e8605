package heads

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// matchingHead is dl_techniques' ImageTextMatchingHead (SPEC.md 4.4).
type matchingHead struct {
	dim, proj   int
	strategy    string
	norm        normKind
	visionProj  *kernels.PackedWeights
	textProj    *kernels.PackedWeights
	fusion      *fusion
	postNorm    runtime.Norm
	postFFN     *ffn // nil when use_post_fusion_ffn is false
	similarity  *kernels.PackedWeights
	temperature float32
	ffnSwiGLU   bool
}

func loadMatching(l *loader, c *config, task taskConfig, name string) *matchingHead {
	h := &matchingHead{
		dim:      task.HiddenSize,
		proj:     c.PositiveInt("projection_dim", 256),
		strategy: c.String("fusion_strategy", "concatenation"),
		norm:     parseNormKind(c, "normalization_type"),
	}
	s := parseFusion(c, "concatenation")
	checkFusionWidths(c, h.dim)
	usePostFFN := c.Bool("use_post_fusion_ffn", true)
	h.ffnSwiGLU = c.String("ffn_type", "mlp") == "swiglu"
	if t := c.String("ffn_type", "mlp"); t != "mlp" && t != "swiglu" {
		c.fail("ffn_type", "unknown FFN type %q (want mlp or swiglu)", t)
	}
	factor := c.Float("ffn_expansion_factor", 4)
	if c.Err() != nil {
		return h
	}
	h.visionProj = l.dense(name+"_vision_proj", h.dim, h.proj, true)
	h.textProj = l.dense(name+"_text_proj", h.dim, h.proj, true)
	h.fusion = loadFusion(l, name+"_fusion", s, h.dim)
	h.postNorm = l.norm(name+"_post_fusion_norm", h.norm, h.dim)
	if usePostFFN {
		h.postFFN = loadFFN(l, name+"_post_fusion_ffn", h.ffnSwiGLU, h.dim, h.dim, factor)
	}
	h.similarity = l.dense(name+"_similarity", h.dim, 1, true)
	h.temperature = l.vec(name + "_temperature")[0]
	if h.temperature == 0 && l.err == nil {
		l.fail(fmt.Errorf("%w: %s_temperature is zero", ErrConfig, name))
	}
	return h
}

func (h *matchingHead) inputKeys() (required, optional []string) {
	return []string{"vision_features", "text_features"}, nil
}

func (h *matchingHead) describe() string {
	norm := map[normKind]string{layerNorm: "layer_norm", rmsNorm: "rms_norm"}[h.norm]
	return fmt.Sprintf("fusion %s, projection %d, %s, post-fusion FFN %v (%s), temperature %g",
		h.strategy, h.proj, norm, h.postFFN != nil, ffnName(h.ffnSwiGLU), h.temperature)
}

// pooled returns x [B, T, D] averaged over tokens, or x [B, D] itself.
func pooled(b *runtime.Builder, key string, x runtime.Tensor, batch, d int) (runtime.Tensor, bool) {
	if len(b.Shape(x)) == 3 {
		if !checkShape(b, key, x, batch, -1, d) {
			return x, false
		}
		return b.Pool(x, runtime.PoolMean), true
	}
	return x, checkShape(b, key, x, batch, d)
}

func (h *matchingHead) build(b *runtime.Builder, in map[string]runtime.Tensor) map[string]runtime.Tensor {
	vision, text := in["vision_features"], in["text_features"]
	shape := b.Shape(vision)
	if len(shape) < 2 {
		checkShape(b, "vision_features", vision, -1, -1, h.dim)
		return nil
	}
	batch := shape[0]
	vp, ok1 := pooled(b, "vision_features", vision, batch, h.dim)
	tp, ok2 := pooled(b, "text_features", text, batch, h.dim)
	if !ok1 || !ok2 {
		return nil
	}
	ve := b.L2Normalize(b.Dense(vp, h.visionProj, kernels.ActNone))
	te := b.L2Normalize(b.Dense(tp, h.textProj, kernels.ActNone))
	sim := b.View(b.RowDots(b.View(ve, 1, batch, h.proj), b.View(te, 1, batch, h.proj), 1), batch, batch)
	m := b.Normalize(h.postNorm, h.fusion.build(b, vp, tp), nil)
	if h.postFFN != nil {
		m = h.postFFN.build(b, m)
	}
	return map[string]runtime.Tensor{
		"similarity_matrix": sim,
		"logits":            b.Divide(sim, h.temperature),
		"match_score":       b.View(b.Dense(m, h.similarity, kernels.ActSigmoid), batch),
		"vision_embeddings": ve,
		"text_embeddings":   te,
	}
}
