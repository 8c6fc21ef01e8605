package generate

import (
	"fmt"
	"math"
)

// candidate is one expansion of a live hypothesis by one token.
type candidate struct {
	score float64
	live  int32 // index of the live hypothesis it extends
	token int32
}

// finished is a hypothesis on the finished list; its tokens are
// beamBuffers.finTokens[off : off+length].
type finished struct {
	score       float64
	off, length int
}

// beamBuffers is the scratch of Beam.
type beamBuffers struct {
	hist, nextHist     []int32   // live histories, [Beam][MaxLength]
	scores, nextScores []float64 // live scores, [Beam]
	cands              []candidate
	src                []int
	fin                []finished
	finTokens          []int32 // [2*Beam][MaxLength]
}

func (b *beamBuffers) grow(beam, maxLength int) {
	b.hist = growSlice(b.hist, beam*maxLength)
	b.nextHist = growSlice(b.nextHist, beam*maxLength)
	b.scores = growSlice(b.scores, beam)
	b.nextScores = growSlice(b.nextScores, beam)
	b.cands = growSlice(b.cands, 2*beam)[:0]
	b.src = growSlice(b.src, beam)
	// At most Beam-1 hypotheses are finished before a step, which adds at
	// most Beam (one EOS per live one); the live ones join only while
	// fewer than Beam are finished.
	b.fin = growSlice(b.fin, 2*beam)[:0]
	b.finTokens = growSlice(b.finTokens, 2*beam*maxLength)
}

// Beam decodes one sequence by beam search with o.Beam hypotheses (0 means
// 1), exactly by SPEC 6:
//
//  1. Start with one live hypothesis [BOS], score 0.
//  2. Each step expands every live hypothesis over the vocabulary with its
//     score plus the log-softmax (float64) of its last-position logits, and
//     orders all candidates by score, highest first; ties go to the lower
//     live index, then the lower token id.
//  3. Walking that order, a candidate whose token is EOS is finished (kept
//     with its score); any other joins the next live set; the walk stops
//     when the next live set holds Beam hypotheses.
//  4. It stops after MaxLength steps, once at least Beam hypotheses are
//     finished, or when no live hypothesis is left. If fewer than Beam are
//     finished then, the live ones join the finished list as they stand.
//  5. It returns the finished hypothesis with the highest score divided by
//     its length (generated tokens, EOS included); on a tie, the one
//     finished first.
//
// The sampling options are ignored. The Stepper is Reset with Beam slots.
// Only the best Beam + (live hypotheses) candidates can be walked, so each
// step keeps just those while it scans the logits, after the log-softmax
// normalisers, in parts of 4096 logits (on Buffers.Pool when set).
func Beam(s Stepper, o Options, buf *Buffers) (Result, error) {
	v, err := check(s, o)
	if err != nil {
		return Result{}, err
	}
	beam, maxLen := max(o.Beam, 1), o.MaxLength
	if buf == nil {
		buf = new(Buffers)
	}
	buf.grow(beam, v, maxLen)
	b := &buf.beam
	b.grow(beam, maxLen)
	buf.work.grow(beam, v, 2*beam)
	if err := s.Reset(beam); err != nil {
		return Result{}, fmt.Errorf("generate: reset: %w", err)
	}

	live := 1
	b.scores[0] = 0
	buf.tokens[0] = o.BOS
	for step := 0; step < maxLen; step++ {
		logits := buf.logits[:live*v]
		if err := s.Step(buf.tokens[:live], logits); err != nil {
			return Result{}, fmt.Errorf("generate: step %d: %w", step, err)
		}
		if h := buf.work.normalise(buf.Pool, logits, v, live); h >= 0 {
			return Result{}, fmt.Errorf("generate: step %d: hypothesis %d: %w", step, h, ErrNonFinite)
		}
		cands := buf.work.best(buf.Pool, b.scores[:live], beam+live, b.cands)
		b.cands = cands

		// Walk the order (step 3).
		next := 0
		for _, c := range cands {
			if next == beam {
				break
			}
			parent := b.hist[int(c.live)*maxLen : int(c.live)*maxLen+step]
			if c.token == o.EOS {
				b.finish(parent, c.token, c.score, maxLen)
				continue
			}
			dst := b.nextHist[next*maxLen : (next+1)*maxLen]
			copy(dst, parent)
			dst[step] = c.token
			b.nextScores[next] = c.score
			b.src[next] = int(c.live)
			buf.tokens[next] = c.token
			next++
		}
		b.hist, b.nextHist = b.nextHist, b.hist
		b.scores, b.nextScores = b.nextScores, b.scores

		// Stop conditions (step 4).
		if len(b.fin) >= beam || next == 0 {
			break
		}
		if step+1 == maxLen {
			for h := range next {
				b.finish(b.hist[h*maxLen:h*maxLen+step], buf.tokens[h], b.scores[h], maxLen)
			}
			break
		}
		if !identity(b.src[:next]) {
			if err := s.Reorder(b.src[:next]); err != nil {
				return Result{}, fmt.Errorf("generate: step %d: reorder: %w", step, err)
			}
		}
		live = next
	}

	// Length-normalised choice (step 5); b.fin is never empty here.
	best, bestNorm := 0, math.Inf(-1)
	for i, f := range b.fin {
		if norm := f.score / float64(f.length); norm > bestNorm || i == 0 {
			best, bestNorm = i, norm
		}
	}
	f := b.fin[best]
	out := buf.out[:f.length]
	copy(out, b.finTokens[f.off:f.off+f.length])
	return Result{Tokens: out, Score: f.score}, nil
}

// finish appends the hypothesis parent + last to the finished list.
func (b *beamBuffers) finish(parent []int32, last int32, score float64, maxLen int) {
	off := len(b.fin) * maxLen
	n := copy(b.finTokens[off:], parent)
	b.finTokens[off+n] = last
	b.fin = append(b.fin, finished{score: score, off: off, length: n + 1})
}

// identity reports whether src[i] == i for every i.
func identity(src []int) bool {
	for i, s := range src {
		if s != i {
			return false
		}
	}
	return true
}
