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
