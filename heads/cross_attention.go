package heads

import (
	"fmt"
	"os"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// This file chooses, per cross-attention layer and shapes, between
// projecting the memory to keys and values and attending to the memory
// directly (runtime.AttendMemory), and arranges the weights the direct way
// reads.

// CrossAttentionEnv names the environment variable that overrides how
// cross-attention layers meet their memory, read by Model.Compile:
// "projected" always projects the memory to keys and values, "direct"
// always attends to it directly (runtime.AttendMemory) where the kind
// allows, "auto" or unset picks the cheaper per layer. The two ways agree
// within float32 rounding, not bit for bit; the override is for comparing
// them.
const CrossAttentionEnv = "VLMRT_CROSS_ATTENTION"

// crossAttentionMode returns -1 for "projected", 1 for "direct" and 0 for
// "auto" or unset.
func crossAttentionMode() (int, error) {
	switch v := os.Getenv(CrossAttentionEnv); v {
	case "", "auto":
		return 0, nil
	case "projected":
		return -1, nil
	case "direct":
		return 1, nil
	default:
		return 0, fmt.Errorf("heads: %s=%q: want auto, projected or direct", CrossAttentionEnv, v)
	}
}

// attendsMemory reports whether s queries attend to a memory of t rows with
// less work by runtime.AttendMemory, which never projects the memory, than
// by projecting it to keys and values (its cost model is in
// runtime/memory_attention.go); both count multiply-adds. Either way the
// flash type's working memory does not grow with t: AttendMemory runs its
// softmax online over tiles of the memory.
func (a *attention) attendsMemory(s, t int) bool {
	mode, _ := crossAttentionMode() // Compile has checked it
	if a.self || s == 0 || t == 0 || mode < 0 {
		return false
	}
	if mode > 0 {
		return true
	}
	streams := 1
	if a.kind == attnDifferential {
		streams = 2
	}
	d, dkv, h := a.dim, a.kv.K(), a.heads
	project := t*dkv*d*(streams+1) + 2*streams*s*t*d
	direct := streams*s*d*dkv + (streams+1)*h*s*t*dkv + s*dkv*d + 2*t*dkv
	return 10*direct < 9*project
}

// attendMemory appends the layer computed by runtime.AttendMemory.
func (a *attention) attendMemory(b *runtime.Builder, x, memory runtime.Tensor) runtime.Tensor {
	w, err := a.memoryWeights()
	if err != nil {
		b.Fail(err)
		return x
	}
	q := b.Dense(x, a.q, kernels.ActNone)
	var out runtime.Tensor
	if a.kind == attnDifferential {
		out = b.AttendMemory(a.spec(false), memory, w, a.lambda, runtime.Operand{T: q}, runtime.Operand{T: q, Col: a.dim})
	} else {
		out = b.AttendMemory(a.spec(false), memory, w, 0, runtime.Operand{T: q})
	}
	return b.Dense(out, a.proj, kernels.ActNone)
}

// memoryWeights returns the key and value projections arranged for
// runtime.AttendMemory, made from the packed k|v (k1|k2|v) projections the
// first time a plan needs them: models that never attend this way do not
// hold them.
func (a *attention) memoryWeights() (*runtime.MemoryWeights, error) {
	a.memOnce.Do(func() {
		streams, rowSum := 1, float32(1)
		if a.kind == attnDifferential {
			streams, rowSum = 2, 1-a.lambda
		}
		a.mem, a.memErr = runtime.NewMemoryWeights(a.heads, a.kv, streams, rowSum, 0)
		if a.mem != nil && a.derived != nil {
			a.derived.Add(int64(a.mem.Bytes()))
		}
	})
	return a.mem, a.memErr
}
