package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// gpt2Pattern is the regular expression of GPT-2's encoder (and of the
// library's ByteLevel pre-tokenizer). Go's regexp has no lookahead, so
// gpt2Match implements it by hand.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// gpt2Match returns the length in bytes of the match of gpt2Pattern at the
// start of s, which is not empty. The pattern matches at every position
// (its alternatives cover every character), so the matches tile the text.
// \s is Unicode White_Space, \p{L} and \p{N} the letter and number
// categories.
func gpt2Match(s string) int {
	if n := contraction(s); n > 0 {
		return n
	}
	body := 0
	if s[0] == ' ' {
		body = 1
	}
	if body < len(s) {
		r, _ := utf8.DecodeRuneInString(s[body:])
		var class func(rune) bool
		switch {
		case unicode.IsLetter(r):
			class = unicode.IsLetter
		case unicode.IsNumber(r):
			class = unicode.IsNumber
		case !unicode.IsSpace(r):
			class = isOtherRune
		}
		if class != nil {
			return body + runLength(s[body:], class)
		}
	}
	// A whitespace run: \s+(?!\S) leaves the last space before a
	// non-space to the next match; \s+ takes a lone space.
	n := runLength(s, unicode.IsSpace)
	if n == len(s) {
		return n
	}
	_, last := utf8.DecodeLastRuneInString(s[:n])
	if n > last {
		return n - last
	}
	return n
}

// clipPattern is the regular expression of CLIP's pre-tokenizer Split (its
// simple_tokenizer.py without the special tokens); clipMatch implements it
// by hand.
const clipPattern = `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`

// clipMatch returns the first match of clipPattern in s at or after from,
// or -1, -1. Whitespace is never part of a match.
func clipMatch(s string, from int) (start, end int) {
	for i := from; i < len(s); {
		if n := contraction(s[i:]); n > 0 {
			return i, i + n
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsLetter(r):
			return i, i + runLength(s[i:], unicode.IsLetter)
		case unicode.IsNumber(r):
			return i, i + size
		case !unicode.IsSpace(r):
			return i, i + runLength(s[i:], isOtherRune)
		}
		i += size
	}
	return -1, -1
}

// contraction returns the length of the contraction ('s 't 're 've 'm 'll
// 'd) that s starts with, or 0.
func contraction(s string) int {
	if len(s) < 2 || s[0] != '\'' {
		return 0
	}
	switch s[1] {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v', 'l':
		if len(s) > 2 && s[2] == contractionEnd(s[1]) {
			return 3
		}
	}
	return 0
}

// contractionEnd is the last letter of the three-letter contraction that
// starts with an apostrophe and c: 're, 've, 'll.
func contractionEnd(c byte) byte {
	switch c {
	case 'r', 'v':
		return 'e'
	}
	return 'l'
}

func isOtherRune(r rune) bool {
	return !unicode.IsSpace(r) && !unicode.IsLetter(r) && !unicode.IsNumber(r)
}

// runLength returns the length in bytes of the longest prefix of s whose
// runes all satisfy in.
func runLength(s string, in func(rune) bool) int {
	for i, r := range s {
		if !in(r) {
			return i
		}
	}
	return len(s)
}
