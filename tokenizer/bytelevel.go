package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// byteOfRune reverses GPT-2's bytes_to_unicode map: the printable bytes
// '!'..'~', '¡'..'¬' and '®'..'ÿ' stand for themselves, the other 68 bytes
// are written as the runes 256, 257, ... in byte order. -1 marks a rune
// that stands for no byte.
var byteOfRune = func() (m [256 + 68]int16) {
	for i := range m {
		m[i] = -1
	}
	next := 256
	for b := 0; b < 256; b++ {
		if ('!' <= b && b <= '~') || ('¡' <= b && b <= '¬') || ('®' <= b && b <= 'ÿ') {
			m[b] = int16(b)
		} else {
			m[next] = int16(b)
			next++
		}
	}
	return m
}()

// byteLevelDecoder maps each token's characters back to bytes (a token
// with a character outside the map contributes its own UTF-8 bytes) and
// decodes all the bytes as UTF-8, replacing ill-formed sequences with
// U+FFFD as Rust's String::from_utf8_lossy and Python's errors="replace"
// do. It returns a single string.
type byteLevelDecoder struct{}

func (byteLevelDecoder) decodeChain(tokens []string) []string {
	n := 0
	for _, tok := range tokens {
		n += len(tok)
	}
	buf := make([]byte, 0, n)
	for _, tok := range tokens {
		mark := len(buf)
		for _, r := range tok {
			if r < 0 || int(r) >= len(byteOfRune) || byteOfRune[r] < 0 {
				buf = append(buf[:mark], tok...)
				break
			}
			buf = append(buf, byte(byteOfRune[r]))
		}
	}
	return []string{lossyUTF8(buf)}
}

// lossyUTF8 returns b as a string in which every maximal subpart of an
// ill-formed sequence (the Unicode "substitution of maximal subparts"
// practice) is replaced by one U+FFFD.
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var s strings.Builder
	s.Grow(len(b) + 8)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			s.Write(b[i : i+size])
			i += size
			continue
		}
		s.WriteRune(utf8.RuneError)
		i += invalidPrefix(b[i:])
	}
	return s.String()
}

// invalidPrefix returns the length of the maximal subpart at the start of
// b, which does not start with a valid sequence: the lead byte and the
// continuation bytes that could still have completed a valid sequence.
func invalidPrefix(b []byte) int {
	lead := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF) // allowed range of the second byte
	switch {
	case 0xC2 <= lead && lead <= 0xDF:
		need = 1
	case lead == 0xE0:
		need, lo = 2, 0xA0
	case lead == 0xED:
		need, hi = 2, 0x9F
	case 0xE1 <= lead && lead <= 0xEF:
		need = 2
	case lead == 0xF0:
		need, lo = 3, 0x90
	case lead == 0xF4:
		need, hi = 3, 0x8F
	case 0xF1 <= lead && lead <= 0xF3:
		need = 3
	default:
		return 1 // a continuation byte, C0, C1 or F5..FF
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		c := b[n]
		if k > 0 {
			lo, hi = 0x80, 0xBF
		}
		if c < lo || c > hi {
			break
		}
		n++
	}
	return n
}
