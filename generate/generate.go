// Package generate holds the decoding algorithms of text generation
// (SPEC section 6): greedy decoding, sampling with temperature, top-k,
// top-p and a seed, and beam search, over a Stepper, an incremental decoder
// that the runtime implements with cached self-attention keys and values.
//
// Each function decodes one sequence (one row of a batch); Pad lays the
// results of a batch out as the `[B, max_length]` tokens and `[B]` lengths
// of the output. Scores are sums of log-softmax values computed in float64,
// with the same bits on every GOARCH, so that the same logits give the same
// tokens, ties included, everywhere.
package generate

import (
	"errors"
	"fmt"

	"github.com/vlmrt/vlmrt/parallel"
)

// Stepper is an incremental decoder for one sequence set (one batch row):
// up to `slots` hypotheses that share the same memory (the image) and each
// keep their own cache of past positions.
//
// The functions of this package call Reset once, then Step once per
// generated position; Beam calls Reorder between steps when a slot must
// continue another slot's history.
type Stepper interface {
	// Vocab returns the vocabulary size V.
	Vocab() int
	// Reset starts `slots` empty hypotheses over the same memory: caches
	// emptied, no slot live yet. Greedy and Sample ask for 1 slot, Beam
	// for Options.Beam.
	Reset(slots int) error
	// Step appends tokens[s] (at the next position) to each of the first
	// len(tokens) slots and writes the last-position logits of slot s into
	// logits[s*V:(s+1)*V]; len(logits) == len(tokens)*V. The first Step
	// after Reset gives one token (BOS, at position 0) to slot 0.
	Step(tokens []int32, logits []float32) error
	// Reorder makes slot i continue the history of slot src[i] (for
	// i < len(src)); used by beam search to reorder caches. len(src)
	// becomes the number of live slots (it may grow past the previous
	// number, up to the slots of Reset; src[i] is always a live slot).
	// It is not called when src[i] == i for every i: then only the number
	// of live slots may shrink, which the next Step's len(tokens) tells.
	Reorder(src []int) error
}

// Options selects the decoding algorithm and its parameters.
type Options struct {
	// BOS is the token given at position 0; EOS ends a hypothesis. Both
	// must lie in [0, V).
	BOS, EOS int32
	// MaxLength is the most tokens generated (EOS included); at least 1.
	MaxLength int
	// Beam is the beam size; Run uses beam search when it is above 1.
	Beam int
	// Temperature divides the logits before sampling; 0 means 1.
	Temperature float32
	// TopK keeps only the TopK most likely tokens when sampling; 0 keeps
	// all.
	TopK int
	// TopP keeps, when sampling, the smallest set of most likely tokens
	// whose probability reaches TopP (after TopK); 0 or 1 keeps all.
	TopP float32
	// Seed seeds the sampler: the same seed gives the same tokens.
	Seed uint64
	// Sample makes Run sample instead of decoding greedily.
	Sample bool
}

// Result is one generated sequence.
type Result struct {
	// Tokens are the generated tokens without BOS, EOS included when it
	// was emitted. When a Buffers was given, Tokens points into it and is
	// valid until the Buffers is used again; copy it to keep it.
	Tokens []int32
	// Score is the sum of the log-softmax values (float64) of Tokens under
	// the model's logits (for Sample, the logits before temperature and
	// filtering). Beam chose the result by Score / len(Tokens).
	Score float64
}

// Buffers holds the scratch memory of generation. A Buffers reused for
// calls with the same or smaller vocabulary, MaxLength and Beam makes
// generation allocate nothing after the first call (what the Stepper
// allocates aside). A nil *Buffers is allowed: each call then allocates
// its own. A Buffers must not be used by two calls at once.
type Buffers struct {
	// Pool, when not nil, runs each step's scan of the logits (the
	// log-softmax normalisers and Beam's candidate selection) in parts of
	// 4096 logits on its workers. Results are the same bits with or
	// without it.
	Pool *parallel.Pool

	work    stepWork
	logits  []float32 // [slots * V]
	tokens  []int32   // the next Step's tokens, [slots]
	out     []int32   // the result's tokens, [MaxLength]
	beam    beamBuffers
	sampler samplerBuffers
}

// grow makes b hold room for `slots` hypotheses of vocabulary v and
// length maxLength.
func (b *Buffers) grow(slots, v, maxLength int) {
	b.logits = growSlice(b.logits, slots*v)
	b.tokens = growSlice(b.tokens, slots)
	b.out = growSlice(b.out, maxLength)
}

// growSlice returns s resliced to n elements, reallocated when too short.
// The contents are not kept.
func growSlice[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// ErrNonFinite is wrapped by the error returned when a step's logits hold
// NaN or +Inf, or are all -Inf.
var ErrNonFinite = errors.New("logits not finite")

// Run decodes with the algorithm o selects: Beam when o.Beam > 1 (sampling
// and beam search together are an error), Sample when o.Sample, Greedy
// otherwise.
func Run(s Stepper, o Options, buf *Buffers) (Result, error) {
	switch {
	case o.Beam > 1 && o.Sample:
		return Result{}, errors.New("generate: sampling with beam search is not supported")
	case o.Beam > 1:
		return Beam(s, o, buf)
	case o.Sample:
		return Sample(s, o, buf)
	}
	return Greedy(s, o, buf)
}

// check validates the options shared by every algorithm and returns V.
func check(s Stepper, o Options) (int, error) {
	v := s.Vocab()
	switch {
	case v <= 0:
		return 0, fmt.Errorf("generate: vocabulary size %d", v)
	case o.MaxLength < 1:
		return 0, fmt.Errorf("generate: MaxLength %d, want at least 1", o.MaxLength)
	case o.BOS < 0 || int(o.BOS) >= v:
		return 0, fmt.Errorf("generate: BOS %d outside the vocabulary [0, %d)", o.BOS, v)
	case o.EOS < 0 || int(o.EOS) >= v:
		return 0, fmt.Errorf("generate: EOS %d outside the vocabulary [0, %d)", o.EOS, v)
	case o.Beam < 0:
		return 0, fmt.Errorf("generate: Beam %d is negative", o.Beam)
	}
	return v, nil
}

// logProb is the log-softmax of x for a row with rowStats m and logSum.
func logProb(x float32, m, logSum float64) float64 {
	return (float64(x) - m) - logSum
}

// Pad lays out results as SPEC 6's outputs: tokens `[len(results),
// maxLength]` row-major, each row the result's tokens padded with eos, and
// lengths `[len(results)]`, the number of tokens of each. A result longer
// than maxLength is cut to maxLength.
func Pad(results []Result, eos int32, maxLength int) (tokens []int32, lengths []int32) {
	maxLength = max(maxLength, 0)
	tokens = make([]int32, len(results)*maxLength)
	lengths = make([]int32, len(results))
	for b, r := range results {
		row := tokens[b*maxLength : (b+1)*maxLength]
		n := copy(row, r.Tokens)
		for i := n; i < len(row); i++ {
			row[i] = eos
		}
		lengths[b] = int32(n)
	}
	return tokens, lengths
}
