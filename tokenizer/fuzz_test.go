package tokenizer

import "testing"

// FuzzParse checks that Parse never panics and that a parsed tokenizer
// decodes every id (and some that are not) and encodes a few texts
// without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{bert(true), gpt2JSON, unigram(`"prepend_scheme": "always"`), llamaJSON,
		plainJSON, bpeSuffixJSON, ctcJSON, regexJSON, legacyJSON,
		`{"decoder": {"type": "Strip", "content": " ", "start": 3, "stop": 9}, "model": {"type": "WordLevel", "vocab": {" ": 0, "  a ": 1}}}`,
		`{"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": "_"}]},
		  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Metaspace"}, {"type": "Digits"}, {"type": "Split", "pattern": {"String": "l"}, "behavior": "MergedWithNext"}]},
		  "post_processor": {"type": "BertProcessing", "sep": ["b", 1], "cls": ["a", 0]},
		  "added_tokens": [{"id": 2, "content": "<s>", "special": true, "lstrip": true}],
		  "model": {"type": "BPE", "unk_token": "a", "byte_fallback": true, "fuse_unk": true, "vocab": {"a": 0, "b": 1, "<s>": 2, "ab": 3}, "merges": ["a b"]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Parse(data)
		if err != nil {
			return
		}
		n := tok.VocabSize()
		ids := make([]int32, 0, min(n, 512))
		for id := 0; id < n && len(ids) < cap(ids); id++ {
			if _, ok := tok.Token(int32(id)); ok {
				ids = append(ids, int32(id))
			}
		}
		for _, skip := range []bool{false, true} {
			if _, err := tok.Decode(ids, skip); err != nil {
				t.Fatalf("Decode of known ids: %v", err)
			}
			// Reversed order and repeats exercise the chains differently.
			rev := make([]int32, 0, 2*len(ids))
			for i := len(ids) - 1; i >= 0; i-- {
				rev = append(rev, ids[i], ids[i])
			}
			if _, err := tok.Decode(rev, skip); err != nil {
				t.Fatalf("Decode of known ids: %v", err)
			}
		}
		if _, err := tok.Decode([]int32{int32(n)}, false); err == nil {
			t.Fatalf("Decode(%d) with vocabulary size %d succeeded", n, n)
		}
		// Encoding may fail (an unsupported component), never panic, and
		// EncodeTo stays inside its buffer.
		for _, text := range []string{"Hello, world! 12 héllo  <s> 日本\t", "\xff a\u0301", ""} {
			if enc, err := tok.Encode(text, true); err == nil && len(enc.IDs) != len(enc.AttentionMask) {
				t.Fatalf("Encode(%q): %d ids, %d mask values", text, len(enc.IDs), len(enc.AttentionMask))
			}
			ids := make([]int32, 8, 16)
			if n, _, err := tok.EncodeTo(ids, nil, text, true); err == nil && n > len(ids) {
				t.Fatalf("EncodeTo(%q) = %d ids in a buffer of %d", text, n, len(ids))
			}
		}
	})
}
