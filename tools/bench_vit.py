#!/usr/bin/python3
"""PyTorch and ONNX Runtime peers of BenchmarkViTB16: the CLIP ViT-B/16 vision tower.

    /usr/bin/python3 tools/bench_vit.py [--dir HF_DIR] [--ref REFERENCE] [--onnx OUT.onnx]
        [--runs N] [--check] [--blas-dir DIR] [--int8 [--qengine E]]

The tower is written here as torch.nn modules in the layout of transformers'
CLIPVisionModelWithProjection (Conv2d patch embedding without bias, class token,
position embeddings, pre_layrnorm, 12 pre-norm layers with separate q/k/v/out
projections, quick_gelu MLP, post_layernorm on the class token, visual_projection).
Its weights are read from a Hugging Face directory (--dir: config.json and
model.safetensors, e.g. the one `tools/make_encoder_fixtures.py --case vit_b16
--out DIR` writes, which `vlmrt bench --model DIR` and `vlmrt run` read too) or
drawn at random with the same scales when no directory is given. One intra-op
thread. --ref FILE (that directory's reference.safetensors) takes the image from
`input.pixel_values` and checks the output against `output.image_embeds`, the
float64 reference of tools/encref.

--int8 times PyTorch's dynamic int8 tower instead: torch.quantization.quantize_dynamic(tower,
{nn.Linear}, dtype=torch.qint8) replaces every nn.Linear (q, k, v, out_proj, fc1, fc2,
visual_projection: weights int8 per tensor, activations quantized per tensor at each call); the
patch embedding (Conv2d), LayerNorms and attention stay float32, as in vlmrt's int8 tower. The
lines are then `torch_int8_ms_p50`, `torch_int8_cpu_ms_p50`, ..., `int8_max_abs_diff_vs_float`
(against the float tower's output) and `ref_max_abs_err`. The quantized engine is --qengine, by
default the first of fbgemm, x86, onednn, qnnpack this torch has (Debian's 1.13: onednn).

It prints `name: value` lines: the torch version and the BLAS that runs the
products, then `torch_ms_p50` / `torch_ms_min` (wall, --runs timed calls after
warm-up) and `torch_cpu_ms_p50` / `torch_cpu_ms_min` (the thread's CPU time,
steadier on a shared machine). With --onnx it exports the module with
torch.onnx.export (TorchScript exporter, opset 14, input `pixel_values`
[1, 3, 224, 224], output `image_embeds`) for tools/bench_ort.js, and writes
OUT.io.safetensors beside it (`input.pixel_values`, and `output.image_embeds` as
torch computed it) so that bench_ort.js checks ONNX Runtime's output. --check
compares the module with tools/encref (the float64 reference the fixtures come
from) on one random image and prints the max abs difference.

BLAS: Debian's torch calls whatever libblas.so.3 the system points at; with the
netlib reference BLAS (package libblas3) the script prints no time and exits
with status 2 (tools/bench_openblas.py's check_blas). Install OpenBLAS
(`apt-get install libopenblas0-pthread`) or pass --blas-dir DIR.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_openblas import check_blas, reexec_with_blas_dir  # noqa: E402

reexec_with_blas_dir()  # before torch loads its BLAS
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from safetensors_io import load, save  # noqa: E402

VIT_B16 = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
               image_size=224, patch_size=16, num_channels=3, layer_norm_eps=1e-5, hidden_act="quick_gelu",
               projection_dim=512)


class Layer(nn.Module):
    def __init__(self, d, inter, heads, eps):
        super().__init__()
        self.heads = heads
        self.layer_norm1 = nn.LayerNorm(d, eps=eps)
        self.q_proj, self.k_proj = nn.Linear(d, d), nn.Linear(d, d)
        self.v_proj, self.out_proj = nn.Linear(d, d), nn.Linear(d, d)
        self.layer_norm2 = nn.LayerNorm(d, eps=eps)
        self.fc1, self.fc2 = nn.Linear(d, inter), nn.Linear(inter, d)

    def forward(self, x):
        b, t, d = x.shape
        h = self.layer_norm1(x)
        dh = d // self.heads

        def split(y):
            return y.view(b, t, self.heads, dh).transpose(1, 2)
        q = split(self.q_proj(h) * dh ** -0.5)
        k, v = split(self.k_proj(h)), split(self.v_proj(h))
        a = torch.softmax(q @ k.transpose(-1, -2), dim=-1) @ v
        x = x + self.out_proj(a.transpose(1, 2).reshape(b, t, d))
        h = self.fc1(self.layer_norm2(x))
        return x + self.fc2(h * torch.sigmoid(1.702 * h))


class VisionTower(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, p = c["hidden_size"], c["patch_size"]
        n = (c["image_size"] // p) ** 2 + 1
        eps = c["layer_norm_eps"]
        self.patch_embedding = nn.Conv2d(c["num_channels"], d, p, stride=p, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(d))
        self.position_embedding = nn.Parameter(torch.zeros(n, d))
        self.pre_layrnorm = nn.LayerNorm(d, eps=eps)
        self.layers = nn.ModuleList(Layer(d, c["intermediate_size"], c["num_attention_heads"], eps)
                                    for _ in range(c["num_hidden_layers"]))
        self.post_layernorm = nn.LayerNorm(d, eps=eps)
        self.visual_projection = nn.Linear(d, c["projection_dim"], bias=False)

    def forward(self, pixel_values):
        x = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.position_embedding
        x = self.pre_layrnorm(x)
        for layer in self.layers:
            x = layer(x)
        return self.visual_projection(self.post_layernorm(x[:, 0]))

    def load_hf(self, tensors):
        """Copies transformers state_dict names into the modules."""
        pre = "vision_model."
        e = pre + "embeddings."
        with torch.no_grad():
            self.patch_embedding.weight.copy_(torch.from_numpy(tensors[e + "patch_embedding.weight"]))
            self.class_embedding.copy_(torch.from_numpy(tensors[e + "class_embedding"]))
            self.position_embedding.copy_(torch.from_numpy(tensors[e + "position_embedding.weight"]))
            for name, mod in [("pre_layrnorm", self.pre_layrnorm), ("post_layernorm", self.post_layernorm)]:
                mod.weight.copy_(torch.from_numpy(tensors[pre + name + ".weight"]))
                mod.bias.copy_(torch.from_numpy(tensors[pre + name + ".bias"]))
            for i, layer in enumerate(self.layers):
                p = f"{pre}encoder.layers.{i}."
                for name in ["layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2", "self_attn.q_proj",
                             "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj"]:
                    mod = getattr(layer, name.split(".")[-1])
                    mod.weight.copy_(torch.from_numpy(tensors[p + name + ".weight"]))
                    mod.bias.copy_(torch.from_numpy(tensors[p + name + ".bias"]))
            self.visual_projection.weight.copy_(torch.from_numpy(tensors["visual_projection.weight"]))


def blas_line():
    cfg = torch.__config__.show()
    info = [l.strip() for l in cfg.splitlines() if "BLAS_INFO" in l or "MKL" in l or "LAPACK" in l]
    return "; ".join(info)[:200]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", help="Hugging Face directory with the tower's weights")
    ap.add_argument("--onnx", help="write the ONNX export here")
    ap.add_argument("--ref", help="reference.safetensors: input.pixel_values in, output.image_embeds to check")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--check", action="store_true", help="compare with tools/encref on one image")
    ap.add_argument("--blas-dir", help="directory holding the libblas.so.3 to load (re-executes)")
    ap.add_argument("--int8", action="store_true", help="time quantize_dynamic's int8 tower (nn.Linear -> qint8)")
    ap.add_argument("--qengine", help="torch.backends.quantized.engine for --int8")
    a = ap.parse_args()
    if a.int8 and (a.onnx or a.check):
        sys.exit("bench_vit.py: --int8 times the quantized tower only (no --onnx, --check): "
                 "tools/quantize_onnx.py makes ONNX Runtime's int8 model from the float export")
    torch.set_num_threads(1)
    cfg = dict(VIT_B16)
    model = VisionTower(cfg).eval()
    if a.dir:
        with open(os.path.join(a.dir, "config.json")) as f:
            hf = json.load(f)
        v = hf.get("vision_config", hf)
        for k in VIT_B16:
            if k in v and v[k] != cfg[k]:
                sys.exit(f"bench_vit.py: {a.dir}: {k} = {v[k]}, this script times ViT-B/16 ({cfg[k]})")
        tensors, _ = load(os.path.join(a.dir, "model.safetensors"))
        model.load_hf(tensors)
    else:
        g = torch.Generator().manual_seed(16)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.02 if p.dim() > 1 else 1 + 0.1 * torch.randn(p.shape, generator=g))
    print("torch:", torch.__version__)
    print("torch_blas:", blas_line())
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    ref = None
    if a.ref:
        ref, _ = load(a.ref)
        x = torch.from_numpy(ref["input.pixel_values"].astype(np.float32))
        if tuple(x.shape) != (1, 3, 224, 224):
            sys.exit(f"bench_vit.py: {a.ref}: input.pixel_values is {list(x.shape)}, want [1, 3, 224, 224]")
    prefix = "torch"
    with torch.no_grad():
        y = model(x)
        kind, lib = check_blas("bench_vit.py", "torch", torch.__config__.show())
        print(f"torch_blas_loaded: {lib} ({kind})")
        print(f"torch_threads: {torch.get_num_threads()}")
        if a.int8:
            prefix = "torch_int8"
            torch.backends.quantized.engine = pick_qengine(a.qengine)
            print(f"torch_quantized_engine: {torch.backends.quantized.engine} "
                  f"(supported: {', '.join(torch.backends.quantized.supported_engines)})")
            yf = y
            model = torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
            n = sum(1 for m in model.modules() if "quantized" in type(m).__module__ and type(m).__name__ == "Linear")
            print(f"torch_int8_linear_layers: {n}")
            y = model(x)
            print(f"int8_max_abs_diff_vs_float: {float((y - yf).abs().max()):.3g} "
                  f"(max |float| {float(yf.abs().max()):.3g})")
        model(x)
        times, cpu = [], []
        for _ in range(a.runs):
            t0, c0 = time.perf_counter(), time.thread_time()
            model(x)
            cpu.append((time.thread_time() - c0) * 1e3)
            times.append((time.perf_counter() - t0) * 1e3)
    print(f"{prefix}_ms_p50: {statistics.median(times):.2f}")
    print(f"{prefix}_ms_min: {min(times):.2f}")
    print(f"{prefix}_cpu_ms_p50: {statistics.median(cpu):.2f}")
    print(f"{prefix}_cpu_ms_min: {min(cpu):.2f}")
    if ref is not None and "output.image_embeds" in ref:
        want = torch.from_numpy(ref["output.image_embeds"].astype(np.float64))
        err = float((y.double() - want).abs().max())
        print(f"ref_max_abs_err: {err:.3g}")
    if a.check:
        from encref import hf as ref
        W = {k: torch.from_numpy(v.astype(np.float64)) for k, v in tensors.items()} if a.dir else \
            {k: v.detach().double() for k, v in _state_as_hf(model).items()}
        vcfg = dict(cfg)
        want = ref.clip_vision(W, vcfg, x.double())["image_embeds"]
        with torch.no_grad():
            got = model(x).double()
        print(f"check_max_abs_vs_encref: {float((got - want).abs().max()):.3g}")
    if a.onnx:
        os.makedirs(os.path.dirname(os.path.abspath(a.onnx)), exist_ok=True)
        with torch.no_grad():
            torch.onnx.export(model, (x,), a.onnx, opset_version=14, input_names=["pixel_values"],
                              output_names=["image_embeds"], do_constant_folding=True)
        io = os.path.splitext(a.onnx)[0] + ".io.safetensors"
        save(io, {"input.pixel_values": x.numpy(), "output.image_embeds": y.numpy()},
             {"generator": "tools/bench_vit.py", "flops": str(vit_flops(cfg))})
        print("onnx:", a.onnx)
        print("onnx_io:", io)


def pick_qengine(want):
    engines = torch.backends.quantized.supported_engines
    if want:
        if want not in engines:
            sys.exit(f"bench_vit.py: quantized engine {want} not in this torch's {engines}")
        return want
    for e in ("fbgemm", "x86", "onednn", "qnnpack"):
        if e in engines:
            return e
    sys.exit(f"bench_vit.py: no quantized engine in {engines}")


def vit_flops(c):
    """2 x the multiply-adds of one image, counted as bench/encoder_test.go's vitFLOPs does."""
    p, d = c["patch_size"], c["hidden_size"]
    patches = (c["image_size"] // p) ** 2
    n = patches + 1
    layer = n * d * 3 * d + 2 * n * n * d + n * d * d + 2 * n * d * c["intermediate_size"]
    return 2 * (patches * d * 3 * p * p + c["num_hidden_layers"] * layer + d * c["projection_dim"])


def _state_as_hf(model):
    """The module's parameters under transformers' names."""
    out = {}
    pre, e = "vision_model.", "vision_model.embeddings."
    out[e + "patch_embedding.weight"] = model.patch_embedding.weight
    out[e + "class_embedding"] = model.class_embedding
    out[e + "position_embedding.weight"] = model.position_embedding
    for name in ["pre_layrnorm", "post_layernorm"]:
        out[pre + name + ".weight"] = getattr(model, name).weight
        out[pre + name + ".bias"] = getattr(model, name).bias
    for i, layer in enumerate(model.layers):
        p = f"{pre}encoder.layers.{i}."
        for name in ["layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2", "self_attn.q_proj",
                     "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj"]:
            mod = getattr(layer, name.split(".")[-1])
            out[p + name + ".weight"] = mod.weight
            out[p + name + ".bias"] = mod.bias
    out["visual_projection.weight"] = model.visual_projection.weight
    return out


if __name__ == "__main__":
    main()
