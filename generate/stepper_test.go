package generate

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// toyStepper is a Stepper whose logits are a function of each slot's
// whole history (BOS first). It checks the calling contract: Step only on
// live slots of equal length, Reorder only from live slots.
type toyStepper struct {
	v        int
	logits   func(hist []int32) []float32
	slots    [][]int32 // history of each slot
	live     int
	steps    int   // Step calls since Reset
	reorders int   // Reorder calls since Reset
	failAt   int   // Step number that fails; 0: none
	failErr  error // returned at failAt
}

func (s *toyStepper) Vocab() int { return s.v }

func (s *toyStepper) Reset(slots int) error {
	s.slots = make([][]int32, slots)
	s.live, s.steps, s.reorders = 0, 0, 0
	return nil
}

func (s *toyStepper) Step(tokens []int32, logits []float32) error {
	s.steps++
	if s.steps == s.failAt {
		return s.failErr
	}
	if len(logits) != len(tokens)*s.v {
		return fmt.Errorf("toy: %d logits for %d tokens", len(logits), len(tokens))
	}
	switch {
	case s.live == 0 && len(tokens) != 1:
		return fmt.Errorf("toy: first step with %d tokens", len(tokens))
	case s.live > 0 && (len(tokens) > s.live || len(tokens) == 0):
		return fmt.Errorf("toy: step with %d tokens, %d live", len(tokens), s.live)
	}
	n := len(s.slots[0])
	for i, tok := range tokens {
		if len(s.slots[i]) != n {
			return fmt.Errorf("toy: slot %d has length %d, slot 0 %d", i, len(s.slots[i]), n)
		}
		s.slots[i] = append(s.slots[i], tok)
		copy(logits[i*s.v:(i+1)*s.v], s.logits(s.slots[i]))
	}
	s.live = len(tokens)
	return nil
}

func (s *toyStepper) Reorder(src []int) error {
	s.reorders++
	if len(src) > len(s.slots) {
		return fmt.Errorf("toy: reorder to %d slots of %d", len(src), len(s.slots))
	}
	next := make([][]int32, len(s.slots))
	for i, j := range src {
		if j < 0 || j >= s.live {
			return fmt.Errorf("toy: reorder from slot %d, %d live", j, s.live)
		}
		next[i] = slices.Clone(s.slots[j])
	}
	s.slots, s.live = next, len(src)
	return nil
}

// tableLogits gives logits from a table of probabilities indexed by the
// last token (the row used after BOS is rows[bos]): logit = log(p).
func tableLogits(rows map[int32][]float64) func([]int32) []float32 {
	return func(hist []int32) []float32 {
		p, ok := rows[hist[len(hist)-1]]
		if !ok {
			panic(fmt.Sprintf("no row after token %d", hist[len(hist)-1]))
		}
		out := make([]float32, len(p))
		for i, q := range p {
			out[i] = float32(math.Log(q))
		}
		return out
	}
}

// hashLogits gives logits that depend on the whole history: small
// integers (halves) so that ties are frequent.
func hashLogits(v int, seed uint64, levels int) func([]int32) []float32 {
	return func(hist []int32) []float32 {
		h := seed*0x9E3779B97F4A7C15 + 1
		for _, t := range hist {
			h = (h ^ uint64(t+1)) * 0xBF58476D1CE4E5B9
			h ^= h >> 29
		}
		out := make([]float32, v)
		for i := range out {
			h = (h ^ uint64(i+7)) * 0x94D049BB133111EB
			h ^= h >> 31
			out[i] = float32(int(h%uint64(levels))) / 2
		}
		return out
	}
}

// refBeam is SPEC 6's beam search written as plainly as possible: it
// recomputes every history's logits, lists every candidate and sorts them
// stably. It shares only rowStats with the package.
func refBeam(f func([]int32) []float32, o Options) Result {
	type hyp struct {
		toks  []int32
		score float64
	}
	beam := max(o.Beam, 1)
	live := []hyp{{nil, 0}}
	var fin []hyp
	for step := 0; step < o.MaxLength; step++ {
		type cand struct {
			h     int
			t     int32
			score float64
		}
		var all []cand
		for h, hy := range live {
			row := f(append([]int32{o.BOS}, hy.toks...))
			_, m, ls, err := rowStats(row)
			if err != nil {
				panic(err)
			}
			for t, x := range row {
				all = append(all, cand{h, int32(t), hy.score + ((float64(x) - m) - ls)})
			}
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].score > all[j].score })
		var next []hyp
		for _, c := range all {
			if len(next) == beam {
				break
			}
			h := hyp{append(slices.Clone(live[c.h].toks), c.t), c.score}
			if c.t == o.EOS {
				fin = append(fin, h)
			} else {
				next = append(next, h)
			}
		}
		live = next
		if len(fin) >= beam || len(live) == 0 {
			break
		}
		if step+1 == o.MaxLength {
			fin = append(fin, live...)
		}
	}
	best := 0
	for i, h := range fin {
		if h.score/float64(len(h.toks)) > fin[best].score/float64(len(fin[best].toks)) {
			best = i
		}
	}
	return Result{Tokens: fin[best].toks, Score: fin[best].score}
}

var errToy = errors.New("toy failure")

// rowStats returns the index of the largest logit (the lowest index on
// ties), the largest logit m and log(sum(exp(x - m))), so that the
// log-softmax of x is (x - m) - logSum. It fails on NaN, +Inf or a row
// that is all -Inf. It is stepWork.normalise for one row, without a Pool,
// as the generation functions compute it.
func rowStats(row []float32) (arg int, m, logSum float64, err error) {
	var w stepWork
	w.grow(1, len(row), 0)
	if w.normalise(nil, row, len(row), 1) >= 0 {
		return 0, 0, 0, ErrNonFinite
	}
	return w.rowArg[0], w.rowMax[0], w.rowLogSum[0], nil
}
