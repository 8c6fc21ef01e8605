#!/usr/bin/python3
"""Exports trained weights (train.py's .npz of Keras paths) to vlmrt's model files.

  /usr/bin/python3 tools/shapes/export.py [--weights /tmp/vlmrt_shapes/weights_f32.npz] [--dir models/shapes]

This is also the PyTorch-to-dl_techniques adapter: every tensor is written under the Keras
variable.path that dl_techniques gives it (Dense kernels [in, out]), with the metadata that a
Keras export carries (class_name, config = get_config()), so the files read as

- encoder.safetensors: dl_techniques' `CLIP` (names `clip/...`), metadata `class_name` "CLIP",
  `config`, `tokenizer` "tokenizer.json", `preprocessor_config` (a Hugging Face
  preprocessor_config.json);
- head.safetensors: one `MultiTaskVLMHead` (names `multi_task_vlm_head/<task>_head/...`, the
  matching temperature at `matching_head/matching_head_temperature`), metadata `class_name`,
  `config` (task_configs, task_specific_kwargs), `encoder` "encoder.safetensors", `labels`
  (VQA answers), `generation`, `tokenizer` "tokenizer.json"; the runtime's
  `cap_head/token_embedding` and `cap_head/position_embedding` for generation.

Every tensor is stored as F16. The values that training clamps in its forward pass (CLIP's
logit_scale at ln 100, the matching temperature to [0.01, 1]) are written clamped.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import dataset as D  # noqa: E402
import model as M  # noqa: E402
import safetensors_io  # noqa: E402

ENCODER_FILE = "encoder.safetensors"
HEAD_FILE = "head.safetensors"
TOKENIZER_FILE = "tokenizer.json"
GENERATION = {"bos_id": D.BOS, "eos_id": D.EOS, "max_length": M.POS_ROWS, "beam_size": 1}


def prepare(w):
    """Clamps what the forward pass clamps; returns {path: float16 array}."""
    w = dict(w)
    ls = M.CLIP_PREFIX + "logit_scale"
    w[ls] = np.minimum(w[ls], np.float32(math.log(100.0)))
    w[M.MAT_TEMP] = np.clip(w[M.MAT_TEMP], 0.01, 1.0)
    return {k: np.asarray(v, np.float32).astype(np.float16) for k, v in w.items()}


def export(weights, out_dir, provenance=None):
    os.makedirs(out_dir, exist_ok=True)
    w = prepare(weights)
    prov = {k: str(v) for k, v in (provenance or {}).items()}
    enc_names = [n for n, _ in M.dl_clip.weight_shapes(M.CLIP_CONFIG, M.CLIP_PREFIX)]
    head_names = [n for n, _ in M.head_shapes()]
    assert set(enc_names) | set(head_names) == set(w), "weights do not match the model's paths"
    enc_meta = {"class_name": "CLIP", "config": json.dumps(M.CLIP_CONFIG), "tokenizer": TOKENIZER_FILE,
                "preprocessor_config": json.dumps(M.preprocessor_config()), **prov}
    safetensors_io.save(os.path.join(out_dir, ENCODER_FILE), {n: w[n] for n in enc_names}, enc_meta)
    head_meta = {"class_name": "MultiTaskVLMHead", "config": M.config_json(), "encoder": ENCODER_FILE,
                 "labels": json.dumps(D.ANSWERS), "generation": json.dumps(GENERATION),
                 "tokenizer": TOKENIZER_FILE, **prov}
    safetensors_io.save(os.path.join(out_dir, HEAD_FILE), {n: w[n] for n in head_names}, head_meta)
    with open(os.path.join(out_dir, TOKENIZER_FILE), "w") as f:
        json.dump(D.tokenizer_json(), f, indent=1)
        f.write("\n")


def load_exported(out_dir):
    """The exported weights as float32 {path: array} (what vlmrt reads) and both metadata."""
    te, me = safetensors_io.load(os.path.join(out_dir, ENCODER_FILE))
    th, mh = safetensors_io.load(os.path.join(out_dir, HEAD_FILE))
    w = {k: v.astype(np.float32) for k, v in {**te, **th}.items()}
    return w, me, mh


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="/tmp/vlmrt_shapes/weights_f32.npz")
    ap.add_argument("--dir", default=M.D.MODEL_DIR)
    a = ap.parse_args()
    import train
    w = train.load_weights(a.weights)
    prov = {"source": "tools/shapes (train.py, export.py): trained on synthetic shapes scenes, seeded"}
    log = os.path.splitext(a.weights)[0] + ".log.json"
    if os.path.exists(log):
        info = json.load(open(log))
        prov["training"] = json.dumps({k: info[k] for k in ("args", "train_seconds", "steps_done", "epochs", "torch", "threads")})
    export(w, a.dir, prov)
    for f in (ENCODER_FILE, HEAD_FILE, TOKENIZER_FILE):
        print(f"{os.path.join(a.dir, f)}: {os.path.getsize(os.path.join(a.dir, f))} bytes")


if __name__ == "__main__":
    main()
