package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The files in testdata are written by tools/tokref/make_fixtures.py:
// vocabularies trained on the licenses in /usr/share/common-licenses, in
// the shape of CLIP's, GPT-2's and BERT's tokenizer.json, and the ids that
// tools/tokref/reference.py (written from the published algorithms, not
// from this package) gives for a few hundred sentences.

var testTokenizers = []string{"clip", "gpt2", "bert"}

func loadTestTokenizer(t testing.TB, name string) *Tokenizer {
	t.Helper()
	tok, err := Load(filepath.Join("testdata", name+".json"))
	require.NoError(t, err)
	return tok
}

type encodeCase struct {
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

func loadEncodeCases(t testing.TB) map[string][]encodeCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "encode_cases.json"))
	require.NoError(t, err)
	var f struct {
		Cases map[string][]encodeCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(data, &f))
	return f.Cases
}

func TestEncodeMatchesReference(t *testing.T) {
	cases := loadEncodeCases(t)
	for _, name := range testTokenizers {
		tok := loadTestTokenizer(t, name)
		require.NotEmpty(t, cases[name], name)
		t.Run(name, func(t *testing.T) {
			for i, c := range cases[name] {
				enc, err := tok.Encode(c.Text, true)
				require.NoError(t, err, "case %d %q", i, c.Text)
				require.Equal(t, c.IDs, enc.IDs, "case %d %q", i, c.Text)
				require.Len(t, enc.AttentionMask, len(c.IDs))
				require.False(t, enc.Truncated)
			}
		})
	}
}

// withSections returns the test tokenizer name with top-level sections of
// its tokenizer.json replaced: section name, JSON value, name, value, ...
func withSections(t testing.TB, name string, sections ...string) *Tokenizer {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	require.NoError(t, err)
	var f map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &f))
	for i := 0; i+1 < len(sections); i += 2 {
		f[sections[i]] = json.RawMessage(sections[i+1])
	}
	data, err = json.Marshal(f)
	require.NoError(t, err)
	tok, err := ParseNamed(name+".json", data)
	require.NoError(t, err)
	return tok
}

// GPT-2's pattern as a Split pre-tokenizer (matched by hand, as Go's
// regexp has no lookahead) followed by a ByteLevel without regex must cut
// text exactly as ByteLevel with use_regex does.
func TestSplitWithGPT2Pattern(t *testing.T) {
	tok := withSections(t, "gpt2", "pre_tokenizer", `{"type": "Sequence", "pretokenizers": [
		{"type": "Split", "pattern": {"Regex": "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false},
		{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]}`)
	for i, c := range loadEncodeCases(t)["gpt2"] {
		enc, err := tok.Encode(c.Text, true)
		require.NoError(t, err)
		require.Equal(t, c.IDs, enc.IDs, "case %d %q", i, c.Text)
	}
}

func TestEncodeSpecialTokens(t *testing.T) {
	clip := loadTestTokenizer(t, "clip")
	with, err := clip.Encode("a photo of a cat", true)
	require.NoError(t, err)
	without, err := clip.Encode("a photo of a cat", false)
	require.NoError(t, err)
	require.Equal(t, with.IDs[1:len(with.IDs)-1], without.IDs, "addSpecialTokens false drops only <|startoftext|> and <|endoftext|>")
	first, _ := clip.Token(with.IDs[0])
	last, _ := clip.Token(with.IDs[len(with.IDs)-1])
	require.Equal(t, "<|startoftext|>", first)
	require.Equal(t, "<|endoftext|>", last)
	text, err := clip.Decode(with.IDs, true)
	require.NoError(t, err)
	require.Equal(t, "a</w>photo</w>of</w>a</w>cat</w>", text, "CLIP's file decodes with ByteLevel, keeping </w>")

	bert := loadTestTokenizer(t, "bert")
	enc, err := bert.Encode("Hello [MASK] world", false)
	require.NoError(t, err)
	var tokens []string
	for _, id := range enc.IDs {
		tok, _ := bert.Token(id)
		tokens = append(tokens, tok)
	}
	require.Contains(t, tokens, "[MASK]", "an added token inside the text is one id even without special tokens")
	require.NotContains(t, tokens, "[CLS]")
}

func TestEncodeTruncationAndPadding(t *testing.T) {
	clip := loadTestTokenizer(t, "clip")
	var long encodeCase
	for _, c := range loadEncodeCases(t)["clip"] {
		if len(c.IDs) > 77 && len(c.IDs) > len(long.IDs) {
			long = c
		}
	}
	require.NotEmpty(t, long.IDs, "the fixture has a text longer than CLIP's 77")
	eot := long.IDs[len(long.IDs)-1]

	t.Run("EncodeTo [1, 77] truncates and keeps <|endoftext|> last", func(t *testing.T) {
		ids, mask := make([]int32, 77), make([]int32, 77)
		n, truncated, err := clip.EncodeTo(ids, mask, long.Text, true)
		require.NoError(t, err)
		require.True(t, truncated)
		require.Equal(t, 77, n)
		require.Equal(t, append(append([]int32{}, long.IDs[:76]...), eot), ids)
		for _, m := range mask {
			require.EqualValues(t, 1, m)
		}
	})
	t.Run("EncodeTo pads a short text with the pad id and mask 0, inside its window", func(t *testing.T) {
		guard := make([]int32, 77+8)
		for i := range guard {
			guard[i] = -7
		}
		ids := guard[4 : 4+77]
		mask := make([]int32, 77)
		padded := clip.WithPadding(&Padding{ID: eot})
		n, truncated, err := padded.EncodeTo(ids, mask, "a photo of a cat", true)
		require.NoError(t, err)
		require.False(t, truncated)
		want, _ := clip.Encode("a photo of a cat", true)
		require.Equal(t, len(want.IDs), n)
		require.Equal(t, want.IDs, ids[:n])
		for i := n; i < 77; i++ {
			require.Equal(t, eot, ids[i])
			require.Zero(t, mask[i])
		}
		for _, g := range append(guard[:4:4], guard[4+77:]...) {
			require.EqualValues(t, -7, g, "EncodeTo wrote outside its buffer")
		}
	})
	t.Run("EncodeTo without special tokens, nil mask", func(t *testing.T) {
		ids := make([]int32, 10)
		n, truncated, err := clip.EncodeTo(ids, nil, long.Text, false)
		require.NoError(t, err)
		require.True(t, truncated)
		require.Equal(t, 10, n)
		require.Equal(t, long.IDs[1:11], ids)
	})
	t.Run("EncodeTo errors", func(t *testing.T) {
		_, _, err := clip.EncodeTo(make([]int32, 4), make([]int32, 3), "x", true)
		require.ErrorIs(t, err, ErrMaskLength)
		_, _, err = clip.EncodeTo(make([]int32, 1), nil, "x", true)
		require.ErrorContains(t, err, "2 special ids do not fit in 1")
	})
	t.Run("WithTruncation right and left", func(t *testing.T) {
		enc, err := clip.WithTruncation(&Truncation{MaxLength: 5}).Encode(long.Text, true)
		require.NoError(t, err)
		require.True(t, enc.Truncated)
		require.Equal(t, []int32{long.IDs[0], long.IDs[1], long.IDs[2], long.IDs[3], eot}, enc.IDs)
		enc, err = clip.WithTruncation(&Truncation{MaxLength: 4, Left: true}).Encode(long.Text, true)
		require.NoError(t, err)
		k := len(long.IDs)
		require.Equal(t, []int32{long.IDs[0], long.IDs[k-3], long.IDs[k-2], eot}, enc.IDs)
		enc, err = clip.WithTruncation(&Truncation{MaxLength: 1}).Encode(long.Text, true)
		require.NoError(t, err)
		require.Equal(t, []int32{long.IDs[0], eot}, enc.IDs, "special ids are kept when they alone are too long")
		require.Nil(t, clip.Truncation(), "WithTruncation leaves the original alone")
	})
	t.Run("WithPadding fixed, multiple of, left", func(t *testing.T) {
		plain, err := clip.Encode("a cat", true)
		require.NoError(t, err)
		enc, err := clip.WithPadding(&Padding{Length: 8, ID: 3}).Encode("a cat", true)
		require.NoError(t, err)
		require.Len(t, enc.IDs, 8)
		n := len(plain.IDs)
		require.Equal(t, plain.IDs, enc.IDs[:n])
		for i := n; i < 8; i++ {
			require.EqualValues(t, 3, enc.IDs[i])
			require.Zero(t, enc.AttentionMask[i])
		}
		enc, err = clip.WithPadding(&Padding{MultipleOf: 3, ID: 9, Left: true}).Encode("a cat", true)
		require.NoError(t, err)
		require.Zero(t, len(enc.IDs)%3)
		require.EqualValues(t, 9, enc.IDs[0])
		require.EqualValues(t, 0, enc.AttentionMask[0])
		require.EqualValues(t, 1, enc.AttentionMask[len(enc.IDs)-1])
	})
	t.Run("truncation and padding from the file", func(t *testing.T) {
		tok := withSections(t, "clip",
			"truncation", `{"direction": "Right", "max_length": 77, "strategy": "LongestFirst", "stride": 0}`,
			"padding", `{"strategy": {"Fixed": 77}, "direction": "Right", "pad_to_multiple_of": null, "pad_id": 1713, "pad_type_id": 0, "pad_token": "<|endoftext|>"}`)
		require.Equal(t, &Truncation{MaxLength: 77}, tok.Truncation())
		enc, err := tok.Encode(long.Text, true)
		require.NoError(t, err)
		require.True(t, enc.Truncated)
		require.Len(t, enc.IDs, 77)
		enc, err = tok.Encode("a cat", true)
		require.NoError(t, err)
		require.Len(t, enc.IDs, 77)
		require.Equal(t, eot, enc.IDs[76])
	})
}
