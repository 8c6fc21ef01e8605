#!/usr/bin/python3
"""Re-runs the float64 reference on testdata/reference/*.safetensors (or the given files) and
checks every stored output: head outputs within 1e-6 relative (they were rounded to float32),
generation tokens/lengths exactly (decoding again from the file's own embeddings).

Usage: /usr/bin/python3 tools/check_reference.py [files...]
"""

import glob
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from vlmref import generate as G  # noqa: E402
from vlmref import heads  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def check_generation(name, tensors, meta, head, inp, want):
    gen = json.loads(meta["generation"])
    scope = head.name
    tok = tensors[f"{scope}/token_embedding"]
    pos = tensors.get(f"{scope}/position_embedding")
    g = G.Generator(head.decoder, tok, pos)
    ok = True
    greedy, beam = [], []
    for b in range(inp["vision_features"].shape[0]):
        mem = np.asarray(inp["vision_features"][b], dtype=np.float64)
        gt, _, _ = G.greedy(g, mem, gen["bos_id"], gen["eos_id"], gen["max_length"])
        bt, _ = G.beam_search(g, mem, gen["bos_id"], gen["eos_id"], gen["max_length"], gen["beam_size"])
        greedy.append(gt)
        beam.append(bt)
    for tag, seqs in (("greedy", greedy), (f"beam{gen['beam_size']}", beam)):
        toks = np.array([G.pad(s, gen["eos_id"], gen["max_length"]) for s in seqs], dtype=np.int32)
        lens = np.array([len(s) for s in seqs], dtype=np.int32)
        good = np.array_equal(toks, want[f"{tag}.tokens"]) and np.array_equal(lens, want[f"{tag}.lengths"])
        ok &= good
        print(f"{name}: {tag}: tokens {toks.tolist()} lengths {lens.tolist()}  {'PASS' if good else 'FAIL'}")
    return ok


def check_file(path):
    tensors, meta = safetensors_io.load(path)
    inp, want = heads.split_io(tensors)
    head = heads.build(tensors, meta)
    name = os.path.basename(path)
    if "generation" in meta:
        return check_generation(name, tensors, meta, head, inp, want)
    got = head.run(inp)
    ok = True
    for key in sorted(want):
        ref = np.asarray(got[key], dtype=np.float64)
        w = np.asarray(want[key], dtype=np.float64)
        err = float(np.max(np.abs(ref - w)))
        good = ref.shape == w.shape and err <= 1e-6 * max(1.0, float(np.max(np.abs(ref))))
        ok &= good
        print(f"{name}: output.{key}: max_abs_err {err:.2e}  {'PASS' if good else 'FAIL'}")
    if "region_indices" in meta:
        good = json.loads(meta["region_indices"]) == head.last_indices.tolist()
        ok &= good
        print(f"{name}: region_indices {head.last_indices.tolist()}  {'PASS' if good else 'FAIL'}")
    return ok


def main(argv):
    files = argv[1:] or sorted(glob.glob(os.path.join(ROOT, "testdata", "reference", "*.safetensors")))
    ok = True
    for f in files:
        ok &= check_file(f)
    print("ALL PASS" if ok else "SOME FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
