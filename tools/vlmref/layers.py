"""Numeric primitives and shared layers of SPEC.md sections 2 and 3, in float64.

Every function takes and returns float64 arrays. Weights are read through a Weights view
(a dict of tensors plus a path prefix) so that a layer only names its own sub-paths.
"""

import math

import numpy as np

LN_EPS = 1e-6
RMS_EPS = 1e-6
MASK_VALUE = -1e9

_erf = np.frompyfunc(math.erf, 1, 1)


class Weights:
    """A view of a tensor dict under a path prefix; get() returns float64 arrays."""

    def __init__(self, tensors, prefix="", fallback=None):
        self.tensors = tensors
        self.prefix = prefix
        self.fallback = fallback  # list of alternative full paths for scoped lookups

    def scope(self, name):
        return Weights(self.tensors, self.prefix + name + "/")

    def path(self, name):
        return self.prefix + name

    def has(self, name):
        return self.path(name) in self.tensors

    def get(self, name, shape=None):
        p = self.path(name)
        if p not in self.tensors:
            raise KeyError(f"missing tensor {p!r}")
        raw = self.tensors[p]
        if raw.dtype == np.int8:  # SPEC 1 quantised kernel: w = q * scale[col]
            sp = p + ".scale"
            if sp not in self.tensors:
                raise KeyError(f"int8 tensor {p!r} without {sp!r}")
            a = raw.astype(np.float64) * np.asarray(self.tensors[sp], dtype=np.float64)
        else:
            a = np.asarray(raw, dtype=np.float64)
        if shape is not None and tuple(a.shape) != tuple(shape):
            raise ValueError(f"tensor {p!r}: shape {list(a.shape)}, want {list(shape)}")
        return a


# ---------------------------------------------------------------- primitives (SPEC 2)

def gelu(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def silu(x):
    return x * sigmoid(x)


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e * (1.0 / np.sum(e, axis=-1, keepdims=True))


def sparsemax(x):
    """SPEC 3.3 sparse: per row over the last axis."""
    z = x - np.max(x, axis=-1, keepdims=True)
    zs = -np.sort(-z, axis=-1)
    cs = np.cumsum(zs, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=np.float64)
    support = 1.0 + k * zs > cs
    kstar = np.max(np.where(support, k, 0.0), axis=-1, keepdims=True)
    cs_k = np.take_along_axis(cs, kstar.astype(np.int64) - 1, axis=-1)
    tau = (cs_k - 1.0) / kstar
    return np.maximum(z - tau, 0.0)


def layer_norm(x, gamma, beta, eps=LN_EPS):
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=-1, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps) * gamma
    return x * inv + (beta - mean * inv)


def rms_norm(x, scale, eps=RMS_EPS):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * scale


def l2_normalize(x):
    ss = np.sum(x * x, axis=-1, keepdims=True)
    with np.errstate(divide="ignore"):
        inv = np.where(ss > 0, 1.0 / np.sqrt(np.maximum(ss, 1e-300)), np.inf)
    return x * np.minimum(inv, 1e7)


def dense(w, name, x, activation=None, bias=True):
    y = x @ w.get(name + "/kernel")
    if bias:
        y = y + w.get(name + "/bias")
    if activation == "gelu":
        y = gelu(y)
    elif activation == "sigmoid":
        y = sigmoid(y)
    elif activation == "silu":
        y = silu(y)
    elif activation is not None:
        raise ValueError(f"unknown activation {activation}")
    return y


def norm(w, name, x, kind):
    if kind == "layer_norm":
        return layer_norm(x, w.get(name + "/gamma"), w.get(name + "/beta"))
    if kind == "rms_norm":
        return rms_norm(x, w.get(name + "/scale"))
    raise ValueError(f"unknown normalization_type {kind!r}")


# ---------------------------------------------------------------- attention (SPEC 3)

def _apply_mask(scores, keep):
    """scores (..., Sq, Sk); keep broadcastable bool, True = attend."""
    if keep is None:
        return scores
    keep = np.broadcast_to(keep, scores.shape)
    none = ~np.any(keep, axis=-1, keepdims=True)
    keep = keep | none  # a row that keeps nothing keeps everything
    return scores + np.where(keep, 0.0, MASK_VALUE)


def causal_keep(s):
    i = np.arange(s)
    return i[None, :] <= i[:, None]


def _split(x, heads):
    b, t, d = x.shape
    return x.reshape(b, t, heads, d // heads).transpose(0, 2, 1, 3)  # (B, H, T, Dh)


def _merge(x):
    b, h, t, dh = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, t, h * dh)


def attend(q, k, v, heads, keep=None, prob="softmax", tile=None):
    """Scaled dot-product attention over heads; q (B,S,D), k/v (B,N,D) -> (B,S,D).

    prob: "softmax" or "sparsemax". tile: when set (softmax only), a tiled online-softmax pass
    over key blocks of that size (SPEC 3.3 flash); same math.
    """
    qh, kh, vh = _split(q, heads), _split(k, heads), _split(v, heads)
    scale = 1.0 / math.sqrt(qh.shape[-1])
    if tile is not None and prob == "softmax":
        return _merge(_flash(qh, kh, vh, scale, keep, tile))
    s = (qh @ kh.transpose(0, 1, 3, 2)) * scale
    s = _apply_mask(s, keep)
    p = softmax(s) if prob == "softmax" else sparsemax(s)
    return _merge(p @ vh)


def _flash(qh, kh, vh, scale, keep, tile):
    b, h, sq, dh = qh.shape
    n = kh.shape[2]
    if keep is not None:
        keep = np.broadcast_to(keep, (b, h, sq, n))
        keep = keep | ~np.any(keep, axis=-1, keepdims=True)
    m = np.full((b, h, sq, 1), -np.inf)
    l = np.zeros((b, h, sq, 1))
    acc = np.zeros((b, h, sq, dh))
    for j0 in range(0, n, tile):
        j1 = min(n, j0 + tile)
        s = (qh @ kh[:, :, j0:j1].transpose(0, 1, 3, 2)) * scale
        if keep is not None:
            s = s + np.where(keep[..., j0:j1], 0.0, MASK_VALUE)
        mn = np.maximum(m, np.max(s, axis=-1, keepdims=True))
        corr = np.exp(m - mn)
        e = np.exp(s - mn)
        l = l * corr + np.sum(e, axis=-1, keepdims=True)
        acc = acc * corr + e @ vh[:, :, j0:j1]
        m = mn
    return acc / l


def cross_attention(w, x, kv, heads, keep=None, prob="softmax", tile=None):
    """SPEC 3.1 multi_head_cross: q, kv (K | V), proj, all with biases."""
    d = w.get("q/kernel").shape[1]
    q = dense(w, "q", x)
    kvp = dense(w, "kv", kv)
    return dense(w, "proj", attend(q, kvp[..., :d], kvp[..., d:], heads, keep, prob, tile))


def self_attention(w, x, heads, keep=None, prob="softmax", tile=None):
    """SPEC 3.2 multi_head: cross_attention/qkv and cross_attention/proj, no biases."""
    c = w.scope("cross_attention")
    d = x.shape[-1]
    qkv = x @ c.get("qkv/kernel", (d, 3 * d))
    a = attend(qkv[..., :d], qkv[..., d:2 * d], qkv[..., 2 * d:], heads, keep, prob, tile)
    return a @ c.get("proj/kernel", (d, d))


def differential_lambda(lambda_param, layer_idx):
    lam_init = 0.8 - 0.6 * math.exp(-0.3 * max(layer_idx - 1, 0))
    return float(np.clip(lam_init * lambda_param, 0.1, 0.9))


def differential_attention(w, x, kv, heads, layer_idx, keep=None):
    """SPEC 3.3 differential: q1, q2 on x; k1, k2, v on kv; lambda_param; proj."""
    lam = differential_lambda(float(w.get("lambda_param", (1,))[0]), layer_idx)
    q1, q2 = dense(w, "q1", x), dense(w, "q2", x)
    k1, k2, v = dense(w, "k1", kv), dense(w, "k2", kv), dense(w, "v", kv)
    a = attend(q1, k1, v, heads, keep) - lam * attend(q2, k2, v, heads, keep)
    return dense(w, "proj", a)


# ---------------------------------------------------------------- FFN (SPEC 3.4)

def swiglu_width(d_out, factor):
    return 256 * math.ceil(int(d_out * factor * 2 / 3) / 256)


def ffn(w, x, kind):
    if kind == "mlp":
        return dense(w, "fc2", dense(w, "fc1", x, "gelu"))
    if kind == "swiglu":
        g = silu(x @ w.get("gate_proj/kernel"))
        u = x @ w.get("up_proj/kernel")
        return (g * u) @ w.get("down_proj/kernel")
    raise ValueError(f"unknown ffn_type {kind!r}")


# ---------------------------------------------------------------- fusion (SPEC 3.5)

FUSION_ALIASES = {"concat": "concatenation", "add": "addition", "multiply": "multiplication"}


def fusion(w, x1, x2, strategy):
    """MultiModalFusion of two rank-3 inputs (vision first)."""
    s = FUSION_ALIASES.get(strategy, strategy)
    if s == "concatenation":
        y = dense(w, "concat_projection", np.concatenate([x1, x2], -1), "gelu")
        return layer_norm(y, w.get("concat_norm/gamma"), w.get("concat_norm/beta"))
    if s in ("addition", "multiplication"):
        y = x1 + x2 if s == "addition" else x1 * x2
        y = layer_norm(y, w.get("elementwise_norm/gamma"), w.get("elementwise_norm/beta"))
        return ffn(w.scope("elementwise_ffn"), y, "mlp")
    if s == "gated":
        g1 = x1 * dense(w, "gate_0", x1, "sigmoid")
        g2 = x2 * dense(w, "gate_1", x2, "sigmoid")
        y = dense(w, "gated_projection", np.concatenate([g1, g2], -1), "gelu")
        return layer_norm(y, w.get("gated_norm/gamma"), w.get("gated_norm/beta"))
    if s == "bilinear":
        o = (x1[..., :, None] * x2[..., None, :]).reshape(*x1.shape[:-1], -1)
        y = dense(w, "bilinear_projection", o, "gelu")
        return layer_norm(y, w.get("bilinear_norm/gamma"), w.get("bilinear_norm/beta"))
    if s == "tensor_fusion":
        c = np.concatenate([x1, x2], -1)
        parts = [dense(w, f"tensor_proj_{k}", c, "gelu") for k in range(8)]
        return dense(w, "tensor_final_proj", np.concatenate(parts, -1))
    raise ValueError(f"fusion_strategy {strategy!r} is not supported by this head")
