"""Independent reference tokenizers, written from the published algorithms.

- GPT-2 (encoder.py): bytes_to_unicode, the regex split, and bpe(): merge the
  lowest-ranked bigram everywhere, left to right, until none has a rank.
- CLIP (simple_tokenizer.py): whitespace_clean + lower (NFC in place of ftfy,
  as the Hugging Face tokenizer.json does), its regex, bpe() with "</w>" on
  the last character, <|startoftext|> ... <|endoftext|>.
- BERT (tokenization.py): BasicTokenizer (clean text, CJK, lowercase, strip
  accents, punctuation split) and WordpieceTokenizer (greedy longest match).

Nothing here reads the Go code or a tokenizer.json decoder; it needs Python
3 and the regex module (Debian's python3-regex) for \\p{L} and lookahead.
"""

import unicodedata

import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
CLIP_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


def bytes_to_unicode():
    """GPT-2's map from each byte to a printable character."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    table = {}
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_CHAR = bytes_to_unicode()


def byte_encode(text):
    return "".join(BYTE_CHAR[b] for b in text.encode("utf-8"))


def bpe(symbols, ranks):
    """Merges the lowest-ranked adjacent pair everywhere until none has a rank."""
    word = list(symbols)
    while len(word) > 1:
        pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
        best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if best not in ranks:
            break
        merged = []
        i = 0
        while i < len(word):
            if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                merged.append(word[i] + word[i + 1])
                i += 2
            else:
                merged.append(word[i])
                i += 1
        word = merged
    return word


def split_specials(text, specials):
    """Splits text into (piece, is_special), the longest special token first."""
    if not specials:
        return [(text, False)] if text else []
    alternation = "|".join(regex.escape(s) for s in sorted(specials, key=len, reverse=True))
    out = []
    last = 0
    for m in regex.finditer(alternation, text):
        if m.start() > last:
            out.append((text[last:m.start()], False))
        out.append((m.group(0), True))
        last = m.end()
    if last < len(text):
        out.append((text[last:], False))
    return out


class GPT2:
    def __init__(self, vocab, merges, specials):
        self.vocab, self.specials = vocab, specials
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}

    def encode(self, text):
        ids = []
        for piece, special in split_specials(text, self.specials):
            if special:
                ids.append(self.specials[piece])
                continue
            for word in regex.findall(GPT2_PATTERN, piece):
                ids.extend(self.vocab[t] for t in bpe(byte_encode(word), self.ranks))
        return ids


def clip_clean(text):
    text = unicodedata.normalize("NFC", text)
    text = regex.sub(r"\s+", " ", text)
    return text.lower()


class CLIP:
    SOT, EOT = "<|startoftext|>", "<|endoftext|>"

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}
        self.pattern = regex.compile(r"<\|startoftext\|>|<\|endoftext\|>|" + CLIP_PATTERN)

    def encode(self, text, special=True):
        ids = [self.vocab[self.SOT]] if special else []
        for word in self.pattern.findall(clip_clean(text)):
            if word in (self.SOT, self.EOT):
                ids.append(self.vocab[word])
                continue
            chars = byte_encode(word)
            symbols = list(chars[:-1]) + [chars[-1] + "</w>"]
            ids.extend(self.vocab[t] for t in bpe(symbols, self.ranks))
        if special:
            ids.append(self.vocab[self.EOT])
        return ids


def is_cjk(cp):
    return any(lo <= cp <= hi for lo, hi in (
        (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
        (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)))


def is_bert_whitespace(c):
    return c in " \t\n\r" or unicodedata.category(c) in ("Zs", "Zl", "Zp")


def is_bert_control(c):
    return c not in "\t\n\r" and unicodedata.category(c).startswith("C")


def is_bert_punct(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


class BERT:
    def __init__(self, vocab, specials, max_chars=100):
        self.vocab, self.specials, self.max_chars = vocab, specials, max_chars

    def basic(self, text):
        text = "".join(" " if is_bert_whitespace(c) else c for c in text
                       if not (ord(c) in (0, 0xFFFD) or is_bert_control(c)))
        text = "".join(f" {c} " if is_cjk(ord(c)) else c for c in text)
        words = []
        for word in text.split():
            word = word.lower()
            word = "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
            current = ""
            for c in word:
                if is_bert_punct(c):
                    if current:
                        words.append(current)
                    words.append(c)
                    current = ""
                else:
                    current += c
            if current:
                words.append(current)
        return words

    def wordpiece(self, word):
        if len(word) > self.max_chars:
            return [self.vocab["[UNK]"]]
        out, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.vocab["[UNK]"]]
            out.append(found)
            start = end
        return out

    def encode(self, text, special=True):
        ids = [self.vocab["[CLS]"]] if special else []
        for piece, is_special in split_specials(text, self.specials):
            if is_special:
                ids.append(self.vocab[piece])
                continue
            for word in self.basic(piece):
                ids.extend(self.wordpiece(word))
        if special:
            ids.append(self.vocab["[SEP]"])
        return ids
