package tokenizer

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected pieces below follow the library's documented behaviour of
// each component.

func TestPreTokenizers(t *testing.T) {
	for _, c := range []struct {
		name, json, text string
		want             []string
	}{
		{"Whitespace keeps words and punctuation runs", `{"type": "Whitespace"}`, "Hey friend!  How are you?!",
			[]string{"Hey", "friend", "!", "How", "are", "you", "?!"}},
		{"Whitespace is Unicode", `{"type": "Whitespace"}`, "naïve café_x", []string{"naïve", "café_x"}},
		{"WhitespaceSplit", `{"type": "WhitespaceSplit"}`, " a\tb!\n c ", []string{"a", "b!", "c"}},
		{"BertPreTokenizer", `{"type": "BertPreTokenizer"}`, "Hello,world! ¿ok?", []string{"Hello", ",", "world", "!", "¿", "ok", "?"}},
		{"Punctuation isolated", `{"type": "Punctuation"}`, "a,,b", []string{"a", ",", ",", "b"}},
		{"Punctuation contiguous", `{"type": "Punctuation", "behavior": "Contiguous"}`, "a,,b.", []string{"a", ",,", "b", "."}},
		{"Digits grouped", `{"type": "Digits", "individual_digits": false}`, "ab123c4", []string{"ab", "123", "c", "4"}},
		{"Digits individual", `{"type": "Digits", "individual_digits": true}`, "a12", []string{"a", "1", "2"}},
		{"Metaspace", `{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}`, "Hey my friend",
			[]string{"▁Hey", "▁my", "▁friend"}},
		{"Metaspace without split or prefix", `{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": false}`, "a b",
			[]string{"a▁b"}},
		{"Split removed", `{"type": "Split", "pattern": {"String": "-"}, "behavior": "Removed", "invert": false}`, "a-b--c",
			[]string{"a", "b", "c"}},
		{"Split isolated", `{"type": "Split", "pattern": {"String": "-"}, "behavior": "Isolated", "invert": false}`, "a-b",
			[]string{"a", "-", "b"}},
		{"Split merged with previous", `{"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithPrevious", "invert": false}`, "a-b--c",
			[]string{"a-", "b-", "-", "c"}},
		{"Split merged with next", `{"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithNext", "invert": false}`, "a-b--c",
			[]string{"a", "-b", "-", "-c"}},
		{"Split contiguous", `{"type": "Split", "pattern": {"String": "-"}, "behavior": "Contiguous", "invert": false}`, "a-b--c",
			[]string{"a", "-", "b", "--", "c"}},
		{"Split regex inverted keeps matches", `{"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Removed", "invert": true}`, "ab12cd345",
			[]string{"12", "345"}},
		{"Split regex \\s is Unicode", `{"type": "Split", "pattern": {"Regex": "\\s"}, "behavior": "Removed", "invert": false}`, "a\u00a0b\u3000c",
			[]string{"a", "b", "c"}},
		{"ByteLevel with prefix space", `{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}`, "Hi  there\n",
			[]string{"ĠHi", "Ġ", "Ġthere", "Ċ"}},
		{"Sequence", `{"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": true}]}`, "a1 b22",
			[]string{"a", "1", "b", "2", "2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := parsePreTokenizer(json.RawMessage(c.json), 0)
			require.NoError(t, err)
			assert.Equal(t, c.want, p.preTokenize(nil, c.text))
		})
	}
}

func TestGPT2Match(t *testing.T) {
	for text, want := range map[string][]string{
		"I'm here's":     {"I", "'m", " here", "'s"},
		"'ll 'LL 'xyz'":  {"'ll", " '", "LL", " '", "xyz", "'"},
		"a   b":          {"a", "  ", " b"},
		"a \t\n":         {"a", " \t\n"},
		"x\n\ny":         {"x", "\n", "\n", "y"},
		"12ab !?":        {"12", "ab", " !?"},
		" ":              {" "},
		"é\u0301 😀":      {"é", "\u0301", " 😀"},
		"a\u00a0\u00a0b": {"a", "\u00a0", "\u00a0", "b"}, // no-break space is \s but not " "
	} {
		var got []string
		for i := 0; i < len(text); {
			n := gpt2Match(text[i:])
			got = append(got, text[i:i+n])
			i += n
		}
		assert.Equal(t, want, got, "%q", text)
	}
}

func TestNormalizers(t *testing.T) {
	for _, c := range []struct {
		name, json, text, want string
	}{
		{"NFC composes", `{"type": "NFC"}`, "e\u0301", "é"},
		{"NFD decomposes", `{"type": "NFD"}`, "é", "e\u0301"},
		{"NFKC folds compatibility forms", `{"type": "NFKC"}`, "ﬁ①ＡＢ", "fi1AB"},
		{"NFKD", `{"type": "NFKD"}`, "ﬁé", "fie\u0301"},
		{"Lowercase as Rust does for İ", `{"type": "Lowercase"}`, "İSTANBUL Straße", "i\u0307stanbul straße"},
		{"StripAccents after NFD", `{"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}]}`, "Café naïve", "Cafe naive"},
		{"Strip both", `{"type": "Strip", "strip_left": true, "strip_right": true}`, " \t a b \n", "a b"},
		{"Strip right", `{"type": "Strip", "strip_left": false, "strip_right": true}`, " a ", " a"},
		{"Replace string", `{"type": "Replace", "pattern": {"String": "--"}, "content": "-"}`, "a----b--", "a--b-"},
		{"Replace regex", `{"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}`, "a \t\u3000\n b", "a b"},
		{"Prepend", `{"type": "Prepend", "prepend": "▁"}`, "a", "▁a"},
		{"BertNormalizer", `{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}`,
			"Héllo\x00\tWorld\u200b中国", "hello world 中  国 "},
		{"BertNormalizer keeps accents without lowercase", `{"type": "BertNormalizer", "lowercase": false}`, "Héllo", "Héllo"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := parseNormalizer(json.RawMessage(c.json), 0)
			require.NoError(t, err)
			assert.Equal(t, c.want, n.normalize(c.text))
		})
	}
}

func TestUnicodeClasses(t *testing.T) {
	for expr, want := range map[string]string{
		`\s+`:           `[` + unicodeSpace + `]+`,
		`[^\s\p{L}]`:    `[^` + unicodeSpace + `\p{L}]`,
		`\d\w`:          `\p{Nd}[` + unicodeWord + `]`,
		`\\s`:           `\\s`,
		`[]\s]`:         `[]` + unicodeSpace + `]`,
		`[[:alpha:]]\s`: `[[:alpha:]][` + unicodeSpace + `]`,
		`[^\S]`:         `[^\S]`,
	} {
		assert.Equal(t, want, unicodeClasses(expr), expr)
	}
}

// tinyBPE is a BPE file shaped by fields, with a WhitespaceSplit
// pre-tokenizer.
func tinyBPE(t *testing.T, fields string) *Tokenizer {
	t.Helper()
	tok, err := Parse([]byte(`{"pre_tokenizer": {"type": "WhitespaceSplit"},
	  "model": {"type": "BPE", ` + fields + `}}`))
	require.NoError(t, err)
	return tok
}

func TestBPEOptions(t *testing.T) {
	encode := func(tok *Tokenizer, text string) []int32 {
		enc, err := tok.Encode(text, true)
		require.NoError(t, err)
		return enc.IDs
	}
	vocab := `"vocab": {"<unk>": 0, "a": 1, "b": 2, "ab": 3, "<0x63>": 4, "abab": 5, "##b": 6, "a##": 7}`
	t.Run("unk per character", func(t *testing.T) {
		tok := tinyBPE(t, vocab+`, "merges": ["a b"], "unk_token": "<unk>"`)
		assert.Equal(t, []int32{3, 0, 0, 1}, encode(tok, "abxya"))
	})
	t.Run("fuse_unk", func(t *testing.T) {
		tok := tinyBPE(t, vocab+`, "merges": ["a b"], "unk_token": "<unk>", "fuse_unk": true`)
		assert.Equal(t, []int32{3, 0, 1}, encode(tok, "abxya"))
	})
	t.Run("no unk drops the character", func(t *testing.T) {
		tok := tinyBPE(t, vocab+`, "merges": ["a b"]`)
		assert.Equal(t, []int32{3, 1}, encode(tok, "abxa"))
	})
	t.Run("byte_fallback", func(t *testing.T) {
		tok := tinyBPE(t, vocab+`, "merges": [], "unk_token": "<unk>", "byte_fallback": true`)
		assert.Equal(t, []int32{1, 4, 0}, encode(tok, "acé"), "c has <0x63>; é's bytes have none, so <unk>")
	})
	t.Run("merges in rank order", func(t *testing.T) {
		tok := tinyBPE(t, vocab+`, "merges": [["a", "b"], ["ab", "ab"]]`)
		assert.Equal(t, []int32{5, 3}, encode(tok, "ababab"))
	})
	t.Run("ignore_merges takes a whole word in the vocabulary", func(t *testing.T) {
		tok := tinyBPE(t, `"vocab": {"a": 0, "b": 1, "ab": 2, "abab": 3, "ba": 4}, "merges": ["b a", "a b"], "ignore_merges": true`)
		assert.Equal(t, []int32{3, 0, 4}, encode(tok, "abab aba"), "aba is merged: b a first")
	})
	t.Run("continuing_subword_prefix", func(t *testing.T) {
		tok := tinyBPE(t, `"vocab": {"a": 0, "##b": 1, "##a": 2, "a##b": 3, "ab": 4}, "merges": ["a ##b"], "continuing_subword_prefix": "##"`)
		assert.Equal(t, []int32{4, 2}, encode(tok, "aba"), "a + ##b merges to a + b")
	})
}

func TestWordPieceAndWordLevel(t *testing.T) {
	wp, err := Parse([]byte(`{"pre_tokenizer": {"type": "WhitespaceSplit"},
	  "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 6,
	    "vocab": {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "aff": 4, "##a": 5}}}`))
	require.NoError(t, err)
	enc, err := wp.Encode("unaffable affable unaffa unxyz unaffablee", true)
	require.NoError(t, err)
	assert.Equal(t, []int32{0, 0, 1, 2, 5, 0, 0}, enc.IDs,
		"unaffable and affable have more than 6 characters; unxyz has no piece for xyz")

	wl, err := Parse([]byte(`{"pre_tokenizer": {"type": "Whitespace"},
	  "model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": {"<unk>": 0, "hello": 1, "!": 2}}}`))
	require.NoError(t, err)
	enc, err = wl.Encode("hello there!", true)
	require.NoError(t, err)
	assert.Equal(t, []int32{1, 0, 2}, enc.IDs)

	noUnk, err := Parse([]byte(`{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"a": 0}}}`))
	require.NoError(t, err)
	_, err = noUnk.Encode("b", true)
	require.ErrorContains(t, err, `unk_token "[UNK]" is not in the vocabulary`)
}

func TestAddedTokenOptions(t *testing.T) {
	tok, err := Parse([]byte(`{
	  "added_tokens": [
	    {"id": 3, "content": "<mask>", "lstrip": true, "rstrip": false, "normalized": false, "special": true},
	    {"id": 4, "content": "<m>", "lstrip": false, "rstrip": true, "normalized": false, "special": true},
	    {"id": 5, "content": "hello", "normalized": true, "special": false}],
	  "normalizer": {"type": "Lowercase"},
	  "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Isolated", "invert": false},
	  "model": {"type": "WordLevel", "unk_token": "x", "vocab": {"x": 0, " ": 1, "a": 2, "hello": 5}}}`))
	require.NoError(t, err)
	enc, err := tok.Encode("a <mask> <m>  a <MASK> HeLLo", true)
	require.NoError(t, err)
	// "a", lstrip eats " " before <mask>, " " kept, <m> eats "  " after it,
	// "a", " ", "<MASK>" lowercased is not the raw token, " ", "HeLLo"
	// lowercased matches the normalized added token.
	assert.Equal(t, []int32{2, 3, 1, 4, 2, 1, 0, 1, 5}, enc.IDs)
}

func TestPostProcessors(t *testing.T) {
	base := `"model": {"type": "WordLevel", "unk_token": "u", "vocab": {"u": 0, "a": 1, "<s>": 2, "</s>": 3}}, "pre_tokenizer": {"type": "WhitespaceSplit"}`
	for _, c := range []struct {
		name, json string
		want       []int32
	}{
		{"BertProcessing", `{"type": "BertProcessing", "sep": ["</s>", 3], "cls": ["<s>", 2]}`, []int32{2, 1, 1, 3}},
		{"RobertaProcessing", `{"type": "RobertaProcessing", "sep": ["</s>", 3], "cls": ["<s>", 2], "trim_offsets": true, "add_prefix_space": false}`, []int32{2, 1, 1, 3}},
		{"TemplateProcessing with several ids", `{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "two", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
		  "special_tokens": {"two": {"id": "two", "ids": [2, 3], "tokens": ["<s>", "</s>"]}}}`, []int32{2, 3, 1, 1}},
		{"ByteLevel", `{"type": "ByteLevel", "trim_offsets": true}`, []int32{1, 1}},
		{"Sequence", `{"type": "Sequence", "processors": [{"type": "ByteLevel"}, {"type": "BertProcessing", "sep": ["</s>", 3], "cls": ["<s>", 2]}]}`, []int32{2, 1, 1, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, err := Parse([]byte(`{` + base + `, "post_processor": ` + c.json + `}`))
			require.NoError(t, err)
			enc, err := tok.Encode("a a", true)
			require.NoError(t, err)
			assert.Equal(t, c.want, enc.IDs)
			enc, err = tok.Encode("a a", false)
			require.NoError(t, err)
			assert.Equal(t, []int32{1, 1}, enc.IDs)
		})
	}
}

func TestEncodeParseErrors(t *testing.T) {
	model := `"model": {"type": "WordLevel", "vocab": {"a": 0}}`
	for _, c := range []struct{ name, json, want string }{
		{"unknown model", `{"model": {"type": "Magic", "vocab": {"a": 0}}}`, `tokenizer: my.json: model: unknown model type "Magic"`},
		{"unknown normalizer", `{"normalizer": {"type": "Shout"}, ` + model + `}`, `tokenizer: my.json: normalizer: unknown normalizer type "Shout"`},
		{"unknown pre-tokenizer inside a Sequence", `{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Chop"}]}, ` + model + `}`,
			`tokenizer: my.json: pre_tokenizer: Sequence[0]: unknown pre_tokenizer type "Chop"`},
		{"unknown post-processor", `{"post_processor": {"type": "Wrap"}, ` + model + `}`, `tokenizer: my.json: post_processor: unknown post_processor type "Wrap"`},
		{"template id outside the vocabulary", `{"post_processor": {"type": "BertProcessing", "sep": ["a", 0], "cls": ["b", 7]}, ` + model + `}`,
			`cls id 7 outside the vocabulary`},
		{"bad regex", `{"normalizer": {"type": "Replace", "pattern": {"Regex": "(?<=a)b"}, "content": ""}, ` + model + `}`, `Replace: regex "(?<=a)b"`},
		{"bad split behavior", `{"pre_tokenizer": {"type": "Split", "pattern": {"String": "a"}, "behavior": "Sideways"}, ` + model + `}`, `unknown split behavior "Sideways"`},
		{"normalizer that grows without bound", `{"normalizer": {"type": "Sequence", "normalizers": [` +
			strings.Repeat(`{"type": "Replace", "pattern": {"String": "a"}, "content": "aa"}, `, 20) + `{"type": "NFC"}]}, ` + model + `}`,
			`normalizer: may make a text up to 3.15e+06 times longer`},
		{"huge padding", `{"padding": {"strategy": {"Fixed": 1000000000000}}, ` + model + `}`, `padding: Fixed 1000000000000 outside`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseNamed("my.json", []byte(c.json))
			require.ErrorContains(t, err, c.want)
		})
	}
}

// A file whose components the format defines but encoding does not
// implement still decodes; Encode says why it cannot encode.
func TestEncodeUnsupported(t *testing.T) {
	for _, c := range []struct{ name, json, want string }{
		{"Unigram", unigram(`"prepend_scheme": "always"`), `model type "Unigram" is not supported for encoding`},
		{"Precompiled normalizer", `{"normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAAA"}, "model": {"type": "WordLevel", "vocab": {"a": 0}}}`,
			`normalizer: normalizer type "Precompiled" is not supported`},
		{"merges not in the vocabulary", gpt2JSON, `merges[0] "Ġ" "w": token not in the vocabulary`},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, err := ParseNamed("my.json", []byte(c.json))
			require.NoError(t, err)
			_, err = tok.Encode("a", true)
			require.ErrorContains(t, err, "tokenizer: my.json: cannot encode: ")
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestEncodeInvalidUTF8(t *testing.T) {
	tok := loadTestTokenizer(t, "gpt2")
	bad, err := tok.Encode("a\xffb\xe2\x82", true)
	require.NoError(t, err)
	good, err := tok.Encode("a\ufffdb\ufffd", true)
	require.NoError(t, err)
	assert.Equal(t, good.IDs, bad.IDs, "each maximal ill-formed subpart reads as one U+FFFD")
}
