package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// preTokenizer is one step of the file's "pre_tokenizer": it splits a
// piece of normalized text into smaller pieces (and may rewrite them, as
// ByteLevel does). Empty pieces are never produced.
type preTokenizer interface {
	preTokenize(dst []string, s string) []string
}

// splitBehavior is what the library's Split and Punctuation do with the
// delimiters they find.
type splitBehavior int

const (
	removed splitBehavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

func parseBehavior(s string) (splitBehavior, error) {
	switch s {
	case "Removed":
		return removed, nil
	case "Isolated":
		return isolated, nil
	case "MergedWithPrevious":
		return mergedWithPrevious, nil
	case "MergedWithNext":
		return mergedWithNext, nil
	case "Contiguous":
		return contiguous, nil
	}
	return 0, fmt.Errorf("unknown split behavior %q", s)
}

// parsePreTokenizer builds the pre-tokenizer that the JSON object raw
// describes.
func parsePreTokenizer(raw json.RawMessage, depth int) (preTokenizer, error) {
	if depth > maxSequenceDepth {
		return nil, errors.New("Sequence pre-tokenizers nested too deep")
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	switch head.Type {
	case "ByteLevel":
		c := struct {
			AddPrefixSpace bool `json:"add_prefix_space"`
			UseRegex       bool `json:"use_regex"`
		}{true, true}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("ByteLevel: %w", err)
		}
		return byteLevelPreTokenizer{addPrefixSpace: c.AddPrefixSpace, useRegex: c.UseRegex}, nil
	case "Split":
		c := struct {
			Pattern  patternJSON `json:"pattern"`
			Behavior string      `json:"behavior"`
			Invert   bool        `json:"invert"`
		}{Behavior: "Removed"}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Split: %w", err)
		}
		p, err := c.Pattern.compile()
		if err != nil {
			return nil, fmt.Errorf("Split: %w", err)
		}
		b, err := parseBehavior(c.Behavior)
		if err != nil {
			return nil, fmt.Errorf("Split: %w", err)
		}
		return splitPreTokenizer{pattern: p, behavior: b, invert: c.Invert}, nil
	case "Punctuation":
		c := struct {
			Behavior string `json:"behavior"`
		}{"Isolated"}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Punctuation: %w", err)
		}
		b, err := parseBehavior(c.Behavior)
		if err != nil {
			return nil, fmt.Errorf("Punctuation: %w", err)
		}
		return runeSplitter{isDelimiter: isBertPunctuation, behavior: b}, nil
	case "Digits":
		var c struct {
			Individual bool `json:"individual_digits"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Digits: %w", err)
		}
		return digitsPreTokenizer{individual: c.Individual}, nil
	case "BertPreTokenizer":
		return bertPreTokenizer{}, nil
	case "Whitespace":
		return whitespacePreTokenizer{}, nil
	case "WhitespaceSplit":
		return whitespaceSplitPreTokenizer{}, nil
	case "Metaspace":
		c := struct {
			Replacement    string `json:"replacement"`
			PrependScheme  string `json:"prepend_scheme"`
			AddPrefixSpace *bool  `json:"add_prefix_space"`
			Split          bool   `json:"split"`
		}{Replacement: "▁", Split: true}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Metaspace: %w", err)
		}
		r, err := oneRune("Metaspace replacement", c.Replacement)
		if err != nil {
			return nil, err
		}
		prepend := c.PrependScheme != "never"
		if c.PrependScheme == "" && c.AddPrefixSpace != nil {
			prepend = *c.AddPrefixSpace
		}
		return metaspacePreTokenizer{replacement: r, prepend: prepend, split: c.Split}, nil
	case "Sequence":
		var c struct {
			PreTokenizers []json.RawMessage `json:"pretokenizers"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Sequence: %w", err)
		}
		seq := make(sequencePreTokenizer, len(c.PreTokenizers))
		for i, r := range c.PreTokenizers {
			p, err := parsePreTokenizer(r, depth+1)
			if err != nil {
				return nil, fmt.Errorf("Sequence[%d]: %w", i, err)
			}
			seq[i] = p
		}
		return seq, nil
	case "UnicodeScripts", "CharDelimiterSplit", "FixedLength":
		return nil, errUnsupported{"pre_tokenizer", head.Type}
	case "":
		return nil, errors.New(`no "type"`)
	}
	return nil, fmt.Errorf("unknown pre_tokenizer type %q", head.Type)
}

type sequencePreTokenizer []preTokenizer

func (seq sequencePreTokenizer) preTokenize(dst []string, s string) []string {
	if len(seq) == 0 {
		if s == "" {
			return dst
		}
		return append(dst, s)
	}
	// Two pooled buffers, swapped at each step, hold the pieces.
	bufA, bufB := piecesPool.Get().(*[]string), piecesPool.Get().(*[]string)
	pieces, spare := seq[0].preTokenize((*bufA)[:0], s), (*bufB)[:0]
	for _, step := range seq[1:] {
		next := spare
		for _, p := range pieces {
			next = step.preTokenize(next, p)
		}
		pieces, spare = next, pieces[:0]
	}
	dst = append(dst, pieces...)
	for _, b := range [2]struct {
		buf  *[]string
		used []string
	}{{bufA, pieces}, {bufB, spare}} {
		if cap(b.used) <= maxPooledPieces {
			clear(b.used[:cap(b.used)])
			*b.buf = b.used[:0]
			piecesPool.Put(b.buf)
		}
	}
	return dst
}

// piecesPool holds the buffers of sequencePreTokenizer.
var piecesPool = sync.Pool{New: func() any { b := make([]string, 0, 64); return &b }}

// maxPooledPieces keeps a very long text's buffers out of the pool.
const maxPooledPieces = 1 << 14

// split appends the pieces of s around the delimiters [start, end) in
// delims (in order, non-overlapping), treating delimiters as behavior
// says, as the library's NormalizedString::split does. With invert, the
// text between delimiters is what is treated as delimiters.
func split(dst []string, s string, delims [][2]int, behavior splitBehavior, invert bool) []string {
	type part struct {
		start, end int
		delim      bool
	}
	var buf [64]part
	segs := buf[:0]
	last := 0
	for _, d := range delims {
		if d[0] > last {
			segs = append(segs, part{last, d[0], invert})
		}
		segs = append(segs, part{d[0], d[1], !invert})
		last = d[1]
	}
	if last < len(s) {
		segs = append(segs, part{last, len(s), invert})
	}
	out := segs[:0]
	switch behavior {
	case removed:
		for _, g := range segs {
			if !g.delim {
				out = append(out, g)
			}
		}
	case isolated:
		out = segs
	case mergedWithPrevious:
		prev := false
		for _, g := range segs {
			if g.delim && !prev && len(out) > 0 {
				out[len(out)-1].end = g.end
			} else {
				out = append(out, g)
			}
			prev = g.delim
		}
	case mergedWithNext:
		// The library folds from the end: a delimiter joins the piece
		// after it unless that piece is a delimiter too.
		rev := make([]part, 0, len(segs))
		prev := false
		for i := len(segs) - 1; i >= 0; i-- {
			g := segs[i]
			if g.delim && !prev && len(rev) > 0 {
				rev[len(rev)-1].start = g.start
			} else {
				rev = append(rev, g)
			}
			prev = g.delim
		}
		for i := len(rev) - 1; i >= 0; i-- {
			out = append(out, rev[i])
		}
	case contiguous:
		prev := false
		for _, g := range segs {
			if g.delim && prev && len(out) > 0 {
				out[len(out)-1].end = g.end
			} else {
				out = append(out, g)
			}
			prev = g.delim
		}
	}
	for _, g := range out {
		if g.end > g.start {
			dst = append(dst, s[g.start:g.end])
		}
	}
	return dst
}

type splitPreTokenizer struct {
	pattern  pattern
	behavior splitBehavior
	invert   bool
}

func (p splitPreTokenizer) preTokenize(dst []string, s string) []string {
	var buf [32][2]int
	return split(dst, s, p.pattern.matches(buf[:0], s), p.behavior, p.invert)
}

// runeSplitter splits at every rune for which isDelimiter holds, each rune
// its own delimiter.
type runeSplitter struct {
	isDelimiter func(rune) bool
	behavior    splitBehavior
}

func (p runeSplitter) preTokenize(dst []string, s string) []string {
	var buf [32][2]int
	return split(dst, s, runeDelimiters(buf[:0], s, p.isDelimiter), p.behavior, false)
}

func runeDelimiters(dst [][2]int, s string, isDelimiter func(rune) bool) [][2]int {
	for i, r := range s {
		if isDelimiter(r) {
			dst = append(dst, [2]int{i, i + utf8.RuneLen(r)})
		}
	}
	return dst
}

// runDelimiters returns the maximal runs of runes for which in holds.
func runDelimiters(dst [][2]int, s string, in func(rune) bool) [][2]int {
	start := -1
	for i, r := range s {
		switch {
		case in(r) && start < 0:
			start = i
		case !in(r) && start >= 0:
			dst = append(dst, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		dst = append(dst, [2]int{start, len(s)})
	}
	return dst
}

// isBertPunctuation is BERT's punctuation: ASCII punctuation and symbols,
// and every character of a Unicode P* category.
func isBertPunctuation(r rune) bool {
	if r < 0x80 {
		return (33 <= r && r <= 47) || (58 <= r && r <= 64) || (91 <= r && r <= 96) || (123 <= r && r <= 126)
	}
	return unicode.IsPunct(r)
}

// bertPreTokenizer splits on whitespace (dropped) and isolates every
// punctuation character.
type bertPreTokenizer struct{}

func (bertPreTokenizer) preTokenize(dst []string, s string) []string {
	for _, w := range strings.FieldsFunc(s, unicode.IsSpace) {
		var buf [16][2]int
		dst = split(dst, w, runeDelimiters(buf[:0], w, isBertPunctuation), isolated, false)
	}
	return dst
}

// whitespaceSplitPreTokenizer splits on whitespace, which it drops.
type whitespaceSplitPreTokenizer struct{}

func (whitespaceSplitPreTokenizer) preTokenize(dst []string, s string) []string {
	return append(dst, strings.FieldsFunc(s, unicode.IsSpace)...)
}

// whitespacePreTokenizer keeps the matches of \w+|[^\w\s]+ with \w the
// Unicode word characters (letters, marks, decimal digits, connector
// punctuation), as the library's Oniguruma pattern has them.
type whitespacePreTokenizer struct{}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) || unicode.Is(unicode.Pc, r)
}

func (whitespacePreTokenizer) preTokenize(dst []string, s string) []string {
	for _, w := range strings.FieldsFunc(s, unicode.IsSpace) {
		dst = split(dst, w, runDelimiters(nil, w, isWordRune), isolated, false)
	}
	return dst
}

// digitsPreTokenizer isolates runs of numeric characters, or each one.
type digitsPreTokenizer struct{ individual bool }

func (p digitsPreTokenizer) preTokenize(dst []string, s string) []string {
	if p.individual {
		return split(dst, s, runeDelimiters(nil, s, unicode.IsNumber), isolated, false)
	}
	return split(dst, s, runDelimiters(nil, s, unicode.IsNumber), isolated, false)
}

// metaspacePreTokenizer replaces spaces with the replacement rune,
// prepends one to the piece (prepend_scheme "always" and "first" are
// both treated as always) and splits before each replacement.
type metaspacePreTokenizer struct {
	replacement rune
	prepend     bool
	split       bool
}

func (p metaspacePreTokenizer) preTokenize(dst []string, s string) []string {
	rep := string(p.replacement)
	s = strings.ReplaceAll(s, " ", rep)
	if p.prepend && !strings.HasPrefix(s, rep) {
		s = rep + s
	}
	if !p.split {
		return append(dst, s)
	}
	return split(dst, s, runeDelimiters(nil, s, func(r rune) bool { return r == p.replacement }), mergedWithNext, false)
}

// byteLevelPreTokenizer is the library's ByteLevel pre-tokenizer: an
// optional space before the piece, GPT-2's split, then every byte written
// as its printable stand-in rune.
type byteLevelPreTokenizer struct {
	addPrefixSpace bool
	useRegex       bool
}

func (p byteLevelPreTokenizer) preTokenize(dst []string, s string) []string {
	if p.addPrefixSpace && !strings.HasPrefix(s, " ") {
		s = " " + s
	}
	if !p.useRegex {
		if s == "" {
			return dst
		}
		return append(dst, byteLevelString(s))
	}
	for i := 0; i < len(s); {
		n := gpt2Match(s[i:])
		dst = append(dst, byteLevelString(s[i:i+n]))
		i += n
	}
	return dst
}

// runeOfByte is GPT-2's bytes_to_unicode: the rune that stands for each
// byte.
var runeOfByte = func() (m [256]rune) {
	for r, b := range byteOfRune {
		if b >= 0 {
			m[b] = rune(r)
		}
	}
	return m
}()

// byteLevelString writes every byte of s as its stand-in rune; s itself
// when all its bytes stand for themselves.
func byteLevelString(s string) string {
	same := true
	for i := 0; i < len(s) && same; i++ {
		same = '!' <= s[i] && s[i] <= '~'
	}
	if same {
		return s
	}
	buf := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		buf = utf8.AppendRune(buf, runeOfByte[s[i]])
	}
	return string(buf)
}
