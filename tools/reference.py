#!/usr/bin/python3
"""Command line of the float64 reference (the code lives in tools/vlmref).

  /usr/bin/python3 tools/reference.py run MODEL [--inputs I] [--out O]
      runs the head of MODEL on the `input.<key>` tensors of I (default MODEL itself) and writes
      `output.<key>` as F32 to O, or prints each output's shape and first values.
  /usr/bin/python3 tools/reference.py generate MODEL [--inputs I] [--beam K] [--max-length L]
      [--bos B] [--eos E]
      greedy (K=1) or beam search (SPEC 6) from `input.vision_features`; settings default to the
      file's `generation` metadata; prints the tokens of each row.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from vlmref import generate as G  # noqa: E402
from vlmref import heads  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="float64 reference of the vlmrt heads")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("model")
    r.add_argument("--inputs")
    r.add_argument("--out")
    g = sub.add_parser("generate")
    g.add_argument("model")
    g.add_argument("--inputs")
    g.add_argument("--beam", type=int)
    g.add_argument("--max-length", type=int)
    g.add_argument("--bos", type=int)
    g.add_argument("--eos", type=int)
    a = ap.parse_args()

    tensors, meta = safetensors_io.load(a.model)
    src = tensors if not a.inputs else safetensors_io.load(a.inputs)[0]
    inp, _ = heads.split_io(src)
    head = heads.build(tensors, meta)
    if a.cmd == "run":
        out = head.run(inp)
        if a.out:
            safetensors_io.save(a.out, {"output." + k: np.asarray(v, np.float32) for k, v in out.items()})
            print(f"wrote {a.out}")
        else:
            for k, v in out.items():
                print(f"output.{k} {list(v.shape)} {np.asarray(v).ravel()[:6]}")
        return
    gen = json.loads(meta.get("generation", "{}"))
    bos = a.bos if a.bos is not None else gen.get("bos_id", 1)
    eos = a.eos if a.eos is not None else gen.get("eos_id", 2)
    ml = a.max_length or gen.get("max_length", 20)
    beam = a.beam or 1
    w = head.w
    gn = G.Generator(head.decoder, w.get("token_embedding"),
                     w.get("position_embedding") if w.has("position_embedding") else None)
    memory = inp["vision_features"]
    for b in range(memory.shape[0]):
        mem = np.asarray(memory[b], np.float64)
        if beam == 1:
            toks, _, margin = G.greedy(gn, mem, bos, eos, ml)
            print(f"row {b}: {toks} (min top1-top2 log-prob margin {margin:.3e})")
        else:
            toks, info = G.beam_search(gn, mem, bos, eos, ml, beam)
            print(f"row {b}: {toks} (boundary margin {info['boundary']:.3e}, final {info['final']:.3e})")


if __name__ == "__main__":
    main()
