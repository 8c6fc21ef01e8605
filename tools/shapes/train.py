#!/usr/bin/python3
"""Trains the shapes model (encoder + four heads) jointly on CPU, seeded.

  /usr/bin/python3 tools/shapes/train.py [--steps N] [--train-images N] [--batch B] [--out F]

Per step and image: the caption (teacher-forced cross-entropy of the captioning head; the
caption's ids through the text tower for matching), one question (VQA cross-entropy), one
referring phrase (grounding: confidence and box), and contrastive losses on the matching head's
logits and on CLIP's projections, plus the matching head's match_score (binary, against the
hardest in-batch negative). Writes the float32 weights to --out (an .npz of Keras paths) and a
log beside it.
"""

import argparse
import json
import math
import os
import sys
import time

# OpenBLAS reads its thread count when torch loads it: one BLAS thread under torch's own
# (set_num_threads) avoids two thread pools spinning against each other on a 2-core machine.
# OMP_WAIT_POLICY=PASSIVE: on a shared machine, threads that spin while they wait for a
# descheduled sibling made a step 15x slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataset as D  # noqa: E402
import model as M  # noqa: E402

GRID = D.IMAGE // M.CLIP_CONFIG["patch_size"]  # 8 patches a side


def patch_coverage(boxes):
    """boxes [B, 4] in 64-px units -> [B, 1 + 64]: the fraction of each patch the box covers
    (class token 0)."""
    p = M.CLIP_CONFIG["patch_size"]
    lo = torch.arange(GRID, dtype=torch.float32) * p
    hi = lo + p
    ox = (torch.minimum(hi[None], boxes[:, 2:3]) - torch.maximum(lo[None], boxes[:, 0:1])).clamp(min=0)
    oy = (torch.minimum(hi[None], boxes[:, 3:4]) - torch.maximum(lo[None], boxes[:, 1:2])).clamp(min=0)
    cov = (oy[:, :, None] * ox[:, None, :]).reshape(-1, GRID * GRID) / (p * p)
    return torch.cat([torch.zeros(cov.shape[0], 1), cov], 1)


def giou(a, b):
    """Generalised IoU of boxes [.., 4] (x0, y0, x1, y1)."""
    ax0, ay0, ax1, ay1 = a.unbind(-1)
    bx0, by0, bx1, by1 = b.unbind(-1)
    aa = (ax1 - ax0).clamp(min=0) * (ay1 - ay0).clamp(min=0)
    ab = (bx1 - bx0).clamp(min=0) * (by1 - by0).clamp(min=0)
    iw = (torch.minimum(ax1, bx1) - torch.maximum(ax0, bx0)).clamp(min=0)
    ih = (torch.minimum(ay1, by1) - torch.maximum(ay0, by0)).clamp(min=0)
    inter = iw * ih
    union = aa + ab - inter + 1e-9
    cw = torch.maximum(ax1, bx1) - torch.minimum(ax0, bx0)
    ch = torch.maximum(ay1, by1) - torch.minimum(ay0, by0)
    c = cw * ch + 1e-9
    return inter / union - (c - union) / c


class Sampler:
    """Per-epoch picks of one question and one phrase per image (seeded)."""

    def __init__(self, d):
        n = len(d["images"])
        self.n = n
        qa, qt, qi = d["q_ans"], d["q_type"], d["q_img"]
        yes, no = D.ANSWERS.index("yes"), D.ANSWERS.index("no")
        starts = np.searchsorted(qi, np.arange(n + 1))
        self.buckets = []  # per image: list over types of list of index arrays
        for i in range(n):
            idx = np.arange(starts[i], starts[i + 1])
            types = []
            for t in np.unique(qt[idx]):
                sel = idx[qt[idx] == t]
                y, nn = sel[qa[sel] == yes], sel[qa[sel] == no]
                if len(y) and len(nn):
                    types.append([y, nn])
                else:
                    types.append([sel])
            self.buckets.append(types)
        self.ostart = np.searchsorted(d["obj_img"], np.arange(n + 1))

    def epoch(self, rng):
        r = rng.random((self.n, 4))
        q = np.empty(self.n, np.int64)
        for i, types in enumerate(self.buckets):
            t = types[int(r[i, 0] * len(types))]
            b = t[int(r[i, 1] * len(t))]
            q[i] = b[int(r[i, 2] * len(b))]
        cnt = self.ostart[1:] - self.ostart[:-1]
        o = self.ostart[:-1] + (r[:, 3] * cnt).astype(np.int64)
        return q, o


def soft_targets(ids):
    """[B, B] rows summing to 1 over the texts identical to row i's (duplicates are positives)."""
    same = (ids[:, None, :] == ids[None, :, :]).all(-1).float()
    return same / same.sum(1, keepdim=True)


def contrastive(logits, targets):
    return 0.5 * (-(targets * F.log_softmax(logits, 1)).sum(1).mean()
                  - (targets.T * F.log_softmax(logits.T, 1)).sum(1).mean())


# (row + 0.5, col + 0.5) / 8 of every patch token, for the auxiliary position probe
PATCH_POS = torch.stack(torch.meshgrid(torch.arange(GRID), torch.arange(GRID), indexing="ij"), -1).reshape(-1, 2).float()
PATCH_POS = (PATCH_POS + 0.5) / GRID


def losses(W, batch, probe=None, aux_pos=0.0):
    imgs, cap, q_ids, q_ans, p_ids, p_box = batch
    B = imgs.shape[0]
    img_feat, vis = M.encode_image(W, M.preprocess(imgs))
    txt_feat, txt, _ = M.encode_text(W, torch.cat([cap, q_ids, p_ids], 0))
    cap_txt_feat = txt_feat[:B]
    cap_tok, q_tok, p_tok = txt[:B], txt[B:2 * B], txt[2 * B:]
    out = {}
    # captioning (teacher forcing)
    inp, tgt = cap[:, :-1], cap[:, 1:]
    logits, _ = M.caption_head(W, M.caption_embed(W, inp), vis)
    mask = tgt != D.PAD
    out["cap"] = F.cross_entropy(logits[mask], tgt[mask])
    out["_cap_tok_acc"] = (logits.argmax(-1) == tgt)[mask].float().mean()
    # VQA
    al = M.vqa_head(W, vis, q_tok)
    out["vqa"] = 2.0 * F.cross_entropy(al, q_ans)
    out["_vqa_acc"] = (al.argmax(-1) == q_ans).float().mean()
    # grounding
    bbox, conf, f, conf_logit, boxes = M.grounding_head(W, vis, p_tok)
    cov = patch_coverage(p_box)
    out["grd_bce"] = F.binary_cross_entropy_with_logits(conf_logit, cov) * 4.0
    tdist = cov ** 2 / (cov ** 2).sum(1, keepdim=True)
    out["grd_ce"] = -(tdist * F.log_softmax(conf_logit, 1)).sum(1).mean()
    gt = p_box / D.IMAGE
    w = (cov >= 0.5 * cov.max(1, keepdim=True).values).float()
    w = w / w.sum(1, keepdim=True)
    l1 = (boxes - gt[:, None]).abs().sum(-1)
    gi = giou(boxes, gt[:, None].expand_as(boxes))
    out["grd_box"] = 5.0 * (w * l1).sum(1).mean() + 2.0 * (w * (1 - gi)).sum(1).mean()
    k = conf_logit.argmax(1)
    out["_grd_hit"] = (cov[torch.arange(B), k] > 0).float().mean()
    out["_grd_iou"] = giou(bbox, gt).mean()
    # matching: head contrastive + match score; CLIP contrastive on the projections
    tg = soft_targets(cap)
    mh = M.matching_head(W, vis, cap_tok)
    out["match"] = contrastive(mh["logits"], tg)
    sim = mh["similarity_matrix"].detach().masked_fill(tg > 0, -2.0)
    neg = sim.argmax(1)
    vp, tp = vis.mean(1), cap_tok.mean(1)
    pos_l = M.match_score_logit(W, vp, tp)
    neg_l = M.match_score_logit(W, vp, tp[neg])
    out["match_score"] = 0.5 * (F.binary_cross_entropy_with_logits(pos_l, torch.ones_like(pos_l))
                                + F.binary_cross_entropy_with_logits(neg_l, torch.zeros_like(neg_l)))
    clip_logits = M.logit_scale(W) * img_feat @ cap_txt_feat.T
    out["clip"] = contrastive(clip_logits, tg)
    out["_match_r1"] = (mh["similarity_matrix"].argmax(1) == torch.arange(B)).float().mean()
    if probe is not None:
        # auxiliary (training only, not exported): every patch token's (row, col) must be
        # linearly readable from the vision tower's output. The tower has no position table
        # (RoPE only gives relative positions), and grounding's box, the captions' "at the
        # top left" and the relation questions need absolute ones.
        pred = vis[:, 1:] @ probe[0] + probe[1]
        err = (pred - PATCH_POS[None]).abs()
        out["aux_pos"] = aux_pos * (err ** 2).mean() * 100.0
        out["_pos_err_patches"] = err.mean() * GRID
    return out


def make_batch(d, idx, q, o):
    return (torch.from_numpy(d["images"][idx]), torch.from_numpy(d["cap_ids"][idx]),
            torch.from_numpy(d["q_ids"][q[idx]]), torch.from_numpy(d["q_ans"][q[idx]]),
            torch.from_numpy(d["obj_ids"][o[idx]]), torch.from_numpy(d["obj_box"][o[idx]]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-images", type=int, default=40000)
    ap.add_argument("--val-images", type=int, default=500)
    ap.add_argument("--steps", type=int, default=1800)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--out", default="/tmp/vlmrt_shapes/weights_f32.npz")
    ap.add_argument("--aux-pos", type=float, default=1.0, help="weight of the auxiliary position probe (0: off)")
    ap.add_argument("--time-limit", type=float, default=0, help="stop after this many seconds (0: none)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    torch.use_deterministic_algorithms(True)
    t0 = time.time()
    train = D.load_split("train", a.train_images)
    val = D.load_split("val", a.val_images)
    t_data = time.time() - t0
    print(f"data: {a.train_images} train, {a.val_images} val images, {len(train['q_ids'])} questions ({t_data:.1f}s)", flush=True)
    sampler, vsampler = Sampler(train), Sampler(val)
    rng = np.random.default_rng([a.seed, 7])
    vq, vo = vsampler.epoch(np.random.default_rng([a.seed, 8]))

    model = M.Model(M.init_weights(a.seed))
    decay = [p for n, p in zip(model.names, model.params) if p.requires_grad and n.endswith("/kernel")]
    other = [p for n, p in zip(model.names, model.params) if p.requires_grad and not n.endswith("/kernel")]
    probe = None
    if a.aux_pos > 0:
        g = torch.Generator().manual_seed(a.seed)
        probe = [torch.nn.Parameter(torch.randn(M.WIDTH, 2, generator=g) * 0.01), torch.nn.Parameter(torch.zeros(2))]
        other = other + probe
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": other, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.98), eps=1e-8)

    def lr_at(step):
        if step < a.warmup:
            return a.lr * (step + 1) / a.warmup
        t = (step - a.warmup) / max(1, a.steps - a.warmup)
        return a.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(t, 1.0))))

    n = len(train["images"])
    perm, pos, epoch = None, n, 0
    log = []
    t1 = time.time()
    for step in range(a.steps):
        if pos + a.batch > n:
            perm = rng.permutation(n)
            q, o = sampler.epoch(rng)
            pos, epoch = 0, epoch + 1
        idx = perm[pos:pos + a.batch]
        pos += a.batch
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        W = model.W
        out = losses(W, make_batch(train, idx, q, o), probe, a.aux_pos)
        loss = sum(v for k, v in out.items() if not k.startswith("_"))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.params if p.requires_grad] + (probe or []), 1.0)
        opt.step()
        if step % 25 == 0 or step == a.steps - 1:
            el = time.time() - t1
            c = os.times()
            msg = " ".join(f"{k}={float(v):.3f}" for k, v in out.items())
            print(f"step {step} ep {epoch} {el:.0f}s cpu {c.user + c.system:.0f}s lr {lr_at(step):.2e} loss {float(loss):.3f} {msg}", flush=True)
            log.append({"step": step, "time_s": round(el, 1), "loss": round(float(loss), 4),
                        **{k: round(float(v), 4) for k, v in out.items()}})
        if (step + 1) % a.eval_every == 0 or step == a.steps - 1:
            with torch.no_grad():
                vi = np.arange(len(val["images"]))
                vout = losses(model.W, make_batch(val, vi, vq, vo), probe, a.aux_pos)
            print("  val " + " ".join(f"{k}={float(v):.3f}" for k, v in vout.items()), flush=True)
            log.append({"step": step, "val": {k: round(float(v), 4) for k, v in vout.items()}})
        if a.time_limit and time.time() - t1 > a.time_limit:
            print(f"time limit reached at step {step}", flush=True)
            break
    t_train = time.time() - t1
    cpu = os.times()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    w = model.numpy()
    np.savez(a.out, **{k.replace("/", "|"): v for k, v in w.items()})
    info = {"args": vars(a), "data_seconds": round(t_data, 1), "train_seconds": round(t_train, 1),
            "cpu_seconds": round(cpu.user + cpu.system, 1), "steps_done": step + 1, "epochs": epoch, "torch": torch.__version__, "threads": a.threads,
            "log": log}
    with open(os.path.splitext(a.out)[0] + ".log.json", "w") as f:
        json.dump(info, f, indent=0)
    print(f"trained {step + 1} steps in {t_train:.0f}s (+{t_data:.0f}s data); wrote {a.out}")


def load_weights(path):
    z = np.load(path)
    return {k.replace("|", "/"): z[k] for k in z.files}


if __name__ == "__main__":
    main()
