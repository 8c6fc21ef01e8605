// Package tokenizer turns text into token ids and token ids back into text
// with a Hugging Face tokenizer.json file, in pure Go.
//
// Encoding (Encode, EncodeTo) follows the Rust tokenizers library's
// pipeline: added tokens are matched first; the rest of the text passes
// through the file's normalizer (NFC, NFD, NFKC, NFKD, Lowercase,
// StripAccents, BertNormalizer, Replace, Strip, Prepend, Sequence), its
// pre_tokenizer (ByteLevel, Split, BertPreTokenizer, Whitespace,
// WhitespaceSplit, Punctuation, Digits, Metaspace, Sequence) and its model
// (BPE as GPT-2 and CLIP use it, WordPiece, WordLevel); the post_processor
// (TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel,
// Sequence) adds special tokens; truncation and padding come from the file
// or from WithTruncation and WithPadding. A component type that the file
// format defines but encoding does not implement (the Unigram model, the
// Precompiled normalizer, ...) leaves the tokenizer able to decode, and
// Encode reports it; an unknown type is a Parse error.
//
// Text is read as UTF-8 with each ill-formed sequence replaced by U+FFFD,
// as Rust's String::from_utf8_lossy would hand it to the library. Regular
// expressions of the file are Oniguruma's; they are compiled with Go's
// regexp after \s, \d and \w are rewritten to their Unicode meaning, and
// GPT-2's and CLIP's patterns (GPT-2's has a lookahead, which Go lacks)
// are matched by hand. A pattern that Go cannot compile is a Parse error.
// BPE words are cached, up to a bounded number of words.
//
// Known differences from the library: Lowercase does not apply the Greek
// final-sigma rule; Metaspace treats prepend_scheme "first" as "always";
// added tokens' single_word is ignored; offsets, type ids and pairs of
// sequences are not computed.
//
// Decoding follows the library too: an id is looked up first
// among the added tokens, then in the model's vocabulary (WordPiece,
// WordLevel, BPE or Unigram); special tokens are dropped when asked; the
// tokens then pass through the file's decoder (WordPiece, ByteLevel,
// Metaspace, Replace, ByteFallback, Fuse, Strip, BPEDecoder, CTC, or a
// Sequence of them), whose outputs are concatenated. A file without a
// decoder joins its tokens with single spaces, as the library does.
//
// Unlike the library, which silently drops an id it does not know, Decode
// reports such an id as an error.
package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// maxIDs bounds the id space a file may declare, so that a hostile file
// cannot make Parse allocate a table sized by one large id.
const maxIDs = 1 << 24

// Tokenizer encodes text to token ids and decodes token ids to text with
// one tokenizer.json. It is immutable after Parse or Load (WithTruncation
// and WithPadding return copies) and safe for concurrent use.
type Tokenizer struct {
	name    string   // file or source name used in errors
	tokens  []string // id -> token; "" with present[id] false marks a gap
	present []bool   // whether an id has a token
	special []bool   // whether an id is a special added token
	decoder decoder  // nil: join with " "
	model   string   // model type, e.g. "BPE"

	enc        *encoder    // text to ids
	encErr     error       // non-nil: why the file cannot be encoded
	truncation *Truncation // nil: none
	padding    *Padding    // nil: none
}

// ErrUnknownID is wrapped by Decode's error for an id that has no token.
var ErrUnknownID = errors.New("unknown token id")

// Load reads and parses the tokenizer.json file at path. Errors name the
// file and wrap their cause.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return ParseNamed(path, data)
}

// Parse parses the bytes of a tokenizer.json file. Use ParseNamed to have
// errors name the source.
func Parse(data []byte) (*Tokenizer, error) {
	return ParseNamed("", data)
}

// ParseNamed parses the bytes of a tokenizer.json file; name (a file name,
// or e.g. "model.safetensors metadata") is put in every error.
func ParseNamed(name string, data []byte) (*Tokenizer, error) {
	t, err := parse(data)
	if err != nil {
		if name != "" {
			return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
		}
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t.name = name
	return t, nil
}

// fileJSON is the part of tokenizer.json that decoding reads.
type fileJSON struct {
	AddedTokens []addedTokenJSON `json:"added_tokens"`
	Decoder     json.RawMessage  `json:"decoder"`
	Model       *modelJSON       `json:"model"`
}

type addedTokenJSON struct {
	ID         *int64 `json:"id"`
	Content    string `json:"content"`
	Special    bool   `json:"special"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized *bool  `json:"normalized"`
}

type modelJSON struct {
	Type   string          `json:"type"`
	Vocab  json.RawMessage `json:"vocab"`
	Merges json.RawMessage `json:"merges"`
	Prefix *string         `json:"continuing_subword_prefix"`

	// Encoding only.
	Suffix       *string  `json:"end_of_word_suffix"`
	Unk          *string  `json:"unk_token"`
	FuseUnk      bool     `json:"fuse_unk"`
	ByteFallback bool     `json:"byte_fallback"`
	IgnoreMerges bool     `json:"ignore_merges"`
	Dropout      *float64 `json:"dropout"`
	MaxChars     *int64   `json:"max_input_chars_per_word"`
}

func parse(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a tokenizer.json: %w", err)
	}
	if f.Model == nil {
		return nil, errors.New(`no "model" section`)
	}
	entries, kind, err := parseModel(f.Model)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	t := &Tokenizer{model: kind}
	if err := t.fill(entries, f.AddedTokens); err != nil {
		return nil, err
	}
	if len(f.Decoder) > 0 && string(f.Decoder) != "null" {
		t.decoder, err = parseDecoder(f.Decoder, 0)
		if err != nil {
			return nil, fmt.Errorf("decoder: %w", err)
		}
	}
	if err := t.parseEncoder(data, f.Model, entries, f.AddedTokens); err != nil {
		return nil, err
	}
	return t, nil
}

type vocabEntry struct {
	token string
	id    int64
}

// parseModel reads the model's vocabulary as (token, id) pairs and names
// the model type, inferring it from the fields when "type" is absent (as
// the library does for old files).
func parseModel(m *modelJSON) ([]vocabEntry, string, error) {
	kind := m.Type
	vocab := strings.TrimSpace(string(m.Vocab))
	if kind == "" {
		switch {
		case strings.HasPrefix(vocab, "["):
			kind = "Unigram"
		case len(m.Merges) > 0:
			kind = "BPE"
		case m.Prefix != nil:
			kind = "WordPiece"
		default:
			kind = "WordLevel"
		}
	}
	if vocab == "" || vocab == "null" {
		return nil, kind, errors.New(`no "vocab"`)
	}
	switch kind {
	case "BPE", "WordPiece", "WordLevel":
		var v map[string]int64
		if err := json.Unmarshal(m.Vocab, &v); err != nil {
			return nil, kind, fmt.Errorf("%s vocab: %w", kind, err)
		}
		entries := make([]vocabEntry, 0, len(v))
		for tok, id := range v {
			entries = append(entries, vocabEntry{tok, id})
		}
		return entries, kind, nil
	case "Unigram":
		var v [][2]json.RawMessage
		if err := json.Unmarshal(m.Vocab, &v); err != nil {
			return nil, kind, fmt.Errorf("Unigram vocab: %w", err)
		}
		entries := make([]vocabEntry, len(v))
		for i, pair := range v {
			if err := json.Unmarshal(pair[0], &entries[i].token); err != nil {
				return nil, kind, fmt.Errorf("Unigram vocab entry %d: %w", i, err)
			}
			entries[i].id = int64(i)
		}
		return entries, kind, nil
	}
	return nil, kind, fmt.Errorf("unknown model type %q", kind)
}

// fill builds the id tables from the model's vocabulary and the added
// tokens; an added token overrides the model's token of the same id.
func (t *Tokenizer) fill(entries []vocabEntry, added []addedTokenJSON) error {
	maxID := int64(-1)
	for _, e := range entries {
		if e.id < 0 || e.id >= maxIDs {
			return fmt.Errorf("model: token %q has id %d outside [0, %d)", e.token, e.id, maxIDs)
		}
		maxID = max(maxID, e.id)
	}
	for i, a := range added {
		if a.ID == nil {
			return fmt.Errorf("added_tokens[%d] %q: no id", i, a.Content)
		}
		if *a.ID < 0 || *a.ID >= maxIDs {
			return fmt.Errorf("added_tokens[%d] %q: id %d outside [0, %d)", i, a.Content, *a.ID, maxIDs)
		}
		maxID = max(maxID, *a.ID)
	}
	// Real vocabularies are dense; refuse a sparse one rather than
	// allocate a table many times larger than the file.
	if count := int64(len(entries) + len(added)); maxID >= 8*count+1024 {
		return fmt.Errorf("ids too sparse: largest id %d for %d tokens", maxID, count)
	}
	n := int(maxID + 1)
	t.tokens = make([]string, n)
	t.present = make([]bool, n)
	t.special = make([]bool, n)
	for _, e := range entries {
		if t.present[e.id] {
			a, b := t.tokens[e.id], e.token
			if b < a {
				a, b = b, a
			}
			return fmt.Errorf("model: id %d used by both %q and %q", e.id, a, b)
		}
		t.tokens[e.id], t.present[e.id] = e.token, true
	}
	specials := make(map[string]bool)
	for _, a := range added {
		t.tokens[*a.ID], t.present[*a.ID] = a.Content, true
		if a.Special {
			specials[a.Content] = true
		}
	}
	// The library tests specialness by content, so a model token equal to a
	// special added token is skipped as well.
	if len(specials) > 0 {
		for id, tok := range t.tokens {
			t.special[id] = t.present[id] && specials[tok]
		}
	}
	return nil
}

// VocabSize returns one more than the largest id that has a token.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// Model returns the model type of the file: "BPE", "WordPiece",
// "WordLevel" or "Unigram".
func (t *Tokenizer) Model() string { return t.model }

// Token returns the token of id (an added token before the model's), and
// whether id has one.
func (t *Tokenizer) Token(id int32) (string, bool) {
	if id < 0 || int(id) >= len(t.tokens) || !t.present[id] {
		return "", false
	}
	return t.tokens[id], true
}

// IsSpecial reports whether id's token is a special added token (one that
// Decode skips when asked to).
func (t *Tokenizer) IsSpecial(id int32) bool {
	return id >= 0 && int(id) < len(t.special) && t.special[id]
}

// Decode returns the text of ids. With skipSpecial, special tokens are left
// out before the decoder runs. An id without a token is an error that wraps
// ErrUnknownID and names the id and its position.
func (t *Tokenizer) Decode(ids []int32, skipSpecial bool) (string, error) {
	tokens := make([]string, 0, len(ids))
	for i, id := range ids {
		tok, ok := t.Token(id)
		if !ok {
			return "", t.errorf("id %d at position %d: %w (vocabulary size %d)", id, i, ErrUnknownID, len(t.tokens))
		}
		if skipSpecial && t.special[id] {
			continue
		}
		tokens = append(tokens, tok)
	}
	if t.decoder == nil {
		return strings.Join(tokens, " "), nil
	}
	return strings.Join(t.decoder.decodeChain(tokens), ""), nil
}

func (t *Tokenizer) errorf(format string, args ...any) error {
	if t.name != "" {
		return fmt.Errorf("tokenizer: %s: "+format, append([]any{t.name}, args...)...)
	}
	return fmt.Errorf("tokenizer: "+format, args...)
}
