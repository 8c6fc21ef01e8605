package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode/utf8"
)

// bpeModel is the library's BPE model: a word starts as one symbol per
// character (the continuing_subword_prefix before all but the first, the
// end_of_word_suffix after the last), and the adjacent pair with the
// lowest merge rank is merged until no pair has a rank, as GPT-2's bpe()
// does. A character outside the vocabulary becomes its <0xXX> byte tokens
// with byte_fallback, else unk_token (consecutive ones fused with
// fuse_unk), else nothing.
type bpeModel struct {
	vocab        map[string]int32
	merges       map[uint64]bpeMerge // key: left id << 32 | right id
	prefix       string
	suffix       string
	unk          int32 // -1: none
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	cache        *wordCache
}

type bpeMerge struct {
	rank int32
	id   int32 // the merged token
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func parseBPE(m *modelJSON, vocab map[string]int32) (*bpeModel, error) {
	b := &bpeModel{vocab: vocab, unk: -1, cache: newWordCache()}
	if m.Prefix != nil {
		b.prefix = *m.Prefix
	}
	if m.Suffix != nil {
		b.suffix = *m.Suffix
	}
	b.fuseUnk, b.byteFallback, b.ignoreMerges = m.FuseUnk, m.ByteFallback, m.IgnoreMerges
	if m.Dropout != nil && *m.Dropout != 0 {
		return nil, fmt.Errorf("BPE dropout %g: only deterministic encoding (no dropout) is supported", *m.Dropout)
	}
	if m.Unk != nil {
		id, ok := vocab[*m.Unk]
		if !ok {
			return nil, fmt.Errorf("BPE unk_token %q is not in the vocabulary", *m.Unk)
		}
		b.unk = id
	}
	pairs, err := parseMerges(m.Merges)
	if err != nil {
		return nil, err
	}
	if len(pairs) > math.MaxInt32 {
		return nil, errors.New("too many merges")
	}
	b.merges = make(map[uint64]bpeMerge, len(pairs))
	for rank, p := range pairs {
		left, ok1 := vocab[p[0]]
		right, ok2 := vocab[p[1]]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("merges[%d] %q %q: token not in the vocabulary", rank, p[0], p[1])
		}
		merged := p[0] + strings.TrimPrefix(p[1], b.prefix)
		id, ok := vocab[merged]
		if !ok {
			return nil, fmt.Errorf("merges[%d] %q %q: merged token %q not in the vocabulary", rank, p[0], p[1], merged)
		}
		key := pairKey(left, right)
		if _, dup := b.merges[key]; !dup { // the first rank wins
			b.merges[key] = bpeMerge{rank: int32(rank), id: id}
		}
	}
	return b, nil
}

// parseMerges reads merges as the library writes them: "a b" strings
// (old files) or ["a", "b"] pairs.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("BPE merges: %w", err)
	}
	pairs := make([][2]string, len(items))
	for i, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err == nil {
			a, b, ok := strings.Cut(s, " ")
			if !ok || strings.Contains(b, " ") {
				return nil, fmt.Errorf("BPE merges[%d] %q: want two tokens separated by one space", i, s)
			}
			pairs[i] = [2]string{a, b}
			continue
		}
		var p []string
		if err := json.Unmarshal(it, &p); err != nil || len(p) != 2 {
			return nil, fmt.Errorf("BPE merges[%d]: want \"a b\" or [\"a\", \"b\"]", i)
		}
		pairs[i] = [2]string{p[0], p[1]}
	}
	return pairs, nil
}

func (b *bpeModel) tokenize(dst []int32, word string) ([]int32, error) {
	if word == "" {
		return dst, nil
	}
	if ids, ok := b.cache.get(word); ok {
		return append(dst, ids...), nil
	}
	if b.ignoreMerges {
		if id, ok := b.vocab[word]; ok {
			return append(dst, id), nil
		}
	}
	start := len(dst)
	var scratch [64]byte
	lastUnk := false
	for i, r := range word {
		size := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, size = utf8.DecodeRuneInString(word[i:])
		}
		sym := scratch[:0]
		if i > 0 {
			sym = append(sym, b.prefix...)
		}
		sym = append(sym, word[i:i+size]...)
		if i+size == len(word) {
			sym = append(sym, b.suffix...)
		}
		if id, ok := b.vocab[string(sym)]; ok {
			dst = append(dst, id)
			lastUnk = false
			continue
		}
		if b.byteFallback {
			if ids, ok := b.fallbackBytes(word[i : i+size]); ok {
				dst = append(dst, ids...)
				lastUnk = false
				continue
			}
		}
		if b.unk >= 0 && !(b.fuseUnk && lastUnk) {
			dst = append(dst, b.unk)
		}
		lastUnk = b.unk >= 0
	}
	dst = append(dst[:start], b.merge(dst[start:])...)
	b.cache.put(word, dst[start:])
	return dst, nil
}

// fallbackBytes returns the ids of the <0xXX> tokens of the bytes of s,
// and whether the vocabulary has them all.
func (b *bpeModel) fallbackBytes(s string) ([]int32, bool) {
	ids := make([]int32, len(s))
	for i := 0; i < len(s); i++ {
		id, ok := b.vocab[fmt.Sprintf("<0x%02X>", s[i])]
		if !ok {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}

// merge applies the merges to syms in place, lowest rank first; each pass
// merges every occurrence of the best pair from left to right, and
// returns the merged symbols.
func (b *bpeModel) merge(syms []int32) []int32 {
	for len(syms) > 1 {
		best, bestRank := -1, int32(math.MaxInt32)
		var bestID int32
		for i := 0; i+1 < len(syms); i++ {
			if m, ok := b.merges[pairKey(syms[i], syms[i+1])]; ok && m.rank < bestRank {
				best, bestRank, bestID = i, m.rank, m.id
			}
		}
		if best < 0 {
			break
		}
		left, right := syms[best], syms[best+1]
		out := syms[:best]
		for i := best; i < len(syms); {
			if i+1 < len(syms) && syms[i] == left && syms[i+1] == right {
				out = append(out, bestID)
				i += 2
			} else {
				out = append(out, syms[i])
				i++
			}
		}
		syms = out
	}
	return syms
}

// wordCacheSize bounds the words a BPE model remembers; the cache is
// emptied when it fills.
const wordCacheSize = 8192

// maxCachedWord is the longest word, in bytes, that the cache keeps.
const maxCachedWord = 256

// wordCache maps words to their merged ids for a BPE model, safe for
// concurrent use and bounded in size.
type wordCache struct {
	mu    sync.Mutex
	words map[string][]int32
}

func newWordCache() *wordCache { return &wordCache{words: make(map[string][]int32)} }

func (c *wordCache) get(word string) ([]int32, bool) {
	c.mu.Lock()
	ids, ok := c.words[word]
	c.mu.Unlock()
	return ids, ok
}

func (c *wordCache) put(word string, ids []int32) {
	if len(word) > maxCachedWord {
		return
	}
	ids = append([]int32(nil), ids...)
	c.mu.Lock()
	if len(c.words) >= wordCacheSize {
		clear(c.words)
	}
	c.words[word] = ids
	c.mu.Unlock()
}
