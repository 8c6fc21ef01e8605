package encoders

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// encoderLayer is one pre-norm transformer layer of Hugging Face's
// CLIPEncoderLayer (SiglipEncoderLayer is the same):
//
//	x = x + out_proj(attention(layer_norm1(x)))
//	x = x + fc2(act(fc1(layer_norm2(x))))
//
// q, k and v are packed as one product whose output holds the three side by
// side, so that one matrix product reads the normalised rows once.
type encoderLayer struct {
	norm1, norm2 runtime.Norm
	qkv, out     *kernels.PackedWeights
	fc1, fc2     *kernels.PackedWeights
}

// loadLayers reads the layers <prefix>.{i}.* of a tower.
func loadLayers(l *loader, prefix string, c *TowerConfig) []encoderLayer {
	layers := make([]encoderLayer, c.Layers)
	d := c.Hidden
	for i := range layers {
		p := fmt.Sprintf("%s.%d.", prefix, i)
		layers[i] = encoderLayer{
			norm1: l.layerNorm(p+"layer_norm1", d, c.Eps),
			qkv:   l.linear([]string{p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"}, d, d, true),
			out:   l.linear([]string{p + "self_attn.out_proj"}, d, d, true),
			norm2: l.layerNorm(p+"layer_norm2", d, c.Eps),
			fc1:   l.linear([]string{p + "mlp.fc1"}, d, c.Intermediate, true),
			fc2:   l.linear([]string{p + "mlp.fc2"}, c.Intermediate, d, true),
		}
		if l.err != nil {
			break
		}
	}
	return layers
}

// buildLayers appends the layers to b for x [B, T, D] and returns their
// output. Each residual sum and the layer norm that reads it run as one
// AddNormalize step: x + attention with layer_norm2, x + MLP with the next
// layer's layer_norm1.
func buildLayers(b *runtime.Builder, layers []encoderLayer, x runtime.Tensor, c *TowerConfig, causal bool) runtime.Tensor {
	d := c.Hidden
	spec := runtime.AttentionSpec{Heads: c.Heads, HeadDim: d / c.Heads, Causal: causal}
	h := b.Normalize(layers[0].norm1, x, nil)
	for i := range layers {
		e := &layers[i]
		qkv := b.Dense(h, e.qkv, kernels.ActNone)
		a := b.Attend(spec, runtime.Operand{T: qkv}, runtime.Operand{T: qkv, Col: d}, runtime.Operand{T: qkv, Col: 2 * d})
		x, h = b.AddNormalize(e.norm2, x, b.Dense(a, e.out, kernels.ActNone))
		f := b.Dense(b.Dense(h, e.fc1, c.Act), e.fc2, kernels.ActNone)
		if i+1 < len(layers) {
			x, h = b.AddNormalize(layers[i+1].norm1, x, f)
		} else {
			x = b.Binary(runtime.OpAdd, x, f)
		}
	}
	return x
}
