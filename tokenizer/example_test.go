package tokenizer_test

import (
	"fmt"

	"github.com/vlmrt/vlmrt/tokenizer"
)

func ExampleTokenizer_Decode() {
	// A Llama-style file: SentencePiece pieces with byte fallback.
	tok, err := tokenizer.Parse([]byte(`{
	  "added_tokens": [{"id": 1, "content": "<s>", "special": true}, {"id": 2, "content": "</s>", "special": true}],
	  "decoder": {"type": "Sequence", "decoders": [
	    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
	    {"type": "ByteFallback"}, {"type": "Fuse"},
	    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
	  "model": {"type": "BPE", "merges": [],
	    "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "▁a": 3, "▁cat": 4, "<0x21>": 5}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := []int32{1, 3, 4, 5, 2}
	text, _ := tok.Decode(ids, true)
	fmt.Printf("%q\n", text)
	text, _ = tok.Decode(ids, false)
	fmt.Printf("%q\n", text)
	_, err = tok.Decode([]int32{3, 7}, true)
	fmt.Println(err)
	// Output:
	// "a cat!"
	// "<s> a cat!</s>"
	// tokenizer: id 7 at position 1: unknown token id (vocabulary size 6)
}

func ExampleTokenizer_Encode() {
	// A BERT-style file: BertNormalizer, BertPreTokenizer, WordPiece and
	// [CLS] $A [SEP].
	tok, err := tokenizer.Parse([]byte(`{
	  "added_tokens": [{"id": 0, "content": "[UNK]", "special": true},
	    {"id": 1, "content": "[CLS]", "special": true}, {"id": 2, "content": "[SEP]", "special": true}],
	  "normalizer": {"type": "BertNormalizer", "lowercase": true},
	  "pre_tokenizer": {"type": "BertPreTokenizer"},
	  "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]},
	  "decoder": {"type": "WordPiece", "prefix": "##"},
	  "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
	    "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "a": 3, "cafe": 4, "##s": 5, "!": 6}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	enc, _ := tok.Encode("A CAFÉs!", true)
	fmt.Println(enc.IDs, enc.AttentionMask)
	text, _ := tok.Decode(enc.IDs, true)
	fmt.Println(text)

	// A fixed-shape model input: truncated or padded to the buffer.
	ids := make([]int32, 6)
	n, truncated, _ := tok.WithPadding(&tokenizer.Padding{ID: 0}).EncodeTo(ids, nil, "a a a a a a a", true)
	fmt.Println(ids, n, truncated)
	// Output:
	// [1 3 4 5 6 2] [1 1 1 1 1 1]
	// a cafes!
	// [1 3 3 3 3 2] 6 true
}
