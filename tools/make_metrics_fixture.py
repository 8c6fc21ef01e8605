#!/usr/bin/python3
"""Writes metrics/testdata/reference.json: caption, grounding and retrieval metrics computed by
tools/shapes/evaluate.py (the Python definitions the shapes model's PyTorch numbers come from)
on seeded random cases, for metrics/metrics_test.go to check the Go implementations against.

    /usr/bin/python3 tools/make_metrics_fixture.py
"""
import json
import os
import random
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "shapes"))
import evaluate as E  # noqa: E402

WORDS = "a the small large red green blue yellow circle square triangle left of right above below and".split()


def caption(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 11)))


def main():
    rng = random.Random(7)
    out = {"generator": "tools/make_metrics_fixture.py", "caption_sets": [], "iou": [], "recall": []}
    for size in (1, 5, 40):
        refs = [caption(rng) for _ in range(size)]
        # candidates: some exact, some edited, some unrelated
        cands = []
        for r in refs:
            w = r.split()
            k = rng.random()
            if k < 0.3:
                cands.append(r)
            elif k < 0.8:
                i = rng.randrange(len(w))
                w[i] = rng.choice(WORDS)
                cands.append(" ".join(w[: rng.randint(2, len(w))]))
            else:
                cands.append(caption(rng))
        ct = [E.ptb_tokens(c) for c in cands]
        rt = [E.ptb_tokens(r) for r in refs]
        bleu, p, bp = E.corpus_bleu(ct, rt)
        cider, scores = E.cider_d(ct, [[r] for r in rt])
        out["caption_sets"].append({"candidates": cands, "references": refs, "bleu4": bleu, "precisions": p,
                                    "brevity_penalty": bp, "cider_d": cider, "cider_d_scores": scores})
    for _ in range(30):
        a = sorted(rng.uniform(0, 64) for _ in range(2)), sorted(rng.uniform(0, 64) for _ in range(2))
        b = sorted(rng.uniform(0, 64) for _ in range(2)), sorted(rng.uniform(0, 64) for _ in range(2))
        ba, bb = [a[0][0], a[1][0], a[0][1], a[1][1]], [b[0][0], b[1][0], b[0][1], b[1][1]]
        out["iou"].append({"a": ba, "b": bb, "iou": E.iou(ba, bb)})
    for n in (3, 12):
        g = torch.Generator().manual_seed(n)
        sim = torch.randn(n, n, generator=g) + 1.5 * torch.eye(n)
        sim[0, 1] = sim[0, 0]  # a tie: the lower index ranks first
        out["recall"].append({"sim": sim.tolist(), "recall": E.recall(sim)})
    path = os.path.join(os.path.dirname(HERE), "metrics", "testdata", "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
