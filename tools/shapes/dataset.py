#!/usr/bin/python3
"""Synthetic "shapes" scenes for vlmrt's small demo model (issue 16).

Every image holds 1-3 coloured shapes (circle, square, triangle; six colours; small or large) on
a muted background (plain, gradient, or either with light noise). Each image comes with:

- a caption, a deterministic function of the scene:
    1 shape:  "a large red circle at the top left"   (3x3 grid position of its centre)
    2 shapes: "a small red circle left of a large blue square"   (horizontal separation
              dominates: the left one first) or "... above ..." (vertical: the top one first)
    3 shapes: "a small red circle , a large blue square and a small green triangle" (left to right)
- questions with one-word answers (colour, shape, size, count, yes/no existence and relations),
- a referring phrase "the red circle" (a (colour, shape) pair is unique in an image) and its box,
- a matching text (the caption).

Scenes are sampled so that every statement is unambiguous: shapes do not overlap, a single
shape's centre is at least 3 px from the grid lines, two shapes are separated by at least 10 px
along an axis that dominates the other by 1.5x, three shapes are at least 6 px apart
left to right, and relation questions are only asked along an axis with at least 8 px between
the centres.

Geometry is in units of the 64x64 model input. Images are drawn at 256x256 (4x supersampling),
area-averaged to the 128x128 "original" image, and the model input is Pillow's BICUBIC resize of
that to 64x64 (what vlmrt's preprocessing does with the 128x128 PNG: CLIPImageProcessor with
size 64x64, resample 3). Every image is a pure function of (split seed, index).

Command line:
  /usr/bin/python3 tools/shapes/dataset.py write   # tokenizer.json, demo images, test split
  /usr/bin/python3 tools/shapes/dataset.py show N  # print the texts of N validation scenes
"""

import json
import math
import os
import re
import sys

import numpy as np
from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_DIR = os.path.join(ROOT, "models", "shapes")
TEST_DIR = os.path.join(ROOT, "testdata", "shapes", "test")

IMAGE = 64          # model input
ORIG = 128          # the "original" image (demo PNGs)
DRAW = 256          # supersampled canvas

COLORS = {
    "red": (220, 45, 45),
    "green": (45, 170, 65),
    "blue": (45, 90, 225),
    "yellow": (235, 205, 35),
    "purple": (150, 70, 205),
    "orange": (245, 135, 25),
}
COLOR_NAMES = list(COLORS)
SHAPES = ["circle", "square", "triangle"]
SIZES = {"small": (10.0, 13.0), "large": (18.0, 23.0)}
SIZE_NAMES = list(SIZES)
NUMBERS = ["zero", "one", "two", "three"]
ROWS = ["top", "middle", "bottom"]
COLS = ["left", "center", "right"]
POSITION = {
    ("top", "left"): "at the top left", ("top", "center"): "at the top",
    ("top", "right"): "at the top right", ("middle", "left"): "at the left",
    ("middle", "center"): "in the center", ("middle", "right"): "at the right",
    ("bottom", "left"): "at the bottom left", ("bottom", "center"): "at the bottom",
    ("bottom", "right"): "at the bottom right",
}

# VQA answers (the head's classes, in this order: metadata "labels")
ANSWERS = COLOR_NAMES + SHAPES + SIZE_NAMES + NUMBERS + ["yes", "no"]
QTYPES = ["count", "color_count", "color", "shape", "size", "exist", "exist_shape", "relation"]

SPECIALS = ["[PAD]", "[BOS]", "[EOS]", "[UNK]"]
PAD, BOS, EOS, UNK = 0, 1, 2, 3
WORDS = (["a", "the", "small", "large"] + COLOR_NAMES + SHAPES
         + ["left", "right", "of", "above", "below", ",", "and", "at", "in", "top", "bottom", "center",
            "what", "color", "is", "shape", "object", "size", "how", "many", "shapes", "are", "there",
            "?", "zero", "one", "two", "three", "yes", "no"])
VOCAB = {w: i for i, w in enumerate(SPECIALS + WORDS)}
CONTEXT = 16        # text tower context (ids padded with 0)
MAX_CAPTION = 16    # caption tokens incl. EOS (3 shapes: 14 words + EOS = 15)

SPLIT_SEEDS = {"train": 1000, "val": 2000, "test": 3000}

# ---------------------------------------------------------------------------------------------
# tokenizer


def tokenizer_json():
    """A Hugging Face tokenizer.json: WordLevel over VOCAB, Lowercase, Whitespace pre-tokenizer,
    [BOS] $A [EOS] template, no decoder (tokens joined with spaces)."""
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, t in enumerate(SPECIALS)]
    tmpl = lambda seqs: ([{"SpecialToken": {"id": "[BOS]", "type_id": 0}}] + seqs
                         + [{"SpecialToken": {"id": "[EOS]", "type_id": 0}}])
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": tmpl([{"Sequence": {"id": "A", "type_id": 0}}]),
            "pair": tmpl([{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}]),
            "special_tokens": {
                "[BOS]": {"id": "[BOS]", "ids": [BOS], "tokens": ["[BOS]"]},
                "[EOS]": {"id": "[EOS]", "ids": [EOS], "tokens": ["[EOS]"]},
            },
        },
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": VOCAB, "unk_token": "[UNK]"},
    }


_WORD_RE = re.compile(r"\w+|[^\w\s]+")


def encode(text, specials=True):
    """What the tokenizer.json gives: lowercase, split \\w+|[^\\w\\s]+, WordLevel, [BOS] .. [EOS]."""
    ids = [VOCAB.get(w, UNK) for w in _WORD_RE.findall(text.lower())]
    return [BOS] + ids + [EOS] if specials else ids


def decode(ids):
    return " ".join((SPECIALS + WORDS)[i] for i in ids if i >= len(SPECIALS))


def pad_ids(ids, n=CONTEXT):
    if len(ids) > n:
        raise ValueError(f"{len(ids)} ids > context {n}")
    return ids + [PAD] * (n - len(ids))


# ---------------------------------------------------------------------------------------------
# scenes


class Obj:
    def __init__(self, color, shape, size, s, cx, cy):
        self.color, self.shape, self.size, self.s, self.cx, self.cy = color, shape, size, s, cx, cy

    @property
    def box(self):  # [x0, y0, x1, y1] in 64-px units
        h = self.s / 2
        return [self.cx - h, self.cy - h, self.cx + h, self.cy + h]

    def name(self):
        return f"{self.color} {self.shape}"

    def desc(self):
        return f"a {self.size} {self.color} {self.shape}"

    def to_json(self):
        return {"color": self.color, "shape": self.shape, "size": self.size, "extent": round(self.s, 3),
                "center": [round(self.cx, 3), round(self.cy, 3)]}


def _grid(v):
    return min(2, int(v * 3 // IMAGE))


def _near_grid_line(v, margin=3.0):
    return any(abs(v - g) < margin for g in (IMAGE / 3, 2 * IMAGE / 3))


def _valid(objs):
    for i, a in enumerate(objs):
        ba = a.box
        if ba[0] < 1 or ba[1] < 1 or ba[2] > IMAGE - 1 or ba[3] > IMAGE - 1:
            return False
        for b in objs[:i]:
            bb = b.box
            gap = 2.0
            if not (ba[2] + gap <= bb[0] or bb[2] + gap <= ba[0] or ba[3] + gap <= bb[1] or bb[3] + gap <= ba[1]):
                return False
    n = len(objs)
    if n == 1:
        return not (_near_grid_line(objs[0].cx) or _near_grid_line(objs[0].cy))
    if n == 2:
        dx, dy = abs(objs[0].cx - objs[1].cx), abs(objs[0].cy - objs[1].cy)
        return max(dx, dy) >= 10 and max(dx, dy) >= 1.5 * min(dx, dy)
    xs = sorted(o.cx for o in objs)
    return xs[1] - xs[0] >= 6 and xs[2] - xs[1] >= 6


def sample_scene(rng):
    n = int(rng.choice([1, 2, 3], p=[0.2, 0.4, 0.4]))
    while True:
        kinds = set()
        objs = []
        while len(objs) < n:
            c, s = COLOR_NAMES[rng.integers(6)], SHAPES[rng.integers(3)]
            if (c, s) in kinds:
                continue
            kinds.add((c, s))
            size = SIZE_NAMES[rng.integers(2)]
            lo, hi = SIZES[size]
            objs.append(Obj(c, s, size, float(rng.uniform(lo, hi)), 0.0, 0.0))
        for _ in range(100):
            for o in objs:
                h = o.s / 2 + 1
                o.cx, o.cy = float(rng.uniform(h, IMAGE - h)), float(rng.uniform(h, IMAGE - h))
            if _valid(objs):
                return objs


def caption(objs):
    if len(objs) == 1:
        o = objs[0]
        return f"{o.desc()} {POSITION[(ROWS[_grid(o.cy)], COLS[_grid(o.cx)])]}"
    if len(objs) == 2:
        a, b = objs
        if abs(a.cx - b.cx) >= abs(a.cy - b.cy):
            l, r = (a, b) if a.cx < b.cx else (b, a)
            return f"{l.desc()} left of {r.desc()}"
        t, u = (a, b) if a.cy < b.cy else (b, a)
        return f"{t.desc()} above {u.desc()}"
    o = sorted(objs, key=lambda o: o.cx)
    return f"{o[0].desc()} , {o[1].desc()} and {o[2].desc()}"


def questions(objs):
    """Every question about the scene: {type: [(question, answer), ...]} (types with none absent)."""
    q = {t: [] for t in QTYPES}
    n = len(objs)
    q["count"].append(("how many shapes are there ?", NUMBERS[n]))
    for c in COLOR_NAMES:
        q["color_count"].append((f"how many {c} shapes are there ?", NUMBERS[sum(o.color == c for o in objs)]))
    for s in SHAPES:
        m = [o for o in objs if o.shape == s]
        if len(m) == 1:
            q["color"].append((f"what color is the {s} ?", m[0].color))
        q["exist_shape"].append((f"is there a {s} ?", "yes" if m else "no"))
    for c in COLOR_NAMES:
        m = [o for o in objs if o.color == c]
        if len(m) == 1:
            q["shape"].append((f"what shape is the {c} object ?", m[0].shape))
    for o in objs:
        q["size"].append((f"what size is the {o.name()} ?", o.size))
    present = {(o.color, o.shape) for o in objs}
    for c in COLOR_NAMES:
        for s in SHAPES:
            q["exist"].append((f"is there a {c} {s} ?", "yes" if (c, s) in present else "no"))
    for a in objs:
        for b in objs:
            if a is b:
                continue
            if abs(a.cx - b.cx) >= 8:
                q["relation"].append((f"is the {a.name()} left of the {b.name()} ?", "yes" if a.cx < b.cx else "no"))
                q["relation"].append((f"is the {a.name()} right of the {b.name()} ?", "yes" if a.cx > b.cx else "no"))
            if abs(a.cy - b.cy) >= 8:
                q["relation"].append((f"is the {a.name()} above the {b.name()} ?", "yes" if a.cy < b.cy else "no"))
                q["relation"].append((f"is the {a.name()} below the {b.name()} ?", "yes" if a.cy > b.cy else "no"))
    return {t: v for t, v in q.items() if v}


def pick_question(qs, rng):
    """One question: a type uniformly among the scene's types; yes and no equally likely where
    the type has both; then uniformly."""
    types = list(qs)
    t = types[rng.integers(len(types))]
    cands = qs[t]
    answers = sorted({a for _, a in cands})
    if "yes" in answers and "no" in answers:
        a = answers[rng.integers(len(answers))]
        cands = [c for c in cands if c[1] == a]
    return t, cands[rng.integers(len(cands))]


def phrase(o):
    return f"the {o.name()}"


# ---------------------------------------------------------------------------------------------
# rendering


def _muted(rng):
    """A background colour: low saturation, any lightness."""
    v = rng.uniform(0.15, 0.95)
    s = rng.uniform(0.0, 0.25)
    h = rng.uniform(0, 1)
    import colorsys
    return np.array(colorsys.hsv_to_rgb(h, s, v)) * 255.0


def background(rng, n=ORIG):
    kind = rng.integers(3)  # 0 plain, 1 gradient, 2 two-colour radial-ish gradient
    c0 = _muted(rng)
    if kind == 0:
        img = np.broadcast_to(c0, (n, n, 3)).astype(np.float64)
    else:
        c1 = _muted(rng)
        yy, xx = np.mgrid[0:n, 0:n] / (n - 1)
        if kind == 1:
            ang = rng.uniform(0, 2 * math.pi)
            t = (xx - 0.5) * math.cos(ang) + (yy - 0.5) * math.sin(ang)
            t = (t - t.min()) / (t.max() - t.min())
        else:
            px, py = rng.uniform(0, 1, 2)
            t = np.sqrt((xx - px) ** 2 + (yy - py) ** 2)
            t = t / t.max()
        img = c0[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]
    if rng.uniform() < 0.4:  # light noise
        img = img + rng.normal(0, rng.uniform(3, 8), img.shape)
    return img


def _mask(o):
    """Anti-aliased coverage of the shape at ORIG resolution (drawn at DRAW), over the crop
    [r0, r1) x [c0, c1) of the ORIG image that holds it: (mask, r0, c0)."""
    k = DRAW / IMAGE
    q = DRAW // ORIG
    x0, y0, x1, y1 = [v * k for v in o.box]
    c0, r0 = max(0, int(x0) // q - 1), max(0, int(y0) // q - 1)
    c1, r1 = min(ORIG, int(x1) // q + 2), min(ORIG, int(y1) // q + 2)
    m = Image.new("L", ((c1 - c0) * q, (r1 - r0) * q), 0)
    d = ImageDraw.Draw(m)
    ox, oy = c0 * q, r0 * q
    x0, x1, y0, y1 = x0 - ox, x1 - ox, y0 - oy, y1 - oy
    if o.shape == "circle":
        d.ellipse([x0, y0, x1, y1], fill=255)
    elif o.shape == "square":
        d.rectangle([x0, y0, x1, y1], fill=255)
    else:
        d.polygon([((x0 + x1) / 2, y0), (x1, y1), (x0, y1)], fill=255)
    m = m.resize((c1 - c0, r1 - r0), Image.BOX)
    return np.asarray(m, dtype=np.float64) / 255.0, r0, c0


def render(objs, rng):
    """The ORIG x ORIG uint8 RGB image of a scene."""
    img = np.array(background(rng))
    for o in objs:
        col = np.array(COLORS[o.color], dtype=np.float64) + rng.uniform(-12, 12, 3)
        a, r0, c0 = _mask(o)
        a = a[..., None]
        sub = img[r0:r0 + a.shape[0], c0:c0 + a.shape[1]]
        sub[...] = sub * (1 - a) + col[None, None] * a
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def to_input(orig):
    """The 64x64 model input of an ORIG image: Pillow BICUBIC (what vlmrt's preprocessing does)."""
    return np.asarray(Image.fromarray(orig).resize((IMAGE, IMAGE), Image.BICUBIC))


def scene(split, idx):
    """(objects, ORIG image, rng for the texts) of scene idx of a split."""
    rng = np.random.default_rng([SPLIT_SEEDS[split], idx])
    objs = sample_scene(rng)
    img = render(objs, rng)
    return objs, img, rng


# ---------------------------------------------------------------------------------------------
# splits as arrays (what train.py and evaluate.py read)


def make_split(split, n, unique_captions=False, progress=False):
    """Returns a dict of arrays: images [n,64,64,3] uint8, caption ids, every question per image
    (flattened with offsets), phrases and boxes of every object (one chosen for evaluation)."""
    images = np.zeros((n, IMAGE, IMAGE, 3), np.uint8)
    cap_ids = np.zeros((n, CONTEXT), np.int64)
    recs = []
    q_ids, q_ans, q_type, q_img = [], [], [], []
    obj_ids, obj_box, obj_img = [], [], []
    seen = set()
    i = idx = 0
    while i < n:
        objs, orig, rng = scene(split, idx)
        idx += 1
        cap = caption(objs)
        if unique_captions and cap in seen:
            continue
        seen.add(cap)
        images[i] = to_input(orig)
        cap_ids[i] = pad_ids(encode(cap))
        qs = questions(objs)
        for t, lst in qs.items():
            for qq, a in lst:
                q_ids.append(pad_ids(encode(qq)))
                q_ans.append(ANSWERS.index(a))
                q_type.append(QTYPES.index(t))
                q_img.append(i)
        for o in objs:
            obj_ids.append(pad_ids(encode(phrase(o))))
            obj_box.append(o.box)
            obj_img.append(i)
        # the evaluation's fixed picks: a phrase and up to 5 questions of distinct types
        target = objs[rng.integers(len(objs))]
        types = list(qs)
        rng.shuffle(types)
        picked = []
        for t in types[:5]:
            _, (qq, a) = pick_question({t: qs[t]}, rng)
            picked.append({"type": t, "question": qq, "answer": a})
        recs.append({"index": idx - 1, "caption": cap, "objects": [o.to_json() for o in objs],
                     "phrase": phrase(target), "box": target.box, "questions": picked, "orig": orig})
        i += 1
        if progress and i % 5000 == 0:
            print(f"  {split}: {i}/{n}", flush=True)
    return {
        "images": images, "cap_ids": cap_ids,
        "q_ids": np.array(q_ids, np.int64), "q_ans": np.array(q_ans, np.int64),
        "q_type": np.array(q_type, np.int64), "q_img": np.array(q_img, np.int64),
        "obj_ids": np.array(obj_ids, np.int64), "obj_box": np.array(obj_box, np.float32),
        "obj_img": np.array(obj_img, np.int64), "records": recs,
    }


def load_split(split, n, cache_dir="/tmp/vlmrt_shapes_cache", **kw):
    """make_split, cached as .npz (records as JSON) under cache_dir."""
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, f"{split}_{n}_{int(kw.get('unique_captions', False))}_v1.npz")
    if os.path.exists(path):
        z = np.load(path, allow_pickle=False)
        d = {k: z[k] for k in z.files if k not in ("records", "origs")}
        recs = json.loads(str(z["records"]))
        for r, o in zip(recs, z["origs"]):
            r["orig"] = o
        d["records"] = recs
        return d
    d = make_split(split, n, progress=True, **kw)
    recs = [{k: v for k, v in r.items() if k != "orig"} for r in d["records"]]
    origs = np.stack([r["orig"] for r in d["records"]]) if n <= 2000 else np.zeros((0,), np.uint8)
    arrays = {k: v for k, v in d.items() if k != "records"}
    np.savez(path, records=json.dumps(recs), origs=origs, **arrays)
    if n > 2000:
        for r in d["records"]:
            del r["orig"]
    return d


# ---------------------------------------------------------------------------------------------
# files


TEST_N = 250
DEMO = 8


def write_files():
    os.makedirs(MODEL_DIR, exist_ok=True)
    with open(os.path.join(MODEL_DIR, "tokenizer.json"), "w") as f:
        json.dump(tokenizer_json(), f, indent=1)
        f.write("\n")
    d = make_split("test", TEST_N, unique_captions=True)
    img_dir = os.path.join(TEST_DIR, "images")
    os.makedirs(img_dir, exist_ok=True)
    demo_dir = os.path.join(MODEL_DIR, "images")
    os.makedirs(demo_dir, exist_ok=True)
    lines = []
    for i, r in enumerate(d["records"]):
        name = f"{i:03d}.png"
        Image.fromarray(d["images"][i]).save(os.path.join(img_dir, name), optimize=True)
        lines.append(json.dumps({
            "file": "images/" + name,
            "caption": r["caption"],
            "questions": [{"question": q["question"], "answer": q["answer"], "type": q["type"]} for q in r["questions"]],
            "phrase": r["phrase"],
            "box": [round(v, 3) for v in r["box"]],
            "match": r["caption"],
            "objects": r["objects"],
            "scene_index": r["index"],
        }))
        if i < DEMO:
            Image.fromarray(r["orig"]).save(os.path.join(demo_dir, f"test_{i:03d}.png"), optimize=True)
    with open(os.path.join(TEST_DIR, "targets.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {MODEL_DIR}/tokenizer.json, {DEMO} demo images, {TEST_N} test images + targets.jsonl")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "write":
        write_files()
    elif len(sys.argv) >= 2 and sys.argv[1] == "show":
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
        for i in range(n):
            objs, _, rng = scene("val", i)
            print(caption(objs))
            for t, lst in questions(objs).items():
                print("   ", t, lst[:2])
    else:
        print(__doc__)


if __name__ == "__main__":
    main()
