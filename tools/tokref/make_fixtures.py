"""Trains small CLIP-, GPT-2- and BERT-shaped vocabularies on English text
found on a Debian system and writes them as Hugging Face tokenizer.json
files, with the ids reference.py gives for a few hundred sentences.

    python3 tools/tokref/make_fixtures.py [outdir]   (default tokenizer/testdata)

Writes clip.json, gpt2.json, bert.json and encode_cases.json. The output is
deterministic for a given set of input files.
"""

import collections
import glob
import json
import os
import sys
import unicodedata

import regex

import reference as ref

SOURCES = sorted(glob.glob("/usr/share/common-licenses/*"))


def corpus():
    text = []
    for path in SOURCES:
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                text.append(f.read())
    return "\n".join(text)


def train(words, merges_wanted):
    """Plain BPE training: words is {tuple of symbols: count}; merges the
    most frequent pair (ties: the smallest pair) until merges_wanted."""
    words = dict(words)
    merges = []
    for _ in range(merges_wanted):
        counts = collections.Counter()
        for w, n in words.items():
            for i in range(len(w) - 1):
                counts[(w[i], w[i + 1])] += n
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        if counts[best] < 2:
            break
        merges.append(best)
        merged = {}
        for w, n in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + n
        words = merged
    return merges


def top_words(pieces, n):
    counts = collections.Counter(pieces)
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def added(id_, content, normalized):
    return {"id": id_, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": normalized, "special": True}


def byte_level_decoder():
    return {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}


def make_clip(text):
    cleaned = ref.clip_clean(text)
    words = top_words(regex.findall(ref.CLIP_PATTERN, cleaned), 4000)
    counts = collections.Counter(regex.findall(ref.CLIP_PATTERN, cleaned))
    weighted = {}
    for w in words:
        chars = ref.byte_encode(w)
        weighted[tuple(list(chars[:-1]) + [chars[-1] + "</w>"])] = counts[w]
    merges = train(weighted, 1200)
    base = [ref.BYTE_CHAR[b] for b in range(256)]
    vocab = {}
    for tok in base + [c + "</w>" for c in base] + ["".join(m) for m in merges]:
        vocab.setdefault(tok, len(vocab))
    sot, eot = len(vocab), len(vocab) + 1
    vocab["<|startoftext|>"], vocab["<|endoftext|>"] = sot, eot
    file = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(sot, "<|startoftext|>", True), added(eot, "<|endoftext|>", False)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"},
            {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
            {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": ref.CLIP_PATTERN}, "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "RobertaProcessing", "sep": ["<|endoftext|>", eot],
                           "cls": ["<|startoftext|>", sot], "trim_offsets": False, "add_prefix_space": False},
        "decoder": byte_level_decoder(),
        "model": {"type": "BPE", "dropout": None, "unk_token": "<|endoftext|>", "continuing_subword_prefix": "",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [list(m) for m in merges]},
    }
    return file, ref.CLIP(vocab, merges)


def make_gpt2(text):
    pieces = regex.findall(ref.GPT2_PATTERN, text)
    counts = collections.Counter(pieces)
    weighted = {tuple(ref.byte_encode(w)): counts[w] for w in top_words(pieces, 4000)}
    merges = train(weighted, 1200)
    vocab = {}
    for tok in [ref.BYTE_CHAR[b] for b in range(256)] + ["".join(m) for m in merges]:
        vocab.setdefault(tok, len(vocab))
    eot = len(vocab)
    vocab["<|endoftext|>"] = eot
    file = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(eot, "<|endoftext|>", True)],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": byte_level_decoder(),
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [" ".join(m) for m in merges]},
    }
    return file, ref.GPT2(vocab, merges, {"<|endoftext|>": eot})


def make_bert(text):
    probe = ref.BERT({}, {})
    words = probe.basic(text)
    counts = collections.Counter(words)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = list(specials)
    chars = sorted({c for w in words for c in w} | set("abcdefghijklmnopqrstuvwxyz0123456789"))
    pieces += chars + ["##" + c for c in chars]
    pieces += top_words(words, 1500)
    suffixes, prefixes = collections.Counter(), collections.Counter()
    for w, n in counts.items():
        for k in range(2, 5):
            if len(w) > k:
                suffixes["##" + w[-k:]] += n
                prefixes[w[:k + 1]] += n
    pieces += [s for s, _ in sorted(suffixes.items(), key=lambda kv: (-kv[1], kv[0]))[:600]]
    pieces += [p for p, _ in sorted(prefixes.items(), key=lambda kv: (-kv[1], kv[0]))[:400]]
    vocab = {}
    for p in pieces:
        vocab.setdefault(p, len(vocab))
    file = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(vocab[s], s, False) for s in specials],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                    {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                           "special_tokens": {s: {"id": s, "ids": [vocab[s]], "tokens": [s]}
                                              for s in ("[CLS]", "[SEP]")}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }
    return file, ref.BERT(vocab, {s: vocab[s] for s in specials})


HAND_WRITTEN = [
    "", " ", "   ", "\t\n", "a", "A", "Hello, world!", "  leading and trailing spaces  ",
    "Don't stop: it's what we'll do, they've said; I'm sure you'd agree.",
    "DON'T SHOUT IT'S LOUD", "rock'n'roll ''quoted'' 's 't 're", "'''s",
    "The year 2024 had 365 days, 12 months and 3.14159 pi; 1,000,000 people.",
    "Numbers: 0 1 22 333 4444 55555 007 ½ ² ٣ ४",
    "Café, naïve, résumé, Ångström, façade, jalapeño, über, coöperate.",
    "ÉCOLE ÉLÉMENTAIRE À PARIS", "e\u0301 combining acute, n\u0303 tilde, a\u0308\u0301 two marks",
    "Ça va? Très bien! ¿Qué tal? ¡Olé!",
    "日本語のテキストと中文文本和한국어", "東京 is in 日本, 北京 in 中国.",
    "Emoji: 😀 👍🏽 🇫🇷 👨‍👩‍👧 ❤️ and ✨sparkles✨",
    "Greek αβγ δέλτα, Cyrillic привет мир, Arabic مرحبا, Hebrew שלום",
    "tabs\tand\nnewlines\r\nand  double  spaces   and\u00a0nbsp\u3000ideographic",
    "   \t  multiple\t\twhitespace    runs   \n\n  ",
    "a" * 150, "supercalifragilisticexpialidocious " * 3,
    "x" * 40 + " " + "y" * 120,
    "punctuation!!! ??? ... --- (brackets) [square] {curly} <angle> @#$%^&*_+=|\\/~`",
    "email: someone@example.com url: https://www.gnu.org/licenses/gpl-3.0.html",
    "C++ and C# and F# and .NET; x = y + z * 2 - (a / b)",
    "<|startoftext|>a photo of a cat<|endoftext|>", "a photo<|endoftext|>of two dogs",
    "[CLS] bert style [SEP] tokens [MASK] here", "<|endoftext|>", "[UNK]",
    "A photo of a dog.", "a diagram", "an image of the GNU General Public License",
    "ﬁnancial ﬂuffy ligatures and ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
    "Zero\u200bwidth\u200cjoiners\u200d and soft\u00adhyphen",
    "control\x01chars\x7fhere\x00", "replacement \ufffd char",
    "mixed CASE WiTh CaMeL cAsE", "under_score and hyphen-ated and dot.ted",
    "it's 5 o'clock's", "won't can't shan't y'all",
    "Straße, İstanbul, ǅemal", "   'leading apostrophe", "trailing apostrophe'   ",
    "1st 2nd 3rd 4th 100th 1990s '90s",
    "this sentence is deliberately written to be much longer than seventy seven tokens so that "
    "truncation has something to do, it keeps going with many common words from the licenses: "
    "permission is hereby granted free of charge to any person obtaining a copy of this software "
    "and associated documentation files to deal in the software without restriction including "
    "without limitation the rights to use copy modify merge publish distribute sublicense and sell",
]


def sentences(text):
    out = []
    seen = set()
    for line in text.split("\n"):
        line = " ".join(line.split())
        words = line.split(" ")
        if 5 <= len(words) <= 30 and line not in seen:
            seen.add(line)
            out.append(line)
    # A deterministic spread over the corpus.
    step = max(1, len(out) // 260)
    return out[::step][:260]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tokenizer/testdata"
    text = corpus()
    texts = HAND_WRITTEN + sentences(text)
    cases = {}
    for name, make in (("clip", make_clip), ("gpt2", make_gpt2), ("bert", make_bert)):
        file, tok = make(text)
        with open(os.path.join(outdir, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(file, f, ensure_ascii=False, separators=(",", ":"))
        cases[name] = [{"text": t, "ids": tok.encode(t)} for t in texts]
    with open(os.path.join(outdir, "encode_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"sources": [os.path.basename(p) for p in SOURCES], "cases": cases}, f,
                  ensure_ascii=False, indent=0)


if __name__ == "__main__":
    main()
