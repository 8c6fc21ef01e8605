package tokenizer

import "testing"

// benchSentence is a typical 20-word caption.
const benchSentence = "A man in a red jacket is riding a bicycle down the wet street while two dogs watch from the porch."

func BenchmarkEncode(b *testing.B) {
	for _, name := range testTokenizers {
		tok := loadTestTokenizer(b, name)
		b.Run(name+"/Encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tok.Encode(benchSentence, true); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/EncodeTo77", func(b *testing.B) {
			ids, mask := make([]int32, 77), make([]int32, 77)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := tok.EncodeTo(ids, mask, benchSentence, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
