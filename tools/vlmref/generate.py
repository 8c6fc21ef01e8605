"""Text generation of SPEC.md section 6 (greedy and beam search; no sampling), float64.

The decoder input at every step is the embedding of all tokens so far (BOS first):
token_embedding[tok] + position_embedding[t] when that tensor is present. The logits of the last
position choose the next token. Each row of the batch is decoded on its own.
"""

import numpy as np


def log_softmax(x):
    m = np.max(x)
    return x - m - np.log(np.sum(np.exp(x - m)))


class Generator:
    """Wraps a decoder head (its Decoder and token/position embeddings) for one memory row."""

    def __init__(self, decoder, token_embedding, position_embedding=None):
        self.decoder = decoder
        self.tok = np.asarray(token_embedding, dtype=np.float64)
        self.pos = None if position_embedding is None else np.asarray(position_embedding, dtype=np.float64)

    def embed(self, tokens):
        x = self.tok[np.asarray(tokens, dtype=np.int64)]
        if self.pos is not None:
            if len(tokens) > self.pos.shape[0]:
                raise ValueError(f"sequence length {len(tokens)} exceeds position_embedding rows {self.pos.shape[0]}")
            x = x + self.pos[: len(tokens)]
        return x

    def next_logits(self, memory_row, tokens):
        """memory_row (N, Dkv); tokens list (BOS first) -> logits (V,) of the last position."""
        x = self.embed(tokens)[None]
        logits, _ = self.decoder(x, memory_row[None])
        return logits[0, -1]


def greedy(gen, memory_row, bos, eos, max_length):
    """Returns (tokens without BOS, EOS included when emitted; step logits; min top1-top2 margin)."""
    seq = [bos]
    out, step_logits, margin = [], [], np.inf
    for _ in range(max_length):
        lg = gen.next_logits(memory_row, seq)
        step_logits.append(lg)
        lp = log_softmax(lg)
        order = np.argsort(-lp, kind="stable")  # lowest id first on exact ties
        margin = min(margin, float(lp[order[0]] - lp[order[1]]))
        t = int(order[0])
        seq.append(t)
        out.append(t)
        if t == eos:
            break
    return out, step_logits, margin


def beam_search(gen, memory_row, bos, eos, max_length, beam_size):
    """SPEC 6 beam rule. Returns (tokens, info) where info holds the margins that decide it.

    margins: at each step the gap between the last walked candidate and the first one not
    walked; at the end, the gap between the best and the second best normalized score.
    """
    live = [([bos], 0.0)]
    finished = []  # (tokens without BOS, score)
    boundary = np.inf
    for _ in range(max_length):
        cands = []
        for i, (seq, score) in enumerate(live):
            lp = log_softmax(gen.next_logits(memory_row, seq))
            for v in range(lp.shape[0]):
                cands.append((score + float(lp[v]), i, v))
        cands.sort(key=lambda c: (-c[0], c[1], c[2]))
        nxt = []
        stop_at = len(cands)
        for j, (s, i, v) in enumerate(cands):
            seq = live[i][0] + [v]
            if v == eos:
                finished.append((seq[1:], s))
            else:
                nxt.append((seq, s))
            if len(nxt) == beam_size:
                stop_at = j + 1
                break
        if stop_at < len(cands):
            boundary = min(boundary, cands[stop_at - 1][0] - cands[stop_at][0])
        live = nxt
        if len(finished) >= beam_size or not live:
            break
    if len(finished) < beam_size:
        finished.extend((seq[1:], s) for seq, s in live)
    normed = [s / len(t) for t, s in finished]
    best = 0
    for k in range(1, len(normed)):
        if normed[k] > normed[best]:
            best = k
    others = [normed[k] for k in range(len(normed)) if k != best]
    final_gap = normed[best] - max(others) if others else np.inf
    return finished[best][0], {"boundary": boundary, "final": final_gap,
                               "finished": [(t, s) for t, s in finished]}


def pad(tokens, eos, max_length):
    return list(tokens) + [eos] * (max_length - len(tokens))
