"""Hugging Face CLIP (vision and text towers) and SigLIP vision, as plain float64 tensor math.

Written from the published model definitions (transformers' CLIPModel / CLIPVisionModel /
CLIPTextModel and SiglipVisionModel, inference mode: dropout is the identity). The functions take
a dict `W` of state_dict names -> tensors and a tower config dict (config.json's vision_config /
text_config keys) and return what the Hugging Face model returns under the same names.

No torch.nn module is used here on purpose: tools/encref/modules.py builds the same towers from
torch.nn modules, and tools/encref/selftest.py checks the two against each other.
"""

import math

import numpy as np
import torch

DTYPE = torch.float64

# ---------------------------------------------------------------------------------------------
# primitives


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


ACTIVATIONS = {
    "quick_gelu": quick_gelu,
    "gelu": gelu,
    "gelu_pytorch_tanh": gelu_tanh,
    "gelu_new": gelu_tanh,
}


def layer_norm(x, w, b, eps):
    mu = x.mean(dim=-1, keepdim=True)
    var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def linear(x, w, b=None):
    """torch Linear: w is [out, in]."""
    y = torch.matmul(x, w.transpose(0, 1))
    return y if b is None else y + b


def softmax(s):
    m = s.max(dim=-1, keepdim=True).values
    e = torch.exp(s - m)
    return e / e.sum(dim=-1, keepdim=True)


def attention(xq, xkv, wq, bq, wk, bk, wv, bv, wo, bo, heads, causal=False):
    """Multi-head attention: q = (xq Wq^T + bq) * Dh^-0.5 (CLIP scales q after its bias), softmax
    over keys (causal: key j > query i masked out), heads concatenated, out projection."""
    B, Tq, D = xq.shape
    Tk = xkv.shape[1]
    dh = D // heads
    q = linear(xq, wq, bq) * (dh ** -0.5)
    k = linear(xkv, wk, bk)
    v = linear(xkv, wv, bv)
    q = q.reshape(B, Tq, heads, dh).permute(0, 2, 1, 3)
    k = k.reshape(B, Tk, heads, dh).permute(0, 2, 1, 3)
    v = v.reshape(B, Tk, heads, dh).permute(0, 2, 1, 3)
    s = torch.matmul(q, k.transpose(-1, -2))
    if causal:
        mask = torch.triu(torch.ones(Tq, Tk, dtype=torch.bool), diagonal=1)
        s = s.masked_fill(mask, float("-inf"))
    p = softmax(s)
    o = torch.matmul(p, v).permute(0, 2, 1, 3).reshape(B, Tq, D)
    return linear(o, wo, bo)


def patch_embed(pixel_values, w, b=None):
    """Conv2d with kernel = stride = P and no padding, as an unfold and one product."""
    B, C, H, Wd = pixel_values.shape
    D, C2, P, P2 = w.shape
    assert C == C2 and P == P2 and H % P == 0 and Wd % P == 0, (pixel_values.shape, w.shape)
    gh, gw = H // P, Wd // P
    x = pixel_values.reshape(B, C, gh, P, gw, P).permute(0, 2, 4, 1, 3, 5)  # B gh gw C P P
    x = x.reshape(B, gh * gw, C * P * P)
    return linear(x, w.reshape(D, C * P * P), b)  # B N D, patches in row-major order


def encoder_layer(x, W, pre, cfg, causal=False):
    """CLIP / SigLIP encoder layer (pre-norm): x + attn(ln1(x)); x + mlp(ln2(x))."""
    eps = cfg["layer_norm_eps"]
    act = ACTIVATIONS[cfg["hidden_act"]]
    h = layer_norm(x, W[pre + "layer_norm1.weight"], W[pre + "layer_norm1.bias"], eps)
    a = pre + "self_attn."
    h = attention(h, h,
                  W[a + "q_proj.weight"], W[a + "q_proj.bias"],
                  W[a + "k_proj.weight"], W[a + "k_proj.bias"],
                  W[a + "v_proj.weight"], W[a + "v_proj.bias"],
                  W[a + "out_proj.weight"], W[a + "out_proj.bias"],
                  cfg["num_attention_heads"], causal=causal)
    x = x + h
    h = layer_norm(x, W[pre + "layer_norm2.weight"], W[pre + "layer_norm2.bias"], eps)
    h = linear(h, W[pre + "mlp.fc1.weight"], W[pre + "mlp.fc1.bias"])
    h = linear(act(h), W[pre + "mlp.fc2.weight"], W[pre + "mlp.fc2.bias"])
    return x + h


def encoder(x, W, pre, cfg, causal=False):
    for i in range(cfg["num_hidden_layers"]):
        x = encoder_layer(x, W, f"{pre}encoder.layers.{i}.", cfg, causal=causal)
    return x


# ---------------------------------------------------------------------------------------------
# towers


def clip_vision(W, cfg, pixel_values, prefix="vision_model.", projection="visual_projection.weight"):
    """CLIPVisionTransformer (+ visual_projection when `projection` is in W).

    last_hidden_state is the encoder output (before post_layernorm); pooler_output is
    post_layernorm of the class token; image_embeds = pooler_output @ visual_projection^T."""
    p = prefix
    eps = cfg["layer_norm_eps"]
    x = patch_embed(pixel_values, W[p + "embeddings.patch_embedding.weight"])
    B = x.shape[0]
    cls = W[p + "embeddings.class_embedding"].reshape(1, 1, -1).expand(B, 1, -1)
    x = torch.cat([cls, x], dim=1)
    x = x + W[p + "embeddings.position_embedding.weight"][: x.shape[1]]
    x = layer_norm(x, W[p + "pre_layrnorm.weight"], W[p + "pre_layrnorm.bias"], eps)
    last = encoder(x, W, p, cfg)
    pooled = layer_norm(last[:, 0], W[p + "post_layernorm.weight"], W[p + "post_layernorm.bias"], eps)
    out = {"last_hidden_state": last, "pooler_output": pooled}
    if projection and projection in W:
        out["image_embeds"] = linear(pooled, W[projection])
    return out


def eot_positions(input_ids, eos_token_id):
    """Where CLIPTextTransformer pools: eos_token_id == 2 is the legacy rule (the arg-max of the
    ids: the end-of-text token had the largest id), otherwise the first position of eos_token_id.
    torch.argmax returns the first maximal index; a row without eos_token_id pools at 0, as
    argmax over an all-zero row does in transformers."""
    ids = input_ids.to(torch.int64)
    if eos_token_id == 2:
        return ids.argmax(dim=-1), "legacy_argmax"
    return (ids == eos_token_id).to(torch.int64).argmax(dim=-1), "first_eos_token_id"


def clip_text(W, cfg, input_ids, prefix="text_model.", projection="text_projection.weight"):
    """CLIPTextTransformer (+ text_projection): token + position embeddings, causal encoder,
    final_layer_norm (last_hidden_state is AFTER it), pooled at the end-of-text token."""
    p = prefix
    ids = input_ids.to(torch.int64)
    B, T = ids.shape
    x = W[p + "embeddings.token_embedding.weight"][ids]
    x = x + W[p + "embeddings.position_embedding.weight"][:T]
    x = encoder(x, W, p, cfg, causal=True)
    last = layer_norm(x, W[p + "final_layer_norm.weight"], W[p + "final_layer_norm.bias"],
                      cfg["layer_norm_eps"])
    pos, rule = eot_positions(ids, cfg["eos_token_id"])
    pooled = last[torch.arange(B), pos]
    out = {"last_hidden_state": last, "pooler_output": pooled}
    if projection and projection in W:
        out["text_embeds"] = linear(pooled, W[projection])
    return out, {"eot_rule": rule, "eot_positions": pos.tolist()}


def siglip_vision(W, cfg, pixel_values, prefix="vision_model."):
    """SiglipVisionTransformer: conv patch embedding with bias, positions [N, D] (no class token,
    no pre-norm), encoder, post_layernorm on every token (last_hidden_state is after it), then
    the attention-pooling head: probe attends over the tokens (nn.MultiheadAttention semantics:
    packed in_proj, q scaled after its bias), x + mlp(layernorm(x)), token 0 = pooler_output."""
    p = prefix
    eps = cfg["layer_norm_eps"]
    x = patch_embed(pixel_values, W[p + "embeddings.patch_embedding.weight"],
                    W[p + "embeddings.patch_embedding.bias"])
    x = x + W[p + "embeddings.position_embedding.weight"][: x.shape[1]]
    x = encoder(x, W, p, cfg)
    last = layer_norm(x, W[p + "post_layernorm.weight"], W[p + "post_layernorm.bias"], eps)
    out = {"last_hidden_state": last}
    h = p + "head."
    if h + "probe" in W:
        B, D = last.shape[0], last.shape[2]
        probe = W[h + "probe"].expand(B, -1, -1)
        wi, bi = W[h + "attention.in_proj_weight"], W[h + "attention.in_proj_bias"]
        y = attention(probe, last,
                      wi[:D], bi[:D], wi[D:2 * D], bi[D:2 * D], wi[2 * D:], bi[2 * D:],
                      W[h + "attention.out_proj.weight"], W[h + "attention.out_proj.bias"],
                      cfg["num_attention_heads"])
        act = ACTIVATIONS[cfg["hidden_act"]]
        z = layer_norm(y, W[h + "layernorm.weight"], W[h + "layernorm.bias"], eps)
        z = linear(act(linear(z, W[h + "mlp.fc1.weight"], W[h + "mlp.fc1.bias"])),
                   W[h + "mlp.fc2.weight"], W[h + "mlp.fc2.bias"])
        out["pooler_output"] = (y + z)[:, 0]
    return out


def clip_logits(image_embeds, text_embeds, logit_scale):
    """CLIPModel: logits_per_image = exp(logit_scale) * cos(image_embeds, text_embeds)."""
    i = image_embeds / image_embeds.norm(dim=-1, keepdim=True)
    t = text_embeds / text_embeds.norm(dim=-1, keepdim=True)
    return torch.exp(logit_scale) * torch.matmul(i, t.transpose(0, 1))


# ---------------------------------------------------------------------------------------------
# configs (config.json as transformers writes it; only the keys that matter plus the usual ones)


def clip_vision_config(hidden, inter, layers, heads, image, patch, act="quick_gelu", proj=None,
                       eps=1e-5):
    c = {
        "model_type": "clip_vision_model",
        "hidden_size": hidden,
        "intermediate_size": inter,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_channels": 3,
        "image_size": image,
        "patch_size": patch,
        "hidden_act": act,
        "layer_norm_eps": eps,
        "attention_dropout": 0.0,
        "dropout": 0.0,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
    }
    if proj is not None:
        c["projection_dim"] = proj
    return c


def clip_text_config(hidden, inter, layers, heads, vocab, positions, eos, bos, pad,
                     act="quick_gelu", proj=None, eps=1e-5):
    c = {
        "model_type": "clip_text_model",
        "hidden_size": hidden,
        "intermediate_size": inter,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "vocab_size": vocab,
        "max_position_embeddings": positions,
        "hidden_act": act,
        "layer_norm_eps": eps,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "attention_dropout": 0.0,
        "dropout": 0.0,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
    }
    if proj is not None:
        c["projection_dim"] = proj
    return c


def siglip_vision_config(hidden, inter, layers, heads, image, patch, act="gelu_pytorch_tanh",
                         eps=1e-6):
    return {
        "model_type": "siglip_vision_model",
        "hidden_size": hidden,
        "intermediate_size": inter,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_channels": 3,
        "image_size": image,
        "patch_size": patch,
        "hidden_act": act,
        "layer_norm_eps": eps,
        "attention_dropout": 0.0,
    }


# ---------------------------------------------------------------------------------------------
# random weights with realistic scales (float32, in state_dict order)


class Init:
    """Seeded random weights. Linear weights N(0, gain^2/in) so every activation is O(1) and the
    attention logits have std ~1 (neither uniform nor saturated); embeddings N(0, 1) (SigLIP/
    CLIP text have no pre-norm, so the residual stream starts O(1)); biases N(0, 0.1^2); layer
    norm weights 1 + 0.1 N(0,1), biases 0.1 N(0,1)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def normal(self, shape, std):
        return (self.rng.standard_normal(shape) * std).astype(np.float32)

    def linear(self, W, name, out, inp, bias=True, gain=1.0):
        W[name + ".weight"] = self.normal((out, inp), gain / math.sqrt(inp))
        if bias:
            W[name + ".bias"] = self.normal((out,), 0.1)

    def norm(self, W, name, d):
        W[name + ".weight"] = (1.0 + self.normal((d,), 0.1)).astype(np.float32)
        W[name + ".bias"] = self.normal((d,), 0.1)

    def layers(self, W, pre, cfg):
        D, F = cfg["hidden_size"], cfg["intermediate_size"]
        for i in range(cfg["num_hidden_layers"]):
            p = f"{pre}encoder.layers.{i}."
            # the order of CLIPEncoderLayer / CLIPAttention's state_dict
            for n in ("k_proj", "v_proj", "q_proj", "out_proj"):
                self.linear(W, p + "self_attn." + n, D, D)
            self.norm(W, p + "layer_norm1", D)
            self.linear(W, p + "mlp.fc1", F, D)
            self.linear(W, p + "mlp.fc2", D, F)
            self.norm(W, p + "layer_norm2", D)


def random_clip_vision(init, cfg, W=None, prefix="vision_model."):
    W = {} if W is None else W
    D, P = cfg["hidden_size"], cfg["patch_size"]
    n = (cfg["image_size"] // P) ** 2
    W[prefix + "embeddings.class_embedding"] = init.normal((D,), 1.0)
    W[prefix + "embeddings.patch_embedding.weight"] = init.normal((D, 3, P, P), 1.0 / math.sqrt(3 * P * P))
    W[prefix + "embeddings.position_embedding.weight"] = init.normal((n + 1, D), 1.0)
    init.norm(W, prefix + "pre_layrnorm", D)
    init.layers(W, prefix, cfg)
    init.norm(W, prefix + "post_layernorm", D)
    return W


def random_clip_text(init, cfg, W=None, prefix="text_model."):
    W = {} if W is None else W
    D = cfg["hidden_size"]
    W[prefix + "embeddings.token_embedding.weight"] = init.normal((cfg["vocab_size"], D), 1.0)
    W[prefix + "embeddings.position_embedding.weight"] = init.normal((cfg["max_position_embeddings"], D), 1.0)
    init.layers(W, prefix, cfg)
    init.norm(W, prefix + "final_layer_norm", D)
    return W


def random_siglip_vision(init, cfg, W=None, prefix="vision_model."):
    W = {} if W is None else W
    D, P, F = cfg["hidden_size"], cfg["patch_size"], cfg["intermediate_size"]
    n = (cfg["image_size"] // P) ** 2
    W[prefix + "embeddings.patch_embedding.weight"] = init.normal((D, 3, P, P), 1.0 / math.sqrt(3 * P * P))
    W[prefix + "embeddings.patch_embedding.bias"] = init.normal((D,), 0.1)
    W[prefix + "embeddings.position_embedding.weight"] = init.normal((n, D), 1.0)
    init.layers(W, prefix, cfg)
    init.norm(W, prefix + "post_layernorm", D)
    h = prefix + "head."
    W[h + "probe"] = init.normal((1, 1, D), 1.0)
    W[h + "attention.in_proj_weight"] = init.normal((3 * D, D), 1.0 / math.sqrt(D))
    W[h + "attention.in_proj_bias"] = init.normal((3 * D,), 0.1)
    init.linear(W, h + "attention.out_proj", D, D)
    init.norm(W, h + "layernorm", D)
    init.linear(W, h + "mlp.fc1", F, D)
    init.linear(W, h + "mlp.fc2", D, F)
    return W


def to_torch(W):
    """float32 numpy weights -> float64 torch tensors (the reference computes in float64 from
    exactly the stored float32 values)."""
    return {k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in W.items()}
