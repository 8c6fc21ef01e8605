#!/usr/bin/python3
"""Times Pillow on what preprocess's benchmarks time, for a side-by-side comparison.

    /usr/bin/python3 tools/bench_preprocess.py [--jpeg FILE] [--runs N]

On a 1920x1080 4:2:0 JPEG of quality 90 (the photo-like image of preprocess/bench_test.go,
made with the same formula and written by Pillow; or --jpeg FILE, which is written there
first if it does not exist), it prints the best of N runs, in milliseconds, of

  decode   Image.open(f).convert("RGB") with the pixels loaded      (BenchmarkDecodeJPEG1080p)
  resize   img.resize((398, 224), BICUBIC)                           (BenchmarkResize1080pTo224)
  process  Hugging Face's CLIP steps after decoding: that resize, the center crop, the
           float64 rescale to float32 and the float32 normalisation  (BenchmarkProcess1080p)

Pillow's resize and decode run on one thread; NumPy's elementwise steps too. To time Go on
the very same bytes:

    /usr/bin/python3 tools/bench_preprocess.py --jpeg /tmp/bench1080p.jpg
    PREPROCESS_BENCH_JPEG=/tmp/bench1080p.jpg go test ./preprocess/ -run XXX -bench . -benchtime 20x
"""
import argparse
import io
import os
import time

import numpy as np
from PIL import Image

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def bench_photo(w, h):
    """benchPhoto of preprocess/bench_test.go: gradients, soft shapes, texture, LCG noise."""
    n = w * h
    # The Go LCG, seed 1, one step per pixel in row-major order.
    seeds = np.empty(n, dtype=np.uint64)
    s = 1
    a, c, m = 1664525, 1013904223, 1 << 32
    # Closed form of n LCG steps is slow to vectorise exactly; iterate in blocks.
    block = 1 << 16
    mult = np.empty(block, dtype=np.uint64)
    add = np.empty(block, dtype=np.uint64)
    ma, aa = 1, 0
    for i in range(block):
        ma, aa = (ma * a) % m, (aa * a + c) % m
        mult[i], add[i] = ma, aa
    for start in range(0, n, block):
        k = min(block, n - start)
        seeds[start:start + k] = (mult[:k] * s + add[:k]) % m
        s = int(seeds[start + k - 1])
    noise = ((seeds >> np.uint64(24)).astype(np.int64) % 17 - 8).reshape(h, w).astype(np.float64)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    fx, fy = x / w, y / h
    r = 90 + 100 * fx + 40 * np.sin(x / 37 + y / 53) + noise
    g = 70 + 120 * fy + 35 * np.cos(x * y / 90000) + noise
    b = 160 - 80 * fx * fy + 25 * np.sin(x / 7) * np.sin(y / 11) + noise
    disc = (fx - 0.6) ** 2 + (fy - 0.45) ** 2 < 0.04
    r, g, b = np.where(disc, r + 60, r), np.where(disc, g - 30, g), np.where(disc, b - 40, b)
    img = np.stack([r, g, b], -1)
    return Image.fromarray(np.clip(np.round(img), 0, 255).astype(np.uint8), "RGB")


def best(fn, runs):
    fn()  # warm up
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jpeg", help="the JPEG to time (written first if missing)")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")

    if args.jpeg and os.path.exists(args.jpeg):
        with open(args.jpeg, "rb") as f:
            data = f.read()
    else:
        buf = io.BytesIO()
        bench_photo(1920, 1080).save(buf, "JPEG", quality=90, subsampling=2)
        data = buf.getvalue()
        if args.jpeg:
            with open(args.jpeg, "wb") as f:
                f.write(data)

    def decode():
        with Image.open(io.BytesIO(data)) as im:
            return im.convert("RGB")

    img = decode()
    w, h = img.size

    def resize():
        return img.resize((398, 224), Image.BICUBIC)

    def process():
        a = np.asarray(img.resize((398, 224), Image.BICUBIC))
        top, left = (a.shape[0] - 224) // 2, (a.shape[1] - 224) // 2
        a = a[top:top + 224, left:left + 224]
        x = (a.astype(np.float64) * (1 / 255)).astype(np.float32)
        x = (x - CLIP_MEAN) / CLIP_STD
        return np.ascontiguousarray(x.transpose(2, 0, 1))

    print(f"Pillow {Image.__version__}, NumPy {np.__version__}; {w}x{h} JPEG of {len(data)} bytes; best of {args.runs}")
    print(f"decode_ms:  {best(decode, args.runs):.2f}")
    print(f"resize_ms:  {best(resize, args.runs):.2f}")
    print(f"process_ms: {best(process, args.runs):.2f}")


if __name__ == "__main__":
    main()
