package tokenizer

import "testing"

// FuzzParse checks that Parse never panics and that a parsed tokenizer
// decodes every id (and some that are not) without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{bert(true), gpt2JSON, unigram(`"prepend_scheme": "always"`), llamaJSON,
		plainJSON, bpeSuffixJSON, ctcJSON, regexJSON, legacyJSON,
		`{"decoder": {"type": "Strip", "content": " ", "start": 3, "stop": 9}, "model": {"type": "WordLevel", "vocab": {" ": 0, "  a ": 1}}}`} {
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
	})
}
