#!/usr/bin/python3
"""PyTorch peer of BenchmarkCaptionShapes: the shapes model captions one image end to end.

    /usr/bin/python3 tools/bench_caption.py [--dir models/shapes] [--rounds N]
        [--onnx-dir DIR] [--blas-dir DIR] [IMAGE.png ...]

The model is models/shapes (tools/shapes/README.md): the exported files read as
tools/shapes/export.py's load_exported reads them (F16 stored, float32 here), run by
tools/shapes/model.py's functions, one intra-op thread. For each image (default: the demo
images models/shapes/images/test_*.png, 128 x 128, the first test scenes):

1. decode: Pillow's Image.open(...).convert("RGB");
2. preprocess as the encoder's preprocessor_config says (CLIPImageProcessor: Pillow resize to
   64 x 64 with resample 3, bicubic; v / 255; (v - 0.5) / 0.5): Image.resize and
   model.preprocess;
3. encode: model.encode_image (the vision tower's last_hidden_state, 65 x 64, is the memory);
4. greedy decoding to EOS, at most the head's generation max_length (20): model.greedy (SPEC.md
   6, the whole prefix recomputed at each step, as the reference does);
5. the words: dataset.decode.

The tokens must equal models/shapes/captions_torch.jsonl's for the same test scene (the demo
image test_00N.png is the test split's images/00N.png rendered at 128 px) and are what
BenchmarkCaptionShapes checks vlmrt against: the script exits with status 1 otherwise.

Timing: one warm-up round over the images, then --rounds rounds (default 20); per round the mean
per image. Lines (`name: value`, medians of the rounds and the least round):

    caption.torch_ms_p50, caption.torch_ms_min          wall ms per image, all five steps
    caption.torch_cpu_ms_p50, caption.torch_cpu_ms_min  the process's CPU time (time.process_time)
    caption.torch_decode_cpu_ms_p50                     step 1 alone (PNG decode)
    caption.torch_preprocess_cpu_ms_p50                 step 2 alone
    caption.torch_generate_cpu_ms_p50                   steps 3-5 (encode, greedy, words)
    caption.torch_tokens_per_image                      EOS included, as vlmrt eval counts
    caption.torch_tokens_per_s, caption.torch_cpu_tokens_per_s
                                                        tokens over steps 2-5 (no decode), as
                                                        BenchmarkCaptionShapes's tokens/s

--onnx-dir DIR exports for tools/bench_caption_ort.js (torch.onnx.export, TorchScript exporter,
opset 14): DIR/caption_vision.onnx (pixel_values [1, 64, 64, 3] float32, channels last ->
last_hidden_state [1, 65, 64]) and DIR/caption_step.onnx (one decoding step with the whole
prefix recomputed: input_ids [1, S] int64 with S dynamic, memory [1, 65, 64] -> logits
[1, 47] of the last position), and DIR/caption.io.safetensors: `input.pixel_values`
[n, 64, 64, 3] (this script's preprocessed images, steps 1-2), `output.tokens` [n, max_length]
int32 (PyTorch's, padded with EOS), `output.lengths` [n] int32, metadata `bos_id`, `eos_id`,
`max_length`, `files`, and the front-end times (`decode_cpu_ms`, `preprocess_cpu_ms`) that
ONNX Runtime does not run.

BLAS: as tools/bench_vit.py (tools/bench_openblas.py's check_blas): exit status 2 when torch
runs the netlib reference BLAS.
"""
import argparse
import glob
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_openblas import check_blas, reexec_with_blas_dir  # noqa: E402

reexec_with_blas_dir()  # before torch loads its BLAS
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "shapes"))
import dataset as D  # noqa: E402
import export as E  # noqa: E402
import model as M  # noqa: E402
from safetensors_io import save  # noqa: E402


def torch_captions(model_dir):
    """captions_torch.jsonl: {"images/NNN.png": tokens}."""
    out = {}
    path = os.path.join(model_dir, "captions_torch.jsonl")
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            out[r["file"]] = r["tokens"]
    return out


def expected_key(path):
    """models/shapes/images/test_00N.png -> images/00N.png (its test-split scene)."""
    base = os.path.basename(path)
    return "images/" + base[len("test_"):] if base.startswith("test_") else None


class Captioner:
    def __init__(self, model_dir):
        w, enc_meta, head_meta = E.load_exported(model_dir)
        self.W = {k: torch.tensor(v) for k, v in w.items()}
        self.weights = w
        pc = json.loads(enc_meta["preprocessor_config"])
        if pc.get("resample") != 3 or pc.get("do_center_crop"):
            sys.exit(f"bench_caption.py: preprocessor_config {pc}: this script resizes with bicubic, no crop")
        self.size = (pc["size"]["width"], pc["size"]["height"])
        if list(pc["image_mean"]) != M.IMAGE_MEAN or list(pc["image_std"]) != M.IMAGE_STD or \
                abs(pc["rescale_factor"] - M.RESCALE) > 1e-12:
            sys.exit(f"bench_caption.py: preprocessor_config {pc} differs from model.preprocess's")
        self.gen = json.loads(head_meta["generation"])

    @staticmethod
    def decode(path):
        return Image.open(path).convert("RGB")

    def preprocess(self, img):
        a = np.asarray(img.resize(self.size, Image.BICUBIC))
        return M.preprocess(a[None])

    @torch.no_grad()
    def generate(self, px):
        _, memory = M.encode_image(self.W, px)
        tokens = M.greedy(self.W, memory, max_length=self.gen["max_length"],
                          bos=self.gen["bos_id"], eos=self.gen["eos_id"])[0]
        return tokens, D.decode(tokens)


def export_onnx(cap, files, pixels, tokens, front, out_dir):
    """The vision tower and one decoding step as ONNX models, and the io file."""
    os.makedirs(out_dir, exist_ok=True)
    model = M.Model(cap.weights).eval()

    class Vision(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, pixel_values):
            return M.encode_image(self.m.W, pixel_values)[1]

    class Step(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, memory):
            W = self.m.W
            logits, _ = M.caption_head(W, M.caption_embed(W, input_ids), memory)
            return logits[:, -1]

    px = pixels[:1]
    with torch.no_grad():
        memory = M.encode_image(cap.W, px)[1]
        vpath = os.path.join(out_dir, "caption_vision.onnx")
        torch.onnx.export(Vision(model), (px,), vpath, opset_version=14, input_names=["pixel_values"],
                          output_names=["last_hidden_state"], do_constant_folding=True)
        ids = torch.tensor([[cap.gen["bos_id"]] + tokens[0][:3]], dtype=torch.int64)
        spath = os.path.join(out_dir, "caption_step.onnx")
        torch.onnx.export(Step(model), (ids, memory), spath, opset_version=14,
                          input_names=["input_ids", "memory"], output_names=["logits"],
                          dynamic_axes={"input_ids": {1: "sequence"}}, do_constant_folding=True)
    print(f"onnx_step_double_to_float: {_float_only(spath)} constants and casts")
    L = cap.gen["max_length"]
    tok = np.full((len(tokens), L), cap.gen["eos_id"], np.int32)
    for i, t in enumerate(tokens):
        tok[i, :len(t)] = t
    io = os.path.join(out_dir, "caption.io.safetensors")
    save(io, {"input.pixel_values": pixels.numpy().astype(np.float32), "output.tokens": tok,
              "output.lengths": np.array([len(t) for t in tokens], np.int32)},
         {"generator": "tools/bench_caption.py", "bos_id": str(cap.gen["bos_id"]),
          "eos_id": str(cap.gen["eos_id"]), "max_length": str(L), "files": json.dumps(files),
          "decode_cpu_ms": f"{front[0]:.4f}", "preprocess_cpu_ms": f"{front[1]:.4f}"})
    print("onnx_vision:", vpath)
    print("onnx_step:", spath)
    print("onnx_io:", io)


def _float_only(path):
    """torch 1.13's exporter types model.attend's causal mask, torch.where(keep, 0.0, -1e9) with
    Python floats, as double, casts the scores to double to add it and types what follows
    (the RMSNorm epsilons, the scales) as double too, where eager torch keeps all of it float32:
    ONNX Runtime then refuses the MatMul of double probabilities with float values. Every double
    constant becomes float32 here and every cast to double a cast to float: eager torch's
    arithmetic (the model has no double tensor)."""
    import onnx
    from onnx import numpy_helper
    D, F = onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT
    m = onnx.load(path)
    fixed = 0
    for n in m.graph.node:
        for a in n.attribute:
            if n.op_type == "Constant" and a.name == "value" and a.t.data_type == D:
                a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float32), a.t.name))
                fixed += 1
            elif n.op_type == "Cast" and a.name == "to" and a.i == D:
                a.i = F
                fixed += 1
    for t in m.graph.initializer:
        if t.data_type == D:
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float32), t.name))
            fixed += 1
    for vi in list(m.graph.value_info) + list(m.graph.output):
        if vi.type.tensor_type.elem_type == D:
            vi.type.tensor_type.elem_type = F
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return fixed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images", nargs="*", help="PNG files (default: DIR/images/test_*.png)")
    ap.add_argument("--dir", default=D.MODEL_DIR, help="the exported shapes model")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--onnx-dir", help="export the vision tower and a decoding step here")
    ap.add_argument("--blas-dir", help="directory holding the libblas.so.3 to load (re-executes)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    files = a.images or sorted(glob.glob(os.path.join(a.dir, "images", "test_*.png")))
    if not files:
        sys.exit(f"bench_caption.py: no image in {a.dir}/images")
    cap = Captioner(a.dir)
    want = torch_captions(a.dir)
    print("torch:", torch.__version__)

    # Check (and warm up): every image once.
    tokens, pixels = [], []
    for f in files:
        px = cap.preprocess(cap.decode(f))
        t, text = cap.generate(px)
        tokens.append(t)
        pixels.append(px)
    kind, lib = check_blas("bench_caption.py", "torch", torch.__config__.show())
    print(f"torch_blas_loaded: {lib} ({kind})")
    print(f"torch_threads: {torch.get_num_threads()}")
    bad = 0
    compared = 0
    for f, t in zip(files, tokens):
        k = expected_key(f)
        if k in want:
            compared += 1
            if want[k] != t:
                bad += 1
                print(f"# {f}: tokens {t}, captions_torch.jsonl {want[k]}", file=sys.stderr)
    print(f"caption.images: {len(files)}")
    print(f"caption.torch_identical_to_captions_torch: {compared - bad}/{compared}")
    if bad:
        sys.exit("bench_caption.py: captions differ from models/shapes/captions_torch.jsonl")

    wall, cpu, dec, pre, gen, tps, cpu_tps = [], [], [], [], [], [], []
    ntok = sum(len(t) for t in tokens)
    for _ in range(a.rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        d = p = g = 0.0
        gw = 0.0
        for f in files:
            c1 = time.process_time()
            img = cap.decode(f)
            c2, w2 = time.process_time(), time.perf_counter()
            px = cap.preprocess(img)
            c3 = time.process_time()
            cap.generate(px)
            c4, w4 = time.process_time(), time.perf_counter()
            d, p, g, gw = d + c2 - c1, p + c3 - c2, g + c4 - c3, gw + w4 - w2
        n = len(files)
        wall.append((time.perf_counter() - w0) * 1e3 / n)
        cpu.append((time.process_time() - c0) * 1e3 / n)
        dec.append(d * 1e3 / n)
        pre.append(p * 1e3 / n)
        gen.append(g * 1e3 / n)
        tps.append(ntok / gw)
        cpu_tps.append(ntok / (p + g))
    print(f"caption.torch_ms_p50: {statistics.median(wall):.3f}")
    print(f"caption.torch_ms_min: {min(wall):.3f}")
    print(f"caption.torch_cpu_ms_p50: {statistics.median(cpu):.3f}")
    print(f"caption.torch_cpu_ms_min: {min(cpu):.3f}")
    print(f"caption.torch_decode_cpu_ms_p50: {statistics.median(dec):.3f}")
    print(f"caption.torch_preprocess_cpu_ms_p50: {statistics.median(pre):.3f}")
    print(f"caption.torch_generate_cpu_ms_p50: {statistics.median(gen):.3f}")
    print(f"caption.torch_tokens_per_image: {ntok / len(files):.2f}")
    print(f"caption.torch_tokens_per_s: {statistics.median(tps):.0f}")
    print(f"caption.torch_cpu_tokens_per_s: {statistics.median(cpu_tps):.0f}")
    print(f"load_average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if a.onnx_dir:
        export_onnx(cap, [os.path.basename(f) for f in files], torch.cat(pixels), tokens,
                    (statistics.median(dec), statistics.median(pre)), a.onnx_dir)


if __name__ == "__main__":
    main()
