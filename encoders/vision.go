package encoders

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// Names of the inputs and outputs of an encoder's plans: those of the
// Hugging Face models (SPEC.md 8).
const (
	InputPixels = "pixel_values" // [B, C, H, W] float32, preprocessed
	InputIDs    = "input_ids"    // [B, T] token ids

	OutputHidden     = "last_hidden_state" // [B, T, D]
	OutputPooled     = "pooler_output"     // [B, D]
	OutputImageEmbed = "image_embeds"      // [B, E]: projected, not normalised
	OutputTextEmbed  = "text_embeds"       // [B, E]
)

// visionTower is a ViT: patch embedding as one packed product over the
// unfolded patches, an optional class token, learned position embeddings,
// pre-norm layers, and the family's pooling.
type visionTower struct {
	family Family
	cfg    TowerConfig
	patch  *kernels.PackedWeights // [D, C*P*P] (the convolution's kernel), bias for SigLIP
	class  []float32              // [D], CLIP only
	pos    []float32              // [tokens, D]
	pre    *runtime.Norm          // CLIP's pre_layrnorm
	layers []encoderLayer
	post   runtime.Norm
	proj   *kernels.PackedWeights // visual_projection, nil when the file has none
	pool   *attentionPool         // SigLIP's head, nil when absent
}

// attentionPool is SigLIP's multihead attention pooling head: a learned
// probe attends over the tokens, then a residual MLP. The probe's query
// projection does not depend on the image, so it is computed at load.
type attentionPool struct {
	query []float32 // probe W_q + b_q, [D]
	kv    *kernels.PackedWeights
	out   *kernels.PackedWeights
	norm  runtime.Norm
	fc1   *kernels.PackedWeights
	fc2   *kernels.PackedWeights
}

func loadVision(l *loader, family Family, c *TowerConfig, projection int) *visionTower {
	d, p := c.Hidden, c.PatchSize
	v := &visionTower{family: family, cfg: *c}
	const e = "vision_model.embeddings."
	w := l.read(e+"patch_embedding.weight", d, c.Channels, p, p)
	var bias []float32
	tokens := c.Patches()
	if family == SigLIP {
		bias = l.read(e+"patch_embedding.bias", d)
	} else {
		v.class = l.vec(e+"class_embedding", d)
		tokens++
	}
	v.patch = l.pack(kernels.Float32, w, d, c.Channels*p*p, append([]float32(nil), bias...), e+"patch_embedding")
	v.pos = l.vec(e+"position_embedding.weight", tokens, d)
	if family == CLIP {
		n := l.layerNorm("vision_model.pre_layrnorm", d, c.Eps)
		v.pre = &n
	}
	v.layers = loadLayers(l, "vision_model.encoder.layers", c)
	v.post = l.layerNorm("vision_model.post_layernorm", d, c.Eps)
	if family == CLIP && l.f.Has("visual_projection.weight") {
		v.proj = l.linear([]string{"visual_projection"}, d, projection, false)
	}
	if family == SigLIP && l.f.Has("vision_model.head.probe") {
		v.pool = loadAttentionPool(l, "vision_model.head.", c)
	}
	return v
}

func loadAttentionPool(l *loader, prefix string, c *TowerConfig) *attentionPool {
	d := c.Hidden
	probe := l.read(prefix+"probe", 1, 1, d)
	in := l.read(prefix+"attention.in_proj_weight", 3*d, d)
	inBias := l.read(prefix+"attention.in_proj_bias", 3*d)
	a := &attentionPool{query: make([]float32, d)}
	if l.err == nil {
		for j := range d {
			s := float64(inBias[j])
			for i, x := range probe {
				s += float64(in[j*d+i]) * float64(x)
			}
			a.query[j] = float32(s)
		}
		a.kv = l.pack(l.precision, in[d*d:], 2*d, d, append([]float32(nil), inBias[d:]...), prefix+"attention.in_proj")
	} else {
		a.kv = l.pack(kernels.Float32, nil, 0, 0, nil, prefix+"attention.in_proj")
	}
	a.out = l.linear([]string{prefix + "attention.out_proj"}, d, d, true)
	a.norm = l.layerNorm(prefix+"layernorm", d, c.Eps)
	a.fc1 = l.linear([]string{prefix + "mlp.fc1"}, d, c.Intermediate, true)
	a.fc2 = l.linear([]string{prefix + "mlp.fc2"}, c.Intermediate, d, true)
	return a
}

// build appends the tower for pixels [B, C, H, W] and returns its outputs
// by name.
func (v *visionTower) build(b *runtime.Builder, pixels runtime.Tensor) (map[string]runtime.Tensor, error) {
	c := &v.cfg
	s := b.Shape(pixels)
	if len(s) != 4 || s[1] != c.Channels || s[2] != c.ImageSize || s[3] != c.ImageSize {
		return nil, fmt.Errorf("%w: %s %v, want [B, %d, %d, %d]", ErrShape, InputPixels, s, c.Channels, c.ImageSize, c.ImageSize)
	}
	x := b.Dense(b.Patches(pixels, c.PatchSize), v.patch, kernels.ActNone)
	if v.class != nil {
		x = b.PrependRow(v.class, x)
	}
	x = b.AddRows(x, v.pos)
	if v.pre != nil {
		x = b.Normalize(*v.pre, x, nil)
	}
	x = buildLayers(b, v.layers, x, c, false)
	out := map[string]runtime.Tensor{}
	var pooled runtime.Tensor
	switch v.family {
	case CLIP:
		// last_hidden_state is the encoder's output; post_layernorm
		// normalises the class token only.
		out[OutputHidden] = x
		pooled = b.Normalize(v.post, b.Token(x, 0), nil)
		out[OutputPooled] = pooled
	case SigLIP:
		x = b.Normalize(v.post, x, nil)
		out[OutputHidden] = x
		if v.pool != nil {
			// get_image_features of SiglipModel is the pooled output: it
			// has no projection.
			pooled = v.pool.build(b, x, c)
			out[OutputPooled] = pooled
			out[OutputImageEmbed] = pooled
		}
	}
	if v.proj != nil {
		out[OutputImageEmbed] = b.Dense(pooled, v.proj, kernels.ActNone)
	}
	return out, nil
}

// build pools x [B, T, D] into [B, D].
func (a *attentionPool) build(b *runtime.Builder, x runtime.Tensor, c *TowerConfig) runtime.Tensor {
	s := b.Shape(x)
	batch, d := s[0], c.Hidden
	queries := make([]float32, 0, batch*d)
	for range batch {
		queries = append(queries, a.query...)
	}
	q := b.Constant(queries, batch, 1, d)
	kv := b.Dense(x, a.kv, kernels.ActNone)
	spec := runtime.AttentionSpec{Heads: c.Heads, HeadDim: d / c.Heads}
	h := b.Dense(b.Attend(spec, runtime.Operand{T: q}, runtime.Operand{T: kv}, runtime.Operand{T: kv, Col: d}), a.out, kernels.ActNone)
	f := b.Dense(b.Dense(b.Normalize(a.norm, h, nil), a.fc1, c.Act), a.fc2, kernels.ActNone)
	return b.View(b.Binary(runtime.OpAdd, h, f), batch, d)
}
