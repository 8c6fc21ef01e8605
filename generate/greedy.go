package generate

import "fmt"

// Greedy decodes one sequence by always taking the most likely token (the
// lowest id on ties), starting from o.BOS, until it emits o.EOS (kept in
// the result) or has generated o.MaxLength tokens. o.Beam and the sampling
// options are ignored.
func Greedy(s Stepper, o Options, buf *Buffers) (Result, error) {
	return decodeOne(s, o, buf, nil)
}

// decodeOne runs a one-slot decoding loop; pick chooses each token from
// a step's logits (nil: argmax).
func decodeOne(s Stepper, o Options, buf *Buffers, pick func(row []float32, m float64) int) (Result, error) {
	v, err := check(s, o)
	if err != nil {
		return Result{}, err
	}
	if buf == nil {
		buf = new(Buffers)
	}
	buf.grow(1, v, o.MaxLength)
	buf.work.grow(1, v, 0)
	if err := s.Reset(1); err != nil {
		return Result{}, fmt.Errorf("generate: reset: %w", err)
	}
	out := buf.out[:0]
	score := 0.0
	token := o.BOS
	for step := 0; step < o.MaxLength; step++ {
		buf.tokens[0] = token
		row := buf.logits[:v]
		if err := s.Step(buf.tokens[:1], row); err != nil {
			return Result{}, fmt.Errorf("generate: step %d: %w", step, err)
		}
		if buf.work.normalise(buf.Pool, row, v, 1) >= 0 {
			return Result{}, fmt.Errorf("generate: step %d: %w", step, ErrNonFinite)
		}
		arg, m, logSum := buf.work.rowArg[0], buf.work.rowMax[0], buf.work.rowLogSum[0]
		if pick != nil {
			arg = pick(row, m)
		}
		score += logProb(row[arg], m, logSum)
		token = int32(arg)
		out = append(out, token)
		if token == o.EOS {
			break
		}
	}
	return Result{Tokens: out, Score: score}, nil
}
