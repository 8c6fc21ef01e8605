package heads

import (
	"errors"
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
)

// stepper is the incremental decoder of text generation (SPEC.md 6): it
// implements generate.Stepper for one memory (one image, one region) at a
// time. Per layer it keeps, for every slot, the self-attention keys and
// values of the positions so far; the cross-attention keys and values of
// the memory are computed once by setMemory. A step costs one token's work
// per slot, and allocates nothing.
type stepper struct {
	dec     *decoder
	emb     *generationWeights
	slots   int
	maxLen  int // positions a cache holds
	memCap  int // memory rows the buffers hold
	memLen  int
	memKV   [][]float32 // per layer: [memLen, cross key|value width]
	cache   [][]float32 // per slot*layers+layer: [maxLen, self key|value width]
	spare   [][]float32 // the other half of the double buffer Reorder uses
	pos     int
	x       []float32 // [slots, D] the hidden state
	q       []float32 // [slots, 3D] projections of the query stream
	kv      []float32 // [slots, 3D] differential self-attention keys|values
	att     []float32 // [slots, D] attention output before proj
	proj    []float32 // [slots, D]
	h1, h2  []float32 // [slots, FFN width]
	scratch []float32
	task    kernels.MatMulTask // the products' state (int8 ones quantize rows into it)
}

// matmul computes c = a w (+ bias, act) for m rows with the stepper's task,
// so that no product takes scratch from elsewhere.
func (s *stepper) matmul(w *kernels.PackedWeights, c, a []float32, m int, act kernels.Activation) {
	w.MatMulWith(&s.task, nil, c, w.N(), a, w.K(), m, act)
}

// kvWidth is the width of a cache row of keys and values: k|v, or
// k1|k2|v for differential attention.
func (a *attention) kvWidth() int {
	if a.kind == attnDifferential {
		return 3 * a.dim
	}
	return 2 * a.dim
}

// maxStepperValues bounds the 4-byte values a generation holds (16 GiB),
// as the runtime bounds a tensor: a bad maxLength or beam gets an error,
// not an allocation that kills the process.
const maxStepperValues = 1 << 32

// stepperValues returns how many float32 values newStepper allocates for
// these sizes, in float64 so that absurd sizes do not overflow: the
// memory's keys and values, the double-buffered self-attention caches,
// and the per-slot rows (the attention scratch is below a cache's size).
func stepperValues(dec *decoder, slots, maxLen, memCap int) float64 {
	n := 0.0
	for _, l := range dec.layers {
		n += float64(memCap) * float64(l.cross.kvWidth())
		n += 2 * float64(slots) * float64(maxLen) * float64(l.self.kvWidth())
		n += float64(slots) * float64(9*dec.dim+2*l.ffn.hidden())
	}
	return n + float64(max(maxLen, memCap))*float64(dec.dim)
}

func newStepper(dec *decoder, emb *generationWeights, slots, maxLen, memCap int) *stepper {
	d := dec.dim
	s := &stepper{dec: dec, emb: emb, slots: slots, maxLen: maxLen, memCap: memCap}
	hidden := 0
	for _, l := range dec.layers {
		s.memKV = append(s.memKV, make([]float32, memCap*l.cross.kvWidth()))
		hidden = max(hidden, l.ffn.hidden())
	}
	for range slots * len(dec.layers) {
		w := dec.layers[0].self.kvWidth()
		s.cache = append(s.cache, make([]float32, maxLen*w))
		s.spare = append(s.spare, make([]float32, maxLen*w))
	}
	s.x = make([]float32, slots*d)
	s.q = make([]float32, slots*3*d)
	s.kv = make([]float32, slots*3*d)
	s.att = make([]float32, slots*d)
	s.proj = make([]float32, slots*d)
	s.h1 = make([]float32, slots*hidden)
	s.h2 = make([]float32, slots*hidden)
	keys := max(maxLen, memCap)
	probe := kernels.Attention{Queries: 1, Keys: keys, Heads: dec.cfg.heads, HeadDim: d / dec.cfg.heads,
		Tiled: dec.cfg.attention == attnFlash}
	s.scratch = make([]float32, probe.DifferentialScratchLen())
	return s
}

// setMemory computes every layer's cross-attention keys and values of
// memory [T, Dkv].
func (s *stepper) setMemory(memory []float32) error {
	t := len(memory) / s.dec.dkv
	if t*s.dec.dkv != len(memory) || t > s.memCap || t == 0 {
		return fmt.Errorf("heads: generation memory of %d values, want up to %d rows of %d", len(memory), s.memCap, s.dec.dkv)
	}
	s.memLen = t
	for i, l := range s.dec.layers {
		s.matmul(l.cross.kv, s.memKV[i], memory, t, kernels.ActNone)
	}
	return nil
}

// Vocab returns the vocabulary size.
func (s *stepper) Vocab() int { return s.dec.vocab }

// Reset starts slots empty hypotheses over the current memory.
func (s *stepper) Reset(slots int) error {
	if slots < 1 || slots > s.slots {
		return fmt.Errorf("heads: %d hypotheses, the generator holds %d", slots, s.slots)
	}
	s.pos = 0
	return nil
}

// errTooLong is returned when a step would pass the cache's length.
var errTooLong = errors.New("heads: generation longer than the position embedding or cache")

// Step appends tokens[i] to slot i and writes its next-token logits.
func (s *stepper) Step(tokens []int32, logits []float32) error {
	n, d, v := len(tokens), s.dec.dim, s.dec.vocab
	if n > s.slots || len(logits) < n*v {
		return fmt.Errorf("heads: step of %d tokens, %d logits", n, len(logits))
	}
	if s.pos >= s.maxLen || s.emb.positions != nil && s.pos >= s.emb.maxLen {
		return errTooLong
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= v {
			return fmt.Errorf("heads: token %d outside the vocabulary [0, %d)", t, v)
		}
		row := s.x[i*d : (i+1)*d]
		copy(row, s.emb.tokens[int(t)*d:])
		if s.emb.positions != nil {
			kernels.Add(row, row, s.emb.positions[s.pos*d:(s.pos+1)*d])
		}
	}
	x := s.x[:n*d]
	for l, layer := range s.dec.layers {
		s.selfAttention(l, layer.self, n)
		kernels.AddRMSNorm(x, s.proj[:n*d], x, layer.norm1.Gamma, layer.norm1.Eps)
		s.crossAttention(l, layer.cross, n)
		kernels.AddRMSNorm(x, s.proj[:n*d], x, layer.norm2.Gamma, layer.norm2.Eps)
		s.feedForward(layer.ffn, n)
		kernels.AddRMSNorm(x, s.proj[:n*d], x, layer.norm3.Gamma, layer.norm3.Eps)
	}
	s.matmul(s.dec.output, logits, x, n, kernels.ActNone)
	s.pos++
	return nil
}

// selfAttention appends the slots' keys and values at s.pos to layer l's
// caches and attends over positions [0, s.pos]; the result lands in s.proj.
func (s *stepper) selfAttention(l int, a *attention, n int) {
	d, w := a.dim, a.kvWidth()
	x := s.x[:n*d]
	att := kernels.Attention{Queries: 1, Keys: s.pos + 1, Heads: a.heads, HeadDim: d / a.heads,
		KStride: w, VStride: w, Probability: a.spec(false).Probability, Tiled: a.kind == attnFlash}
	if a.kind == attnDifferential {
		s.matmul(a.q, s.q, x, n, kernels.ActNone)
		s.matmul(a.kv, s.kv, x, n, kernels.ActNone)
		att.QStride = 2 * d
		for i := 0; i < n; i++ {
			cache := s.cache[i*len(s.dec.layers)+l]
			copy(cache[s.pos*w:(s.pos+1)*w], s.kv[i*w:(i+1)*w])
			att.RunDifferential(s.att[i*d:], s.q[i*2*d:], cache, s.q[i*2*d+d:], cache[d:], cache[2*d:], a.lambda, s.scratch)
		}
	} else {
		s.matmul(a.q, s.q, x, n, kernels.ActNone) // q|k|v
		att.QStride = 3 * d
		for i := 0; i < n; i++ {
			cache := s.cache[i*len(s.dec.layers)+l]
			copy(cache[s.pos*w:(s.pos+1)*w], s.q[i*3*d+d:(i+1)*3*d])
			att.Run(s.att[i*d:], s.q[i*3*d:], cache, cache[d:], s.scratch)
		}
	}
	s.matmul(a.proj, s.proj, s.att[:n*d], n, kernels.ActNone)
}

// crossAttention attends the slots to layer l's memory; the result lands
// in s.proj.
func (s *stepper) crossAttention(l int, a *attention, n int) {
	d, w := a.dim, a.kvWidth()
	mem := s.memKV[l][:s.memLen*w]
	s.matmul(a.q, s.q, s.x[:n*d], n, kernels.ActNone)
	att := kernels.Attention{Queries: 1, Keys: s.memLen, Heads: a.heads, HeadDim: d / a.heads,
		KStride: w, VStride: w, Probability: a.spec(false).Probability, Tiled: a.kind == attnFlash}
	for i := 0; i < n; i++ {
		if a.kind == attnDifferential {
			att.QStride = 2 * d
			att.RunDifferential(s.att[i*d:], s.q[i*2*d:], mem, s.q[i*2*d+d:], mem[d:], mem[2*d:], a.lambda, s.scratch)
		} else {
			att.QStride = d
			att.Run(s.att[i*d:], s.q[i*d:], mem, mem[d:], s.scratch)
		}
	}
	s.matmul(a.proj, s.proj, s.att[:n*d], n, kernels.ActNone)
}

// feedForward applies f to the slots' hidden states; the result lands in
// s.proj.
func (s *stepper) feedForward(f *ffn, n int) {
	x := s.x[:n*s.dec.dim]
	if f.swiglu {
		h := n * f.gate.N()
		s.matmul(f.gate, s.h1, x, n, kernels.ActSiLU)
		s.matmul(f.up, s.h2, x, n, kernels.ActNone)
		kernels.Mul(s.h1[:h], s.h1[:h], s.h2[:h])
		s.matmul(f.down, s.proj, s.h1[:h], n, kernels.ActNone)
		return
	}
	s.matmul(f.fc1, s.h1, x, n, kernels.ActGELU)
	s.matmul(f.fc2, s.proj, s.h1[:n*f.fc1.N()], n, kernels.ActNone)
}

// Reorder makes slot i continue the history of slot src[i].
func (s *stepper) Reorder(src []int) error {
	layers := len(s.dec.layers)
	w := s.dec.layers[0].self.kvWidth()
	if len(src) > s.slots {
		return fmt.Errorf("heads: reorder of %d slots, the generator holds %d", len(src), s.slots)
	}
	for i, j := range src {
		if j < 0 || j >= s.slots {
			return fmt.Errorf("heads: reorder from slot %d of %d", j, s.slots)
		}
		for l := 0; l < layers; l++ {
			copy(s.spare[i*layers+l][:s.pos*w], s.cache[j*layers+l][:s.pos*w])
		}
	}
	s.cache, s.spare = s.spare, s.cache
	return nil
}
