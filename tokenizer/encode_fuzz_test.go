package tokenizer

import (
	"testing"
	"unicode/utf8"
)

// FuzzEncode checks that any byte string, ill-formed UTF-8 included,
// encodes without error or panic with each test tokenizer, that EncodeTo
// agrees with Encode within its buffer, and that the result decodes.
func FuzzEncode(f *testing.F) {
	for _, c := range loadEncodeCases(f)["clip"] {
		f.Add([]byte(c.Text))
	}
	f.Add([]byte("\xff\xfe<|endoftext|>\xe2\x82 [CLS]\x00"))
	toks := make([]*Tokenizer, len(testTokenizers))
	for i, name := range testTokenizers {
		toks[i] = loadTestTokenizer(f, name)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		text := string(data)
		for i, tok := range toks {
			enc, err := tok.Encode(text, true)
			if err != nil {
				t.Fatalf("%s: Encode(%q): %v", testTokenizers[i], text, err)
			}
			if len(enc.IDs) != len(enc.AttentionMask) {
				t.Fatalf("%s: %d ids, %d mask values", testTokenizers[i], len(enc.IDs), len(enc.AttentionMask))
			}
			ids, mask := make([]int32, 77), make([]int32, 77)
			n, truncated, err := tok.EncodeTo(ids, mask, text, true)
			if err != nil {
				t.Fatalf("%s: EncodeTo(%q): %v", testTokenizers[i], text, err)
			}
			if truncated != (len(enc.IDs) > 77) || (!truncated && n != len(enc.IDs)) {
				t.Fatalf("%s: EncodeTo gave %d ids (truncated %v), Encode %d", testTokenizers[i], n, truncated, len(enc.IDs))
			}
			if !truncated {
				for k := range n {
					if ids[k] != enc.IDs[k] {
						t.Fatalf("%s: EncodeTo id %d is %d, Encode's %d", testTokenizers[i], k, ids[k], enc.IDs[k])
					}
				}
			}
			s, err := tok.Decode(enc.IDs, true)
			if err != nil {
				t.Fatalf("%s: Decode: %v", testTokenizers[i], err)
			}
			if !utf8.ValidString(s) {
				t.Fatalf("%s: Decode gave ill-formed UTF-8 %q", testTokenizers[i], s)
			}
		}
	})
}
