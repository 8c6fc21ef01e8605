"""dl_techniques' own CLIP (`dl_techniques.models.clip.CLIP`) as plain float64 tensor math.

Read from the dl_techniques source (see DL_TECHNIQUES_CLIP.md for the files, commits and the
caveats about versions): conv patch embedding (no bias, NHWC input, Keras kernel [P,P,3,D]),
class token prepended, `vision_layers` TransformerLayer blocks (pre-norm RMSNorm, grouped-query
attention with biases and rotary positions on the whole head, SwiGLU FFN without biases), token 0
-> vision_projection -> L2 normalize. Text: token embedding (no position table), `text_layers`
blocks WITHOUT any mask (bidirectional, pads included), the last non-pad token (pad id 0, right
padding: index = count(ids != 0) - 1, clipped to [0, T-1]) -> text_projection -> L2 normalize.
logits_per_image = exp(logit_scale) * image_features @ text_features^T.

Weights are a dict of Keras variable.path -> tensors (Dense kernels [in, out]).
"""

import json
import math

import numpy as np
import torch

# get_config() keys and defaults of CLIP.__init__ (plus Keras' own `name`/`trainable` keys).
DEFAULTS = {
    "image_size": 224,
    "patch_size": 16,
    "vision_layers": 12,
    "vision_width": 768,
    "vision_heads": 12,
    "vision_kv_heads": 4,
    "vocab_size": 49408,
    "context_length": 77,
    "text_layers": 12,
    "text_width": 512,
    "text_heads": 8,
    "text_kv_heads": 8,
    "embed_dim": 512,
    "ffn_expansion_factor": 4,
    "ffn_multiple_of": 256,
    "dropout_rate": 0.0,
    "attention_dropout_rate": 0.0,
    "logit_scale_init": 2.6592,
}

# constants of the sub-layers as CLIP builds them (not in CLIP's config)
RMS_EPS = 1e-6          # RMSNorm default epsilon (norm factory / RMSNorm)
ROPE_THETA = 10000.0    # GroupedQueryAttention default rope_theta
ROPE_PERCENTAGE = 1.0   # GroupedQueryAttention default: the whole head rotates
MAX_SEQ_LEN = 2048      # GroupedQueryAttention default max_seq_len (size of the RoPE tables)


def swiglu_hidden(width, factor, multiple_of):
    h = int(width * factor * 2 / 3)
    return multiple_of * ((h + multiple_of - 1) // multiple_of)


def rope_dim(head_dim, percentage=ROPE_PERCENTAGE):
    d = int(head_dim * percentage)
    return d - (d % 2)


def rope_tables(head_dim, max_seq_len=MAX_SEQ_LEN, theta=ROPE_THETA):
    """cos_cached / sin_cached [max_seq_len, rope_dim/2]: angle[p, i] = p * theta^(-2i/rope_dim)."""
    rd = rope_dim(head_dim)
    i = np.arange(rd // 2, dtype=np.float64)
    inv = 1.0 / theta ** (i * 2.0 / rd)
    ang = np.outer(np.arange(max_seq_len, dtype=np.float64), inv)
    return np.cos(ang), np.sin(ang)


def full_config(**over):
    c = dict(DEFAULTS)
    c.update(over)
    c.setdefault("name", "clip")
    c.setdefault("trainable", True)
    return c


# ---------------------------------------------------------------------------------------------
# primitives


def rms_norm(x, scale, eps=RMS_EPS):
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + eps) * scale


def dense(x, kernel, bias=None):
    y = torch.matmul(x, kernel)
    return y if bias is None else y + bias


def silu(x):
    return x * torch.sigmoid(x)


def apply_rope(x, cos, sin):
    """x [B, H, S, Dh]; pairs (x[2i], x[2i+1]) of the first rope_dim features rotate by the
    angle of their position (interleaved pairs, not half-split); the rest pass through."""
    S, Dh = x.shape[2], x.shape[3]
    rd = 2 * cos.shape[1]
    c, s = cos[:S], sin[:S]
    xr = x[..., :rd].reshape(*x.shape[:3], rd // 2, 2)
    x1, x2 = xr[..., 0], xr[..., 1]
    r1 = x1 * c - x2 * s
    r2 = x1 * s + x2 * c
    out = torch.stack([r1, r2], dim=-1).reshape(*x.shape[:3], rd)
    return torch.cat([out, x[..., rd:]], dim=-1) if rd < Dh else out


def gqa(x, W, p, heads, kv_heads, cos, sin):
    """GroupedQueryAttention: w_q [D, H*Dh], w_k/w_v [D, KV*Dh], w_o [D, D], each + bias; RoPE
    on q and k (before grouping); k, v repeated so query head h reads kv head h // (H/KV);
    scores * Dh^-0.5; softmax; no mask."""
    B, S, D = x.shape
    dh = D // heads
    q = dense(x, W[p + "w_q/kernel"], W.get(p + "w_q/bias"))
    k = dense(x, W[p + "w_k/kernel"], W.get(p + "w_k/bias"))
    v = dense(x, W[p + "w_v/kernel"], W.get(p + "w_v/bias"))
    q = q.reshape(B, S, heads, dh).permute(0, 2, 1, 3)
    k = k.reshape(B, S, kv_heads, dh).permute(0, 2, 1, 3)
    v = v.reshape(B, S, kv_heads, dh).permute(0, 2, 1, 3)
    q = apply_rope(q, cos, sin)
    k = apply_rope(k, cos, sin)
    g = heads // kv_heads
    if g > 1:
        k = torch.repeat_interleave(k, g, dim=1)
        v = torch.repeat_interleave(v, g, dim=1)
    s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(dh))
    s = s - s.max(dim=-1, keepdim=True).values
    e = torch.exp(s)
    a = e / e.sum(dim=-1, keepdim=True)
    o = torch.matmul(a, v).permute(0, 2, 1, 3).reshape(B, S, D)
    return dense(o, W[p + "w_o/kernel"], W.get(p + "w_o/bias"))


def transformer_layer(x, W, p, heads, kv_heads):
    """TransformerLayer, normalization_position 'pre': x + attn(rms(x)); x + swiglu(rms(x))."""
    cos, sin = W[p + "attention/rope/cos_cached"], W[p + "attention/rope/sin_cached"]
    h = rms_norm(x, W[p + "attention_norm/scale"])
    x = x + gqa(h, W, p + "attention/", heads, kv_heads, cos, sin)
    h = rms_norm(x, W[p + "output_norm/scale"])
    f = p + "ffn/"
    h = dense(silu(dense(h, W[f + "gate_proj/kernel"])) * dense(h, W[f + "up_proj/kernel"]),
              W[f + "down_proj/kernel"])
    return x + h


def l2n(x):
    return x / torch.sqrt((x * x).sum(dim=-1, keepdim=True))


def encode_image(W, cfg, images, prefix="clip/"):
    """images [B, H, W, 3] (channels last). Returns (image_features [B, E], tokens [B, N+1, Dv])."""
    p = prefix
    B = images.shape[0]
    P, D = cfg["patch_size"], cfg["vision_width"]
    k = W[p + "patch_conv/kernel"]  # [P, P, 3, D]
    Hh, Ww = images.shape[1] // P, images.shape[2] // P
    x = images.reshape(B, Hh, P, Ww, P, 3).permute(0, 1, 3, 2, 4, 5).reshape(B, Hh * Ww, P * P * 3)
    x = torch.matmul(x, k.reshape(P * P * 3, D))
    cls = W[p + "class_token"].reshape(1, 1, D).expand(B, 1, D)
    x = torch.cat([cls, x], dim=1)
    for i in range(cfg["vision_layers"]):
        x = transformer_layer(x, W, f"{p}vision_transformer_{i}/", cfg["vision_heads"], cfg["vision_kv_heads"])
    f = dense(x[:, 0], W[p + "vision_projection/kernel"])
    return l2n(f), x


def last_non_pad(ids, pad=0):
    T = ids.shape[1]
    n = (ids != pad).to(torch.int64).sum(dim=1)
    return torch.clamp(n - 1, 0, T - 1)


def encode_text(W, cfg, ids, prefix="clip/"):
    """ids [B, T] int. Returns (text_features [B, E], tokens [B, T, Dt], pooled positions)."""
    p = prefix
    ids = ids.to(torch.int64)
    x = W[p + "token_embedding/embeddings"][ids]
    for i in range(cfg["text_layers"]):
        x = transformer_layer(x, W, f"{p}text_transformer_{i}/", cfg["text_heads"], cfg["text_kv_heads"])
    pos = last_non_pad(ids)
    pooled = x[torch.arange(ids.shape[0]), pos]
    return l2n(dense(pooled, W[p + "text_projection/kernel"])), x, pos


def forward(W, cfg, images=None, ids=None, prefix="clip/"):
    out, dbg = {}, {}
    if images is not None:
        out["image_features"], dbg["vision_last_hidden_state"] = encode_image(W, cfg, images, prefix)
    if ids is not None:
        out["text_features"], dbg["text_last_hidden_state"], pos = encode_text(W, cfg, ids, prefix)
        dbg["text_pool_positions"] = pos
    if images is not None and ids is not None:
        scale = torch.exp(W[prefix + "logit_scale"])
        out["logits_per_image"] = scale * torch.matmul(out["image_features"], out["text_features"].T)
        out["logits_per_text"] = out["logits_per_image"].T
        out["logit_scale"] = scale
    return out, dbg


# ---------------------------------------------------------------------------------------------
# weights under their variable.path, in the order CLIP.build creates them


def weight_shapes(cfg, prefix="clip/"):
    p = prefix
    shapes = [(p + "logit_scale", ()), (p + "class_token", (1, 1, cfg["vision_width"])),
              (p + "patch_conv/kernel", (cfg["patch_size"], cfg["patch_size"], 3, cfg["vision_width"]))]

    def block(name, D, H, KV):
        dh = D // H
        F = swiglu_hidden(D, cfg["ffn_expansion_factor"], cfg["ffn_multiple_of"])
        b = f"{p}{name}/"
        s = [(b + "attention_norm/scale", (D,)), (b + "output_norm/scale", (D,))]
        for n, o in (("w_q", H * dh), ("w_k", KV * dh), ("w_v", KV * dh), ("w_o", D)):
            s += [(b + f"attention/{n}/kernel", (D, o)), (b + f"attention/{n}/bias", (o,))]
        s += [(b + "attention/rope/cos_cached", (MAX_SEQ_LEN, rope_dim(dh) // 2)),
              (b + "attention/rope/sin_cached", (MAX_SEQ_LEN, rope_dim(dh) // 2))]
        s += [(b + "ffn/gate_proj/kernel", (D, F)), (b + "ffn/up_proj/kernel", (D, F)),
              (b + "ffn/down_proj/kernel", (F, D))]
        return s

    for i in range(cfg["vision_layers"]):
        shapes += block(f"vision_transformer_{i}", cfg["vision_width"], cfg["vision_heads"], cfg["vision_kv_heads"])
    shapes.append((p + "vision_projection/kernel", (cfg["vision_width"], cfg["embed_dim"])))
    shapes.append((p + "token_embedding/embeddings", (cfg["vocab_size"], cfg["text_width"])))
    for i in range(cfg["text_layers"]):
        shapes += block(f"text_transformer_{i}", cfg["text_width"], cfg["text_heads"], cfg["text_kv_heads"])
    shapes.append((p + "text_projection/kernel", (cfg["text_width"], cfg["embed_dim"])))
    return shapes


def random_weights(cfg, seed, prefix="clip/"):
    """Seeded weights with O(1) activations: kernels N(0, 1/in), biases N(0, 0.1^2), norm scales
    1 + 0.1 N(0,1), class token / embeddings N(0,1), logit_scale = logit_scale_init; the RoPE
    tables are their exact values (rounded to float32), as the layer computes them."""
    rng = np.random.default_rng(seed)
    W = {}
    for name, shape in weight_shapes(cfg, prefix):
        leaf = name.rsplit("/", 1)[1]
        if leaf == "logit_scale":
            a = np.array(cfg["logit_scale_init"])
        elif leaf in ("cos_cached", "sin_cached"):
            dh = 2 * shape[1]
            cos, sin = rope_tables(dh)
            a = cos if leaf == "cos_cached" else sin
        elif leaf == "scale":
            a = 1.0 + 0.1 * rng.standard_normal(shape)
        elif leaf == "bias":
            a = 0.1 * rng.standard_normal(shape)
        elif leaf == "kernel" and len(shape) == 4:
            a = rng.standard_normal(shape) / math.sqrt(shape[0] * shape[1] * shape[2])
        elif leaf == "kernel":
            a = rng.standard_normal(shape) / math.sqrt(shape[0])
        else:  # class_token, embeddings
            a = rng.standard_normal(shape)
        W[name] = np.asarray(a, dtype=np.float32)
    return W


def config_json(cfg):
    return json.dumps(cfg, sort_keys=True)
