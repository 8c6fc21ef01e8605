#!/usr/bin/python3
"""Runs the float64 reference on every Keras fixture and compares every output (SPEC 2 bound).

Usage: /usr/bin/python3 tools/check_keras.py [files...]
Default files: /work/shared/fixtures/keras/*.safetensors, else testdata/keras/*.safetensors.
Exit status 1 when any output fails.
"""

import glob
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from vlmref import heads  # noqa: E402


def check_file(path):
    tensors, meta = safetensors_io.load(path)
    inp, want = heads.split_io(tensors)
    head = heads.build(tensors, meta)
    got = head.run(inp)
    ok = True
    name = os.path.basename(path)
    for key in sorted(want):
        if key not in got:
            print(f"{name}: output.{key}: MISSING in reference  FAIL")
            ok = False
            continue
        ref = np.asarray(got[key], dtype=np.float64)
        w = np.asarray(want[key], dtype=np.float64)
        if ref.shape != w.shape:
            print(f"{name}: output.{key}: shape {ref.shape} vs keras {w.shape}  FAIL")
            ok = False
            continue
        err = float(np.max(np.abs(ref - w))) if ref.size else 0.0
        bound = 1e-4 * max(1.0, float(np.max(np.abs(ref))) if ref.size else 0.0)
        good = err <= bound
        ok &= good
        print(f"{name}: output.{key}: max_abs_err {err:.3e} (bound {bound:.1e})  {'PASS' if good else 'FAIL'}")
    for key in sorted(set(got) - set(want)):
        print(f"{name}: output.{key}: not in keras file (reference only)")
    return ok


def main(argv):
    files = argv[1:]
    if not files:
        files = sorted(glob.glob("/work/shared/fixtures/keras/*.safetensors"))
        if not files:
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            files = sorted(glob.glob(os.path.join(root, "testdata/keras/*.safetensors")))
    ok = True
    for f in files:
        ok &= check_file(f)
    print("ALL PASS" if ok else "SOME FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
