#!/usr/bin/python3
"""PyTorch CPU baseline timings for vlmrt, one thread, as `name: value` lines.

Usage: /usr/bin/python3 tools/bench_torch.py [--quick] [--only SUBSTRING] [--blas-dir DIR]
       /usr/bin/python3 tools/bench_torch.py --onnx-dir DIR [--only SUBSTRING]
       /usr/bin/python3 tools/bench_torch.py --int8 [--qengine E] [--only SUBSTRING] [--blas-dir DIR]

Every number is the median of many timed samples after a warm-up, with torch.set_num_threads(1)
and torch.inference_mode(). Names end in their unit: `_us` (microseconds per call), `_ms`,
`_gflops` (2*M*K*N / time). A name with `_cpu` measures the thread's CPU time instead of the wall
(steadier on a shared machine). Lines starting with `#` are context (versions, BLAS environment).

Note: OpenBLAS/MKL variables such as OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE are read when torch
loads its BLAS, i.e. before this script can change them: set them in the calling shell if you
want them (`OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tools/bench_torch.py`). The script only
prints what it saw. OPENBLAS_NUM_THREADS and OMP_NUM_THREADS default to 1 (set before torch loads).

BLAS: Debian's python3-torch calls whatever libblas.so.3 the system alternative points to; on a
bare Debian image that is the netlib reference BLAS (libblas3), which is 5-10x slower than
OpenBLAS. `--blas-dir DIR` re-runs the script with LD_LIBRARY_PATH=DIR so that DIR/libblas.so.3
is loaded instead, e.g. OpenBLAS unpacked without installing it:
    apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/ob
    /usr/bin/python3 tools/bench_torch.py --blas-dir /tmp/ob/usr/lib/x86_64-linux-gnu/openblas-pthread
(or `apt-get install libopenblas0-pthread`, which switches the system alternative). The line
`# blas loaded:` names the libraries actually mapped, `# blas in use:` the one that runs the
products. When that is the reference BLAS (or cannot be told) the script prints no figure and
exits with status 2 (check_blas of tools/bench_openblas.py).

--onnx-dir DIR exports the ONNX Runtime peers (TorchScript exporter, opset 14) of what this
script times, for tools/bench_ort.js, each NAME.onnx with NAME.io.safetensors beside it (its
inputs `input.<name>` and torch's outputs `output.<name>`, metadata `flops`): `matmul_MxKxN`
(`C = A W + b`, one MatMul and one Add, W [K, N] and b as initializers, input `a`, output `c`)
for the seven shapes of bench/README.md and 197x768x3072 (a ViT MLP up projection, one of the
int8 shapes of bench/int8_test.go), `transformer_decoder_layer_16x197` (the
nn.TransformerDecoderLayer timed below, causal mask inside the graph, inputs `tgt`, `memory`,
output `out`), and `call_overhead` (one Add of a [1, 1] tensor: the per-call cost of the
binding). tools/quantize_onnx.py turns these into ONNX Runtime's dynamic int8 models.

--int8 times PyTorch's dynamic int8 instead of float32: torch.quantization.quantize_dynamic(module,
{nn.Linear}, dtype=torch.qint8) (weights int8 per tensor, activations quantized per tensor at each
call) on one nn.Linear per matmul shape (MATMUL_SHAPES and 197x768x3072: `int8_matmul_MxKxN_cpu_gflops`,
counting 2 M K N operations as the float lines do) and on the decoder layer
(`int8_transformer_decoder_layer_16x197_cpu_us`), with the float module's time beside it
(`float_..._cpu_us`) and the largest difference between the two outputs (`..._max_abs_diff` and
`..._rel_diff`, over max |float output|). Quantized engine: --qengine, default the first of fbgemm,
x86, onednn, qnnpack that this torch has (Debian's 1.13 has no fbgemm: onednn). In
nn.TransformerDecoderLayer only linear1 and linear2 are nn.Linear modules that quantize_dynamic
replaces: the attention's in_proj is a bare parameter and out_proj a NonDynamicallyQuantizableLinear
(MultiheadAttention reads its .weight), so the attention's products stay float32 (the line
`int8_transformer_decoder_layer_16x197_quantized` names what was replaced).
"""

import argparse
import math
import os
import platform
import statistics
import sys
import time


def _early_env():
    """Thread and BLAS-path settings that must exist before torch (and its BLAS) loads."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if "--blas-dir" in sys.argv:
        i = sys.argv.index("--blas-dir")
        if i + 1 < len(sys.argv):
            d = os.path.abspath(sys.argv[i + 1])
            if os.environ.get("VLMRT_BENCH_BLAS_DIR") != d:
                os.environ["VLMRT_BENCH_BLAS_DIR"] = d
                os.environ["LD_LIBRARY_PATH"] = d + (":" + os.environ["LD_LIBRARY_PATH"]
                                                     if os.environ.get("LD_LIBRARY_PATH") else "")
                os.execv(sys.executable, [sys.executable] + sys.argv)


_early_env()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_openblas import check_blas  # noqa: E402 (stdlib only: loads no BLAS)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)

QUICK = False


def bench(fn, min_sample_s=2e-3, samples=31, warmup_s=0.05, cpu=None):
    """Median seconds per call of fn() (calls batched so a sample lasts >= min_sample_s).

    cpu, a list, receives the median of the thread's CPU time per call.
    """
    if QUICK:
        samples, min_sample_s, warmup_s = 9, 1e-3, 0.02
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < warmup_s or n < 3:
        fn()
        n += 1
    per = (time.perf_counter() - t0) / n
    inner = max(1, int(min_sample_s / max(per, 1e-9)))
    times, cpus = [], []
    for _ in range(samples):
        t, c = time.perf_counter(), time.thread_time()
        for _ in range(inner):
            fn()
        cpus.append((time.thread_time() - c) / inner)
        times.append((time.perf_counter() - t) / inner)
    if cpu is not None:
        cpu.append(statistics.median(cpus))
    return statistics.median(times)


def out(name, value, fmt="{:.2f}"):
    print(f"{name}: {fmt.format(value)}", flush=True)


# ---------------------------------------------------------------- pieces

def attention(q, k, v, mask=None):
    s = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
    if mask is not None:
        s = s + mask
    return torch.softmax(s, dim=-1) @ v


def rms_norm(x, scale, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * scale


def linear(x, w, b=None):
    return F.linear(x, w, b)


def W(o, i):
    return torch.randn(o, i) * (1.0 / math.sqrt(i))


def B(n):
    return torch.randn(n) * 0.1


def _kt(t, path):
    """Keras Dense kernel [in, out] -> torch Linear weight [out, in] (float32)."""
    return torch.from_numpy(t[path].astype("float32").T.copy())


def _v(t, path):
    return torch.from_numpy(t[path].astype("float32").copy())


class GatedGrounding:
    """SPEC 4.3 with gated fusion (3.5) in torch."""

    def __init__(self, d):
        self.g0w, self.g0b, self.g1w, self.g1b = W(d, d), B(d), W(d, d), B(d)
        self.pw, self.pb = W(d, 2 * d), B(d)
        self.gamma, self.beta = torch.ones(d), B(d)
        self.cw, self.cb = W(1, d), B(1)
        self.bw, self.bb = W(4, d), B(4)

    @classmethod
    def from_keras(cls, t, head="grounding_head"):
        g = cls.__new__(cls)
        f = f"{head}/{head}_fusion/"
        g.g0w, g.g0b = _kt(t, f + "gate_0/kernel"), _v(t, f + "gate_0/bias")
        g.g1w, g.g1b = _kt(t, f + "gate_1/kernel"), _v(t, f + "gate_1/bias")
        g.pw, g.pb = _kt(t, f + "gated_projection/kernel"), _v(t, f + "gated_projection/bias")
        g.gamma, g.beta = _v(t, f + "gated_norm/gamma"), _v(t, f + "gated_norm/beta")
        g.cw, g.cb = _kt(t, f"{head}/{head}_confidence/kernel"), _v(t, f"{head}/{head}_confidence/bias")
        g.bw, g.bb = _kt(t, f"{head}/{head}_bbox_regressor/kernel"), _v(t, f"{head}/{head}_bbox_regressor/bias")
        return g

    def __call__(self, vision, text):
        q = text.mean(1, keepdim=True).expand(-1, vision.shape[1], -1)
        g0 = vision * torch.sigmoid(linear(vision, self.g0w, self.g0b))
        g1 = q * torch.sigmoid(linear(q, self.g1w, self.g1b))
        f = F.gelu(linear(torch.cat([g0, g1], -1), self.pw, self.pb))
        f = F.layer_norm(f, f.shape[-1:], self.gamma, self.beta, 1e-6)
        conf = torch.sigmoid(linear(f, self.cw, self.cb))[..., 0]
        k = conf.argmax(1)
        g = f[torch.arange(f.shape[0]), k]
        return torch.sigmoid(linear(g, self.bw, self.bb)), conf, g


class ConcatMatching:
    """SPEC 4.4 with concatenation fusion, LayerNorm, mlp post-fusion FFN, in torch."""

    def __init__(self, d, p=256):
        self.vw, self.vb, self.tw, self.tb = W(p, d), B(p), W(p, d), B(p)
        self.cw, self.cb = W(d, 2 * d), B(d)
        self.g1, self.b1, self.g2, self.b2 = torch.ones(d), B(d), torch.ones(d), B(d)
        self.f1w, self.f1b, self.f2w, self.f2b = W(4 * d, d), B(4 * d), W(d, 4 * d), B(d)
        self.sw, self.sb = W(1, d), B(1)
        self.temp = 0.07

    @classmethod
    def from_keras(cls, t, head="matching_head"):
        m = cls.__new__(cls)
        p = f"{head}/{head}_"
        m.vw, m.vb = _kt(t, p + "vision_proj/kernel"), _v(t, p + "vision_proj/bias")
        m.tw, m.tb = _kt(t, p + "text_proj/kernel"), _v(t, p + "text_proj/bias")
        m.cw, m.cb = _kt(t, p + "fusion/concat_projection/kernel"), _v(t, p + "fusion/concat_projection/bias")
        m.g1, m.b1 = _v(t, p + "fusion/concat_norm/gamma"), _v(t, p + "fusion/concat_norm/beta")
        m.g2, m.b2 = _v(t, p + "post_fusion_norm/gamma"), _v(t, p + "post_fusion_norm/beta")
        m.f1w, m.f1b = _kt(t, p + "post_fusion_ffn/fc1/kernel"), _v(t, p + "post_fusion_ffn/fc1/bias")
        m.f2w, m.f2b = _kt(t, p + "post_fusion_ffn/fc2/kernel"), _v(t, p + "post_fusion_ffn/fc2/bias")
        m.sw, m.sb = _kt(t, p + "similarity/kernel"), _v(t, p + "similarity/bias")
        m.temp = float(t[p + "temperature"])
        return m

    def __call__(self, vision, text):
        vp, tp = vision.mean(1), text.mean(1)
        ve = F.normalize(linear(vp, self.vw, self.vb), dim=-1)
        te = F.normalize(linear(tp, self.tw, self.tb), dim=-1)
        sim = ve @ te.T
        d = vp.shape[-1]
        m = F.layer_norm(F.gelu(linear(torch.cat([vp, tp], -1), self.cw, self.cb)), (d,), self.g1, self.b1, 1e-6)
        m = F.layer_norm(m, (d,), self.g2, self.b2, 1e-6)
        m = linear(F.gelu(linear(m, self.f1w, self.f1b)), self.f2w, self.f2b)
        return sim, sim / self.temp, torch.sigmoid(linear(m, self.sw, self.sb))[..., 0], ve, te


class CachedDecoder:
    """The SPEC 4.1 decoder (post-norm RMS, mlp FFN) with a K/V cache, one token per step."""

    def __init__(self, layers, d, heads, hidden, vocab, mem_len, max_len):
        self.h, self.dh, self.d = heads, d // heads, d
        self.layers = []
        for _ in range(layers):
            self.layers.append({
                "qkv": W(3 * d, d), "sproj": W(d, d),
                "q": W(d, d), "qb": B(d), "kv": W(2 * d, d), "kvb": B(2 * d), "cproj": W(d, d), "cprojb": B(d),
                "fc1": W(hidden, d), "fc1b": B(hidden), "fc2": W(d, hidden), "fc2b": B(d),
                "n1": torch.ones(d), "n2": torch.ones(d), "n3": torch.ones(d),
                "kcache": torch.zeros(1, heads, max_len, self.dh),
                "vcache": torch.zeros(1, heads, max_len, self.dh),
            })
        self.out_w, self.out_b = W(vocab, d), B(vocab)
        self.mem_len = mem_len

    @classmethod
    def from_keras(cls, t, head, layers, heads, max_len):
        """The SPEC 4.1 decoder of a Keras captioning file whose ffn_type is mlp."""
        dec = cls.__new__(cls)
        d = t[f"{head}/{head}_output_proj/kernel"].shape[0]
        dec.h, dec.dh, dec.d = heads, d // heads, d
        dec.layers = []
        for i in range(layers):
            sa, ca, ff = f"{head}/self_attention_{i}/cross_attention/", f"{head}/cross_attention_{i}/", f"{head}/ffn_{i}/"
            dec.layers.append({
                "qkv": _kt(t, sa + "qkv/kernel"), "sproj": _kt(t, sa + "proj/kernel"),
                "q": _kt(t, ca + "q/kernel"), "qb": _v(t, ca + "q/bias"),
                "kv": _kt(t, ca + "kv/kernel"), "kvb": _v(t, ca + "kv/bias"),
                "cproj": _kt(t, ca + "proj/kernel"), "cprojb": _v(t, ca + "proj/bias"),
                "fc1": _kt(t, ff + "fc1/kernel"), "fc1b": _v(t, ff + "fc1/bias"),
                "fc2": _kt(t, ff + "fc2/kernel"), "fc2b": _v(t, ff + "fc2/bias"),
                "n1": _v(t, f"{head}/norm1_{i}/scale"), "n2": _v(t, f"{head}/norm2_{i}/scale"),
                "n3": _v(t, f"{head}/norm3_{i}/scale"),
                "kcache": torch.zeros(1, heads, max_len, dec.dh), "vcache": torch.zeros(1, heads, max_len, dec.dh),
            })
        dec.out_w, dec.out_b = _kt(t, f"{head}/{head}_output_proj/kernel"), _v(t, f"{head}/{head}_output_proj/bias")
        return dec

    def _heads(self, x):
        return x.view(x.shape[0], x.shape[1], self.h, self.dh).transpose(1, 2)

    def set_memory(self, memory):
        """Cross-attention K/V of the memory, computed once."""
        for L in self.layers:
            kv = linear(memory, L["kv"], L["kvb"])
            L["ck"] = self._heads(kv[..., : self.d])
            L["cv"] = self._heads(kv[..., self.d:])

    def step(self, x, pos):
        """x (1, 1, D) embedded token at position pos; returns logits (1, V)."""
        d = self.d
        for L in self.layers:
            qkv = linear(x, L["qkv"])
            q, k, v = self._heads(qkv[..., :d]), self._heads(qkv[..., d:2 * d]), self._heads(qkv[..., 2 * d:])
            L["kcache"][:, :, pos] = k[:, :, 0]
            L["vcache"][:, :, pos] = v[:, :, 0]
            a = attention(q, L["kcache"][:, :, : pos + 1], L["vcache"][:, :, : pos + 1])
            a = linear(a.transpose(1, 2).reshape(1, 1, d), L["sproj"])
            x = rms_norm(x + a, L["n1"])
            q = self._heads(linear(x, L["q"], L["qb"]))
            a = attention(q, L["ck"], L["cv"]).transpose(1, 2).reshape(1, 1, d)
            x = rms_norm(x + linear(a, L["cproj"], L["cprojb"]), L["n2"])
            f = linear(F.gelu(linear(x, L["fc1"], L["fc1b"])), L["fc2"], L["fc2b"])
            x = rms_norm(x + f, L["n3"])
        return linear(x[:, -1], self.out_w, self.out_b)


# ---------------------------------------------------------------- benchmarks

MATMUL_SHAPES = ((1, 768, 768), (16, 768, 768), (64, 768, 768), (197, 768, 768),
                 (64, 768, 3072), (64, 3072, 768), (16, 768, 32000))
# The int8 comparison (bench/int8_test.go) adds a ViT-B MLP up projection.
INT8_EXTRA_SHAPES = ((197, 768, 3072),)


def decoder_layer():
    """The decoder layer that BenchmarkDecoderLayer's peer is: nn.TransformerDecoderLayer(768, 12, 3072)."""
    layer = torch.nn.TransformerDecoderLayer(768, 12, 3072, dropout=0.0, activation="gelu",
                                             batch_first=True).eval()
    tgt, mem = torch.randn(1, 16, 768), torch.randn(1, 197, 768)
    mask = torch.triu(torch.full((16, 16), float("-inf")), diagonal=1)
    return layer, tgt, mem, mask


class MatMulAdd(torch.nn.Module):
    """C = A W + b with W [K, N]: exports as one MatMul and one Add."""

    def __init__(self, k, n):
        super().__init__()
        self.w = torch.nn.Parameter(torch.rand(k, n) - 0.5)
        self.b = torch.nn.Parameter(torch.rand(n) - 0.5)

    def forward(self, a):
        return torch.matmul(a, self.w) + self.b


class MaskedDecoderLayer(torch.nn.Module):
    """The decoder layer with its causal mask as a constant, so the graph takes tgt and memory."""

    def __init__(self, layer, mask):
        super().__init__()
        self.layer = layer
        self.register_buffer("mask", mask)

    def forward(self, tgt, memory):
        return self.layer(tgt, memory, tgt_mask=self.mask)


class CallOverhead(torch.nn.Module):
    def forward(self, x):
        return x + 1.0


def export_onnx(out_dir, only):
    """Writes NAME.onnx and NAME.io.safetensors for tools/bench_ort.js."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import safetensors_io
    os.makedirs(out_dir, exist_ok=True)

    def export(name, module, inputs, in_names, out_name, flops):
        if only is not None and only not in name:
            return
        path = os.path.join(out_dir, name + ".onnx")
        module = module.eval()
        with torch.inference_mode():
            y = module(*inputs)
        torch.onnx.export(module, tuple(inputs), path, opset_version=14, input_names=list(in_names),
                          output_names=[out_name], do_constant_folding=True)
        tensors = {"input." + n: t.numpy() for n, t in zip(in_names, inputs)}
        tensors["output." + out_name] = y.detach().numpy()
        safetensors_io.save(os.path.join(out_dir, name + ".io.safetensors"), tensors,
                            {"generator": "tools/bench_torch.py --onnx-dir", "flops": str(flops)})
        print(f"onnx: {path}", flush=True)

    torch.manual_seed(0)
    export("call_overhead", CallOverhead(), [torch.ones(1, 1)], ["x"], "y", 0)
    for m, k, n in MATMUL_SHAPES + INT8_EXTRA_SHAPES:
        export(f"matmul_{m}x{k}x{n}", MatMulAdd(k, n), [torch.rand(m, k) - 0.5], ["a"], "c", 2 * m * k * n)
    layer, tgt, mem, mask = decoder_layer()
    export("transformer_decoder_layer_16x197", MaskedDecoderLayer(layer, mask), [tgt, mem], ["tgt", "memory"],
           "out", 0)

def run(only):
    def want(name):
        return only is None or only in name

    h, dh = 12, 64
    for name, sq, sk in (("attention_16x197", 16, 197), ("attention_64x577", 64, 577),
                         ("attention_decode_1x197", 1, 197)):
        if want(name):
            q, k, v = torch.randn(1, h, sq, dh), torch.randn(1, h, sk, dh), torch.randn(1, h, sk, dh)
            out(name + "_us", bench(lambda: attention(q, k, v)) * 1e6)

    if want("layernorm"):
        x, g, b = torch.randn(64, 768), torch.ones(768), torch.zeros(768)
        out("layernorm_64x768_us", bench(lambda: F.layer_norm(x, (768,), g, b, 1e-6)) * 1e6)
    if want("gelu") or want("silu"):
        x = torch.randn(64, 3072)
        out("gelu_64x3072_us", bench(lambda: F.gelu(x)) * 1e6)
        out("silu_64x3072_us", bench(lambda: F.silu(x)) * 1e6)

    for m, k, n in MATMUL_SHAPES:
        name = f"matmul_{m}x{k}x{n}"
        if want(name):
            a, b, bias = torch.randn(m, k), torch.randn(k, n), torch.randn(n)
            c = torch.empty(m, n)
            cpu = []
            t = bench(lambda: torch.mm(a, b, out=c), cpu=cpu)
            out(name + "_gflops", 2.0 * m * k * n / t / 1e9)
            out(name + "_cpu_gflops", 2.0 * m * k * n / cpu[0] / 1e9)
            out(name + "_us", t * 1e6)
            # C = A W + b, as vlmrt, OpenBLAS (bench_openblas.py) and the ONNX export compute it
            cpu = []
            t = bench(lambda: torch.addmm(bias, a, b, out=c), cpu=cpu)
            out(name + "_bias_cpu_gflops", 2.0 * m * k * n / cpu[0] / 1e9)

    if want("transformer_decoder_layer"):
        layer, tgt, mem, mask = decoder_layer()
        cpu = []
        out("transformer_decoder_layer_16x197_us", bench(lambda: layer(tgt, mem, tgt_mask=mask), cpu=cpu) * 1e6)
        out("transformer_decoder_layer_16x197_cpu_us", cpu[0] * 1e6)

    vision, text = torch.randn(1, 197, 768), torch.randn(1, 16, 768)
    if want("grounding"):
        g = GatedGrounding(768)
        out("grounding_gated_768_n197_s16_us", bench(lambda: g(vision, text)) * 1e6)
    if want("matching"):
        mt = ConcatMatching(768)
        out("matching_concat_mlp_768_n197_s16_us", bench(lambda: mt(vision, text)) * 1e6)

    if want("decode"):
        dec = CachedDecoder(6, 768, 12, 3072, 32000, 197, 64)
        dec.set_memory(vision)
        x = torch.randn(1, 1, 768)
        for p in range(16):  # fill a 16-token prefix
            dec.step(x, p)
        out("caption_decode_step_6l_768_v32000_pos16_ms", bench(lambda: dec.step(x, 16), min_sample_s=5e-3) * 1e3)
        out("caption_cross_kv_precompute_6l_197_ms", bench(lambda: dec.set_memory(vision), min_sample_s=5e-3) * 1e3)


def pick_qengine(want):
    engines = torch.backends.quantized.supported_engines
    if want:
        if want not in engines:
            sys.exit(f"bench_torch.py: quantized engine {want} not in this torch's {engines}")
        return want
    for e in ("fbgemm", "x86", "onednn", "qnnpack"):
        if e in engines:
            return e
    sys.exit(f"bench_torch.py: no quantized engine in {engines}")


def run_int8(only, engine):
    """PyTorch dynamic int8 (quantize_dynamic of nn.Linear) beside the float module."""
    def want(name):
        return only is None or only in name

    def diff(name, got, ref):
        d = float((got - ref).abs().max())
        out(name + "_max_abs_diff", d, "{:.3g}")
        out(name + "_rel_diff", d / max(float(ref.abs().max()), 1e-30), "{:.3g}")

    for m, k, n in MATMUL_SHAPES + INT8_EXTRA_SHAPES:
        name = f"int8_matmul_{m}x{k}x{n}"
        if not want(name):
            continue
        lin = torch.nn.Sequential(torch.nn.Linear(k, n)).eval()  # quantize_dynamic replaces children, not the root
        q = torch.quantization.quantize_dynamic(lin, {torch.nn.Linear}, dtype=torch.qint8)
        if "quantized" not in type(q[0]).__module__:
            sys.exit(f"bench_torch.py: quantize_dynamic left {type(q[0])}")
        a = torch.rand(m, k) - 0.5
        diff(name, q(a), lin(a))
        cpu = []
        t = bench(lambda: q(a), cpu=cpu)
        out(name + "_gflops", 2.0 * m * k * n / t / 1e9)
        out(name + "_cpu_gflops", 2.0 * m * k * n / cpu[0] / 1e9)
        out(name + "_cpu_us", cpu[0] * 1e6)

    name = "int8_transformer_decoder_layer_16x197"
    if want(name):
        layer, tgt, mem, mask = decoder_layer()
        q = torch.quantization.quantize_dynamic(layer, {torch.nn.Linear}, dtype=torch.qint8)
        replaced = sorted(n for n, mod in q.named_modules() if "quantized" in type(mod).__module__)
        print(f"{name}_quantized: {', '.join(replaced)}", flush=True)
        diff(name, q(tgt, mem, tgt_mask=mask), layer(tgt, mem, tgt_mask=mask))
        cpu = []
        out(name + "_us", bench(lambda: q(tgt, mem, tgt_mask=mask), cpu=cpu) * 1e6)
        out(name + "_cpu_us", cpu[0] * 1e6)
        cpu = []
        bench(lambda: layer(tgt, mem, tgt_mask=mask), cpu=cpu)
        out("float_transformer_decoder_layer_16x197_cpu_us", cpu[0] * 1e6)


def verify(keras_dir):
    """Checks the torch heads of this file against the Keras fixtures (SPEC 2 bound)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import safetensors_io

    def check(name, got, want):
        want = torch.from_numpy(want.astype("float32"))
        err = float((got - want).abs().max())
        bound = 1e-4 * max(1.0, float(want.abs().max()))
        print(f"verify {name}: max_abs_err {err:.2e}  {'PASS' if err <= bound else 'FAIL'}")
        return err <= bound

    ok = True
    t, _ = safetensors_io.load(os.path.join(keras_dir, "grounding_gated.safetensors"))
    v, x = _v(t, "input.vision_features"), _v(t, "input.text_features")
    bbox, conf, g = GatedGrounding.from_keras(t)(v, x)
    ok &= check("grounding_gated.bbox", bbox, t["output.bbox"])
    ok &= check("grounding_gated.confidence", conf, t["output.confidence"])
    ok &= check("grounding_gated.grounded_features", g, t["output.grounded_features"])
    t, _ = safetensors_io.load(os.path.join(keras_dir, "matching_concatenation.safetensors"))
    sim, logits, score, ve, te = ConcatMatching.from_keras(t)(_v(t, "input.vision_features"), _v(t, "input.text_features"))
    for k, got in (("similarity_matrix", sim), ("logits", logits), ("match_score", score),
                   ("vision_embeddings", ve), ("text_embeddings", te)):
        ok &= check("matching_concatenation." + k, got, t["output." + k])
    t, _ = safetensors_io.load(os.path.join(keras_dir, "captioning_mlp.safetensors"))
    vis, text = _v(t, "input.vision_features"), _v(t, "input.text_features")
    rows = []
    for b in range(vis.shape[0]):  # token by token through the cache = the full causal forward
        dec = CachedDecoder.from_keras(t, "cap_head", 2, 4, text.shape[1])
        dec.set_memory(vis[b:b + 1])
        rows.append(torch.stack([dec.step(text[b:b + 1, s:s + 1], s)[0] for s in range(text.shape[1])]))
    ok &= check("captioning_mlp.logits (cached decode)", torch.stack(rows), t["output.logits"])
    return ok


def main():
    global QUICK
    ap = argparse.ArgumentParser(description="PyTorch one-thread CPU baseline timings")
    ap.add_argument("--quick", action="store_true", help="fewer samples")
    ap.add_argument("--only", default=None, help="run benchmarks whose name contains this")
    ap.add_argument("--blas-dir", default=None, help="directory holding the libblas.so.3 to load")
    ap.add_argument("--onnx-dir", default=None, metavar="DIR",
                    help="only export the ONNX Runtime peers (NAME.onnx, NAME.io.safetensors) into DIR")
    ap.add_argument("--int8", action="store_true",
                    help="time PyTorch's dynamic int8 (quantize_dynamic of nn.Linear) on the matmul shapes and the decoder layer")
    ap.add_argument("--qengine", default=None, help="torch.backends.quantized.engine for --int8 (default: fbgemm, x86, onednn or qnnpack, the first present)")
    ap.add_argument("--verify", nargs="?", const="/work/shared/fixtures/keras", default=None, metavar="KERAS_DIR",
                    help="only check the torch heads against the Keras fixtures")
    a = ap.parse_args()
    QUICK = a.quick
    if a.verify:
        with torch.inference_mode():
            sys.exit(0 if verify(a.verify) else 1)
    if a.onnx_dir:
        export_onnx(a.onnx_dir, a.only)
        return
    print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}, python {platform.python_version()}, "
          f"machine {platform.machine()}")
    cfg = torch.__config__.show().splitlines()
    blas = [l.strip() for l in cfg if "BLAS" in l or "LAPACK" in l]
    print("# " + "; ".join(blas)[:300])
    x = torch.ones(64, 64)
    x @ x  # a product, so that a lazily loaded BLAS is mapped
    with open("/proc/self/maps") as f:
        libs = sorted({l.split()[-1] for l in f if "blas" in l.lower() and ".so" in l})
    print("# blas loaded: " + ", ".join(libs))
    kind, lib = check_blas("bench_torch.py", "torch", torch.__config__.show())
    print(f"# blas in use: {lib} ({kind})")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        print(f"# {var}={os.environ.get(var, '(unset)')}")
    if a.int8:
        torch.backends.quantized.engine = pick_qengine(a.qengine)
        print(f"# quantized engine {torch.backends.quantized.engine} (supported: "
              f"{', '.join(torch.backends.quantized.supported_engines)})", flush=True)
        with torch.inference_mode():
            run_int8(a.only, torch.backends.quantized.engine)
        return
    with torch.inference_mode():
        run(a.only)


if __name__ == "__main__":
    main()
