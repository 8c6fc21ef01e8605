#!/usr/bin/python3
"""Writes preprocess/testdata: image files and what Pillow 9.4 and Hugging Face's image
processors (CLIPImageProcessor, SiglipImageProcessor) make of them.

    /usr/bin/python3 tools/make_preprocess_fixtures.py [--out DIR]

Needs Debian's python3-pil (9.4), python3-numpy and python3-skimage (for its public-domain
and CC0 sample photos); the Go tests read the files and never run Python. The directory holds

  manifest.json      every case below, with the sizes and settings the tests need
  src/               the inputs: JPEGs written by Pillow (subsamplings 4:4:4, 4:2:2, 4:2:0,
                     qualities 50-100, progressive, grayscale, CMYK, odd and tiny sizes), the
                     JPEGs of Go's image/testdata that Pillow cannot write (4:4:0, 4:1:1,
                     4:1:0, RGB, restart markers), and
                     PNGs of every colour type (gray 1/8/16-bit, gray+alpha 8/16, RGB 8/16,
                     RGBA 8/16, palette 4/8-bit with and without tRNS, RGB and gray with tRNS);
                     the 16-bit RGB, RGBA and gray+alpha PNGs are written by hand (Pillow cannot)
  decoded/NAME.png   Pillow's Image.open(src).convert("RGB"), stored losslessly as an RGB PNG
  resize/CASE.png    Pillow's Image.resize((w, h), filter) of a decoded image or of a synthetic
                     one (resize/synthetic_*.png), every filter, shrinking and enlarging
  process/CASE.png   the RGB8 crop (CLIP) or resized image (SigLIP) a processor config gives
  process/CASE.f32.gz  the float32 pixel_values [3, H, W] (little-endian, gzip) of NumPy's
                     copy of Hugging Face's steps: resize (Pillow), center crop with floor
                     offsets and zero padding, float64 rescale to float32, float32 normalise

Everything is seeded and written deterministically; rerunning gives the same files.
"""
import argparse
import gzip
import io
import json
import math
import os
import shutil
import struct
import subprocess
import warnings
import zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

PIL_FILTERS = {
    "nearest": Image.NEAREST,
    "bilinear": Image.BILINEAR,
    "bicubic": Image.BICUBIC,
    "lanczos": Image.LANCZOS,
    "box": Image.BOX,
    "hamming": Image.HAMMING,
}


def go_root():
    """The Go toolchain's GOROOT (its image/testdata holds JPEGs Pillow cannot write)."""
    return subprocess.run(["go", "env", "GOROOT"], check=True, capture_output=True, text=True).stdout.strip()


def photo(name):
    """A skimage sample photo as an RGB Pillow image."""
    return Image.open(os.path.join(SKIMAGE_DATA, name)).convert("RGB")


def fit(img, w, h):
    """img cropped to the aspect ratio w:h around its centre, then resized to w x h."""
    W, H = img.size
    if W * h > H * w:  # too wide
        cw = max(1, round(H * w / h))
        box = ((W - cw) // 2, 0, (W - cw) // 2 + cw, H)
    else:
        ch = max(1, round(W * h / w))
        box = (0, (H - ch) // 2, W, (H - ch) // 2 + ch)
    return img.crop(box).resize((w, h), Image.LANCZOS)


# ---------------------------------------------------------------- PNG written by hand


def png_bytes(w, h, color_type, depth, rows, chunks=()):
    """A non-interlaced PNG from raw scanlines (bytes each, filter type 0 added here)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0))
    for kind, data in chunks:
        out += chunk(kind, data)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def png16(a, color_type, chunks=()):
    """A 16-bit PNG of the uint16 array a [H, W, C]."""
    a = np.ascontiguousarray(a.astype(">u2"))
    h, w = a.shape[:2]
    return png_bytes(w, h, color_type, 16, [a[i].tobytes() for i in range(h)], chunks)


def smooth16(rgb8, rng):
    """A 16-bit version of an 8-bit image: v*257 plus noise in the low byte, so that the high
    byte is not always the 8-bit value (it tells truncation from rounding)."""
    v = rgb8.astype(np.int64) * 257 + rng.integers(-200, 200, rgb8.shape)
    return np.clip(v, 0, 65535).astype(np.uint16)


# ---------------------------------------------------------------- inputs


def make_sources(out, rng):
    """Writes src/ and returns [(name, file)]."""
    astro, coffee, chelsea, rocket = photo("astronaut.png"), photo("coffee.png"), photo("chelsea.png"), photo("rocket.jpg")
    files = []

    def jpeg(name, img, **kw):
        path = os.path.join(out, "src", name + ".jpg")
        img.save(path, "JPEG", **kw)
        files.append((name, name + ".jpg"))

    # JPEG: sizes (odd, portrait, landscape, tiny, 1-pixel), subsamplings, qualities.
    jpeg("astronaut_301x225_q95_444", fit(astro, 301, 225), quality=95, subsampling=0)
    jpeg("chelsea_225x301_q75_422", fit(chelsea, 225, 301), quality=75, subsampling=1)
    jpeg("coffee_257x171_q50_420", fit(coffee, 257, 171), quality=50, subsampling=2)
    jpeg("rocket_267x400_q85_420", fit(rocket, 267, 400), quality=85, subsampling=2)
    jpeg("rocket_320x213_q90_422", rocket.resize((320, 213), Image.LANCZOS), quality=90, subsampling=1)
    jpeg("chelsea_199x133_q85_420_progressive", fit(chelsea, 199, 133), quality=85, subsampling=2, progressive=True)
    jpeg("coffee_175x99_q60_422", fit(coffee, 175, 99), quality=60, subsampling=1)
    jpeg("astronaut_120x97_q100_420", fit(astro, 120, 97), quality=100, subsampling=2)
    jpeg("astronaut_50x37_q90_420", fit(astro, 50, 37), quality=90, subsampling=2)
    jpeg("coffee_33x17_q95_420", fit(coffee, 33, 17), quality=95, subsampling=2)
    jpeg("chelsea_1x97_q90_420", fit(chelsea, 1, 97), quality=90, subsampling=2)
    jpeg("chelsea_97x1_q90_422", fit(chelsea, 97, 1), quality=90, subsampling=1)
    jpeg("coffee_4x4_q90_420", fit(coffee, 4, 4), quality=90, subsampling=2)  # chroma 2 wide: box
    jpeg("coffee_5x3_q90_422", fit(coffee, 5, 3), quality=90, subsampling=1)  # chroma 3 wide: fancy
    jpeg("coffee_3x5_q90_420", fit(coffee, 3, 5), quality=90, subsampling=2)
    jpeg("chelsea_150x100_q80_gray", fit(chelsea, 150, 100).convert("L"), quality=80)
    cmyk = np.asarray(fit(astro, 120, 90)).astype(np.int64)
    k = np.clip(255 - cmyk.max(axis=2) + rng.integers(0, 40, cmyk.shape[:2]), 0, 255)
    cmy = np.clip(255 - cmyk - k[..., None] // 2, 0, 255)
    cmyk_img = Image.fromarray(np.dstack([cmy, k]).astype(np.uint8), "CMYK")
    jpeg("astronaut_120x90_q90_cmyk", cmyk_img, quality=90)

    # JPEGs of the Go standard library's tests (BSD licence, 150x103 video frames): the
    # subsamplings Pillow cannot write (4:4:0, 4:1:1, 4:1:0, mixed 2x2/1x2/1x2), an RGB
    # JPEG (Adobe transform 0), restart markers, a separate DC progression, a 2x2-sampled
    # grayscale image and Go's CMYK file.
    go_testdata = os.path.join(go_root(), "src", "image", "testdata")
    for name in ("221212", "cmyk", "q50.410", "q50.411.progressive", "q50.440", "q50.440.progressive",
                 "rgb", "restart2", "separate.dc.progression"):
        src = "video-001." + name + ".jpeg"
        dst = "go_video001_" + name.replace(".", "_")
        shutil.copyfile(os.path.join(go_testdata, src), os.path.join(out, "src", dst + ".jpg"))
        files.append((dst, dst + ".jpg"))
    shutil.copyfile(os.path.join(go_testdata, "video-005.gray.q50.2x2.jpeg"),
                    os.path.join(out, "src", "go_video005_gray_q50_2x2.jpg"))
    files.append(("go_video005_gray_q50_2x2", "go_video005_gray_q50_2x2.jpg"))

    # PNG: every colour type, 8 and 16 bits, with and without transparency.
    base = fit(coffee, 64, 48)
    b8 = np.asarray(base)
    alpha = rng.integers(0, 256, b8.shape[:2]).astype(np.uint8)
    alpha[::7, ::5] = 0  # fully transparent pixels keep their colour in Pillow
    gray = np.asarray(base.convert("L"))

    def png(name, img, **kw):
        path = os.path.join(out, "src", name + ".png")
        img.save(path, "PNG", **kw)
        files.append((name, name + ".png"))

    def png_raw(name, data):
        with open(os.path.join(out, "src", name + ".png"), "wb") as f:
            f.write(data)
        files.append((name, name + ".png"))

    png("png_gray8", Image.fromarray(gray, "L"))
    png("png_gray1", Image.fromarray(gray, "L").convert("1"))
    png("png_gray8_trns", Image.fromarray(gray, "L"), transparency=int(gray[3, 3]))
    png("png_gray_alpha8", Image.fromarray(np.dstack([gray, alpha]), "LA"))
    png("png_rgb8", base)
    png("png_rgb8_trns", base, transparency=tuple(int(v) for v in b8[5, 5]))
    png("png_rgba8", Image.fromarray(np.dstack([b8, alpha]), "RGBA"))
    pal = base.quantize(colors=200, method=Image.Quantize.MEDIANCUT)
    png("png_palette8", pal)
    trns = bytes(rng.integers(0, 256, 200).astype(np.uint8))
    png("png_palette8_trns", pal, transparency=trns)
    png("png_palette4", base.quantize(colors=16, method=Image.Quantize.MEDIANCUT), bits=4)
    g16 = smooth16(gray, rng)
    g16[:8] //= 200  # some values below 256: Pillow's "I" to RGB keeps those, clips the rest
    png("png_gray16", Image.fromarray(g16.astype(np.int32), "I"))
    png_raw("png_gray_alpha16", png16(np.dstack([g16, smooth16(alpha, rng)]), 4))
    png_raw("png_rgb16", png16(smooth16(b8, rng), 2))
    png_raw("png_rgba16", png16(np.dstack([smooth16(b8, rng), smooth16(alpha, rng)]), 6))
    return files


def decoded(path):
    """Pillow's Image.open(path).convert("RGB") as a uint8 array [H, W, 3]."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def save_rgb(path, a):
    Image.fromarray(np.ascontiguousarray(a, dtype=np.uint8), "RGB").save(path, "PNG", optimize=True)


# ---------------------------------------------------------------- Hugging Face's steps


def hf_output_size(w, h, size):
    """get_resize_output_image_size: (height, width) for a size dict."""
    if "shortest_edge" in size:
        s = size["shortest_edge"]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = s, int(s * long / short)
        return (new_long, new_short) if w <= h else (new_short, new_long)
    return size["height"], size["width"]


def hf_center_crop(a, ch, cw):
    """image_transforms.center_crop on an [H, W, C] array, zero padding included."""
    H, W = a.shape[:2]
    top, left = (H - ch) // 2, (W - cw) // 2
    bottom, right = top + ch, left + cw
    if top >= 0 and bottom <= H and left >= 0 and right <= W:
        return a[top:bottom, left:right], top, left
    nh, nw = max(ch, H), max(cw, W)
    new = np.zeros((nh, nw) + a.shape[2:], dtype=a.dtype)
    top_pad = math.ceil((nh - H) / 2)
    left_pad = math.ceil((nw - W) / 2)
    new[top_pad:top_pad + H, left_pad:left_pad + W] = a
    top += top_pad
    bottom += top_pad
    left += left_pad
    right += left_pad
    return new[max(0, top):min(nh, bottom), max(0, left):min(nw, right)], top - top_pad, left - left_pad


def hf_process(rgb, cfg):
    """CLIPImageProcessor / SiglipImageProcessor.preprocess on Pillow's RGB array.

    Returns (uint8 image before rescale [H, W, 3], float32 pixel_values [3, H, W], geometry)."""
    h0, w0 = rgb.shape[:2]
    a = rgb
    geom = {"resized": [w0, h0], "crop": [0, 0]}
    if cfg.get("do_resize", True):
        oh, ow = hf_output_size(w0, h0, cfg["size"])
        a = np.asarray(Image.fromarray(a, "RGB").resize((ow, oh), resample=cfg.get("resample", 3)))
        geom["resized"] = [ow, oh]
    if cfg.get("do_center_crop", False):
        c = cfg["crop_size"]
        a, top, left = hf_center_crop(a, c["height"], c["width"])
        geom["crop"] = [left, top]
    img8 = a
    x = a
    if cfg.get("do_rescale", True):
        x = (x.astype(np.float64) * cfg.get("rescale_factor", 1 / 255)).astype(np.float32)
    if cfg.get("do_normalize", True):
        x = x.astype(np.float32)
        mean = np.array(cfg["image_mean"], dtype=x.dtype)
        std = np.array(cfg["image_std"], dtype=x.dtype)
        x = (x - mean) / std
    return img8, np.ascontiguousarray(x.astype(np.float32).transpose(2, 0, 1)), geom


def clip_config(size, crop=None, **kw):
    crop = size if crop is None else crop
    cfg = {
        "image_processor_type": "CLIPImageProcessor",
        "do_resize": True, "size": {"shortest_edge": size}, "resample": 3,
        "do_center_crop": True, "crop_size": {"height": crop, "width": crop},
        "do_rescale": True, "rescale_factor": 1 / 255,
        "do_normalize": True, "image_mean": CLIP_MEAN, "image_std": CLIP_STD,
        "do_convert_rgb": True,
    }
    cfg.update(kw)
    return cfg


def siglip_config(size, **kw):
    cfg = {
        "image_processor_type": "SiglipImageProcessor",
        "do_resize": True, "size": {"height": size, "width": size}, "resample": 3,
        "do_rescale": True, "rescale_factor": 1 / 255,
        "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
        "do_convert_rgb": True,
    }
    cfg.update(kw)
    return cfg


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "preprocess", "testdata"))
    args = ap.parse_args()
    # Pillow warns when a palette image with a tRNS chunk is converted to RGB; that
    # conversion (alpha ignored) is the one Hugging Face's processors make.
    warnings.filterwarnings("ignore", message="Palette images with Transparency")
    out = args.out
    for d in ("src", "decoded", "resize", "process"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    rng = np.random.default_rng(20240611)
    manifest = {"pillow": Image.__version__, "decode": [], "resize": [], "process": []}

    # Decoding.
    rgb = {}
    for name, file in make_sources(out, rng):
        a = decoded(os.path.join(out, "src", file))
        rgb[name] = a
        save_rgb(os.path.join(out, "decoded", name + ".png"), a)
        with Image.open(os.path.join(out, "src", file)) as im:
            mode = im.mode
        manifest["decode"].append({"name": name, "file": "src/" + file, "pillow_mode": mode,
                                   "width": int(a.shape[1]), "height": int(a.shape[0])})

    # Resizing: synthetic images (smooth, with noise and hard edges) and decoded photos.
    def synthetic(w, h):
        y, x = np.mgrid[0:h, 0:w].astype(np.float64)
        img = np.stack([
            128 + 110 * np.sin(x / 3.1 + y / 7.3),
            255 * (((x // 3) + (y // 2)) % 2),
            128 + 127 * np.cos(x * y / 11.0),
        ], -1) + rng.normal(0, 20, (h, w, 3))
        return np.clip(np.rint(img), 0, 255).astype(np.uint8)

    sources = {}
    for w, h in [(37, 23), (1, 23), (37, 1), (1, 1), (200, 3), (5, 300)]:
        name = f"synthetic_{w}x{h}"
        sources[name] = ("resize/" + name + ".png", synthetic(w, h))
        save_rgb(os.path.join(out, "resize", name + ".png"), sources[name][1])
    for name in ("astronaut_301x225_q95_444", "png_rgb8"):
        sources[name] = ("decoded/" + name + ".png", rgb[name])
    targets = {
        "synthetic_37x23": [(5, 3), (36, 23), (37, 22), (100, 61), (74, 46), (13, 40), (1, 1), (37, 23), (250, 2)],
        "synthetic_1x23": [(7, 50), (1, 5), (3, 23)],
        "synthetic_37x1": [(3, 1), (80, 4), (37, 9)],
        "synthetic_1x1": [(9, 9), (1, 4)],
        "synthetic_200x3": [(13, 40), (7, 1), (199, 3)],
        "synthetic_5x300": [(224, 224), (2, 17)],
        "astronaut_301x225_q95_444": [(224, 167), (64, 64)],
        "png_rgb8": [(224, 168), (31, 47)],
    }
    for src, sizes in targets.items():
        path, a = sources[src]
        for fname, code in PIL_FILTERS.items():
            for w, h in sizes:
                if fname not in ("bicubic", "bilinear") and w * h > 12000:
                    continue  # the other filters on the small cases only
                if fname == "bilinear" and w * h > 60000:
                    continue
                case = f"{src}_to_{w}x{h}_{fname}"
                r = np.asarray(Image.fromarray(a, "RGB").resize((w, h), resample=code))
                save_rgb(os.path.join(out, "resize", case + ".png"), r)
                manifest["resize"].append({"name": case, "source": path, "filter": fname,
                                           "resample": int(code), "width": w, "height": h})

    # Processor configs on decoded images: CLIP 224 on shrinking, enlarging, odd and 1-pixel
    # inputs; SigLIP 224; bilinear; a crop larger than the image (zero padding); a config
    # with no rescale and one with no normalisation.
    process_cases = [
        ("clip224_rocket_267x400", "rocket_267x400_q85_420", clip_config(224), True),
        ("clip224_coffee_257x171", "coffee_257x171_q50_420", clip_config(224), False),
        ("clip224_astronaut_50x37", "astronaut_50x37_q90_420", clip_config(224), False),
        ("clip224_chelsea_1x97", "chelsea_1x97_q90_420", clip_config(224), False),
        ("clip224_chelsea_97x1", "chelsea_97x1_q90_422", clip_config(224), False),
        ("siglip224_chelsea_225x301", "chelsea_225x301_q75_422", siglip_config(224), False),
        ("clip48_bilinear_astronaut_301x225", "astronaut_301x225_q95_444",
         clip_config(48, resample=2), True),
        ("clip40_crop56_padded_coffee_175x99", "coffee_175x99_q60_422", clip_config(40, crop=56), True),
        ("clip32_crop_hw_coffee_33x17", "coffee_33x17_q95_420",
         clip_config(32, crop_size={"height": 20, "width": 30}), True),
        ("siglip64_nearest_png_palette8", "png_palette8", siglip_config(64, resample=0), True),
        ("clip64_lanczos_norescale_png_rgba8", "png_rgba8",
         clip_config(64, resample=1, do_rescale=False, image_mean=[120.0, 110.0, 100.0],
                     image_std=[60.0, 61.0, 62.0]), True),
        ("clip30_nonormalize_png_gray16", "png_gray16", clip_config(30, do_normalize=False), True),
        ("noresize_nocrop_png_rgb16", "png_rgb16",
         clip_config(224, do_resize=False, do_center_crop=False), True),
    ]
    for case, src, cfg, store_values in process_cases:
        img8, values, geom = hf_process(rgb[src], cfg)
        save_rgb(os.path.join(out, "process", case + ".png"), img8)
        entry = {"name": case, "source": "decoded/" + src + ".png", "config": cfg,
                 "width": int(img8.shape[1]), "height": int(img8.shape[0]),
                 "source_width": int(rgb[src].shape[1]), "source_height": int(rgb[src].shape[0]),
                 "resized": geom["resized"], "crop": geom["crop"]}
        if store_values:
            buf = io.BytesIO()
            with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as g:
                g.write(values.astype("<f4").tobytes())
            with open(os.path.join(out, "process", case + ".f32.gz"), "wb") as f:
                f.write(buf.getvalue())
            entry["pixel_values"] = "process/" + case + ".f32.gz"
        manifest["process"].append(entry)

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(out) for fn in fns)
    print(f"{out}: {len(manifest['decode'])} decode, {len(manifest['resize'])} resize, "
          f"{len(manifest['process'])} process cases, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
