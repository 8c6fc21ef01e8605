"""A second implementation of the towers of hf.py, built from torch.nn modules.

nn.Conv2d for the patch embedding, nn.LayerNorm, nn.TransformerEncoderLayer (norm_first=True is
exactly the CLIP/SigLIP encoder layer: x + self_attn(norm1(x)), x + linear2(act(linear1(norm2(x))))
with nn.MultiheadAttention's packed in_proj = [q; k; v]) and nn.MultiheadAttention for SigLIP's
pooling head. The state_dict names of Hugging Face are mapped onto these modules; nothing is
shared with hf.py, so the self-test compares two independent codings of the same definition.
"""

import torch
import torch.nn.functional as F
from torch import nn


def _act(name):
    if name == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "gelu":
        return lambda x: F.gelu(x)
    if name in ("gelu_pytorch_tanh", "gelu_new"):
        return lambda x: F.gelu(x, approximate="tanh")
    raise ValueError(name)


def _ln(W, name, d, eps, dtype):
    m = nn.LayerNorm(d, eps=eps).to(dtype)
    m.weight.data.copy_(W[name + ".weight"])
    m.bias.data.copy_(W[name + ".bias"])
    return m


def _layers(W, pre, cfg, dtype):
    D, F_, H = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_attention_heads"]
    out = []
    for i in range(cfg["num_hidden_layers"]):
        p = f"{pre}encoder.layers.{i}."
        m = nn.TransformerEncoderLayer(D, H, dim_feedforward=F_, dropout=0.0,
                                       activation=_act(cfg["hidden_act"]),
                                       layer_norm_eps=cfg["layer_norm_eps"], batch_first=True,
                                       norm_first=True).to(dtype)
        a = p + "self_attn."
        m.self_attn.in_proj_weight.data.copy_(torch.cat(
            [W[a + "q_proj.weight"], W[a + "k_proj.weight"], W[a + "v_proj.weight"]], 0))
        m.self_attn.in_proj_bias.data.copy_(torch.cat(
            [W[a + "q_proj.bias"], W[a + "k_proj.bias"], W[a + "v_proj.bias"]], 0))
        m.self_attn.out_proj.weight.data.copy_(W[a + "out_proj.weight"])
        m.self_attn.out_proj.bias.data.copy_(W[a + "out_proj.bias"])
        m.linear1.weight.data.copy_(W[p + "mlp.fc1.weight"])
        m.linear1.bias.data.copy_(W[p + "mlp.fc1.bias"])
        m.linear2.weight.data.copy_(W[p + "mlp.fc2.weight"])
        m.linear2.bias.data.copy_(W[p + "mlp.fc2.bias"])
        m.norm1.weight.data.copy_(W[p + "layer_norm1.weight"])
        m.norm1.bias.data.copy_(W[p + "layer_norm1.bias"])
        m.norm2.weight.data.copy_(W[p + "layer_norm2.weight"])
        m.norm2.bias.data.copy_(W[p + "layer_norm2.bias"])
        m.eval()
        out.append(m)
    return out


def _conv(W, name, D, P, bias, dtype):
    c = nn.Conv2d(3, D, P, stride=P, bias=bias).to(dtype)
    c.weight.data.copy_(W[name + ".weight"])
    if bias:
        c.bias.data.copy_(W[name + ".bias"])
    return c


@torch.no_grad()
def clip_vision(W, cfg, pixel_values, prefix="vision_model."):
    dt = pixel_values.dtype
    D, P, eps = cfg["hidden_size"], cfg["patch_size"], cfg["layer_norm_eps"]
    p = prefix
    x = _conv(W, p + "embeddings.patch_embedding", D, P, False, dt)(pixel_values)
    x = x.flatten(2).transpose(1, 2)
    cls = W[p + "embeddings.class_embedding"].to(dt).view(1, 1, D).repeat(x.shape[0], 1, 1)
    x = torch.cat([cls, x], 1)
    pos = nn.Embedding.from_pretrained(W[p + "embeddings.position_embedding.weight"].to(dt))
    x = x + pos(torch.arange(x.shape[1]))[None]
    x = _ln(W, p + "pre_layrnorm", D, eps, dt)(x)
    for m in _layers(W, p, cfg, dt):
        x = m(x)
    pooled = _ln(W, p + "post_layernorm", D, eps, dt)(x[:, 0, :])
    out = {"last_hidden_state": x, "pooler_output": pooled}
    if "visual_projection.weight" in W:
        proj = nn.Linear(D, W["visual_projection.weight"].shape[0], bias=False).to(dt)
        proj.weight.data.copy_(W["visual_projection.weight"])
        out["image_embeds"] = proj(pooled)
    return out


@torch.no_grad()
def clip_text(W, cfg, input_ids, dtype=torch.float64, prefix="text_model."):
    D, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
    p = prefix
    ids = input_ids.long()
    B, T = ids.shape
    tok = nn.Embedding.from_pretrained(W[p + "embeddings.token_embedding.weight"].to(dtype))
    pos = nn.Embedding.from_pretrained(W[p + "embeddings.position_embedding.weight"].to(dtype))
    x = tok(ids) + pos(torch.arange(T))[None]
    mask = nn.Transformer.generate_square_subsequent_mask(T).to(dtype)
    for m in _layers(W, p, cfg, dtype):
        x = m(x, src_mask=mask)
    x = _ln(W, p + "final_layer_norm", D, eps, dtype)(x)
    # the end-of-text position, found by a plain loop (independent of hf.eot_positions)
    eos = cfg["eos_token_id"]
    where = []
    for row in ids.tolist():
        if eos == 2:
            best = max(row)
            where.append(row.index(best))
        else:
            where.append(row.index(eos) if eos in row else 0)
    pooled = torch.stack([x[b, where[b]] for b in range(B)])
    out = {"last_hidden_state": x, "pooler_output": pooled}
    if "text_projection.weight" in W:
        proj = nn.Linear(D, W["text_projection.weight"].shape[0], bias=False).to(dtype)
        proj.weight.data.copy_(W["text_projection.weight"])
        out["text_embeds"] = proj(pooled)
    return out, where


@torch.no_grad()
def siglip_vision(W, cfg, pixel_values, prefix="vision_model."):
    dt = pixel_values.dtype
    D, P, eps, H = cfg["hidden_size"], cfg["patch_size"], cfg["layer_norm_eps"], cfg["num_attention_heads"]
    p = prefix
    x = _conv(W, p + "embeddings.patch_embedding", D, P, True, dt)(pixel_values)
    x = x.flatten(2).transpose(1, 2)
    pos = nn.Embedding.from_pretrained(W[p + "embeddings.position_embedding.weight"].to(dt))
    x = x + pos(torch.arange(x.shape[1]))[None]
    for m in _layers(W, p, cfg, dt):
        x = m(x)
    x = _ln(W, p + "post_layernorm", D, eps, dt)(x)
    h = p + "head."
    mha = nn.MultiheadAttention(D, H, batch_first=True).to(dt)
    mha.in_proj_weight.data.copy_(W[h + "attention.in_proj_weight"])
    mha.in_proj_bias.data.copy_(W[h + "attention.in_proj_bias"])
    mha.out_proj.weight.data.copy_(W[h + "attention.out_proj.weight"])
    mha.out_proj.bias.data.copy_(W[h + "attention.out_proj.bias"])
    mha.eval()
    probe = W[h + "probe"].to(dt).repeat(x.shape[0], 1, 1)
    y = mha(probe, x, x, need_weights=False)[0]
    fc1 = nn.Linear(D, cfg["intermediate_size"]).to(dt)
    fc1.weight.data.copy_(W[h + "mlp.fc1.weight"])
    fc1.bias.data.copy_(W[h + "mlp.fc1.bias"])
    fc2 = nn.Linear(cfg["intermediate_size"], D).to(dt)
    fc2.weight.data.copy_(W[h + "mlp.fc2.weight"])
    fc2.bias.data.copy_(W[h + "mlp.fc2.bias"])
    z = fc2(_act(cfg["hidden_act"])(fc1(_ln(W, h + "layernorm", D, eps, dt)(y))))
    return {"last_hidden_state": x, "pooler_output": (y + z)[:, 0]}
