#!/usr/bin/python3
"""Writes testdata/pipeline: end-to-end fixtures from an image file to a head's outputs.

    /usr/bin/python3 tools/make_pipeline_fixtures.py [--out DIR]

The directory holds
  clip48/                  a Hugging Face CLIP directory (both towers 48 wide, 32 px images,
                           patch 8: 17 vision tokens), with preprocessor_config.json and, when
                           --tokenizer names one, its tokenizer.json
  caption.safetensors      the captioning head of testdata/reference/generation_swiglu, metadata
                           "encoder": "clip48" (SPEC.md 8)
  vqa.safetensors          the VQA head of testdata/keras/vqa_attention, with metadata "labels"
  ground.safetensors       the grounding head of testdata/keras/grounding_gated
  photo.png                a 61 x 43 RGB image (odd sizes: resize and crop both round)
  expected.safetensors     what each step gives, in float64 then rounded to float32:
      pixel_values         Pillow's BICUBIC resize of the short side to 32, center crop (HF's
                           floor offsets), rescale, CLIP mean/std: CLIPImageProcessor's steps
      vision.*             the vision tower's outputs (tools/encref)
      caption.tokens       greedy tokens of the caption head on last_hidden_state (SPEC 6),
                           with metadata caption_margin (the smallest top-1/top-2 log-prob gap)
      <task>.input_ids     for each text case (metadata <task>_text), its ids from tools/tokref, and the
      <task>.*             head's outputs on (vision last_hidden_state, text last_hidden_state)

Everything is seeded; rerunning gives the same files.
"""
import argparse
import json
import math
import os
import shutil
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402
from encref import hf  # noqa: E402
from vlmref import generate as G  # noqa: E402
from vlmref import heads  # noqa: E402

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073])
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711])
SIZE = 32
TOKENIZER = os.path.join(ROOT, "tokenizer", "testdata", "clip.json")  # CLIP's layout, a small BPE
VOCAB = 1714  # its vocabulary: <|startoftext|> 1712, <|endoftext|> 1713
TEXT_CASES = {"vqa": "What color is the disc?", "ground": "the green disc"}
ANSWERS = ["yes", "no", "two", "red", "cat", "dog", "left", "right", "tree", "car", "sky", "none"]


def photo():
    """A smooth, photo-like 61 x 43 RGB image: gradients, a disc and stripes, plus noise."""
    h, w = 43, 61
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    rng = np.random.default_rng(5)
    r = 120 + 100 * np.sin(x / 9.0) * np.cos(y / 13.0)
    g = 60 + 150 * (((x - 35) ** 2 + (y - 20) ** 2) < 150)
    b = 200 * (x / w) + 30 * ((x // 6) % 2)
    img = np.stack([r, g, b], -1) + rng.normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB")


def clip_preprocess(img):
    """CLIPImageProcessor: RGB, resize the short side to SIZE (BICUBIC), center crop with
    floor offsets, rescale by 1/255 (float64 to float32), normalise; NCHW float32."""
    img = img.convert("RGB")
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(SIZE * long / short)
    size = (SIZE, new_long) if w <= h else (new_long, SIZE)
    img = img.resize(size, resample=Image.BICUBIC)
    a = np.asarray(img)
    top, left = (a.shape[0] - SIZE) // 2, (a.shape[1] - SIZE) // 2
    a = a[top:top + SIZE, left:left + SIZE]
    a = (a.astype(np.float64) * (1 / 255)).astype(np.float32)
    a = (a - CLIP_MEAN.astype(np.float32)) / CLIP_STD.astype(np.float32)
    return a.transpose(2, 0, 1)[None].astype(np.float32)


def encoder_dir(out):
    vision = hf.clip_vision_config(48, 96, 2, 4, SIZE, 8, act="quick_gelu", proj=32)
    text = hf.clip_text_config(48, 96, 2, 4, VOCAB, 16, eos=VOCAB - 1, bos=VOCAB - 2, pad=VOCAB - 1, act="quick_gelu", proj=32)
    config = {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 32,
              "logit_scale_init_value": 2.6592, "text_config": text, "vision_config": vision,
              "torch_dtype": "float32"}
    init = hf.Init(4801)
    W = {"logit_scale": np.array(2.6592, dtype=np.float32)}
    hf.random_clip_text(init, text, W)
    hf.random_clip_vision(init, vision, W)
    W["visual_projection.weight"] = init.normal((32, 48), 1 / math.sqrt(48))
    W["text_projection.weight"] = init.normal((32, 48), 1 / math.sqrt(48))
    W = {k: np.asarray(v, dtype=np.float32) for k, v in W.items()}
    d = os.path.join(out, "clip48")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
        json.dump({"crop_size": {"height": SIZE, "width": SIZE}, "do_center_crop": True, "do_convert_rgb": True,
                   "do_normalize": True, "do_rescale": True, "do_resize": True,
                   "image_mean": CLIP_MEAN.tolist(), "image_std": CLIP_STD.tolist(),
                   "image_processor_type": "CLIPImageProcessor", "resample": 3, "rescale_factor": 1 / 255,
                   "size": {"shortest_edge": SIZE}}, f, indent=2, sort_keys=True)
    safetensors_io.save(os.path.join(d, "model.safetensors"), W, {"format": "pt"})
    shutil.copy(TOKENIZER, os.path.join(d, "tokenizer.json"))
    return W, vision, text


def clip_tokenizer():
    """The independent reference encoder of tools/tokref over the same tokenizer.json."""
    sys.path.insert(0, os.path.join(HERE, "tokref"))
    import reference as tokref
    with open(TOKENIZER) as f:
        tj = json.load(f)
    merges = [m.split(" ") if isinstance(m, str) else m for m in tj["model"]["merges"]]
    return tokref.CLIP(tj["model"]["vocab"] | {t["content"]: t["id"] for t in tj["added_tokens"]}, merges)


def head_file(src, dst, extra):
    t, m = safetensors_io.load(os.path.join(ROOT, "testdata", src + ".safetensors"))
    weights = {k: v for k, v in t.items() if not k.startswith(("input.", "output."))}
    meta = {"class_name": m["class_name"], "config": m["config"], "encoder": "clip48"}
    for k in ("generation",):
        if k in m:
            meta[k] = m[k]
    meta.update(extra)
    safetensors_io.save(dst, weights, meta)
    return heads.build(weights, meta), weights, meta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "testdata", "pipeline"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    img = photo()
    img.save(os.path.join(a.out, "photo.png"))
    img = Image.open(os.path.join(a.out, "photo.png"))
    W, vcfg, tcfg = encoder_dir(a.out)
    W64 = {k: torch.from_numpy(v).double() for k, v in W.items()}
    px = clip_preprocess(img)
    exp, meta = {"pixel_values": px}, {"generator": "tools/make_pipeline_fixtures.py"}
    with torch.no_grad():
        v = hf.clip_vision(W64, vcfg, torch.from_numpy(px).double())
    for k in ("last_hidden_state", "pooler_output", "image_embeds"):
        exp["vision." + k] = v[k].numpy()
    vision = v["last_hidden_state"].numpy()

    cap, weights, _ = head_file("reference/generation_swiglu", os.path.join(a.out, "caption.safetensors"), {})
    gen = json.loads(safetensors_io.load(os.path.join(a.out, "caption.safetensors"))[1]["generation"])
    g = G.Generator(cap.decoder, weights["cap_head/token_embedding"], weights.get("cap_head/position_embedding"))
    tokens, _, margin = G.greedy(g, vision[0], gen["bos_id"], gen["eos_id"], gen["max_length"])
    exp["caption.tokens"] = np.array(tokens, dtype=np.int32)
    meta["caption_margin"] = f"{margin:.3g}"

    for task, src, extra in [("vqa", "keras/vqa_attention", {"labels": json.dumps(ANSWERS)}),
                             ("ground", "keras/grounding_gated", {})]:
        head, _, _ = head_file(src, os.path.join(a.out, task + ".safetensors"), extra)
        ids = np.array([clip_tokenizer().encode(TEXT_CASES[task])], dtype=np.int32)
        meta[task + "_text"] = TEXT_CASES[task]
        with torch.no_grad():
            t, _ = hf.clip_text(W64, tcfg, torch.from_numpy(ids))
        text = t["last_hidden_state"].numpy()
        out = head.run({"vision_features": vision, "text_features": text, "question_features": text})
        exp[task + ".input_ids"] = ids
        for k, val in out.items():
            exp[task + "." + k] = np.asarray(val)
        if task == "vqa":
            lg = np.asarray(out["answer_logits"])[0]
            top = np.sort(lg)[::-1]
            meta["vqa_answer"] = ANSWERS[int(np.argmax(lg))]
            meta["vqa_margin"] = f"{top[0] - top[1]:.3g}"
        else:
            c = np.sort(np.asarray(out["confidence"])[0])[::-1]
            meta["ground_margin"] = f"{c[0] - c[1]:.3g}"
    exp = {k: (v.astype(np.int32) if v.dtype.kind in "iu" else v.astype(np.float32)) for k, v in exp.items()}
    safetensors_io.save(os.path.join(a.out, "expected.safetensors"), exp, meta)
    for k, v in sorted(meta.items()):
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
