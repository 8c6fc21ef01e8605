package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalizer is one step of the file's "normalizer": it rewrites the text
// of a segment before it is pre-tokenized.
type normalizer interface {
	normalize(s string) string
	// growth bounds the ratio of output to input length in bytes.
	growth() float64
}

// maxGrowth bounds how many times longer a file's normalizer may make a
// text, so that a hostile file cannot make Encode allocate without bound
// (a Sequence of a thousand Replace "a" -> "aa" would double a text a
// thousand times).
const maxGrowth = 1 << 12

// parseNormalizer builds the normalizer that the JSON object raw describes.
func parseNormalizer(raw json.RawMessage, depth int) (normalizer, error) {
	if depth > maxSequenceDepth {
		return nil, errors.New("Sequence normalizers nested too deep")
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	switch head.Type {
	case "NFC":
		return formNormalizer{norm.NFC}, nil
	case "NFD":
		return formNormalizer{norm.NFD}, nil
	case "NFKC":
		return formNormalizer{norm.NFKC}, nil
	case "NFKD":
		return formNormalizer{norm.NFKD}, nil
	case "Lowercase":
		return lowercaseNormalizer{}, nil
	case "StripAccents":
		return stripAccentsNormalizer{}, nil
	case "BertNormalizer":
		c := struct {
			CleanText    bool  `json:"clean_text"`
			ChineseChars bool  `json:"handle_chinese_chars"`
			StripAccents *bool `json:"strip_accents"`
			Lowercase    bool  `json:"lowercase"`
		}{CleanText: true, ChineseChars: true, Lowercase: true}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("BertNormalizer: %w", err)
		}
		n := bertNormalizer{cleanText: c.CleanText, chineseChars: c.ChineseChars, lowercase: c.Lowercase}
		// As in the library, strip_accents null follows lowercase.
		n.stripAccents = c.Lowercase
		if c.StripAccents != nil {
			n.stripAccents = *c.StripAccents
		}
		return n, nil
	case "Replace":
		var c struct {
			Pattern patternJSON `json:"pattern"`
			Content string      `json:"content"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Replace: %w", err)
		}
		p, err := c.Pattern.compile()
		if err != nil {
			return nil, fmt.Errorf("Replace: %w", err)
		}
		return replaceNormalizer{pattern: p, content: c.Content}, nil
	case "Strip":
		c := struct {
			Left  bool `json:"strip_left"`
			Right bool `json:"strip_right"`
		}{true, true}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Strip: %w", err)
		}
		return stripNormalizer{left: c.Left, right: c.Right}, nil
	case "Prepend":
		var c struct {
			Prepend string `json:"prepend"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Prepend: %w", err)
		}
		return prependNormalizer{c.Prepend}, nil
	case "Sequence":
		var c struct {
			Normalizers []json.RawMessage `json:"normalizers"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Sequence: %w", err)
		}
		seq := make(sequenceNormalizer, len(c.Normalizers))
		for i, r := range c.Normalizers {
			n, err := parseNormalizer(r, depth+1)
			if err != nil {
				return nil, fmt.Errorf("Sequence[%d]: %w", i, err)
			}
			seq[i] = n
		}
		return seq, nil
	case "Precompiled":
		return nil, errUnsupported{"normalizer", head.Type}
	case "":
		return nil, errors.New(`no "type"`)
	}
	return nil, fmt.Errorf("unknown normalizer type %q", head.Type)
}

// errUnsupported marks a component type that the library defines and
// decoding tolerates but that encoding does not implement: Parse accepts
// the file and Encode reports the error.
type errUnsupported struct{ section, kind string }

func (e errUnsupported) Error() string {
	return fmt.Sprintf("%s type %q is not supported for encoding", e.section, e.kind)
}

// patternJSON is the library's Pattern: a literal string or a regular
// expression.
type patternJSON struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

// pattern finds the non-overlapping matches of a literal or a regular
// expression, leftmost first.
type pattern struct {
	literal string
	re      *regexp.Regexp // nil for a literal
	gpt2    bool           // GPT-2's pattern, matched by hand (it has a lookahead)
	clip    bool           // CLIP's pattern, matched by hand (for speed)
	spaces  bool           // \s+, matched by hand (for speed)
}

func (p patternJSON) compile() (pattern, error) {
	switch {
	case p.String != nil:
		return pattern{literal: *p.String}, nil
	case p.Regex != nil:
		switch *p.Regex {
		case gpt2Pattern:
			return pattern{gpt2: true}, nil
		case clipPattern:
			return pattern{clip: true}, nil
		case `\s+`:
			return pattern{spaces: true}, nil
		}
		re, err := compileOniguruma(*p.Regex)
		if err != nil {
			return pattern{}, fmt.Errorf("regex %q: %w", *p.Regex, err)
		}
		return pattern{re: re}, nil
	}
	return pattern{}, errors.New(`pattern is neither "String" nor "Regex"`)
}

// matches returns the [start, end) byte offsets of every non-empty match
// in s, in order, appended to dst.
func (p pattern) matches(dst [][2]int, s string) [][2]int {
	switch {
	case p.gpt2:
		for i := 0; i < len(s); {
			n := gpt2Match(s[i:])
			dst = append(dst, [2]int{i, i + n})
			i += n
		}
	case p.clip:
		for i := 0; i < len(s); {
			start, end := clipMatch(s, i)
			if start < 0 {
				break
			}
			dst = append(dst, [2]int{start, end})
			i = end
		}
	case p.spaces:
		dst = runDelimiters(dst, s, unicode.IsSpace)
	case p.re != nil:
		for _, m := range p.re.FindAllStringIndex(s, -1) {
			if m[1] > m[0] {
				dst = append(dst, [2]int{m[0], m[1]})
			}
		}
	case p.literal != "":
		for i := 0; ; {
			k := strings.Index(s[i:], p.literal)
			if k < 0 {
				break
			}
			dst = append(dst, [2]int{i + k, i + k + len(p.literal)})
			i += k + len(p.literal)
		}
	}
	return dst
}

type sequenceNormalizer []normalizer

func (seq sequenceNormalizer) growth() float64 {
	g := 1.0
	for _, n := range seq {
		g *= n.growth()
	}
	return g
}

func (seq sequenceNormalizer) normalize(s string) string {
	for _, n := range seq {
		s = n.normalize(s)
	}
	return s
}

type formNormalizer struct{ form norm.Form }

// growth is Unicode's bound on expansion: 3x for NFC and NFD, 18x for the
// compatibility forms (in characters; the byte ratio is no larger).
func (n formNormalizer) growth() float64 {
	if n.form == norm.NFKC || n.form == norm.NFKD {
		return 18
	}
	return 3
}

func (n formNormalizer) normalize(s string) string {
	if n.form.IsNormalString(s) {
		return s
	}
	return n.form.String(s)
}

// lowercaseNormalizer lowercases as Rust's str::to_lowercase does, which
// differs from strings.ToLower for U+0130 (İ becomes "i̇"). The final-sigma
// rule of Rust is not applied: Σ always becomes σ.
type lowercaseNormalizer struct{}

func (lowercaseNormalizer) growth() float64 { return 2 }

func (lowercaseNormalizer) normalize(s string) string { return lowercase(s) }

func lowercase(s string) string {
	if !strings.ContainsRune(s, 'İ') {
		return strings.ToLower(s)
	}
	return strings.ToLower(strings.ReplaceAll(s, "İ", "i\u0307"))
}

// stripAccentsNormalizer removes nonspacing marks (category Mn), as the
// library does after an NFD normalizer.
type stripAccentsNormalizer struct{}

func (stripAccentsNormalizer) growth() float64 { return 1 }

func (stripAccentsNormalizer) normalize(s string) string { return removeMn(s) }

func removeMn(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s)
}

// bertNormalizer is the library's BertNormalizer: clean_text drops NUL,
// U+FFFD and control characters and turns whitespace into spaces;
// handle_chinese_chars puts spaces around CJK ideographs; strip_accents
// decomposes (NFD) and drops nonspacing marks; lowercase lowercases. The
// steps run in that order.
type bertNormalizer struct {
	cleanText, chineseChars, stripAccents, lowercase bool
}

func (n bertNormalizer) growth() float64 { return 3 * 3 * 2 }

func (n bertNormalizer) normalize(s string) string {
	if n.cleanText {
		s = strings.Map(func(r rune) rune {
			switch {
			case r == 0 || r == unicode.ReplacementChar || isBertControl(r):
				return -1
			case unicode.IsSpace(r):
				return ' '
			}
			return r
		}, s)
	}
	if n.chineseChars {
		var b strings.Builder
		for _, r := range s {
			if isCJK(r) {
				b.WriteByte(' ')
				b.WriteRune(r)
				b.WriteByte(' ')
			} else {
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	if n.stripAccents {
		s = removeMn(norm.NFD.String(s))
	}
	if n.lowercase {
		s = lowercase(s)
	}
	return s
}

// isBertControl reports whether r is in a C* category (unassigned code
// points included) other than tab, newline and carriage return.
func isBertControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	return unicode.Is(unicode.C, r) || !isAssigned(r)
}

// isAssigned reports whether r has a Unicode category other than Cn.
func isAssigned(r rune) bool {
	for _, t := range [...]*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C} {
		if unicode.Is(t, r) {
			return true
		}
	}
	return false
}

// isCJK reports whether r is in a CJK Unified Ideographs block, as BERT
// defines them.
func isCJK(r rune) bool {
	return (0x4E00 <= r && r <= 0x9FFF) || (0x3400 <= r && r <= 0x4DBF) ||
		(0x20000 <= r && r <= 0x2A6DF) || (0x2A700 <= r && r <= 0x2B73F) ||
		(0x2B740 <= r && r <= 0x2B81F) || (0x2B820 <= r && r <= 0x2CEAF) ||
		(0xF900 <= r && r <= 0xFAFF) || (0x2F800 <= r && r <= 0x2FA1F)
}

type replaceNormalizer struct {
	pattern pattern
	content string
}

// growth: every match is at least one byte long.
func (n replaceNormalizer) growth() float64 {
	matched := max(len(n.pattern.literal), 1)
	return max(1, float64(len(n.content))/float64(matched))
}

func (n replaceNormalizer) normalize(s string) string {
	var buf [32][2]int
	ms := n.pattern.matches(buf[:0], s)
	if len(ms) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		b.WriteString(s[last:m[0]])
		b.WriteString(n.content)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

type stripNormalizer struct{ left, right bool }

func (stripNormalizer) growth() float64 { return 1 }

func (n stripNormalizer) normalize(s string) string {
	if n.left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if n.right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}

type prependNormalizer struct{ prefix string }

func (n prependNormalizer) growth() float64 { return float64(1 + len(n.prefix)) }

func (n prependNormalizer) normalize(s string) string {
	if s == "" {
		return s
	}
	return n.prefix + s
}
