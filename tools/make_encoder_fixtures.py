#!/usr/bin/python3
"""Writes the encoder fixtures of SPEC 8 as Hugging Face model directories.

Each case is a directory as transformers saves a model (config.json, model.safetensors with
state_dict names, float32; preprocessor_config.json) plus reference.safetensors: the inputs
(`input.pixel_values` [B,3,H,W] float32, `input.input_ids` [B,T] int32) and the outputs of the
float64 reference of tools/encref/hf.py rounded to float32, with provenance metadata.

Usage (from the repository root):
    /usr/bin/python3 tools/make_encoder_fixtures.py                  # committed cases -> testdata/encoders/
    /usr/bin/python3 tools/make_encoder_fixtures.py clip_tiny        # some of them
    /usr/bin/python3 tools/make_encoder_fixtures.py --case vit_b16 --out /tmp/vit_b16 [--layers N]
        [--batch B] [--dtype float64|float32] [--seed S]

dl_clip_tiny is dl_techniques' own CLIP: one file testdata/encoders/dl_clip_tiny.safetensors (SPEC 1
style, variable.path names, metadata class_name CLIP + config), from tools/encref/dl_clip.py.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402
from encref import dl_clip, hf  # noqa: E402

GENERATOR = "tools/make_encoder_fixtures.py (encref float64 PyTorch reference)"
ROOT = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(ROOT, "testdata", "encoders")

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def clip_preprocessor(size):
    return {
        "crop_size": {"height": size, "width": size},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": CLIP_MEAN,
        "image_processor_type": "CLIPImageProcessor",
        "image_std": CLIP_STD,
        "resample": 3,
        "rescale_factor": 1 / 255,
        "size": {"shortest_edge": size},
    }


def siglip_preprocessor(size):
    return {
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5],
        "image_processor_type": "SiglipImageProcessor",
        "image_std": [0.5, 0.5, 0.5],
        "resample": 3,
        "rescale_factor": 1 / 255,
        "size": {"height": size, "width": size},
    }


# ---------------------------------------------------------------------------------------------
# the cases


def tiny_text_ids(vocab, T, eos, bos, legacy):
    """Two rows of length T. New style (eos = vocab-1): row 0 ends at position 7 and is padded
    with eos (as CLIP tokenizers pad with <|endoftext|>), row 1 ends at T-1. Legacy (config
    eos_token_id 2, the real end-of-text token is still the largest id vocab-1): id 2 also occurs
    before the end, so pooling at the first id 2 would be wrong; padding is 0."""
    rng = np.random.default_rng(7)
    eot = vocab - 1
    ids = rng.integers(3, vocab - 2, size=(2, T)).astype(np.int32)
    ids[:, 0] = bos
    ids[0, 7] = eot
    ids[0, 8:] = eot if not legacy else 0
    ids[1, T - 1] = eot
    if legacy:
        ids[0, 3] = 2
        ids[1, 5] = 2
    return ids


def case_clip_tiny(legacy=False):
    vision = hf.clip_vision_config(48, 96, 2, 4, 32, 8, act="quick_gelu", proj=32)
    if legacy:
        # the pre-4.x defaults: bos 0, eos 2, pad 1 (eos_token_id 2 selects the arg-max rule)
        text = hf.clip_text_config(32, 64, 2, 4, 100, 16, eos=2, bos=0, pad=1, act="quick_gelu", proj=32)
    else:
        # the text tower uses exact gelu, so that the two towers' activations differ
        text = hf.clip_text_config(32, 64, 2, 4, 100, 16, eos=99, bos=98, pad=99, act="gelu", proj=32)
    config = {
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "projection_dim": 32,
        "logit_scale_init_value": 2.6592,
        "initializer_factor": 1.0,
        "torch_dtype": "float32",
        "text_config": text,
        "vision_config": vision,
    }
    return {"kind": "clip", "config": config, "vision": vision, "text": text,
            "preprocessor": clip_preprocessor(32), "batch": 2,
            "input_ids": tiny_text_ids(100, 12, text["eos_token_id"], text["bos_token_id"], legacy)}


def case_clip_vit_tiny():
    vision = hf.clip_vision_config(48, 96, 2, 4, 32, 8, act="quick_gelu", proj=32)
    config = dict(vision)
    config["architectures"] = ["CLIPVisionModelWithProjection"]
    config["torch_dtype"] = "float32"
    return {"kind": "clip_vision", "config": config, "vision": vision,
            "preprocessor": clip_preprocessor(32), "batch": 2}


def case_siglip_vit_tiny():
    vision = hf.siglip_vision_config(48, 96, 2, 4, 32, 8)
    config = dict(vision)
    config["architectures"] = ["SiglipVisionModel"]
    config["torch_dtype"] = "float32"
    return {"kind": "siglip_vision", "config": config, "vision": vision,
            "preprocessor": siglip_preprocessor(32), "batch": 2}


def case_vit_b16(layers=12):
    vision = hf.clip_vision_config(768, 3072, layers, 12, 224, 16, act="quick_gelu", proj=512)
    config = dict(vision)
    config["architectures"] = ["CLIPVisionModelWithProjection"]
    config["torch_dtype"] = "float32"
    return {"kind": "clip_vision", "config": config, "vision": vision,
            "preprocessor": clip_preprocessor(224), "batch": 1}


FILE_CASES = {"dl_clip_tiny": 1520}

CASES = {
    "clip_tiny": (lambda: case_clip_tiny(False), 1501),
    "clip_tiny_legacy_eos": (lambda: case_clip_tiny(True), 1502),
    "clip_vit_tiny": (case_clip_vit_tiny, 1503),
    "siglip_vit_tiny": (case_siglip_vit_tiny, 1504),
}
GENERATED = {"vit_b16": (case_vit_b16, 1516)}

# dl_techniques' CLIP (SPEC 8: a file exported like a head, variable.path names)
DL_CLIP_TINY = dict(image_size=32, patch_size=8, vision_layers=2, vision_width=32, vision_heads=4,
                    vision_kv_heads=2, vocab_size=100, context_length=16, text_layers=2,
                    text_width=32, text_heads=4, text_kv_heads=2, embed_dim=24,
                    ffn_expansion_factor=2, ffn_multiple_of=16)
DL_SOURCES = {
    "models/clip/model.py": "2176e664776083eb9647eb77451bcdc7a01ce345",
    "layers/transformers/transformer.py": "05e4de1a7f959c1c56445637cb48c13892090160",
    "layers/attention/group_query_attention.py": "0222f3044e7afc5110b6b237aa0f2882b53d7c84",
    "layers/embedding/rotary_position_embedding.py": "0d5737760bc9a3aecb6d7f3400e61a51507b74b8",
    "layers/ffn/swiglu_ffn.py": "055a95d721569ceb6aeb9b18008cb60f6d64615c",
    "layers/norms/rms_norm.py": "02721d243ef2a248e087b03918f33cb422b24ce1",
}


def write_dl_clip(name, seed, path, layers=None):
    """One SPEC-1 style file: weights under variable.path, input.image [B,H,W,3] (channels
    last), input.text [B,T] int32 (right-padded with 0), output.* as CLIP.call returns them,
    debug.* intermediate states; metadata class_name CLIP and the get_config() JSON."""
    t0 = time.time()
    over = dict(DL_CLIP_TINY)
    if layers:
        over["vision_layers"] = over["text_layers"] = layers
    cfg = dl_clip.full_config(**over)
    W32 = dl_clip.random_weights(cfg, seed)
    rng = np.random.default_rng(seed + 100000)
    s = cfg["image_size"]
    images = rng.standard_normal((2, s, s, 3)).astype(np.float32)
    T = 12
    ids = rng.integers(1, cfg["vocab_size"], size=(2, T)).astype(np.int32)
    ids[0, 7:] = 0  # right padding: row 0 pools at 6, row 1 (no padding) at 11
    W = {k: torch.from_numpy(v.astype(np.float64)) for k, v in W32.items()}
    with torch.no_grad():
        out, dbg = dl_clip.forward(W, cfg, torch.from_numpy(images).double(), torch.from_numpy(ids))
    outputs = {"output." + k: v.numpy().astype(np.float32) for k, v in out.items()}
    check_not_degenerate({k: v for k, v in outputs.items() if v.ndim >= 1})
    tensors = dict(W32)
    tensors["input.image"] = images
    tensors["input.text"] = ids
    tensors.update(outputs)
    for k in ("vision_last_hidden_state", "text_last_hidden_state"):
        tensors["debug." + k] = dbg[k].numpy().astype(np.float32)
    meta = {
        "class_name": "CLIP",
        "config": dl_clip.config_json(cfg),
        "generator": GENERATOR,
        "case": name,
        "seed": str(seed),
        "compute_dtype": "float64",
        "torch_version": torch.__version__,
        "source": "tools/encref/dl_clip.py, written from the dl_techniques source files below "
                  "(see tools/encref/DL_TECHNIQUES_CLIP.md); NOT produced by Keras",
        "dl_techniques_sources": json.dumps(DL_SOURCES, sort_keys=True),
        "input_keys": json.dumps(["image", "text"]),
        "output_keys": json.dumps(sorted(outputs)),
        "weight_paths": json.dumps(list(W32)),
        "text_pool_positions": json.dumps(dbg["text_pool_positions"].tolist()),
        "debug_keys": "debug.vision_last_hidden_state [B, N+1, vision_width] and "
                      "debug.text_last_hidden_state [B, T, text_width]: the towers' outputs "
                      "after the last layer (no final norm), before pooling",
    }
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    safetensors_io.save(path, tensors, meta)
    print(f"{name}: {path} ({os.path.getsize(path) / 1024:.0f} KiB, {time.time() - t0:.1f}s)")
    for k, v in outputs.items():
        print(f"  {k} {list(v.shape)} std {np.std(v):.3f}")


# ---------------------------------------------------------------------------------------------


def random_weights(spec, seed):
    init = hf.Init(seed)
    W = {}
    kind = spec["kind"]
    if kind == "clip":
        W["logit_scale"] = np.array(spec["config"]["logit_scale_init_value"], dtype=np.float32)
        hf.random_clip_text(init, spec["text"], W)
        hf.random_clip_vision(init, spec["vision"], W)
        W["visual_projection.weight"] = init.normal(
            (spec["vision"]["projection_dim"], spec["vision"]["hidden_size"]),
            1.0 / math.sqrt(spec["vision"]["hidden_size"]))
        W["text_projection.weight"] = init.normal(
            (spec["text"]["projection_dim"], spec["text"]["hidden_size"]),
            1.0 / math.sqrt(spec["text"]["hidden_size"]))
    elif kind == "clip_vision":
        hf.random_clip_vision(init, spec["vision"], W)
        W["visual_projection.weight"] = init.normal(
            (spec["vision"]["projection_dim"], spec["vision"]["hidden_size"]),
            1.0 / math.sqrt(spec["vision"]["hidden_size"]))
    elif kind == "siglip_vision":
        hf.random_siglip_vision(init, spec["vision"], W)
    else:
        raise ValueError(kind)
    return W, init


def run_reference(spec, W32, inputs, dtype=torch.float64):
    """Returns (outputs dict name -> float32 ndarray, extra metadata)."""
    W = {k: torch.from_numpy(np.asarray(v)).to(dtype) for k, v in W32.items()}
    out, meta = {}, {}
    kind = spec["kind"]
    with torch.no_grad():
        if kind in ("clip", "clip_vision"):
            pv = torch.from_numpy(inputs["input.pixel_values"]).to(dtype)
            v = hf.clip_vision(W, spec["vision"], pv)
        if kind == "siglip_vision":
            pv = torch.from_numpy(inputs["input.pixel_values"]).to(dtype)
            v = hf.siglip_vision(W, spec["vision"], pv)
            # SiglipModel.get_image_features returns the pooled output (no projection)
            v["image_embeds"] = v["pooler_output"]
        if kind == "clip":
            t, tmeta = hf.clip_text(W, spec["text"], torch.from_numpy(inputs["input.input_ids"]))
            meta.update(tmeta)
            out["output.image_embeds"] = v["image_embeds"]
            out["output.text_embeds"] = t["text_embeds"]
            out["output.logits_per_image"] = hf.clip_logits(v["image_embeds"], t["text_embeds"],
                                                            W["logit_scale"])
            for k in ("last_hidden_state", "pooler_output"):
                out["output.vision." + k] = v[k]
                out["output.text." + k] = t[k]
        else:
            for k in ("last_hidden_state", "pooler_output", "image_embeds"):
                out["output." + k] = v[k]
    return {k: v.numpy().astype(np.float32) for k, v in out.items()}, meta


def check_not_degenerate(outputs):
    for k, v in outputs.items():
        if not np.all(np.isfinite(v)):
            raise SystemExit(f"{k}: non-finite values")
        if v.size > 1 and float(np.std(v)) < 1e-3:
            raise SystemExit(f"{k}: (nearly) constant, std {np.std(v)}")
        # every row of the batch differs
        if v.shape[0] > 1 and np.allclose(v[0], v[1], atol=1e-4):
            raise SystemExit(f"{k}: batch rows equal")


def write_case(name, spec, seed, out_dir, dtype=torch.float64):
    t0 = time.time()
    os.makedirs(out_dir, exist_ok=True)
    W, init = random_weights(spec, seed)
    B = spec["batch"]
    inputs = {}
    rng = np.random.default_rng(seed + 100000)
    if "vision" in spec:
        s = spec["vision"]["image_size"]
        inputs["input.pixel_values"] = rng.standard_normal((B, 3, s, s)).astype(np.float32)
    if "text" in spec:
        inputs["input.input_ids"] = spec["input_ids"]
    t1 = time.time()
    outputs, extra = run_reference(spec, W, inputs, dtype)
    t2 = time.time()
    check_not_degenerate(outputs)

    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(spec["config"], f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(out_dir, "preprocessor_config.json"), "w") as f:
        json.dump(spec["preprocessor"], f, indent=2, sort_keys=True)
        f.write("\n")
    safetensors_io.save(os.path.join(out_dir, "model.safetensors"), W, {"format": "pt"})

    meta = {
        "generator": GENERATOR,
        "case": name,
        "seed": str(seed),
        "model_type": spec["config"]["model_type"],
        "compute_dtype": str(dtype).replace("torch.", ""),
        "torch_version": torch.__version__,
        "input_keys": json.dumps(sorted(inputs)),
        "output_keys": json.dumps(sorted(outputs)),
        "weights": "model.safetensors beside this file (float32; the reference computes from "
                   "exactly these values)",
    }
    if "eot_rule" in extra:
        meta["eot_rule"] = extra["eot_rule"]
        meta["eot_positions"] = json.dumps(extra["eot_positions"])
        meta["eos_token_id"] = str(spec["text"]["eos_token_id"])
    if spec["kind"] == "siglip_vision":
        meta["image_embeds"] = "equals pooler_output (SiglipModel.get_image_features has no projection)"
    if spec["kind"] == "clip":
        meta["output_naming"] = ("output.vision.* / output.text.* are each tower's "
                                 "last_hidden_state and pooler_output; image_embeds, text_embeds "
                                 "and logits_per_image [B_image, B_text] as CLIPModel returns them")
    tensors = dict(inputs)
    tensors.update(outputs)
    safetensors_io.save(os.path.join(out_dir, "reference.safetensors"), tensors, meta)
    sizes = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f"{name}: {out_dir} ({sizes / 1024:.0f} KiB; weights {t1 - t0:.1f}s, "
          f"reference {t2 - t1:.1f}s, {meta['compute_dtype']})")
    for k, v in outputs.items():
        print(f"  {k} {list(v.shape)} std {np.std(v):.3f} max|x| {np.max(np.abs(v)):.3f}")
    if "eot_rule" in extra:
        print(f"  eot_rule {extra['eot_rule']} positions {extra['eot_positions']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*",
                    help=f"committed cases (default all): {', '.join(list(CASES) + list(FILE_CASES))}")
    ap.add_argument("--case", help=f"a generated case: {', '.join(GENERATED)} (needs --out)")
    ap.add_argument("--out", help="output directory (default testdata/encoders/<case>)")
    ap.add_argument("--layers", type=int, help="vit_b16: number of layers (default 12)")
    ap.add_argument("--batch", type=int, help="batch size (vit_b16 default 1)")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                    help="compute dtype of the reference (default float64)")
    ap.add_argument("--seed", type=int, help="override the case's seed")
    ap.add_argument("--threads", type=int, help="torch threads")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dtype = torch.float64 if a.dtype == "float64" else torch.float32
    if a.case:
        if a.case not in GENERATED and a.case not in CASES:
            ap.error(f"unknown case {a.case}")
        if not a.out:
            ap.error("--case needs --out")
        fn, seed = GENERATED.get(a.case) or CASES[a.case]
        spec = fn(a.layers) if (a.case == "vit_b16" and a.layers) else fn()
        if a.batch:
            spec["batch"] = a.batch
        write_case(a.case, spec, a.seed if a.seed is not None else seed, a.out, dtype)
        return
    names = a.cases or (list(CASES) + list(FILE_CASES))
    for n in names:
        if n in FILE_CASES:
            path = a.out if (a.out and len(names) == 1) else os.path.join(DEFAULT_OUT, n + ".safetensors")
            write_dl_clip(n, a.seed if a.seed is not None else FILE_CASES[n], path, a.layers)
            continue
        if n not in CASES:
            ap.error(f"unknown case {n} (generated cases take --case {n} --out DIR)")
        fn, seed = CASES[n]
        out = a.out if (a.out and len(names) == 1) else os.path.join(DEFAULT_OUT, n)
        write_case(n, fn(), a.seed if a.seed is not None else seed, out, dtype)


if __name__ == "__main__":
    main()
