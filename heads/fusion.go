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
	split    splitDense             // concat, gated; tensor: the 8 projections side by side
	proj     *kernels.PackedWeights // bilinear
	gates    [2]*kernels.PackedWeights
	final    *kernels.PackedWeights // tensor fusion
	norm     runtime.Norm
	ffn      *ffn // addition, multiplication
}

// splitDense is a Dense layer over concat(x1, x2) packed as two products,
// x1 W_top + (x2 W_bottom + b), so that a second input shared by many rows
// (grounding's text query, the same for every vision token) is projected
// once per image rather than once per row.
type splitDense struct {
	top, bottom *kernels.PackedWeights
}

// build computes act(concat(x1, x2) W + b) for x1, x2 of one shape.
func (s splitDense) build(b *runtime.Builder, x1, x2 runtime.Tensor, act kernels.Activation) runtime.Tensor {
	return b.DenseAdd(x1, s.top, b.Dense(x2, s.bottom, kernels.ActNone), act)
}

func loadFusion(l *loader, path string, s fusionStrategy, d int) *fusion {
	f := &fusion{strategy: s}
	switch s {
	case fuseConcat:
		f.split = l.denseSplit([]string{path + "/concat_projection"}, d, d, true)
		f.norm = l.norm(path+"/concat_norm", layerNorm, d)
	case fuseAdd, fuseMultiply:
		f.norm = l.norm(path+"/elementwise_norm", layerNorm, d)
		f.ffn = loadFFN(l, path+"/elementwise_ffn", false, d, d, 4)
	case fuseGated:
		f.gates[0] = l.dense(path+"/gate_0", d, d, true)
		f.gates[1] = l.dense(path+"/gate_1", d, d, true)
		f.split = l.denseSplit([]string{path + "/gated_projection"}, d, d, true)
		f.norm = l.norm(path+"/gated_norm", layerNorm, d)
	case fuseBilinear:
		f.proj = l.dense(path+"/bilinear_projection", d*d, d, true)
		f.norm = l.norm(path+"/bilinear_norm", layerNorm, d)
	case fuseTensor:
		paths := make([]string, tensorFusionProjections)
		for k := range paths {
			paths[k] = path + "/tensor_proj_" + string(rune('0'+k))
		}
		f.split = l.denseSplit(paths, d, d, true)
		f.final = l.dense(path+"/tensor_final_proj", tensorFusionProjections*d, d, true)
	}
	return f
}

// build fuses x1 and x2 of one shape [.., D] into [.., D].
func (f *fusion) build(b *runtime.Builder, x1, x2 runtime.Tensor) runtime.Tensor {
	return f.fuse(b, x1, x2, x2)
}

// buildBroadcast fuses x1 [B, N, D] with x2 [B, D], the same second input
// for all N rows of an image, into [B, N, D]. What depends on x2 alone is
// computed once per image: its gate and its half of the projections.
func (f *fusion) buildBroadcast(b *runtime.Builder, x1, x2 runtime.Tensor) runtime.Tensor {
	n := b.Shape(x1)[1]
	switch f.strategy {
	case fuseConcat, fuseGated, fuseTensor:
		return f.fuse(b, x1, x2, runtime.Tensor{})
	}
	tiled := b.Repeat(x2, n)
	return f.fuse(b, x1, tiled, tiled)
}

// fuse computes the fusion of x1 with x2. rows is x2 with x1's shape, or
// the zero Tensor when x2 [B, D] is shared by the N rows of x1 [B, N, D]
// and only the split projections read it.
func (f *fusion) fuse(b *runtime.Builder, x1, x2, rows runtime.Tensor) runtime.Tensor {
	var y runtime.Tensor
	switch f.strategy {
	case fuseConcat:
		y = f.split.build(b, x1, x2, kernels.ActGELU)
	case fuseAdd:
		return f.ffn.build(b, b.Normalize(f.norm, b.Binary(runtime.OpAdd, x1, rows), nil))
	case fuseMultiply:
		return f.ffn.build(b, b.Normalize(f.norm, b.Binary(runtime.OpMul, x1, rows), nil))
	case fuseGated:
		g1 := b.Binary(runtime.OpMul, x1, b.Dense(x1, f.gates[0], kernels.ActSigmoid))
		g2 := b.Binary(runtime.OpMul, x2, b.Dense(x2, f.gates[1], kernels.ActSigmoid))
		y = f.split.build(b, g1, g2, kernels.ActGELU)
	case fuseBilinear:
		y = b.Dense(b.Outer(x1, rows), f.proj, kernels.ActGELU)
	case fuseTensor:
		return b.Dense(f.split.build(b, x1, x2, kernels.ActGELU), f.final, kernels.ActNone)
	}
	return b.Normalize(f.norm, y, nil)
}
