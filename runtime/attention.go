package runtime

import (
	"fmt"
	"slices"

	"github.com/vlmrt/vlmrt/kernels"
)

// Operand is a block of columns of a rank-3 tensor [B, T, W]: the columns
// [Col, Col+width) of every row, e.g. the K block of packed KV projections.
type Operand struct {
	T   Tensor
	Col int
}

// AttentionSpec fixes the shape and kind of a batched attention.
type AttentionSpec struct {
	Heads, HeadDim int
	Causal         bool // query i keeps keys j <= i + Keys - Queries
	Probability    kernels.Probability
	Tiled          bool // online softmax over key tiles (the flash type)
}

// Attend computes multi-head attention for every batch element: queries from
// q [B, Sq, *], keys from k and values from v [B, Skv, *]. The result is
// [B, Sq, Heads*HeadDim], heads concatenated in order.
func (b *Builder) Attend(spec AttentionSpec, q, k, v Operand) Tensor {
	s, ok := b.attentionStep(spec, q, k, v)
	if !ok {
		return q.T
	}
	b.Add(s, []Tensor{q.T, k.T, v.T, s.scratch}, []Tensor{s.out})
	return s.out
}

// AttendDifferential computes differential attention (SPEC.md 3.3):
// softmax(q1 k1^T s) v - lambda softmax(q2 k2^T s) v per head.
func (b *Builder) AttendDifferential(spec AttentionSpec, q1, k1, q2, k2, v Operand, lambda float32) Tensor {
	s, ok := b.attentionStep(spec, q1, k1, v)
	if !ok {
		return q1.T
	}
	// The kernel reads both streams with the first one's strides.
	if !slices.Equal(b.Shape(q1.T), b.Shape(q2.T)) || !slices.Equal(b.Shape(k1.T), b.Shape(k2.T)) {
		b.fail(fmt.Errorf("runtime: differential attention: streams of shapes %v, %v and keys %v, %v",
			b.Shape(q1.T), b.Shape(q2.T), b.Shape(k1.T), b.Shape(k2.T)))
		return q1.T
	}
	s2, ok := b.attentionStep(spec, q2, k2, v)
	if !ok {
		return q1.T
	}
	d := &diffAttentionStep{first: s, q2: s2.q, k2: s2.k, lambda: lambda}
	scratch := b.Temp(s.att.DifferentialScratchLen())
	s.scratch = scratch
	b.Add(d, []Tensor{q1.T, k1.T, q2.T, k2.T, v.T, scratch}, []Tensor{s.out})
	return s.out
}

func (b *Builder) attentionStep(spec AttentionSpec, q, k, v Operand) (*attentionStep, bool) {
	qs, ks, vs := b.Shape(q.T), b.Shape(k.T), b.Shape(v.T)
	w := spec.Heads * spec.HeadDim
	bad := len(qs) != 3 || len(ks) != 3 || len(vs) != 3 || qs[0] != ks[0] || ks[0] != vs[0] ||
		ks[1] != vs[1] || q.Col+w > qs[2] || k.Col+w > ks[2] || v.Col+w > vs[2] || spec.Heads <= 0
	if bad {
		b.fail(fmt.Errorf("runtime: attention %d x %d heads: q %v@%d, k %v@%d, v %v@%d",
			spec.Heads, spec.HeadDim, qs, q.Col, ks, k.Col, vs, v.Col))
		return nil, false
	}
	if qs[1] == 0 || ks[1] == 0 {
		b.fail(fmt.Errorf("runtime: attention needs at least one query and one key, got q %v and k %v", qs, ks))
		return nil, false
	}
	att := kernels.Attention{
		Queries: qs[1], Keys: ks[1], Heads: spec.Heads, HeadDim: spec.HeadDim,
		QStride: qs[2], KStride: ks[2], VStride: vs[2], OutStride: w,
		Causal: spec.Causal, Probability: spec.Probability, Tiled: spec.Tiled,
	}
	return &attentionStep{
		att: att, q: q, k: k, v: v, batch: qs[0],
		out:     b.Temp(qs[0], qs[1], w),
		scratch: b.Temp(att.ParallelScratchLen()),
	}, true
}

type attentionStep struct {
	att          kernels.Attention
	q, k, v      Operand
	out, scratch Tensor
	batch        int
}

// slices returns batch element i's views of an operand and the output.
func (s *attentionStep) slices(x *Exec, i int) (q, k, v, out []float32) {
	a := &s.att
	q = x.F(s.q.T)[i*a.Queries*a.QStride+s.q.Col:]
	k = x.F(s.k.T)[i*a.Keys*a.KStride+s.k.Col:]
	v = x.F(s.v.T)[i*a.Keys*a.VStride+s.v.Col:]
	out = x.F(s.out)[i*a.Queries*a.OutStride:]
	return
}

// NewState gives each session its own copy of the kernel descriptor, which
// holds the parallel task of RunParallel.
func (s *attentionStep) NewState() any {
	a := s.att
	return &a
}

func (s *attentionStep) Run(x *Exec) {
	att := x.State().(*kernels.Attention)
	scratch := x.F(s.scratch)
	for i := 0; i < s.batch; i++ {
		q, k, v, out := s.slices(x, i)
		att.RunParallel(x.Pool, out, q, k, v, scratch)
	}
}

type diffAttentionStep struct {
	first  *attentionStep
	q2, k2 Operand
	lambda float32
}

func (s *diffAttentionStep) Run(x *Exec) {
	f := s.first
	a := &f.att
	scratch := x.F(f.scratch)
	for i := 0; i < f.batch; i++ {
		q1, k1, v, out := f.slices(x, i)
		q2 := x.F(s.q2.T)[i*a.Queries*a.QStride+s.q2.Col:]
		k2 := x.F(s.k2.T)[i*a.Keys*a.KStride+s.k2.Col:]
		a.RunDifferential(out, q1, k1, q2, k2, v, s.lambda, scratch)
	}
}
