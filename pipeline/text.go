package pipeline

import (
	"fmt"

	"github.com/vlmrt/vlmrt/runtime"
)

// encodeText turns text into the ids the text tower reads, cut to its
// context (the tokenizer's truncation, set by Load).
func (p *Pipeline) encodeText(text string) ([]int32, error) {
	if p.m.textTok == nil {
		return nil, fmt.Errorf("pipeline: %s: %w to read text with (tokenizer.json)", p.m.encPath, ErrNoTokenizer)
	}
	if !p.m.enc.hasText() {
		return nil, fmt.Errorf("pipeline: %s: %w: no text tower", p.m.encPath, ErrNoTower)
	}
	enc, err := p.m.textTok.Encode(text, true)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if len(enc.IDs) == 0 {
		return nil, fmt.Errorf("pipeline: text %q has no tokens", text)
	}
	if len(enc.IDs) > p.m.enc.maxText() {
		return nil, fmt.Errorf("pipeline: text %q: %d tokens, the text tower reads at most %d", text, len(enc.IDs), p.m.enc.maxText())
	}
	return enc.IDs, nil
}

// setIDs writes ids into row i of the id input of s, padded to the row's
// length as the encoder's padID says, and checks them against the
// vocabulary.
func (p *Pipeline) setIDs(s *runtime.Session, i int, ids []int32) error {
	all, err := s.Input(inputIDs)
	if err != nil {
		return err
	}
	n := s.Plan().Inputs()[inputIndex(s, inputIDs)].Shape[1]
	row := all[i*n : (i+1)*n]
	pad := float32(p.m.enc.padID())
	if pad < 0 {
		pad = float32(ids[len(ids)-1])
	}
	for j := range row {
		row[j] = pad
		if j < len(ids) {
			row[j] = float32(ids[j])
		}
	}
	return p.m.enc.checkIDs(row)
}

// inputIndex returns the index of input name among s's plan's inputs.
func inputIndex(s *runtime.Session, name string) int {
	for i, in := range s.Plan().Inputs() {
		if in.Name == name {
			return i
		}
	}
	return -1
}

func idError(i int, id float32, vocab int) error {
	return fmt.Errorf("pipeline: token %d: id %g is outside the vocabulary [0, %d)", i, id, vocab)
}
