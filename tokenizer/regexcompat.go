package tokenizer

import (
	"regexp"
	"strings"
)

// The library compiles patterns with Oniguruma, whose \s, \d and \w are
// Unicode classes; Go's are ASCII. unicodeClasses rewrites them so that
// Go's regexp matches what the library matches: \s is White_Space (the Z
// categories, tab, newline, vertical tab, form feed, carriage return and
// U+0085), \d is Nd, \w is letters, marks, Nd and connector punctuation.
// Negated shorthands inside brackets ([^\S] and the like) keep Go's
// meaning, as there is no way to write them as a bracket item.
const (
	unicodeSpace = `\t\n\v\f\r\x{85}\p{Z}`
	unicodeWord  = `\p{L}\p{M}\p{Nd}\p{Pc}`
)

var shorthand = map[byte][2]string{ // outside brackets, inside brackets
	's': {"[" + unicodeSpace + "]", unicodeSpace},
	'S': {"[^" + unicodeSpace + "]", ""},
	'd': {`\p{Nd}`, `\p{Nd}`},
	'D': {`\P{Nd}`, ""},
	'w': {"[" + unicodeWord + "]", unicodeWord},
	'W': {"[^" + unicodeWord + "]", ""},
}

func unicodeClasses(expr string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case c == '\\' && i+1 < len(expr):
			next := expr[i+1]
			if r, ok := shorthand[next]; ok {
				rewrite := r[0]
				if inClass {
					rewrite = r[1]
				}
				if rewrite != "" {
					b.WriteString(rewrite)
					i++
					continue
				}
			}
			b.WriteByte(c)
			b.WriteByte(next)
			i++
		case c == '[' && inClass && strings.HasPrefix(expr[i:], "[:"):
			// A POSIX class such as [:alpha:] inside brackets.
			end := strings.Index(expr[i+2:], ":]")
			if end < 0 {
				b.WriteString(expr[i:])
				return b.String()
			}
			b.WriteString(expr[i : i+2+end+2])
			i += 2 + end + 1
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ']' first in the brackets (after an optional '^') is literal.
			if i+1 < len(expr) && expr[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(expr) && expr[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// compileOniguruma compiles a pattern of a tokenizer.json with Go's
// regexp after rewriting the Unicode shorthands.
func compileOniguruma(expr string) (*regexp.Regexp, error) {
	return regexp.Compile(unicodeClasses(expr))
}
