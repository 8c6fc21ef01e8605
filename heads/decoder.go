package heads

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// decoderConfig holds the keys of SPEC.md 4.1 that every decoder head reads.
type decoderConfig struct {
	layers, heads int
	swiglu        bool
	factor        float64
	attention     attentionType
}

func readDecoderConfig(c *config, dim int) decoderConfig {
	d := decoderConfig{
		layers:    c.PositiveInt("num_layers", 6),
		heads:     c.PositiveInt("num_heads", 12),
		swiglu:    parseFFNType(c),
		factor:    c.Float("ffn_expansion_factor", 4),
		attention: parseAttentionType(c),
	}
	if d.factor <= 0 {
		c.fail("ffn_expansion_factor", "must be positive, got %v", d.factor)
	}
	if dim%d.heads != 0 {
		c.fail("num_heads", "hidden_size %d is not a multiple of num_heads %d", dim, d.heads)
	}
	return d
}

// decoderLayer is one post-norm layer of SPEC.md 4.1.
type decoderLayer struct {
	self, cross         *attention
	ffn                 *ffn
	norm1, norm2, norm3 runtime.Norm
}

// decoder is the caption decoder shared by the captioning, dense captioning
// and dialogue heads: layers of causal self-attention, cross-attention to a
// memory and an FFN, then the output projection to the vocabulary.
type decoder struct {
	cfg        decoderConfig
	dim, vocab int
	dkv        int // width of the memory
	layers     []decoderLayer
	output     *kernels.PackedWeights
}

func loadDecoder(l *loader, cfg decoderConfig, head string, dim, dkv, vocab int) *decoder {
	d := &decoder{cfg: cfg, dim: dim, dkv: dkv, vocab: vocab}
	for i := 0; i < cfg.layers && l.err == nil; i++ { // each layer's weights bound the count
		d.layers = append(d.layers, decoderLayer{
			self:  loadAttention(l, fmt.Sprintf("self_attention_%d", i), cfg.attention, true, i, cfg.heads, dim, dim),
			cross: loadAttention(l, fmt.Sprintf("cross_attention_%d", i), cfg.attention, false, i, cfg.heads, dim, dkv),
			ffn:   loadFFN(l, fmt.Sprintf("ffn_%d", i), cfg.swiglu, dim, dim, cfg.factor),
			norm1: l.norm(fmt.Sprintf("norm1_%d", i), rmsNorm, dim),
			norm2: l.norm(fmt.Sprintf("norm2_%d", i), rmsNorm, dim),
			norm3: l.norm(fmt.Sprintf("norm3_%d", i), rmsNorm, dim),
		})
	}
	d.output = l.dense(head+"_output_proj", dim, vocab, true)
	return d
}

// build decodes x [B, S, D] against memory [B, T, Dkv] and returns the
// logits [B, S, V] and the last hidden states [B, S, D]. Each layer's
// cross-attention projects the memory or attends to it directly, whichever
// costs less (attention.attendsMemory).
func (d *decoder) build(b *runtime.Builder, x, memory runtime.Tensor) (logits, hidden runtime.Tensor) {
	return d.buildLayers(b, x, func(i int, x runtime.Tensor) runtime.Tensor {
		return d.layers[i].cross.build(b, x, memory, false)
	})
}

// memoryKV projects memory to every layer's cross-attention keys and values.
func (d *decoder) memoryKV(b *runtime.Builder, memory runtime.Tensor) []runtime.Tensor {
	kvs := make([]runtime.Tensor, len(d.layers))
	for i, layer := range d.layers {
		kvs[i] = layer.cross.memoryKV(b, memory)
	}
	return kvs
}

// buildKV decodes x [B, S, D] against the per-layer memory projections
// of memoryKV.
func (d *decoder) buildKV(b *runtime.Builder, x runtime.Tensor, kvs []runtime.Tensor) (logits, hidden runtime.Tensor) {
	return d.buildLayers(b, x, func(i int, x runtime.Tensor) runtime.Tensor {
		return d.layers[i].cross.attendKV(b, x, kvs[i], false)
	})
}

// buildLayers appends the layers with cross(i, x) as layer i's
// cross-attention, then the output projection.
func (d *decoder) buildLayers(b *runtime.Builder, x runtime.Tensor, cross func(i int, x runtime.Tensor) runtime.Tensor) (logits, hidden runtime.Tensor) {
	for i, layer := range d.layers {
		sa := layer.self.build(b, x, x, true)
		x = b.Normalize(layer.norm1, sa, &x)
		x = b.Normalize(layer.norm2, cross(i, x), &x)
		f := layer.ffn.build(b, x)
		x = b.Normalize(layer.norm3, f, &x)
	}
	return b.Dense(x, d.output, kernels.ActNone), x
}
