package heads

import (
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// fusionStrategy is a MultiModalFusion strategy of SPEC.md 3.5.
type fusionStrategy uint8

const (
	fuseConcat fusionStrategy = iota
	fuseAdd
	fuseMultiply
	fuseGated
	fuseBilinear
	fuseTensor
)

var fusionNames = map[string]fusionStrategy{
	"concatenation": fuseConcat, "concat": fuseConcat,
	"addition": fuseAdd, "add": fuseAdd,
	"multiplication": fuseMultiply, "multiply": fuseMultiply,
	"gated": fuseGated, "bilinear": fuseBilinear, "tensor_fusion": fuseTensor,
}

func parseFusion(c *config, def string) fusionStrategy {
	s := c.String("fusion_strategy", def)
	f, ok := fusionNames[s]
	if !ok {
		if s == "cross_attention" || s == "attention_pooling" {
			c.fail("fusion_strategy", "%q produces no single fused tensor; this head accepts concatenation, addition, multiplication, gated, bilinear or tensor_fusion", s)
		} else {
			c.fail("fusion_strategy", "unknown fusion strategy %q", s)
		}
	}
	return f
}

// tensorFusionProjections is the number of projections of tensor fusion.
const tensorFusionProjections = 8

// fusion is a two-input MultiModalFusion layer (vision first).
type fusion struct {
	strategy fusionStrategy
	proj     *kernels.PackedWeights // concat, gated, bilinear; tensor: the 8 projections side by side
	gates    [2]*kernels.PackedWeights
	final    *kernels.PackedWeights // tensor fusion
	norm     runtime.Norm
	ffn      *ffn // addition, multiplication
	hasNorm  bool
}

func loadFusion(l *loader, path string, s fusionStrategy, d int) *fusion {
	f := &fusion{strategy: s}
	switch s {
	case fuseConcat:
		f.proj = l.dense(path+"/concat_projection", 2*d, d, true)
		f.norm, f.hasNorm = l.norm(path+"/concat_norm", layerNorm, d), true
	case fuseAdd, fuseMultiply:
		f.norm, f.hasNorm = l.norm(path+"/elementwise_norm", layerNorm, d), true
		f.ffn = loadFFN(l, path+"/elementwise_ffn", false, d, d, 4)
	case fuseGated:
		f.gates[0] = l.dense(path+"/gate_0", d, d, true)
		f.gates[1] = l.dense(path+"/gate_1", d, d, true)
		f.proj = l.dense(path+"/gated_projection", 2*d, d, true)
		f.norm, f.hasNorm = l.norm(path+"/gated_norm", layerNorm, d), true
	case fuseBilinear:
		f.proj = l.dense(path+"/bilinear_projection", d*d, d, true)
		f.norm, f.hasNorm = l.norm(path+"/bilinear_norm", layerNorm, d), true
	case fuseTensor:
		paths := make([]string, tensorFusionProjections)
		for k := range paths {
			paths[k] = path + "/tensor_proj_" + string(rune('0'+k))
		}
		f.proj = l.denseConcat(paths, 2*d, d, true)
		f.final = l.dense(path+"/tensor_final_proj", tensorFusionProjections*d, d, true)
	}
	return f
}

// build fuses x1 and x2 of one shape [.., D] into [.., D].
func (f *fusion) build(b *runtime.Builder, x1, x2 runtime.Tensor) runtime.Tensor {
	var y runtime.Tensor
	switch f.strategy {
	case fuseConcat:
		y = b.Dense(b.Concat(x1, x2), f.proj, kernels.ActGELU)
	case fuseAdd:
		return f.ffn.build(b, b.Normalize(f.norm, b.Binary(runtime.OpAdd, x1, x2), nil))
	case fuseMultiply:
		return f.ffn.build(b, b.Normalize(f.norm, b.Binary(runtime.OpMul, x1, x2), nil))
	case fuseGated:
		g1 := b.Binary(runtime.OpMul, x1, b.Dense(x1, f.gates[0], kernels.ActSigmoid))
		g2 := b.Binary(runtime.OpMul, x2, b.Dense(x2, f.gates[1], kernels.ActSigmoid))
		y = b.Dense(b.Concat(g1, g2), f.proj, kernels.ActGELU)
	case fuseBilinear:
		y = b.Dense(b.Outer(x1, x2), f.proj, kernels.ActGELU)
	case fuseTensor:
		return b.Dense(b.Dense(b.Concat(x1, x2), f.proj, kernels.ActGELU), f.final, kernels.ActNone)
	}
	return b.Normalize(f.norm, y, nil)
}
