package tokenizer

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedToken is one entry of the file's "added_tokens" as encoding uses
// it.
type addedToken struct {
	content string
	id      int32
	lstrip  bool // the match takes the whitespace before it
	rstrip  bool // the match takes the whitespace after it
}

// addedMatcher finds added tokens in text, leftmost first and, among
// those that start at the same place, longest first (the library's
// LeftmostLongest Aho-Corasick search).
type addedMatcher struct {
	tokens  []addedToken // longest first
	byFirst [256][]int   // indices into tokens by their first byte
}

func newAddedMatcher(tokens []addedToken) *addedMatcher {
	if len(tokens) == 0 {
		return nil
	}
	sort.SliceStable(tokens, func(i, j int) bool { return len(tokens[i].content) > len(tokens[j].content) })
	m := &addedMatcher{tokens: tokens}
	for i, t := range tokens {
		m.byFirst[t.content[0]] = append(m.byFirst[t.content[0]], i)
	}
	return m
}

// segment is a part of the text: an added token's id, or text (id < 0).
type segment struct {
	text string
	id   int32
}

// split appends to dst the segments of s: the added tokens it finds and
// the non-empty text between them.
func (m *addedMatcher) split(dst []segment, s string) []segment {
	if m == nil {
		if s != "" {
			dst = append(dst, segment{text: s, id: -1})
		}
		return dst
	}
	last := 0 // end of the previous match
	for i := 0; i < len(s); {
		tok := m.at(s[i:])
		if tok == nil {
			i++
			continue
		}
		start, end := i, i+len(tok.content)
		if tok.lstrip {
			start = last + len(strings.TrimRightFunc(s[last:start], unicode.IsSpace))
		}
		if tok.rstrip {
			end = len(s) - len(strings.TrimLeftFunc(s[end:], unicode.IsSpace))
		}
		if start > last {
			dst = append(dst, segment{text: s[last:start], id: -1})
		}
		dst = append(dst, segment{id: tok.id})
		last, i = end, end
	}
	if last < len(s) {
		dst = append(dst, segment{text: s[last:], id: -1})
	}
	return dst
}

// at returns the longest added token that s starts with, or nil. Matches
// start only at rune boundaries.
func (m *addedMatcher) at(s string) *addedToken {
	if !utf8.RuneStart(s[0]) {
		return nil
	}
	for _, k := range m.byFirst[s[0]] {
		if strings.HasPrefix(s, m.tokens[k].content) {
			return &m.tokens[k]
		}
	}
	return nil
}
