package heads

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// attentionType is the decoder heads' attention_type (SPEC.md 3.3).
type attentionType uint8

const (
	attnMultiHead attentionType = iota
	attnFlash
	attnSparse
	attnDifferential
)

var attentionTypeNames = map[string]attentionType{
	"multi_head": attnMultiHead, "flash": attnFlash, "sparse": attnSparse, "differential": attnDifferential,
}

func (t attentionType) String() string {
	for name, v := range attentionTypeNames {
		if v == t {
			return name
		}
	}
	return fmt.Sprintf("attentionType(%d)", uint8(t))
}

func parseAttentionType(c *config) attentionType {
	s := c.String("attention_type", "multi_head")
	t, ok := attentionTypeNames[s]
	if !ok {
		c.fail("attention_type", "unknown attention type %q (want multi_head, flash, sparse or differential)", s)
	}
	return t
}

// attention is one attention layer of SPEC.md 3.1-3.3. Projections that read
// the same input are packed into one product: q|k|v of self-attention, k|v
// of cross-attention, q1|q2 and k1|k2|v of differential attention.
type attention struct {
	kind   attentionType
	self   bool
	heads  int
	dim    int                    // D = heads * head dim
	q      *kernels.PackedWeights // cross: q; differential: q1|q2; self multi_head: q|k|v
	kv     *kernels.PackedWeights // cross: k|v; differential: k1|k2|v; nil for self multi_head
	proj   *kernels.PackedWeights
	lambda float32 // differential only

	memOnce sync.Once // makes mem, the projections for runtime.AttendMemory
	mem     *runtime.MemoryWeights
	memErr  error
	derived *atomic.Int64 // the model's count of bytes arranged after loading
}

// loadAttention reads attention layer `path` of decoder layer idx. self
// layers read their memory from the query stream (width dim); cross layers
// read a memory of width dkv.
func loadAttention(l *loader, path string, kind attentionType, self bool, idx, heads, dim, dkv int) *attention {
	a := &attention{kind: kind, self: self, heads: heads, dim: dim, derived: l.derived}
	switch {
	case kind == attnDifferential:
		a.q = l.denseConcat([]string{path + "/q1", path + "/q2"}, dim, dim, true)
		a.kv = l.denseConcat([]string{path + "/k1", path + "/k2", path + "/v"}, dkv, dim, true)
		a.proj = l.dense(path+"/proj", dim, dim, true)
		a.lambda = kernels.DifferentialLambda(idx, l.vec(path+"/lambda_param", 1)[0])
	case self:
		a.q = l.dense(path+"/cross_attention/qkv", dim, 3*dim, false)
		a.proj = l.dense(path+"/cross_attention/proj", dim, dim, false)
	default:
		a.q = l.dense(path+"/q", dim, dim, true)
		a.kv = l.dense(path+"/kv", dkv, 2*dim, true)
		a.proj = l.dense(path+"/proj", dim, dim, true)
	}
	return a
}

func (a *attention) spec(causal bool) runtime.AttentionSpec {
	return runtime.AttentionSpec{
		Heads: a.heads, HeadDim: a.dim / a.heads, Causal: causal,
		Probability: map[bool]kernels.Probability{true: kernels.ProbSparsemax, false: kernels.ProbSoftmax}[a.kind == attnSparse],
		Tiled:       a.kind == attnFlash,
	}
}

// memoryKV projects a cross-attention memory [B, T, Dkv] to its keys and
// values [B, T, 2D] (k1|k2|v [B, T, 3D] for differential attention). A
// memory's projections are computed once and shared by every query that
// attends to it: all regions of an image, all steps of generation.
func (a *attention) memoryKV(b *runtime.Builder, memory runtime.Tensor) runtime.Tensor {
	return b.Dense(memory, a.kv, kernels.ActNone)
}

// build appends the layer to b: x [B, S, D] attends to memory [B, T, Dkv]
// (x itself for self-attention).
func (a *attention) build(b *runtime.Builder, x, memory runtime.Tensor, causal bool) runtime.Tensor {
	if a.self && a.kind != attnDifferential {
		qkv := b.Dense(x, a.q, kernels.ActNone)
		d := a.dim
		out := b.Attend(a.spec(causal), runtime.Operand{T: qkv}, runtime.Operand{T: qkv, Col: d},
			runtime.Operand{T: qkv, Col: 2 * d})
		return b.Dense(out, a.proj, kernels.ActNone)
	}
	if s, t := b.Shape(x), b.Shape(memory); len(s) == 3 && len(t) == 3 && a.attendsMemory(s[1], t[1]) {
		return a.attendMemory(b, x, memory)
	}
	return a.attendKV(b, x, a.memoryKV(b, memory), causal)
}

// attendKV appends the layer with the memory's keys and values already
// projected by memoryKV.
func (a *attention) attendKV(b *runtime.Builder, x, kv runtime.Tensor, causal bool) runtime.Tensor {
	d := a.dim
	q := b.Dense(x, a.q, kernels.ActNone)
	var out runtime.Tensor
	if a.kind == attnDifferential {
		out = b.AttendDifferential(a.spec(causal),
			runtime.Operand{T: q}, runtime.Operand{T: kv},
			runtime.Operand{T: q, Col: d}, runtime.Operand{T: kv, Col: d},
			runtime.Operand{T: kv, Col: 2 * d}, a.lambda)
	} else {
		out = b.Attend(a.spec(causal), runtime.Operand{T: q}, runtime.Operand{T: kv},
			runtime.Operand{T: kv, Col: d})
	}
	return b.Dense(out, a.proj, kernels.ActNone)
}

// ffn is a feed-forward block of SPEC.md 3.4.
type ffn struct {
	swiglu   bool
	fc1, fc2 *kernels.PackedWeights // mlp
	gate, up *kernels.PackedWeights // swiglu
	down     *kernels.PackedWeights
}

// hidden returns the FFN's hidden width.
func (f *ffn) hidden() int {
	if f.swiglu {
		return f.gate.N()
	}
	return f.fc1.N()
}

// swigluWidth is the hidden width rule of dl_techniques' SwiGLU FFN.
func swigluWidth(out int, factor float64) int {
	f := int(float64(out) * factor * 2 / 3)
	return 256 * ((f + 255) / 256)
}

func parseFFNType(c *config) bool {
	switch s := c.String("ffn_type", "swiglu"); s {
	case "swiglu":
		return true
	case "mlp":
		return false
	default:
		c.fail("ffn_type", "unknown FFN type %q (want mlp or swiglu)", s)
		return false
	}
}

func loadFFN(l *loader, path string, swiglu bool, in, out int, factor float64) *ffn {
	if swiglu {
		f := swigluWidth(out, factor)
		return &ffn{swiglu: true,
			gate: l.dense(path+"/gate_proj", in, f, false),
			up:   l.dense(path+"/up_proj", in, f, false),
			down: l.dense(path+"/down_proj", f, out, false)}
	}
	hidden := int(float64(in) * factor)
	return &ffn{fc1: l.dense(path+"/fc1", in, hidden, true), fc2: l.dense(path+"/fc2", hidden, out, true)}
}

func (f *ffn) build(b *runtime.Builder, x runtime.Tensor) runtime.Tensor {
	if f.swiglu {
		g := b.Dense(x, f.gate, kernels.ActSiLU)
		u := b.Dense(x, f.up, kernels.ActNone)
		return b.Dense(b.Binary(runtime.OpMul, g, u), f.down, kernels.ActNone)
	}
	return b.Dense(b.Dense(x, f.fc1, kernels.ActGELU), f.fc2, kernels.ActNone)
}
