package tokenizer

import (
	"errors"
	"sync"
	"unicode/utf8"
)

// Encoding is the result of Encode: the ids of a text and which of them
// are real tokens.
type Encoding struct {
	// IDs are the token ids, special tokens and padding included.
	IDs []int32
	// AttentionMask is 1 for each id of the text or of a special token
	// and 0 for padding, as the library's attention_mask.
	AttentionMask []int32
	// Truncated reports whether ids of the text were dropped to respect
	// the truncation length.
	Truncated bool
}

// Truncation limits the length of an encoding, special tokens included, as
// the library's truncation with strategy LongestFirst does for a single
// sequence: ids of the text are dropped from the end (or with Left, from
// the start) until the text's ids and the post-processor's special ids
// fit in MaxLength. The special ids are always kept, so an encoding is
// longer than MaxLength only when they alone are.
type Truncation struct {
	MaxLength int
	Left      bool
}

// Padding extends an encoding with ID up to Length (the library's Fixed
// strategy; 0: no fixed length) and then up to a multiple of MultipleOf
// (0: none), at the end or with Left at the start. Padding has attention
// mask 0.
type Padding struct {
	Length     int
	MultipleOf int
	ID         int32
	Left       bool
}

// Truncation returns the truncation the tokenizer applies (from the file's
// "truncation" or WithTruncation), or nil for none.
func (t *Tokenizer) Truncation() *Truncation {
	if t.truncation == nil {
		return nil
	}
	tr := *t.truncation
	return &tr
}

// Padding returns the padding the tokenizer applies (from the file's
// "padding" or WithPadding), or nil for none.
func (t *Tokenizer) Padding() *Padding {
	if t.padding == nil {
		return nil
	}
	p := *t.padding
	return &p
}

// WithTruncation returns a copy of t that truncates as tr says; nil turns
// truncation off. t is unchanged.
func (t *Tokenizer) WithTruncation(tr *Truncation) *Tokenizer {
	c := *t
	c.truncation = nil
	if tr != nil {
		v := *tr
		v.MaxLength = max(v.MaxLength, 0)
		c.truncation = &v
	}
	return &c
}

// WithPadding returns a copy of t that pads as p says; nil turns padding
// off. t is unchanged.
func (t *Tokenizer) WithPadding(p *Padding) *Tokenizer {
	c := *t
	c.padding = nil
	if p != nil {
		v := *p
		v.Length, v.MultipleOf = max(v.Length, 0), max(v.MultipleOf, 0)
		c.padding = &v
	}
	return &c
}

// ErrMaskLength is wrapped by EncodeTo's error when its mask buffer is not
// as long as its ids buffer.
var ErrMaskLength = errors.New("mask buffer length differs from ids buffer length")

// Encode returns the ids of text as the file's pipeline produces them:
// added tokens are found first (those marked normalized after
// normalization), the rest is normalized, pre-tokenized and tokenized by
// the model; with addSpecialTokens the post-processor's special tokens
// (e.g. [CLS] and [SEP]) are added; then the encoding is truncated and
// padded as Truncation and Padding say.
//
// text is read as UTF-8; each ill-formed sequence is first replaced by
// U+FFFD, as Rust's String::from_utf8_lossy would give the library a
// string. An error means the file's pipeline cannot encode (a component
// that encoding does not support, or a WordPiece or WordLevel model whose
// unk_token is missing from the vocabulary).
func (t *Tokenizer) Encode(text string, addSpecialTokens bool) (Encoding, error) {
	buf := getScratch()
	defer putScratch(buf)
	content, err := t.appendContent((*buf)[:0], text)
	*buf = content[:0]
	if err != nil {
		return Encoding{}, err
	}
	tm := identityTemplate
	if addSpecialTokens {
		tm = t.enc.template
	}
	content, truncated := truncate(content, tm.added(), t.truncation)
	n := len(content) + tm.added()
	total := n
	if p := t.padding; p != nil {
		total = p.paddedLength(n)
	}
	ids := make([]int32, 0, total)
	mask := make([]int32, total)
	pad := total - n
	if t.padding != nil && t.padding.Left {
		for range pad {
			ids = append(ids, t.padding.ID)
		}
		ids = tm.apply(ids, content)
		fillOnes(mask[pad:])
	} else {
		ids = tm.apply(ids, content)
		for range pad {
			ids = append(ids, t.padding.ID)
		}
		fillOnes(mask[:n])
	}
	return Encoding{IDs: ids, AttentionMask: mask, Truncated: truncated}, nil
}

// EncodeTo encodes text as Encode does into the fixed-length buffer ids
// (a model input such as CLIP's [1, 77]) and, unless mask is nil, its
// attention mask into mask, which must be as long. The encoding is
// truncated to len(ids) (or to the tokenizer's truncation length if
// shorter), special tokens kept, and the rest of ids is filled with the
// padding id (0 without padding) and mask 0; Padding's Length, MultipleOf
// and Left are not used. It returns the number of ids before the padding
// and whether ids of the text were dropped. It allocates nothing for
// words the BPE cache holds beyond the pipeline's strings.
func (t *Tokenizer) EncodeTo(ids, mask []int32, text string, addSpecialTokens bool) (n int, truncated bool, err error) {
	if mask != nil && len(mask) != len(ids) {
		return 0, false, t.errorf("EncodeTo: %w (%d and %d)", ErrMaskLength, len(mask), len(ids))
	}
	buf := getScratch()
	defer putScratch(buf)
	content, err := t.appendContent((*buf)[:0], text)
	*buf = content[:0]
	if err != nil {
		return 0, false, err
	}
	tm := identityTemplate
	if addSpecialTokens {
		tm = t.enc.template
	}
	limit := Truncation{MaxLength: len(ids)}
	if t.truncation != nil {
		limit.Left = t.truncation.Left
		limit.MaxLength = min(limit.MaxLength, t.truncation.MaxLength)
	}
	if tm.added() > len(ids) {
		return 0, false, t.errorf("EncodeTo: %d special ids do not fit in %d", tm.added(), len(ids))
	}
	content, truncated = truncate(content, tm.added(), &limit)
	n = len(tm.apply(ids[:0:len(ids)], content))
	var padID int32
	if t.padding != nil {
		padID = t.padding.ID
	}
	for i := n; i < len(ids); i++ {
		ids[i] = padID
	}
	if mask != nil {
		fillOnes(mask[:n])
		clear(mask[n:])
	}
	return n, truncated, nil
}

// appendContent appends the ids of text before post-processing.
func (t *Tokenizer) appendContent(dst []int32, text string) ([]int32, error) {
	if t.encErr != nil {
		return dst, t.errorf("cannot encode: %w", t.encErr)
	}
	if t.enc == nil {
		return dst, t.errorf("cannot encode: no encoder")
	}
	e := t.enc
	text = validUTF8(text)
	var segs, inner [16]segment
	var words [32]string
	var err error
	for _, seg := range e.rawAdded.split(segs[:0], text) {
		if seg.id >= 0 {
			dst = append(dst, seg.id)
			continue
		}
		s := seg.text
		if e.normalizer != nil {
			s = e.normalizer.normalize(s)
		}
		for _, sub := range e.normAdded.split(inner[:0], s) {
			if sub.id >= 0 {
				dst = append(dst, sub.id)
				continue
			}
			ws := append(words[:0], sub.text)
			if e.preTok != nil {
				ws = e.preTok.preTokenize(words[:0], sub.text)
			}
			for _, w := range ws {
				if dst, err = e.model.tokenize(dst, w); err != nil {
					return dst, t.errorf("%w", err)
				}
			}
		}
	}
	return dst, nil
}

// truncate drops ids of content so that they and added special ids fit in
// tr.MaxLength, and reports whether it dropped any.
func truncate(content []int32, added int, tr *Truncation) ([]int32, bool) {
	if tr == nil || len(content)+added <= tr.MaxLength {
		return content, false
	}
	keep := max(tr.MaxLength-added, 0)
	if tr.Left {
		return content[len(content)-keep:], true
	}
	return content[:keep], true
}

// paddedLength returns the length an encoding of n ids is padded to.
func (p *Padding) paddedLength(n int) int {
	n = max(n, p.Length)
	if p.MultipleOf > 0 && n%p.MultipleOf != 0 {
		n += p.MultipleOf - n%p.MultipleOf
	}
	return n
}

func fillOnes(s []int32) {
	for i := range s {
		s[i] = 1
	}
}

// validUTF8 returns s with each maximal ill-formed subpart replaced by
// U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return lossyUTF8([]byte(s))
}

// scratchPool holds buffers for the ids of a text before post-processing.
var scratchPool = sync.Pool{New: func() any { b := make([]int32, 0, 256); return &b }}

func getScratch() *[]int32 { return scratchPool.Get().(*[]int32) }

// maxPooledScratch keeps a very long text's buffer out of the pool.
const maxPooledScratch = 1 << 16

func putScratch(b *[]int32) {
	if cap(*b) <= maxPooledScratch {
		scratchPool.Put(b)
	}
}
