package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// model is the file's "model" as encoding uses it: it turns one
// pre-tokenized word into ids.
type model interface {
	tokenize(dst []int32, word string) ([]int32, error)
}

// encoder is the text-to-ids half of a Tokenizer, built from the file's
// normalizer, pre_tokenizer, model, post_processor and added tokens.
type encoder struct {
	rawAdded   *addedMatcher // added tokens matched before normalization
	normAdded  *addedMatcher // added tokens matched in normalized text
	normalizer normalizer    // nil: none
	preTok     preTokenizer  // nil: the whole segment is one word
	model      model
	template   template
}

// encodingJSON is the part of tokenizer.json that only encoding reads.
type encodingJSON struct {
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Truncation    *struct {
		MaxLength int64  `json:"max_length"`
		Direction string `json:"direction"`
	} `json:"truncation"`
	Padding *struct {
		Strategy   json.RawMessage `json:"strategy"`
		Direction  string          `json:"direction"`
		MultipleOf *int64          `json:"pad_to_multiple_of"`
		ID         int64           `json:"pad_id"`
	} `json:"padding"`
}

// maxLength bounds truncation and padding lengths read from a file.
const maxLength = 1 << 24

func present(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// parseEncoder builds t's encoder. A component type that the library
// defines but encoding does not implement leaves t able to decode, with
// t.encErr saying why it cannot encode, as does a model whose merges or
// unk_token disagree with its vocabulary; an unknown type or a malformed
// normalizer, pre-tokenizer, post-processor, truncation or padding is an
// error.
func (t *Tokenizer) parseEncoder(data []byte, m *modelJSON, entries []vocabEntry, added []addedTokenJSON) error {
	var f encodingJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("not a tokenizer.json: %w", err)
	}
	e := &encoder{template: identityTemplate}
	soft := func(section string, err error) error {
		var u errUnsupported
		if errors.As(err, &u) {
			if t.encErr == nil {
				t.encErr = fmt.Errorf("%s: %w", section, err)
			}
			return nil
		}
		return fmt.Errorf("%s: %w", section, err)
	}
	var err error
	if present(f.Normalizer) {
		if e.normalizer, err = parseNormalizer(f.Normalizer, 0); err != nil {
			if err := soft("normalizer", err); err != nil {
				return err
			}
		} else if g := e.normalizer.growth(); g > maxGrowth {
			return fmt.Errorf("normalizer: may make a text up to %.3g times longer, more than %d", g, maxGrowth)
		}
	}
	if present(f.PreTokenizer) {
		if e.preTok, err = parsePreTokenizer(f.PreTokenizer, 0); err != nil {
			if err := soft("pre_tokenizer", err); err != nil {
				return err
			}
		}
	}
	if present(f.PostProcessor) {
		if e.template, err = parsePostProcessor(f.PostProcessor, len(t.tokens), 0); err != nil {
			return fmt.Errorf("post_processor: %w", err)
		}
	}
	vocab := make(map[string]int32, len(entries))
	for _, v := range entries {
		vocab[v.token] = int32(v.id)
	}
	// A model that cannot encode (merges that disagree with the
	// vocabulary, say) must not stop the file from decoding: Encode
	// reports it.
	switch t.model {
	case "BPE":
		e.model, err = parseBPE(m, vocab)
	case "WordPiece":
		e.model, err = parseWordPiece(m, vocab)
	case "WordLevel":
		e.model = parseWordLevel(m, vocab)
	default:
		err = errUnsupported{"model", t.model}
	}
	if err != nil && t.encErr == nil {
		t.encErr = fmt.Errorf("model: %w", err)
	}
	var raw, norm []addedToken
	for _, a := range added {
		if a.Content == "" {
			continue
		}
		tok := addedToken{content: a.Content, id: int32(*a.ID), lstrip: a.LStrip, rstrip: a.RStrip}
		normalized := !a.Special
		if a.Normalized != nil {
			normalized = *a.Normalized
		}
		if normalized && e.normalizer != nil {
			tok.content = e.normalizer.normalize(tok.content)
			if tok.content == "" {
				continue
			}
		}
		if normalized {
			norm = append(norm, tok)
		} else {
			raw = append(raw, tok)
		}
	}
	e.rawAdded, e.normAdded = newAddedMatcher(raw), newAddedMatcher(norm)
	t.enc = e
	if tr := f.Truncation; tr != nil {
		if tr.MaxLength < 0 || tr.MaxLength > maxLength {
			return fmt.Errorf("truncation: max_length %d outside [0, %d]", tr.MaxLength, maxLength)
		}
		t.truncation = &Truncation{MaxLength: int(tr.MaxLength), Left: tr.Direction == "Left"}
	}
	if p := f.Padding; p != nil {
		if p.ID < 0 || p.ID > math.MaxInt32 {
			return fmt.Errorf("padding: pad_id %d outside the int32 range", p.ID)
		}
		pad := &Padding{ID: int32(p.ID), Left: p.Direction == "Left"}
		var fixed struct {
			Fixed int64 `json:"Fixed"`
		}
		if json.Unmarshal(p.Strategy, &fixed) == nil {
			if fixed.Fixed < 0 || fixed.Fixed > maxLength {
				return fmt.Errorf("padding: Fixed %d outside [0, %d]", fixed.Fixed, maxLength)
			}
			pad.Length = int(fixed.Fixed)
		}
		if p.MultipleOf != nil {
			if *p.MultipleOf < 0 || *p.MultipleOf > maxLength {
				return fmt.Errorf("padding: pad_to_multiple_of %d outside [0, %d]", *p.MultipleOf, maxLength)
			}
			pad.MultipleOf = int(*p.MultipleOf)
		}
		t.padding = pad
	}
	return nil
}
