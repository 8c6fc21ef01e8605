package generate_test

import (
	"fmt"
	"math"

	"github.com/vlmrt/vlmrt/generate"
)

// bigramModel is a toy Stepper: the next token's probabilities depend only
// on the last token. A real Stepper runs a decoder with cached keys and
// values; this one only needs each slot's last token, so Reorder just
// moves those.
type bigramModel struct {
	next [][]float64 // next[t] = probabilities after token t
	last []int32     // last token of each slot
}

func (m *bigramModel) Vocab() int { return len(m.next) }

func (m *bigramModel) Reset(slots int) error {
	m.last = make([]int32, slots)
	return nil
}

func (m *bigramModel) Step(tokens []int32, logits []float32) error {
	v := len(m.next)
	for s, t := range tokens {
		m.last[s] = t
		for i, p := range m.next[t] {
			logits[s*v+i] = float32(math.Log(p))
		}
	}
	return nil
}

func (m *bigramModel) Reorder(src []int) error {
	moved := make([]int32, len(src))
	for i, j := range src {
		moved[i] = m.last[j]
	}
	copy(m.last, moved)
	return nil
}

// Tokens: 0 <bos>, 1 <eos>, 2 "a", 3 "big", 4 "cat".
var words = []string{"<bos>", "<eos>", "a", "big", "cat"}

func newModel() *bigramModel {
	return &bigramModel{next: [][]float64{
		{.01, .01, .50, .47, .01}, // after <bos>: "a" or "big"
		{.20, .20, .20, .20, .20}, // after <eos>: unused
		{.01, .30, .01, .38, .30}, // after "a": "big" slightly first
		{.01, .01, .01, .01, .96}, // after "big": "cat"
		{.01, .96, .01, .01, .01}, // after "cat": <eos>
	}}
}

func show(r generate.Result) {
	for _, t := range r.Tokens {
		fmt.Print(words[t], " ")
	}
	fmt.Printf("(log-prob %.2f)\n", r.Score)
}

func ExampleGreedy() {
	var buf generate.Buffers // reuse across calls: no allocations after the first
	r, err := generate.Greedy(newModel(), generate.Options{BOS: 0, EOS: 1, MaxLength: 8}, &buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	show(r)
	// Output: a big cat <eos> (log-prob -1.74)
}

func ExampleBeam() {
	// Greedy takes "a" (.50) and then needs three more tokens; beam search
	// also keeps "big" (.47), whose continuation "big cat <eos>" is
	// shorter and more likely.
	o := generate.Options{BOS: 0, EOS: 1, MaxLength: 8, Beam: 2}
	r, err := generate.Beam(newModel(), o, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	show(r)

	// Pad lays out a batch as SPEC 6's [B, max_length] tokens and lengths.
	tokens, lengths := generate.Pad([]generate.Result{r}, o.EOS, o.MaxLength)
	fmt.Println(tokens, lengths)
	// Output:
	// big cat <eos> (log-prob -0.84)
	// [3 4 1 1 1 1 1 1] [3]
}
