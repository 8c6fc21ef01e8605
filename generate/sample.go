package generate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// samplerBuffers is the scratch of Sample.
type samplerBuffers struct {
	weights []float64 // [V]: exp((x - max) / T)
	order   []int32   // candidate ids, most likely first
	pcg     rand.PCG
}

// Sample decodes one sequence by drawing each token at random, starting
// from o.BOS, until it draws o.EOS (kept in the result) or has generated
// o.MaxLength tokens.
//
// Each step divides the logits by o.Temperature (0 means 1) and takes
// their softmax; o.TopK > 0 keeps the TopK most likely tokens (lower id
// first on ties); 0 < o.TopP < 1 then keeps the smallest prefix of the
// remaining tokens, most likely first, whose probability reaches TopP of
// theirs. The token is drawn from what is kept, renormalised, with one
// uniform number u = (x >> 11) * 2^-53 from a PCG generator seeded as
// rand.NewPCG(o.Seed, 0) (x its next Uint64): the first token, in id order
// when nothing is filtered and most likely first otherwise, whose
// cumulative weight exceeds u times the total. The same options and logits
// give the same tokens on every machine.
func Sample(s Stepper, o Options, buf *Buffers) (Result, error) {
	t := float64(o.Temperature)
	switch {
	case math.IsNaN(t) || math.IsInf(t, 0) || t < 0:
		return Result{}, fmt.Errorf("generate: Temperature %v, want a positive number (or 0 for 1)", o.Temperature)
	case o.TopK < 0:
		return Result{}, fmt.Errorf("generate: TopK %d is negative", o.TopK)
	case !(o.TopP >= 0 && o.TopP <= 1):
		return Result{}, fmt.Errorf("generate: TopP %v outside [0, 1]", o.TopP)
	}
	if t == 0 {
		t = 1
	}
	if buf == nil {
		buf = new(Buffers)
	}
	sb := &buf.sampler
	sb.pcg.Seed(o.Seed, 0)
	invT, topP := 1/t, float64(o.TopP)
	if topP == 0 {
		topP = 1
	}
	return decodeOne(s, o, buf, func(row []float32, m float64) int {
		return sb.pick(row, m, invT, o.TopK, topP)
	})
}

// uniform returns the next number in [0, 1).
func (sb *samplerBuffers) uniform() float64 {
	return float64(sb.pcg.Uint64()>>11) * 0x1p-53
}

// pick draws a token from row, whose largest logit is m.
func (sb *samplerBuffers) pick(row []float32, m, invT float64, topK int, topP float64) int {
	v := len(row)
	w := growSlice(sb.weights, v)
	sb.weights = w
	total := 0.0
	for i, x := range row {
		e := expNonPos(float64((float64(x) - m) * invT))
		w[i] = e
		total += e
	}
	if topK >= v {
		topK = 0
	}
	if topK == 0 && topP >= 1 {
		u := sb.uniform() * total
		acc := 0.0
		last := 0
		for i, e := range w {
			if e > 0 {
				acc += e
				last = i
				if u < acc {
					return i
				}
			}
		}
		return last // u rounded up to the total
	}

	// The kept tokens are the most likely ones, so only the tokens of
	// weight at least some threshold need sorting: start high and lower it
	// until those tokens hold TopK tokens, or probability TopP.
	order := sb.order[:0]
	for threshold := 1.0 / 64; ; threshold /= 64 {
		if threshold < 1e-30 {
			threshold = 0
		}
		order = order[:0]
		sum := 0.0
		for i, e := range w {
			if e >= threshold {
				order = append(order, int32(i))
				sum += e
			}
		}
		// The margin makes the sum in sorted order reach the target too.
		if threshold == 0 || (topK > 0 && len(order) >= topK) || (topK == 0 && sum >= topP*total*(1+1e-9)) {
			break
		}
	}
	sb.order = order
	slices.SortFunc(order, func(a, b int32) int {
		switch wa, wb := w[a], w[b]; {
		case wa > wb:
			return -1
		case wa < wb:
			return 1
		}
		return int(a - b)
	})
	if topK > 0 && len(order) > topK {
		order = order[:topK]
	}
	// The top-p target is a share of the weight of the top-k tokens (in
	// sorted order), or of all tokens (in id order) without top-k.
	kept := total
	if topK > 0 {
		kept = 0
		for _, id := range order {
			kept += w[id]
		}
	}
	if topP < 1 {
		target, acc := topP*kept, 0.0
		n := len(order)
		for j, id := range order {
			acc += w[id]
			if acc >= target {
				n = j + 1
				break
			}
		}
		order = order[:n]
		kept = 0
		for _, id := range order {
			kept += w[id]
		}
	}
	u := sb.uniform() * kept
	acc := 0.0
	last := order[0]
	for _, id := range order {
		if w[id] > 0 {
			acc += w[id]
			last = id
			if u < acc {
				return int(id)
			}
		}
	}
	return int(last) // u rounded up to the total
}
