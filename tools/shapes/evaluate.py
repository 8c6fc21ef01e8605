#!/usr/bin/python3
"""Test-split metrics of the exported shapes model, in PyTorch float32 on the weights as stored
(F16, read back to float32): the numbers vlmrt reproduces.

  /usr/bin/python3 tools/shapes/evaluate.py [--dir models/shapes] [--test testdata/shapes/test]

Writes models/shapes/metrics_torch.json and models/shapes/captions_torch.jsonl (the greedy
caption ids of every test image, EOS included, and their text).

Metrics:
- captions: corpus BLEU-4 (clipped n-gram precisions of the whole split, geometric mean of
  n = 1..4, brevity penalty exp(1 - r/c) when c < r; one reference per image) and CIDEr-D as
  coco-caption's CiderD computes it (n = 1..4, tf-idf with document frequencies over the test
  references, clipped candidate counts, Gaussian length penalty sigma 6 on coco's "length"
  (which counts bigrams), x10). Both on text lowercased and split on whitespace with punctuation
  tokens dropped, which is what PTBTokenizer gives for these captions (their only punctuation is
  the comma of three-shape captions). Greedy decoding, SPEC 6, max_length 20.
- VQA accuracy: exact match of the argmax answer. With one answer per question the standard
  min(#humans agreeing / 3, 1) accuracy is exactly this.
- grounding: the head's bbox (regressed from the token of largest confidence) times 64 is the
  box in pixels of the 64x64 test image; IoU with the target box; mean IoU and the fraction with
  IoU >= 0.5.
- matching: the matching head's similarity_matrix of every test image with every test match
  text (the head is pairwise; its cosine of one pair does not depend on the others), recall@1
  and @5 image->text and text->image (match texts are unique in the test split). Also for
  CLIP's own projections (image_features . text_features), and the match_score accuracy at 0.5
  over each image's true text and its most similar other text.
"""

import argparse
import json
import math
import os
import sys
import time
from collections import Counter, defaultdict

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataset as D  # noqa: E402
import export as E  # noqa: E402
import model as M  # noqa: E402


# ---------------------------------------------------------------------------------------------
# data


def load_test(test_dir=D.TEST_DIR):
    recs = [json.loads(l) for l in open(os.path.join(test_dir, "targets.jsonl")) if l.strip()]
    images = np.stack([np.asarray(Image.open(os.path.join(test_dir, r["file"])).convert("RGB")) for r in recs])
    return recs, images


def ids(texts):
    return torch.tensor([D.pad_ids(D.encode(t)) for t in texts], dtype=torch.int64)


# ---------------------------------------------------------------------------------------------
# caption metrics


def ptb_tokens(text):
    """Lowercase, whitespace split, punctuation tokens dropped (PTBTokenizer on these captions)."""
    return [w for w in text.lower().split() if any(c.isalnum() for c in w)]


def ngrams(words, n):
    return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def corpus_bleu(cands, refs, n_max=4):
    """Corpus BLEU with one reference per candidate: (bleu-n_max, [p1..p4], bp)."""
    match = [0] * n_max
    total = [0] * n_max
    c_len = r_len = 0
    for c, r in zip(cands, refs):
        c_len += len(c)
        r_len += len(r)
        for n in range(1, n_max + 1):
            cn, rn = ngrams(c, n), ngrams(r, n)
            match[n - 1] += sum(min(v, rn[g]) for g, v in cn.items())
            total[n - 1] += max(len(c) - n + 1, 0)
    p = [m / t if t else 0.0 for m, t in zip(match, total)]
    if min(p) == 0:
        return 0.0, p, 1.0
    bp = 1.0 if c_len >= r_len else math.exp(1 - r_len / c_len)
    return bp * math.exp(sum(math.log(x) for x in p) / n_max), p, bp


def cider_d(cands, refs_list, n_max=4, sigma=6.0):
    """coco-caption's CiderD (pycocoevalcap cider/cider_scorer.py with the D changes):
    refs_list[i] is the list of references of image i. Returns (mean, per-image scores)."""
    def counts(words):
        c = Counter()
        for n in range(1, n_max + 1):
            c.update(ngrams(words, n))
        return c

    crefs = [[counts(r) for r in refs] for refs in refs_list]
    ctest = [counts(c) for c in cands]
    df = defaultdict(float)
    for refs in crefs:
        for g in set(g for r in refs for g in r):
            df[g] += 1
    ref_len = np.log(float(len(crefs)))

    def vec(cnts):
        v = [defaultdict(float) for _ in range(n_max)]
        norm = [0.0] * n_max
        length = 0
        for g, tf in cnts.items():
            d = np.log(max(1.0, df[g]))
            n = len(g) - 1
            v[n][g] = float(tf) * (ref_len - d)
            norm[n] += v[n][g] ** 2
            if n == 1:
                length += tf
        return v, [np.sqrt(x) for x in norm], length

    def sim(vh, vr, nh, nr, lh, lr):
        delta = float(lh - lr)
        val = np.zeros(n_max)
        for n in range(n_max):
            for g in vh[n]:
                val[n] += min(vh[n][g], vr[n][g]) * vr[n][g]
            if nh[n] != 0 and nr[n] != 0:
                val[n] /= nh[n] * nr[n]
            val[n] *= np.e ** (-(delta ** 2) / (2 * sigma ** 2))
        return val

    scores = []
    for t, refs in zip(ctest, crefs):
        vh, nh, lh = vec(t)
        s = np.zeros(n_max)
        for r in refs:
            vr, nr, lr = vec(r)
            s += sim(vh, vr, nh, nr, lh, lr)
        scores.append(float(np.mean(s) / len(refs) * 10.0))
    return float(np.mean(scores)), scores


# ---------------------------------------------------------------------------------------------
# model outputs


@torch.no_grad()
def run_all(W, recs, images, batch=100):
    """Every output the metrics need, in float32."""
    out = defaultdict(list)
    qrec = [(i, q) for i, r in enumerate(recs) for q in r["questions"]]
    for s in range(0, len(recs), batch):
        e = min(len(recs), s + batch)
        img_f, vis = M.encode_image(W, M.preprocess(images[s:e]))
        out["vision"].append(vis)
        out["image_features"].append(img_f)
        out["captions"] += M.greedy(W, vis)
        txt_f, ptok, _ = M.encode_text(W, ids([r["phrase"] for r in recs[s:e]]))
        bbox, conf, _, _, _ = M.grounding_head(W, vis, ptok)
        out["bbox"].append(bbox)
        out["confidence"].append(conf)
        mf, mtok, _ = M.encode_text(W, ids([r["match"] for r in recs[s:e]]))
        out["match_text_features"].append(mf)
        out["match_text_tokens"].append(mtok)
    for k in ("vision", "image_features", "bbox", "confidence", "match_text_features", "match_text_tokens"):
        out[k] = torch.cat(out[k])
    vis = out["vision"]
    logits = []
    for s in range(0, len(qrec), batch):
        chunk = qrec[s:s + batch]
        _, qtok, _ = M.encode_text(W, ids([q["question"] for _, q in chunk]))
        logits.append(M.vqa_head(W, vis[[i for i, _ in chunk]], qtok))
    out["answer_logits"] = torch.cat(logits)
    out["qrec"] = qrec
    ve, te, vp, tp = M.matching_embed(W, vis, out["match_text_tokens"])
    out["match_sim"] = ve @ te.T
    out["match_vp"], out["match_tp"] = vp, tp
    out["clip_sim"] = out["image_features"] @ out["match_text_features"].T
    return out


def recall(sim, ks=(1, 5)):
    """sim [images, texts], the true text of image i is i."""
    n = sim.shape[0]
    r = {}
    order_i2t = torch.sort(-sim, dim=1, stable=True).indices
    order_t2i = torch.sort(-sim.T, dim=1, stable=True).indices
    ar = torch.arange(n)[:, None]
    for k in ks:
        r[f"i2t_R@{k}"] = float((order_i2t[:, :k] == ar).any(1).float().mean())
        r[f"t2i_R@{k}"] = float((order_t2i[:, :k] == ar).any(1).float().mean())
    return r


def iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def metrics(W, recs, images):
    t0 = time.time()
    o = run_all(W, recs, images)
    res = {"test_images": len(recs)}
    # captions
    cand_text = [D.decode(c) for c in o["captions"]]
    cands = [ptb_tokens(t) for t in cand_text]
    refs = [ptb_tokens(r["caption"]) for r in recs]
    bleu, p, bp = corpus_bleu(cands, refs)
    cider, _ = cider_d(cands, [[r] for r in refs])
    res["caption"] = {"BLEU-4": round(bleu, 4), "precisions_1to4": [round(x, 4) for x in p], "brevity_penalty": round(bp, 4),
                      "CIDEr-D": round(cider, 4), "exact_match": round(float(np.mean([c == r for c, r in zip(cands, refs)])), 4),
                      "ended_with_eos": int(sum(c[-1] == D.EOS for c in o["captions"] if c))}
    # VQA
    pred = o["answer_logits"].argmax(1).numpy()
    gold = np.array([D.ANSWERS.index(q["answer"]) for _, q in o["qrec"]])
    types = np.array([q["type"] for _, q in o["qrec"]])
    res["vqa"] = {"accuracy": round(float((pred == gold).mean()), 4), "questions": int(len(gold)),
                  "by_type": {t: {"accuracy": round(float((pred[types == t] == gold[types == t]).mean()), 4),
                                  "questions": int((types == t).sum())} for t in D.QTYPES if (types == t).any()}}
    # grounding
    boxes = (o["bbox"] * D.IMAGE).numpy()
    ious = np.array([iou(b, r["box"]) for b, r in zip(boxes, recs)])
    res["grounding"] = {"mean_IoU": round(float(ious.mean()), 4), "acc@0.5": round(float((ious >= 0.5).mean()), 4)}
    # matching
    res["matching_head"] = {k: round(v, 4) for k, v in recall(o["match_sim"]).items()}
    res["clip_projections"] = {k: round(v, 4) for k, v in recall(o["clip_sim"]).items()}
    sim = o["match_sim"].clone()
    sim.fill_diagonal_(-2)
    hard = sim.argmax(1)
    pos = torch.sigmoid(M.match_score_logit(W, o["match_vp"], o["match_tp"]))
    neg = torch.sigmoid(M.match_score_logit(W, o["match_vp"], o["match_tp"][hard]))
    res["matching_head"]["match_score_acc@0.5_true_vs_hardest_other"] = round(
        float(0.5 * ((pos >= 0.5).float().mean() + (neg < 0.5).float().mean())), 4)
    res["eval_seconds"] = round(time.time() - t0, 1)
    caps = [{"file": r["file"], "tokens": c, "text": t, "reference": r["caption"]}
            for r, c, t in zip(recs, o["captions"], cand_text)]
    return res, caps, o


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=D.MODEL_DIR)
    ap.add_argument("--test", default=D.TEST_DIR)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(2)
    w, _, _ = E.load_exported(a.dir)
    W = {k: torch.tensor(v) for k, v in w.items()}
    recs, images = load_test(a.test)
    res, caps, _ = metrics(W, recs, images)
    res["weights"] = "as stored (F16), computed in float32"
    print(json.dumps(res, indent=1))
    if not a.no_write:
        with open(os.path.join(a.dir, "metrics_torch.json"), "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
        with open(os.path.join(a.dir, "captions_torch.jsonl"), "w") as f:
            for c in caps:
                f.write(json.dumps(c) + "\n")


if __name__ == "__main__":
    main()
