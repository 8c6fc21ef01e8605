#!/usr/bin/python3
"""Checks the exported shapes model three ways on a few test images:

1. PyTorch float32 (the weights as stored, F16 read back) against the float64 references:
   tools/encref/dl_clip.py for the encoder, tools/vlmref (heads.build, generate.greedy) for the
   multi-task head fed with the reference encoder's outputs.
2. vlmrt on the same inputs: `vlmrt info` on both files, `vlmrt run --task T` for every task
   and `vlmrt generate --task cap`, fed with the PyTorch encoder's outputs.
3. vlmrt's own pipeline where it exists (`vlmrt embed`, `caption`, `ask`, `ground`, `match`
   over the image files), against PyTorch.

  /usr/bin/python3 tools/shapes/check.py [--dir models/shapes] [--n 4] [--vlmrt BIN]

Prints max abs errors (and max |reference|) per output, writes models/shapes/agreement.json.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import dataset as D  # noqa: E402
import evaluate as EV  # noqa: E402
import export as E  # noqa: E402
import model as M  # noqa: E402
import safetensors_io  # noqa: E402
from vlmref import generate as G  # noqa: E402
from vlmref import heads as H  # noqa: E402

ROOT = D.ROOT
WORK = "/tmp/vlmrt_shapes/check"


def err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes {a.shape} vs {b.shape}")
    return {"max_abs_err": float(np.max(np.abs(a - b))), "max_abs_ref": float(np.max(np.abs(b)))}


def sh(cmd, check=True):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


@torch.no_grad()
def torch_outputs(W, images, caps, questions, phrases):
    o = {}
    img_f, vis = M.encode_image(W, M.preprocess(images))
    o["enc.image_features"], o["enc.vision_last_hidden_state"] = img_f, vis
    for name, texts in (("caption", caps), ("question", questions), ("phrase", phrases)):
        f, tok, _ = M.encode_text(W, EV.ids(texts))
        o[f"enc.{name}.text_features"], o[f"enc.{name}.text_last_hidden_state"] = f, tok
    cap_in = EV.ids(caps)[:, :-1]
    o["in.cap.text_features"] = M.caption_embed(W, cap_in)
    o["cap.logits"], o["cap.hidden_states"] = M.caption_head(W, o["in.cap.text_features"], vis)
    o["vqa.answer_logits"] = M.vqa_head(W, vis, o["enc.question.text_last_hidden_state"])
    bbox, conf, f, _, _ = M.grounding_head(W, vis, o["enc.phrase.text_last_hidden_state"])
    k = conf.argmax(1)
    o["grounding.bbox"], o["grounding.confidence"], o["grounding.grounded_features"] = bbox, conf, f[torch.arange(len(k)), k]
    for key, v in M.matching_head(W, vis, o["enc.caption.text_last_hidden_state"]).items():
        o["matching." + key] = v
    o = {k: v.numpy() for k, v in o.items()}
    o["cap.greedy"] = M.greedy(W, vis)
    return o


def reference_outputs(w64, enc_meta, head_meta, images_f32, caps, questions, phrases, t):
    """float64 encoder (dl_clip) and heads (vlmref) on the reference's own encoder outputs."""
    cfg = json.loads(enc_meta["config"])
    W = {k: torch.tensor(v, dtype=torch.float64) for k, v in w64.items()}
    r = {}
    img = torch.tensor(images_f32, dtype=torch.float64)
    out, dbg = M.dl_clip.forward(W, cfg, images=img)
    r["enc.image_features"], r["enc.vision_last_hidden_state"] = out["image_features"], dbg["vision_last_hidden_state"]
    for name, texts in (("caption", caps), ("question", questions), ("phrase", phrases)):
        out, dbg = M.dl_clip.forward(W, cfg, ids=EV.ids(texts))
        r[f"enc.{name}.text_features"], r[f"enc.{name}.text_last_hidden_state"] = out["text_features"], dbg["text_last_hidden_state"]
    r = {k: v.numpy() for k, v in r.items()}
    head = H.build(w64, head_meta)
    vis = r["enc.vision_last_hidden_state"]
    cap = head.heads["cap"]
    tokw = cap.w.get("token_embedding")
    posw = cap.w.get("position_embedding")
    cap_in = EV.ids(caps)[:, :-1].numpy()
    emb = tokw[cap_in] + posw[: cap_in.shape[1]]
    for k, v in cap.run({"vision_features": vis, "text_features": emb}).items():
        r["cap." + k] = v
    r["vqa.answer_logits"] = head.heads["vqa"].run({"vision_features": vis, "question_features": r["enc.question.text_last_hidden_state"]})["answer_logits"]
    for k, v in head.heads["grounding"].run({"vision_features": vis, "text_features": r["enc.phrase.text_last_hidden_state"]}).items():
        r["grounding." + k] = v
    for k, v in head.heads["matching"].run({"vision_features": vis, "text_features": r["enc.caption.text_last_hidden_state"]}).items():
        r["matching." + k] = v
    gen = G.Generator(cap.decoder, tokw, posw)
    gm = json.loads(head_meta["generation"])
    greedy, margins = [], []
    for b in range(vis.shape[0]):
        toks, _, margin = G.greedy(gen, vis[b], gm["bos_id"], gm["eos_id"], gm["max_length"])
        greedy.append(toks)
        margins.append(margin)
    r["cap.greedy"], r["cap.greedy_min_margin"] = greedy, float(min(margins))
    return r


def whole_split(binp, head_path, W):
    """Every test image through `vlmrt caption`, `ask`, `ground` and `match` (image files to
    answers), compared with PyTorch on the same images, and the metrics of vlmrt's answers."""
    recs, images = EV.load_test()
    res, caps, o = EV.metrics(W, recs, images)
    files = [os.path.join(D.TEST_DIR, r["file"]) for r in recs]
    rep = {}
    q = sh([binp, "caption", "--model", head_path] + files)
    got = [l.split("\t", 1)[1] for l in q.stdout.strip().splitlines()]
    rep["captions_identical"] = f"{sum(g == c['text'] for g, c in zip(got, caps))}/{len(caps)}"
    cands = [EV.ptb_tokens(g) for g in got]
    refs = [EV.ptb_tokens(r["caption"]) for r in recs]
    rep["BLEU-4"] = round(EV.corpus_bleu(cands, refs)[0], 4)
    rep["CIDEr-D"] = round(EV.cider_d(cands, [[r] for r in refs])[0], 4)
    same = right = n = 0
    torch_pred = o["answer_logits"].argmax(1).numpy()
    for j, (i, qq) in enumerate(o["qrec"]):
        ans = sh([binp, "ask", "--model", head_path, files[i], qq["question"]]).stdout.split("\t")[0].strip()
        same += ans == D.ANSWERS[torch_pred[j]]
        right += ans == qq["answer"]
        n += 1
    rep["vqa_same_answer_as_torch"] = f"{same}/{n}"
    rep["vqa_accuracy"] = round(right / n, 4)
    boxes = []
    for i, f in enumerate(files):
        boxes.append([float(x) for x in sh([binp, "ground", "--model", head_path, f, recs[i]["phrase"]]).stdout.split("\t")[0].split()])
    boxes = np.array(boxes)
    rep["ground_box_px_max_abs_err_vs_torch (printed to 0.1 px)"] = float(np.abs(boxes - o["bbox"].numpy() * D.IMAGE).max())
    ious = np.array([EV.iou(b, r["box"]) for b, r in zip(boxes, recs)])
    rep["grounding_mean_IoU"], rep["grounding_acc@0.5"] = round(float(ious.mean()), 4), round(float((ious >= 0.5).mean()), 4)
    q = sh([binp, "match", "--model", head_path] + sum([["--image", f] for f in files], [])
           + sum([["--text", r["match"]] for r in recs], []))
    rows = [l.split() for l in q.stdout.splitlines() if l.split() and l.split()[0] in files]
    cos = torch.tensor([[float(x) for x in r[1:1 + len(recs)]] for r in rows], dtype=torch.float64)
    rep["match_cosine_max_abs_err_vs_torch (printed to 1e-4)"] = float((cos - o["match_sim"].double()).abs().max())
    rep.update({k: round(v, 4) for k, v in EV.recall(cos).items()})
    rep["torch_metrics"] = {"BLEU-4": res["caption"]["BLEU-4"], "CIDEr-D": res["caption"]["CIDEr-D"],
                            "vqa_accuracy": res["vqa"]["accuracy"], **res["grounding"],
                            **{k: v for k, v in res["matching_head"].items() if "R@" in k}}
    print("== whole test split through vlmrt's pipeline commands")
    for k, v in rep.items():
        print(f"  {k}: {v}")
    return rep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=D.MODEL_DIR)
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--vlmrt", default="")
    ap.add_argument("--all", action="store_true", help="also run the whole test split through vlmrt's pipeline commands")
    a = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(WORK, exist_ok=True)
    report = {}

    w, enc_meta, head_meta = E.load_exported(a.dir)
    recs, images = EV.load_test()
    recs, images = recs[:a.n], images[:a.n]
    caps = [r["match"] for r in recs]
    questions = [r["questions"][0]["question"] for r in recs]
    phrases = [r["phrase"] for r in recs]
    W = {k: torch.tensor(v) for k, v in w.items()}
    t = torch_outputs(W, images, caps, questions, phrases)

    # 1. float64 references
    pix = M.preprocess(images).numpy()
    ref = reference_outputs({k: v.astype(np.float64) for k, v in w.items()}, enc_meta, head_meta, pix, caps, questions, phrases, t)
    rep = {}
    for k in ref:
        if k in t and not k.startswith("cap.greedy"):
            rep[k] = err(t[k], ref[k])
    rep["cap.greedy_identical"] = t["cap.greedy"] == ref["cap.greedy"]
    rep["cap.greedy_min_top1_top2_logprob_margin"] = ref["cap.greedy_min_margin"]
    report["torch_f32_vs_float64_reference"] = rep
    print("== PyTorch float32 vs float64 references (dl_clip.py, vlmref)")
    for k, v in rep.items():
        print(f"  {k}: {v}")

    # 2. vlmrt on the PyTorch encoder's outputs
    binp = a.vlmrt or os.path.join(WORK, "vlmrt")
    if not a.vlmrt:
        sh(["go", "build", "-o", binp, "./cmd/vlmrt"])
    enc_path, head_path = os.path.join(a.dir, E.ENCODER_FILE), os.path.join(a.dir, E.HEAD_FILE)
    info = {}
    for p in (enc_path, head_path):
        out = sh([binp, "info", p], check=False)
        lines = out.stdout.strip().splitlines()
        info[os.path.basename(p)] = {"exit": out.returncode, "last_line": lines[-1] if lines else out.stderr.strip()}
    report["vlmrt_info"] = info
    print("== vlmrt info", info)
    f32 = lambda x: np.ascontiguousarray(x, np.float32)
    inputs = {
        "cap": {"input.vision_features": t["enc.vision_last_hidden_state"], "input.text_features": t["in.cap.text_features"]},
        "vqa": {"input.vision_features": t["enc.vision_last_hidden_state"], "input.question_features": t["enc.question.text_last_hidden_state"]},
        "grounding": {"input.vision_features": t["enc.vision_last_hidden_state"], "input.text_features": t["enc.phrase.text_last_hidden_state"]},
        "matching": {"input.vision_features": t["enc.vision_last_hidden_state"], "input.text_features": t["enc.caption.text_last_hidden_state"]},
    }
    rep = {}
    for task, inp in inputs.items():
        ip, op = os.path.join(WORK, f"{task}_inputs.safetensors"), os.path.join(WORK, f"{task}_out.safetensors")
        safetensors_io.save(ip, {k: f32(v) for k, v in inp.items()})
        p = sh([binp, "run", "--model", head_path, "--inputs", ip, "--out", op, "--task", task], check=False)
        if p.returncode != 0:
            rep[task] = {"error": p.stderr.strip()}
            continue
        go, _ = safetensors_io.load(op)
        for k, v in go.items():
            key = k[len("output."):]
            key = key if key.startswith(task + ".") else f"{task}.{key}"
            if key in t:
                rep[key] = err(v, t[key])
    ip, op = os.path.join(WORK, "cap_inputs.safetensors"), os.path.join(WORK, "gen_out.safetensors")
    p = sh([binp, "generate", "--model", head_path, "--inputs", ip, "--out", op, "--task", "cap"], check=False)
    if p.returncode == 0:
        go, _ = safetensors_io.load(op)
        toks = go["output.tokens"]
        lens = go["output.lengths"]
        gtok = [list(map(int, toks[b, :lens[b]])) for b in range(len(lens))]
        rep["cap.greedy_identical"] = gtok == t["cap.greedy"]
        rep["cap.greedy_vlmrt"] = [D.decode(x) for x in gtok]
    else:
        rep["cap.generate"] = {"error": p.stderr.strip()}
    report["vlmrt_vs_torch_f32"] = rep
    print("== vlmrt run/generate vs PyTorch float32")
    for k, v in rep.items():
        print(f"  {k}: {v}")

    # 3. vlmrt's pipeline commands (if this checkout has them)
    rep = {}
    files = [os.path.join(D.TEST_DIR, r["file"]) for r in recs]
    p = sh([binp, "embed", "-h"], check=False)
    if p.returncode == 0:
        op = os.path.join(WORK, "embed_img.safetensors")
        q = sh([binp, "embed", "--model", head_path] + sum([["--image", f] for f in files], []) + ["--out", op], check=False)
        if q.returncode == 0:
            go, _ = safetensors_io.load(op)
            for k, v in go.items():
                if "last_hidden" in k:
                    rep["embed.image.last_hidden_state"] = err(v, t["enc.vision_last_hidden_state"])
                elif "image_embeds" in k:
                    rep["embed.image_embeds"] = err(v, t["enc.image_features"])
        else:
            rep["embed.image"] = {"error": q.stderr.strip()}
        op = os.path.join(WORK, "embed_txt.safetensors")
        q = sh([binp, "embed", "--model", head_path] + sum([["--text", c] for c in caps], []) + ["--out", op], check=False)
        if q.returncode == 0:
            go, _ = safetensors_io.load(op)
            for k, v in go.items():
                if "last_hidden" in k:
                    rep["embed.text.last_hidden_state"] = err(v, t["enc.caption.text_last_hidden_state"])
                elif "text_embeds" in k:
                    rep["embed.text_embeds"] = err(v, t["enc.caption.text_features"])
        else:
            rep["embed.text"] = {"error": q.stderr.strip()}
        q = sh([binp, "caption", "--model", head_path] + files, check=False)
        if q.returncode == 0:
            got = [l.split("\t", 1)[1] for l in q.stdout.strip().splitlines()]
            rep["caption_cmd_identical"] = got == [D.decode(x) for x in t["cap.greedy"]]
            rep["caption_cmd"] = got
        else:
            rep["caption_cmd"] = {"error": q.stderr.strip()}
        agree = []
        for i, f in enumerate(files):
            q = sh([binp, "ask", "--model", head_path, f, questions[i]], check=False)
            if q.returncode != 0:
                agree = {"error": q.stderr.strip()}
                break
            ans = q.stdout.split("\t")[0].strip()
            agree.append(ans == D.ANSWERS[int(np.argmax(t["vqa.answer_logits"][i]))])
        rep["ask_cmd_same_answer"] = agree
        boxes = []
        for i, f in enumerate(files):
            q = sh([binp, "ground", "--model", head_path, f, phrases[i]], check=False)
            if q.returncode != 0:
                boxes = {"error": q.stderr.strip()}
                break
            boxes.append([float(x) for x in q.stdout.split("\t")[0].split()])
        if isinstance(boxes, list):
            rep["ground_cmd_box_px"] = err(boxes, t["grounding.bbox"] * D.IMAGE)
        else:
            rep["ground_cmd"] = boxes
        q = sh([binp, "match", "--model", head_path] + sum([["--image", f] for f in files], [])
               + sum([["--text", c] for c in caps], []), check=False)
        if q.returncode == 0:
            rows = [l.split() for l in q.stdout.splitlines() if l.split() and l.split()[0] in files]
            cos = [[float(x) for x in r[1:1 + len(caps)]] for r in rows]
            rep["match_cmd_cosine"] = err(cos, t["matching.similarity_matrix"])
        else:
            rep["match_cmd"] = {"error": q.stderr.strip()}
    else:
        rep["pipeline"] = "this vlmrt has no embed/caption/ask/ground/match commands"
    report["vlmrt_pipeline_vs_torch_f32"] = rep
    print("== vlmrt pipeline commands vs PyTorch float32")
    for k, v in rep.items():
        print(f"  {k}: {v}")
    report["images"] = [r["file"] for r in recs]
    if a.all:
        report["vlmrt_pipeline_test_split"] = whole_split(binp, head_path, W)
    with open(os.path.join(a.dir, "agreement.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
