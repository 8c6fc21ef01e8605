package tokenizer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The vocabularies below are small hand-written tokenizer.json files, one
// per decoder family, shaped like the files the library writes.

const bertJSON = `{
  "version": "1.0",
  "added_tokens": [
    {"id": 0, "content": "[PAD]", "special": true},
    {"id": 1, "content": "[UNK]", "special": true},
    {"id": 2, "content": "[CLS]", "special": true},
    {"id": 3, "content": "[SEP]", "special": true}
  ],
  "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": %CLEANUP%},
  "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
    "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5,
      "##s": 6, ".": 7, "!": 8, "it": 9, "'s": 10, "do": 11, "not": 12, "?": 13, "'": 14, "s": 15}}
}`

func bert(cleanup bool) string {
	v := "false"
	if cleanup {
		v = "true"
	}
	return strings.Replace(bertJSON, "%CLEANUP%", v, 1)
}

// gpt2JSON uses the byte-level alphabet: Ġ is the space byte, Ċ the
// newline, "Ã" and "©" the bytes C3 and A9 of "é", "âĤ" the bytes E2 82 (a
// truncated three-byte sequence), "ÿ" the byte FF (never valid).
const gpt2JSON = `{
  "added_tokens": [
    {"id": 9, "content": "<|endoftext|>", "special": true},
    {"id": 10, "content": "日本", "special": false}
  ],
  "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
  "model": {"type": "BPE", "merges": ["Ġ w", "h e"],
    "vocab": {"hello": 0, "Ġworld": 1, "Ċ": 2, "Ã©": 3, "Ã": 4, "©": 5, "âĤ": 6, "a": 7, "ÿ": 8}}
}`

// unigramJSON is a SentencePiece-style Unigram model with a Metaspace
// decoder; %META% is the decoder's scheme keys.
const unigramJSON = `{
  "added_tokens": [{"id": 0, "content": "<unk>", "special": true}],
  "decoder": {"type": "Metaspace", "replacement": "▁", %META%},
  "model": {"type": "Unigram", "unk_id": 0,
    "vocab": [["<unk>", 0.0], ["▁Hello", -1.5], ["▁world", -2.0], ["!", -3.0], ["▁", -4.0], ["▁a▁b", -5.0]]}
}`

func unigram(meta string) string { return strings.Replace(unigramJSON, "%META%", meta, 1) }

// llamaJSON has Llama's decoder chain: Replace "▁" -> " ", ByteFallback,
// Fuse, Strip one leading space.
const llamaJSON = `{
  "added_tokens": [
    {"id": 0, "content": "<unk>", "special": true},
    {"id": 1, "content": "<s>", "special": true},
    {"id": 2, "content": "</s>", "special": true}
  ],
  "decoder": {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
    {"type": "ByteFallback"},
    {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}
  ]},
  "model": {"type": "BPE", "byte_fallback": true, "merges": [],
    "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x0A>": 3, "<0xE6>": 4, "<0x97>": 5, "<0xA5>": 6,
      "▁Hello": 7, "▁world": 8, "!": 9, "<0xZZ>": 10, "<0x+A>": 11}}
}`

const plainJSON = `{"model": {"type": "WordLevel", "vocab": {"a": 0, "b": 1, "c": 2}, "unk_token": "a"}}`

const bpeSuffixJSON = `{"decoder": {"type": "BPEDecoder", "suffix": "</w>"},
  "model": {"type": "BPE", "vocab": {"hel": 0, "lo</w>": 1, "world</w>": 2}, "merges": []}}`

const ctcJSON = `{"decoder": {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": true},
  "model": {"type": "WordLevel", "vocab": {"<pad>": 0, "|": 1, "h": 2, "i": 3, "y": 4, "o": 5, ".": 6}}}`

const regexJSON = `{"decoder": {"type": "Replace", "pattern": {"Regex": "_+"}, "content": "-"},
  "model": {"type": "WordLevel", "vocab": {"a__b": 0, "c_": 1}}}`

// legacyJSON has no model "type": the library infers WordPiece from the
// continuing_subword_prefix key.
const legacyJSON = `{"decoder": {"type": "WordPiece"},
  "model": {"continuing_subword_prefix": "##", "vocab": {"play": 0, "##ing": 1, ",": 2}}}`

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		json string
		ids  []int32
		skip bool
		want string
	}{
		{"WordPiece: continuation, cleanup before punctuation, specials skipped", bert(true), []int32{2, 4, 5, 6, 7, 3}, true, "hello worlds."},
		{"WordPiece: specials kept", bert(true), []int32{2, 4, 5, 6, 8, 3}, false, "[CLS] hello worlds! [SEP]"},
		{"WordPiece: no cleanup keeps the spaces", bert(false), []int32{4, 5, 6, 7, 13}, false, "hello worlds . ?"},
		{"WordPiece: cleanup of contractions is per token", bert(true), []int32{9, 10, 11, 12, 14, 15}, false, "it's do not ' s"},
		{"WordPiece: leading continuation token keeps its prefix", bert(true), []int32{6, 4}, false, "##s hello"},
		{"WordPiece: empty", bert(true), nil, false, ""},
		{"WordPiece: only specials, skipped", bert(true), []int32{2, 3, 0}, true, ""},
		{"WordPiece without model type", legacyJSON, []int32{0, 1, 2}, false, "playing,"},
		{"ByteLevel: Ġ is a space, Ċ a newline", gpt2JSON, []int32{0, 1, 2}, false, "hello world\n"},
		{"ByteLevel: two-byte character in one token", gpt2JSON, []int32{3}, false, "é"},
		{"ByteLevel: character split over tokens", gpt2JSON, []int32{4, 5, 7}, false, "éa"},
		{"ByteLevel: truncated sequence at the end", gpt2JSON, []int32{0, 4}, false, "hello\uFFFD"},
		{"ByteLevel: maximal subpart E2 82 is one U+FFFD", gpt2JSON, []int32{6, 7}, false, "\uFFFDa"},
		{"ByteLevel: FF is one U+FFFD per byte", gpt2JSON, []int32{8, 8, 7}, false, "\uFFFD\uFFFDa"},
		{"ByteLevel: special token skipped", gpt2JSON, []int32{0, 9, 1}, true, "hello world"},
		{"ByteLevel: special token kept", gpt2JSON, []int32{0, 9}, false, "hello<|endoftext|>"},
		{"ByteLevel: token outside the alphabet passes as UTF-8", gpt2JSON, []int32{10, 1}, false, "日本 world"},
		{"Metaspace add_prefix_space: leading space dropped", unigram(`"add_prefix_space": true`), []int32{1, 2, 3}, false, "Hello world!"},
		{"Metaspace add_prefix_space false keeps it", unigram(`"add_prefix_space": false`), []int32{1, 2, 3}, false, " Hello world!"},
		{"Metaspace prepend_scheme always", unigram(`"prepend_scheme": "always", "split": true`), []int32{1, 4, 2}, false, "Hello  world"},
		{"Metaspace prepend_scheme first", unigram(`"prepend_scheme": "first"`), []int32{4, 2}, false, " world"},
		{"Metaspace prepend_scheme never", unigram(`"prepend_scheme": "never"`), []int32{4, 2}, false, "  world"},
		{"Metaspace drops every ▁ of the first token, as the library does", unigram(`"prepend_scheme": "always"`), []int32{5, 5}, false, "ab a b"},
		{"Metaspace: special skipped", unigram(`"prepend_scheme": "always"`), []int32{0, 1, 2}, true, "Hello world"},
		{"Metaspace: special kept comes first", unigram(`"prepend_scheme": "always"`), []int32{0, 1, 2}, false, "<unk> Hello world"},
		{"Llama: byte fallback newline, Strip one leading space", llamaJSON, []int32{1, 7, 8, 9, 3, 8, 2}, true, "Hello world!\n world"},
		{"Llama: three fallback bytes make one character", llamaJSON, []int32{7, 4, 5, 6}, false, "Hello日"},
		{"Llama: invalid byte run is one U+FFFD per byte", llamaJSON, []int32{4, 5, 8}, false, "\uFFFD\uFFFD world"},
		{"Llama: invalid run at the end", llamaJSON, []int32{8, 6}, false, "world\uFFFD"},
		{"Llama: malformed <0x..> token is text", llamaJSON, []int32{10}, false, "<0xZZ>"},
		{"Llama: <0x+A> parses as Rust's from_str_radix does", llamaJSON, []int32{11, 9}, false, "\n!"},
		{"Llama: specials kept", llamaJSON, []int32{1, 7, 2}, false, "<s> Hello</s>"},
		{"no decoder joins with spaces", plainJSON, []int32{0, 1, 2, 0}, false, "a b c a"},
		{"BPEDecoder suffix", bpeSuffixJSON, []int32{0, 1, 2}, false, "hello world"},
		{"CTC: repeats merged, pad dropped, delimiter is a space", ctcJSON, []int32{2, 2, 0, 3, 1, 1, 4, 0, 4, 5, 6}, false, "hi yyo."},
		{"Replace with a regular expression", regexJSON, []int32{0, 1}, false, "a-bc-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Parse([]byte(tc.json))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := tok.Decode(tc.ids, tc.skip)
			if err != nil {
				t.Fatalf("Decode(%v): %v", tc.ids, err)
			}
			if got != tc.want {
				t.Errorf("Decode(%v, %v) = %q, want %q", tc.ids, tc.skip, got, tc.want)
			}
		})
	}
}

func TestDecodeUnknownID(t *testing.T) {
	gaps := `{"model": {"type": "WordLevel", "vocab": {"a": 0, "c": 2}}}`
	tests := []struct {
		name, json string
		id         int32
		want       string
	}{
		{"past the end", bert(true), 16, "id 16 at position 1"},
		{"negative", bert(true), -1, "id -1 at position 1"},
		{"gap in the ids", gaps, 1, "id 1 at position 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := ParseNamed("vocab.json", []byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			_, err = tok.Decode([]int32{0, tc.id}, false)
			if !errors.Is(err, ErrUnknownID) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "vocab.json") {
				t.Errorf("Decode error %v, want ErrUnknownID naming %q and the file", err, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, json, want string }{
		{"not JSON", `{"model":`, "not a tokenizer.json"},
		{"not an object", `[1, 2]`, "not a tokenizer.json"},
		{"no model", `{"decoder": null}`, `no "model"`},
		{"no vocab", `{"model": {"type": "BPE"}}`, `no "vocab"`},
		{"unknown model", `{"model": {"type": "Magic", "vocab": {}}}`, `unknown model type "Magic"`},
		{"vocab of the wrong shape", `{"model": {"type": "BPE", "vocab": [1]}}`, "BPE vocab"},
		{"Unigram entry not a string", `{"model": {"type": "Unigram", "vocab": [[1, 0.0]]}}`, "Unigram vocab entry 0"},
		{"negative id", `{"model": {"type": "BPE", "vocab": {"a": -1}}}`, `token "a" has id -1`},
		{"huge id", `{"model": {"type": "BPE", "vocab": {"a": 99999999999}}}`, `token "a" has id 99999999999`},
		{"sparse ids", `{"model": {"type": "BPE", "vocab": {"a": 100000}}}`, "ids too sparse"},
		{"duplicate id", `{"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}}}`, `id 0 used by both "a" and "b"`},
		{"added token without id", `{"added_tokens": [{"content": "x"}], "model": {"type": "BPE", "vocab": {}}}`, `added_tokens[0] "x": no id`},
		{"added token negative id", `{"added_tokens": [{"id": -3, "content": "x"}], "model": {"type": "BPE", "vocab": {}}}`, `added_tokens[0] "x": id -3`},
		{"unknown decoder", `{"decoder": {"type": "Magic"}, "model": {"type": "BPE", "vocab": {}}}`, `unsupported decoder type "Magic"`},
		{"decoder without type", `{"decoder": {}, "model": {"type": "BPE", "vocab": {}}}`, `decoder: no "type"`},
		{"bad sequence member", `{"decoder": {"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "X"}]}, "model": {"type": "BPE", "vocab": {}}}`, `Sequence[1]: unsupported decoder type "X"`},
		{"Metaspace replacement of two characters", `{"decoder": {"type": "Metaspace", "replacement": "ab"}, "model": {"type": "BPE", "vocab": {}}}`, "not one character"},
		{"Metaspace unknown scheme", `{"decoder": {"type": "Metaspace", "prepend_scheme": "sometimes"}, "model": {"type": "BPE", "vocab": {}}}`, `unknown prepend_scheme "sometimes"`},
		{"Strip empty content", `{"decoder": {"type": "Strip", "content": "", "start": 1}, "model": {"type": "BPE", "vocab": {}}}`, "not one character"},
		{"Strip negative start", `{"decoder": {"type": "Strip", "content": " ", "start": -1}, "model": {"type": "BPE", "vocab": {}}}`, "Strip"},
		{"Replace without pattern", `{"decoder": {"type": "Replace", "pattern": {}, "content": ""}, "model": {"type": "BPE", "vocab": {}}}`, "neither"},
		{"Replace bad regex", `{"decoder": {"type": "Replace", "pattern": {"Regex": "("}, "content": ""}, "model": {"type": "BPE", "vocab": {}}}`, "Replace"},
		{"WordPiece cleanup not a bool", `{"decoder": {"type": "WordPiece", "cleanup": "yes"}, "model": {"type": "BPE", "vocab": {}}}`, "WordPiece"},
		{"Sequence nested too deep", `{"decoder": ` + strings.Repeat(`{"type": "Sequence", "decoders": [`, 20) + `{"type": "Fuse"}` + strings.Repeat(`]}`, 20) + `, "model": {"type": "BPE", "vocab": {}}}`, "nested too deep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNamed("bad.json", []byte(tc.json))
			if err == nil {
				t.Fatalf("Parse succeeded, want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "tokenizer: bad.json: ") {
				t.Errorf("error %q, want it to start with the file name and contain %q", err, tc.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(path, []byte(gpt2JSON), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.VocabSize(), 11; got != want {
		t.Errorf("VocabSize = %d, want %d", got, want)
	}
	if tok.Model() != "BPE" || !tok.IsSpecial(9) || tok.IsSpecial(10) || tok.IsSpecial(-1) || tok.IsSpecial(99) {
		t.Errorf("Model %q, IsSpecial(9, 10) = %v, %v", tok.Model(), tok.IsSpecial(9), tok.IsSpecial(10))
	}
	if s, ok := tok.Token(1); !ok || s != "Ġworld" {
		t.Errorf("Token(1) = %q, %v", s, ok)
	}
	if _, ok := tok.Token(11); ok {
		t.Error("Token(11) found, want none")
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"model": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Load(bad) error %v, want one naming %s", err, bad)
	}
	missing := filepath.Join(dir, "missing.json")
	if _, err := Load(missing); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing) error %v, want os.ErrNotExist naming the file", err)
	}
}

// TestAddedTokenOverrides checks that an added token wins over the model's
// token of the same id, and that specialness follows the content.
func TestAddedTokenOverrides(t *testing.T) {
	js := `{"added_tokens": [{"id": 1, "content": "<x>", "special": true}],
	  "model": {"type": "WordLevel", "vocab": {"a": 0, "b": 1, "<x>": 2}}}`
	tok, err := Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tok.Decode([]int32{0, 1, 2, 0}, false)
	if err != nil || got != "a <x> <x> a" {
		t.Errorf("Decode = %q, %v; want %q", got, err, "a <x> <x> a")
	}
	got, err = tok.Decode([]int32{0, 1, 2, 0}, true)
	if err != nil || got != "a a" {
		t.Errorf("Decode skipping specials = %q, %v; want %q", got, err, "a a")
	}
}

func TestByteLevelAlphabet(t *testing.T) {
	// Every byte has exactly one rune, and the printable ones are their own.
	seen := map[int16]bool{}
	for r, b := range byteOfRune {
		if b < 0 {
			continue
		}
		if seen[b] {
			t.Fatalf("byte %#x has two runes", b)
		}
		seen[b] = true
		if r < 256 && int(b) != r {
			t.Errorf("rune %U stands for byte %#x", r, b)
		}
	}
	if len(seen) != 256 {
		t.Fatalf("%d bytes mapped, want 256", len(seen))
	}
	for r, b := range map[rune]byte{'Ġ': ' ', 'Ċ': '\n', 'ĉ': '\t', 'Ā': 0, 'ġ': 0x7F, 'Ń': 0xAD, 'A': 'A'} {
		if byteOfRune[r] != int16(b) {
			t.Errorf("rune %q stands for %#x, want %#x", r, byteOfRune[r], b)
		}
	}
}

func TestLossyUTF8(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"valid", "aé日😀", "aé日😀"},
		{"lone continuation", "a\x80b", "a\uFFFDb"},
		{"truncated 3-byte is one", "\xE2\x82", "\uFFFD"},
		{"truncated 4-byte is one", "\xF0\x9F\x98x", "\uFFFDx"},
		{"E0 needs A0..BF", "\xE0\x80\x80", "\uFFFD\uFFFD\uFFFD"},
		{"surrogate ED A0 80", "\xED\xA0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"F4 90 is past U+10FFFF", "\xF4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"C0 overlong", "\xC0\xAF", "\uFFFD\uFFFD"},
		{"F5 never valid", "\xF5\x80", "\uFFFD\uFFFD"},
		{"truncated then valid", "\xE6\x97a\xE6\x97\xA5", "\uFFFDa日"},
	}
	for _, tc := range tests {
		if got := lossyUTF8([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: lossyUTF8(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}
