package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// decoder is one step of the library's decode chain: it maps the token
// strings to new strings; the last step's outputs are concatenated.
type decoder interface {
	decodeChain(tokens []string) []string
}

// maxSequenceDepth bounds nested Sequence decoders.
const maxSequenceDepth = 16

// parseDecoder builds the decoder that the JSON object raw describes.
func parseDecoder(raw json.RawMessage, depth int) (decoder, error) {
	if depth > maxSequenceDepth {
		return nil, errors.New("Sequence decoders nested too deep")
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	switch head.Type {
	case "WordPiece":
		d := wordPieceDecoder{prefix: "##", cleanup: true}
		var c struct {
			Prefix  *string `json:"prefix"`
			Cleanup *bool   `json:"cleanup"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("WordPiece: %w", err)
		}
		if c.Prefix != nil {
			d.prefix = *c.Prefix
		}
		if c.Cleanup != nil {
			d.cleanup = *c.Cleanup
		}
		return d, nil
	case "ByteLevel":
		return byteLevelDecoder{}, nil
	case "Metaspace":
		return parseMetaspace(raw)
	case "Replace":
		return parseReplace(raw)
	case "ByteFallback":
		return byteFallbackDecoder{}, nil
	case "Fuse":
		return fuseDecoder{}, nil
	case "Strip":
		var c struct {
			Content string `json:"content"`
			Start   uint32 `json:"start"`
			Stop    uint32 `json:"stop"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Strip: %w", err)
		}
		r, err := oneRune("Strip content", c.Content)
		if err != nil {
			return nil, err
		}
		return stripDecoder{content: r, start: int(c.Start), stop: int(c.Stop)}, nil
	case "BPEDecoder":
		c := struct {
			Suffix string `json:"suffix"`
		}{Suffix: "</w>"}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("BPEDecoder: %w", err)
		}
		return bpeDecoder{suffix: c.Suffix}, nil
	case "CTC":
		c := struct {
			Pad       string `json:"pad_token"`
			Delimiter string `json:"word_delimiter_token"`
			Cleanup   bool   `json:"cleanup"`
		}{"<pad>", "|", true}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("CTC: %w", err)
		}
		return ctcDecoder{pad: c.Pad, delimiter: c.Delimiter, cleanup: c.Cleanup}, nil
	case "Sequence":
		var c struct {
			Decoders []json.RawMessage `json:"decoders"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Sequence: %w", err)
		}
		seq := make(sequenceDecoder, len(c.Decoders))
		for i, r := range c.Decoders {
			d, err := parseDecoder(r, depth+1)
			if err != nil {
				return nil, fmt.Errorf("Sequence[%d]: %w", i, err)
			}
			seq[i] = d
		}
		return seq, nil
	case "":
		return nil, errors.New(`no "type"`)
	}
	return nil, fmt.Errorf("unsupported decoder type %q", head.Type)
}

func oneRune(what, s string) (rune, error) {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || n != len(s) || (r == utf8.RuneError && n == 1) {
		return 0, fmt.Errorf("%s %q is not one character", what, s)
	}
	return r, nil
}

// sequenceDecoder runs its decoders one after the other.
type sequenceDecoder []decoder

func (s sequenceDecoder) decodeChain(tokens []string) []string {
	for _, d := range s {
		tokens = d.decodeChain(tokens)
	}
	return tokens
}

// wordPieceDecoder joins WordPiece tokens: a token after the first loses
// its continuation prefix, or gains a leading space when it has none; with
// cleanup, each token then has the spaces before punctuation and
// contractions removed.
type wordPieceDecoder struct {
	prefix  string
	cleanup bool
}

func (d wordPieceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, tok := range tokens {
		if i != 0 {
			if strings.HasPrefix(tok, d.prefix) {
				tok = tok[len(d.prefix):]
			} else {
				tok = " " + tok
			}
		}
		if d.cleanup {
			tok = cleanup(tok)
		}
		out[i] = tok
	}
	return out
}

// cleanupReplacer applies the library's tokenization cleanup; the pairs
// are applied one after the other in this order, as the library does.
var cleanupPairs = [...][2]string{
	{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
	{" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"},
	{" 've", "'ve"}, {" 're", "'re"},
}

func cleanup(s string) string {
	for _, p := range cleanupPairs {
		if strings.Contains(s, p[0]) {
			s = strings.ReplaceAll(s, p[0], p[1])
		}
	}
	return s
}

// metaspaceDecoder turns the replacement character back into spaces; in
// the first token it is dropped instead unless the prepend scheme is
// "never".
type metaspaceDecoder struct {
	replacement rune
	dropFirst   bool
}

func parseMetaspace(raw json.RawMessage) (decoder, error) {
	var c struct {
		Replacement    *string `json:"replacement"`
		AddPrefixSpace *bool   `json:"add_prefix_space"`
		PrependScheme  *string `json:"prepend_scheme"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("Metaspace: %w", err)
	}
	d := metaspaceDecoder{replacement: '▁', dropFirst: true}
	if c.Replacement != nil {
		r, err := oneRune("Metaspace replacement", *c.Replacement)
		if err != nil {
			return nil, err
		}
		d.replacement = r
	}
	switch {
	case c.PrependScheme != nil:
		switch *c.PrependScheme {
		case "always", "first":
		case "never":
			d.dropFirst = false
		default:
			return nil, fmt.Errorf("Metaspace: unknown prepend_scheme %q", *c.PrependScheme)
		}
	case c.AddPrefixSpace != nil:
		d.dropFirst = *c.AddPrefixSpace
	}
	return d, nil
}

func (d metaspaceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, tok := range tokens {
		if !strings.ContainsRune(tok, d.replacement) {
			out[i] = tok
			continue
		}
		var b strings.Builder
		b.Grow(len(tok))
		for _, r := range tok {
			switch {
			case r != d.replacement:
				b.WriteRune(r)
			case i == 0 && d.dropFirst:
			default:
				b.WriteByte(' ')
			}
		}
		out[i] = b.String()
	}
	return out
}

// replaceDecoder replaces a literal string or a regular expression in each
// token.
type replaceDecoder struct {
	literal string
	re      *regexp.Regexp // nil for a literal pattern
	content string
}

func parseReplace(raw json.RawMessage) (decoder, error) {
	var c struct {
		Pattern struct {
			String *string `json:"String"`
			Regex  *string `json:"Regex"`
		} `json:"pattern"`
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("Replace: %w", err)
	}
	switch {
	case c.Pattern.String != nil:
		return replaceDecoder{literal: *c.Pattern.String, content: c.Content}, nil
	case c.Pattern.Regex != nil:
		re, err := regexp.Compile(*c.Pattern.Regex)
		if err != nil {
			return nil, fmt.Errorf("Replace: %w", err)
		}
		return replaceDecoder{re: re, content: c.Content}, nil
	}
	return nil, errors.New(`Replace: pattern is neither "String" nor "Regex"`)
}

func (d replaceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, tok := range tokens {
		if d.re != nil {
			out[i] = d.re.ReplaceAllLiteralString(tok, d.content)
		} else {
			out[i] = strings.ReplaceAll(tok, d.literal, d.content)
		}
	}
	return out
}

// byteFallbackDecoder turns runs of "<0xHH>" tokens into the text of their
// bytes; a run that is not valid UTF-8 becomes one U+FFFD per byte.
type byteFallbackDecoder struct{}

func (byteFallbackDecoder) decodeChain(tokens []string) []string {
	out := make([]string, 0, len(tokens))
	var run []byte
	flush := func() {
		if len(run) == 0 {
			return
		}
		if utf8.Valid(run) {
			out = append(out, string(run))
		} else {
			for range run {
				out = append(out, "\uFFFD")
			}
		}
		run = run[:0]
	}
	for _, tok := range tokens {
		if b, ok := fallbackByte(tok); ok {
			run = append(run, b)
			continue
		}
		flush()
		out = append(out, tok)
	}
	flush()
	return out
}

// fallbackByte parses a "<0xHH>" token. Like Rust's u8::from_str_radix,
// which the library uses, it accepts "+H" for the two characters.
func fallbackByte(tok string) (byte, bool) {
	if len(tok) != 6 || !strings.HasPrefix(tok, "<0x") || tok[5] != '>' {
		return 0, false
	}
	hi, lo := tok[3], tok[4]
	l, ok := hexDigit(lo)
	if !ok {
		return 0, false
	}
	if hi == '+' {
		return l, true
	}
	h, ok := hexDigit(hi)
	if !ok {
		return 0, false
	}
	return h<<4 | l, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// fuseDecoder concatenates all tokens into one.
type fuseDecoder struct{}

func (fuseDecoder) decodeChain(tokens []string) []string {
	return []string{strings.Join(tokens, "")}
}

// stripDecoder removes up to start leading and up to stop trailing
// occurrences of content from each token.
type stripDecoder struct {
	content     rune
	start, stop int
}

func (d stripDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, tok := range tokens {
		lo := 0
		for n := 0; n < d.start && lo < len(tok); n++ {
			r, size := utf8.DecodeRuneInString(tok[lo:])
			if r != d.content {
				break
			}
			lo += size
		}
		hi := len(tok)
		for n := 0; n < d.stop && hi > lo; n++ {
			r, size := utf8.DecodeLastRuneInString(tok[lo:hi])
			if r != d.content {
				break
			}
			hi -= size
		}
		out[i] = tok[lo:hi]
	}
	return out
}

// bpeDecoder replaces the end-of-word suffix with a space (nothing after
// the last token).
type bpeDecoder struct{ suffix string }

func (d bpeDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, tok := range tokens {
		repl := " "
		if i == len(tokens)-1 {
			repl = ""
		}
		out[i] = strings.ReplaceAll(tok, d.suffix, repl)
	}
	return out
}

// ctcDecoder merges repeated tokens, drops padding and turns the word
// delimiter into spaces (with cleanup).
type ctcDecoder struct {
	pad, delimiter string
	cleanup        bool
}

func (d ctcDecoder) decodeChain(tokens []string) []string {
	out := make([]string, 0, len(tokens))
	for i, tok := range tokens {
		if i > 0 && tok == tokens[i-1] {
			continue
		}
		if d.pad != "" {
			tok = strings.ReplaceAll(tok, d.pad, "")
		}
		if d.cleanup {
			tok = cleanup(tok)
			if d.delimiter != "" {
				tok = strings.ReplaceAll(tok, d.delimiter, " ")
			}
		}
		if tok != "" {
			out = append(out, tok)
		}
	}
	return out
}
