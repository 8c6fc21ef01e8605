package weights

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a small strict JSON reader over the header bytes. It reads
// only what a safetensors header holds (objects, arrays, strings and
// integers) into Go values and skips any other value it meets; it never
// allocates more than the header's own size. encoding/json is not used
// because it silently keeps the last of two duplicate keys, and because the
// header of a large model is read on every Open.
type scanner struct {
	s []byte
	i int
}

// maxDepth bounds the nesting of skipped values, so that a hostile header
// cannot exhaust the stack.
const maxDepth = 64

// errSyntax is returned by the scanner; the caller turns it into an *Error
// with the file's name.
type errSyntax struct{ msg string }

func (e *errSyntax) Error() string { return e.msg }

func (p *scanner) fail(msg string) error {
	return &errSyntax{msg + " at byte " + itoa(int64(p.i))}
}

func (p *scanner) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, or 0 at the end.
func (p *scanner) peek() byte {
	p.ws()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// expect skips white space and consumes c.
func (p *scanner) expect(c byte) error {
	if p.peek() != c {
		return p.fail("want " + string(c))
	}
	p.i++
	return nil
}

// more is called after the opening bracket and after each element of an
// object or array; it consumes a separating comma (returning true) or the
// closing bracket (returning false). first says whether no element has been
// read yet.
func (p *scanner) more(close byte, first *bool) (bool, error) {
	c := p.peek()
	if c == close {
		p.i++
		return false, nil
	}
	if *first {
		*first = false
		return true, nil
	}
	if c != ',' {
		return false, p.fail("want , or " + string(close))
	}
	p.i++
	return true, nil
}

// key reads an object key and its colon.
func (p *scanner) key() (string, error) {
	if p.peek() != '"' {
		return "", p.fail("want a string key")
	}
	k, err := p.str()
	if err != nil {
		return "", err
	}
	return k, p.expect(':')
}

// str reads a string; the scanner is at its opening quote.
func (p *scanner) str() (string, error) {
	p.i++ // opening quote
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			s := string(p.s[start:p.i])
			p.i++
			return s, nil
		case c == '\\':
			return p.strEscaped(start)
		case c < 0x20:
			return "", p.fail("control character in string")
		}
		p.i++
	}
	return "", p.fail("unterminated string")
}

// strEscaped finishes a string that holds escapes; the scanner is at the
// first backslash, the string's contents began at start.
func (p *scanner) strEscaped(start int) (string, error) {
	buf := make([]byte, 0, p.i-start+16)
	buf = append(buf, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.fail("control character in string")
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			break
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate must be followed by an escaped low one;
				// a lone surrogate becomes U+FFFD, as encoding/json does.
				r2 := utf8.RuneError
				if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					if lo, ok := p.hex4(); ok {
						if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
							r2 = d
						} else {
							p.i = save
						}
					} else {
						return "", p.fail("bad \\u escape")
					}
				}
				r = r2
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.fail("bad escape")
		}
	}
	return "", p.fail("unterminated string")
}

func (p *scanner) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for _, c := range p.s[p.i : p.i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

// number reads a JSON number and returns its text.
func (p *scanner) number() ([]byte, error) {
	start := p.i
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.i < len(p.s) && '1' <= p.s[p.i] && p.s[p.i] <= '9':
		p.digits()
	default:
		return nil, p.fail("bad number")
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return nil, p.fail("bad number")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return nil, p.fail("bad number")
		}
	}
	return p.s[start:p.i], nil
}

func (p *scanner) digits() int {
	n := 0
	for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// integer interprets a number's text as a non-negative int64. It reports
// false for a negative, fractional or exponent form, or one that overflows.
func integer(text []byte) (int64, bool) {
	if len(text) == 0 || len(text) > 19 {
		return 0, false
	}
	var v int64
	for _, c := range text {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v > (1<<63-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// value reads any JSON value into a kind and, for numbers and strings, its
// text; arrays and objects are skipped. It is used to read the elements of
// shape and data_offsets and to skip unknown keys.
type valueKind uint8

const (
	kindNumber valueKind = iota + 1
	kindString
	kindOther // object, array, true, false, null
)

func (p *scanner) value(depth int) (valueKind, []byte, error) {
	if depth > maxDepth {
		return 0, nil, p.fail("nesting too deep")
	}
	switch c := p.peek(); {
	case c == '"':
		start := p.i
		_, err := p.str()
		return kindString, p.s[start:p.i], err
	case c == '-' || ('0' <= c && c <= '9'):
		t, err := p.number()
		return kindNumber, t, err
	case c == '{':
		p.i++
		first := true
		for {
			ok, err := p.more('}', &first)
			if err != nil || !ok {
				return kindOther, nil, err
			}
			if _, err := p.key(); err != nil {
				return 0, nil, err
			}
			if _, _, err := p.value(depth + 1); err != nil {
				return 0, nil, err
			}
		}
	case c == '[':
		p.i++
		first := true
		for {
			ok, err := p.more(']', &first)
			if err != nil || !ok {
				return kindOther, nil, err
			}
			if _, _, err := p.value(depth + 1); err != nil {
				return 0, nil, err
			}
		}
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(p.s)-p.i >= len(lit) && string(p.s[p.i:p.i+len(lit)]) == lit {
				p.i += len(lit)
				return kindOther, nil, nil
			}
		}
		return 0, nil, p.fail("want a value")
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
