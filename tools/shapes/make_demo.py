#!/usr/bin/python3
"""Writes models/shapes/demo.jsonl: what `vlmrt demo` shows each demo image against.

    /usr/bin/python3 tools/shapes/make_demo.py

models/shapes/images/test_NNN.png are the 128x128 renders of the first test scenes
(dataset.py write); testdata/shapes/test/targets.jsonl holds their targets at the model's
64x64. Each line here is that target with the file renamed and the box scaled to the
demo image's pixels.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODEL = os.path.join(ROOT, "models", "shapes")
TEST = os.path.join(ROOT, "testdata", "shapes", "test")


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24])


def main():
    recs = [json.loads(l) for l in open(os.path.join(TEST, "targets.jsonl")) if l.strip()]
    images = sorted(n for n in os.listdir(os.path.join(MODEL, "images")) if n.startswith("test_"))
    with open(os.path.join(MODEL, "demo.jsonl"), "w") as out:
        for name in images:
            i = int(name[len("test_"):-len(".png")])
            r = recs[i]
            assert r["file"] == f"images/{i:03d}.png", r["file"]
            w, h = png_size(os.path.join(MODEL, "images", name))
            sx, sy = w / 64, h / 64
            box = [round(r["box"][0] * sx, 3), round(r["box"][1] * sy, 3), round(r["box"][2] * sx, 3), round(r["box"][3] * sy, 3)]
            line = {"file": "images/" + name, "caption": r["caption"], "questions": r["questions"],
                    "phrase": r["phrase"], "box": box, "match": r["match"]}
            out.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
