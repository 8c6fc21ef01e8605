package tokenizer

import (
	"fmt"
	"unicode/utf8"
)

// wordPieceModel is the library's WordPiece model (BERT): greedy longest
// match first from the start of the word, every piece after the first
// written with the continuing_subword_prefix; a word with a part that no
// piece matches, or longer than max_input_chars_per_word characters, is
// the unk_token.
type wordPieceModel struct {
	vocab    map[string]int32
	prefix   string
	unk      int32 // -1: the file's unk_token is not in the vocabulary
	unkToken string
	maxChars int
}

func parseWordPiece(m *modelJSON, vocab map[string]int32) (*wordPieceModel, error) {
	w := &wordPieceModel{vocab: vocab, prefix: "##", unkToken: "[UNK]", maxChars: 100}
	if m.Prefix != nil {
		w.prefix = *m.Prefix
	}
	if m.Unk != nil {
		w.unkToken = *m.Unk
	}
	if m.MaxChars != nil {
		if *m.MaxChars < 0 {
			return nil, fmt.Errorf("WordPiece max_input_chars_per_word %d is negative", *m.MaxChars)
		}
		w.maxChars = int(min(*m.MaxChars, 1<<30))
	}
	w.unk = -1
	if id, ok := vocab[w.unkToken]; ok {
		w.unk = id
	}
	return w, nil
}

func (w *wordPieceModel) unknown(dst []int32) ([]int32, error) {
	if w.unk < 0 {
		return dst, fmt.Errorf("WordPiece unk_token %q is not in the vocabulary", w.unkToken)
	}
	return append(dst, w.unk), nil
}

func (w *wordPieceModel) tokenize(dst []int32, word string) ([]int32, error) {
	if word == "" {
		return dst, nil
	}
	if utf8.RuneCountInString(word) > w.maxChars {
		return w.unknown(dst)
	}
	mark := len(dst)
	buf := make([]byte, 0, len(w.prefix)+len(word))
	for start := 0; start < len(word); {
		found := int32(-1)
		end := len(word)
		for ; end > start; end = prevRuneStart(word, start, end) {
			buf = buf[:0]
			if start > 0 {
				buf = append(buf, w.prefix...)
			}
			buf = append(buf, word[start:end]...)
			if id, ok := w.vocab[string(buf)]; ok {
				found = id
				break
			}
		}
		if found < 0 {
			return w.unknown(dst[:mark])
		}
		dst = append(dst, found)
		start = end
	}
	return dst, nil
}

// prevRuneStart returns the start of the rune that ends at end, not before
// lo.
func prevRuneStart(s string, lo, end int) int {
	_, size := utf8.DecodeLastRuneInString(s[lo:end])
	return end - size
}

// wordLevelModel maps each word to its id, or to the unk_token.
type wordLevelModel struct {
	vocab    map[string]int32
	unk      int32 // -1: none in the vocabulary
	unkToken string
}

func parseWordLevel(m *modelJSON, vocab map[string]int32) *wordLevelModel {
	w := &wordLevelModel{vocab: vocab, unk: -1, unkToken: "<unk>"}
	if m.Unk != nil {
		w.unkToken = *m.Unk
	}
	if id, ok := vocab[w.unkToken]; ok {
		w.unk = id
	}
	return w
}

func (w *wordLevelModel) tokenize(dst []int32, word string) ([]int32, error) {
	if word == "" {
		return dst, nil
	}
	if id, ok := w.vocab[word]; ok {
		return append(dst, id), nil
	}
	if w.unk < 0 {
		return dst, fmt.Errorf("WordLevel: %q is not in the vocabulary and unk_token %q is not either", word, w.unkToken)
	}
	return append(dst, w.unk), nil
}
