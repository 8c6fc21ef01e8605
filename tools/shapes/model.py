"""The shapes model in PyTorch: dl_techniques' CLIP (the math of tools/encref/dl_clip.py, whose
functions it calls) and a MultiTaskVLMHead with the seed's four heads (SPEC.md 4.1-4.5, the math
of tools/vlmref), every weight held under its Keras variable.path so that export is a copy.

Dense kernels are [in, out] as in Keras. A head fed by the encoder takes the vision tower's
last_hidden_state (65 tokens: class token + 8x8 patches, after the last layer, no final norm)
as vision_features and the text tower's last_hidden_state over the ids padded with 0 to the
context length (16 tokens, pads included) as text_features / question_features.
"""

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "encref"))
import dl_clip  # noqa: E402

sys.path.insert(0, HERE)
import dataset as D  # noqa: E402

WIDTH = 64

CLIP_CONFIG = dl_clip.full_config(
    image_size=D.IMAGE, patch_size=8,
    vision_layers=3, vision_width=WIDTH, vision_heads=4, vision_kv_heads=2,
    vocab_size=len(D.VOCAB), context_length=D.CONTEXT,
    text_layers=2, text_width=WIDTH, text_heads=4, text_kv_heads=2,
    embed_dim=64, ffn_expansion_factor=4, ffn_multiple_of=32,
    dropout_rate=0.0, attention_dropout_rate=0.0, logit_scale_init=2.6592,
)
CLIP_PREFIX = "clip/"

MT = "multi_task_vlm_head"
CAP_LAYERS, CAP_HEADS = 2, 4
POS_ROWS = 20               # position_embedding rows = generation max_length
VQA_HIDDEN = [128, 64]
PROJ = 64


def _task_config(name, task_type, num_classes=None):
    return {
        "name": name, "task_type": task_type, "vocab_size": len(D.VOCAB), "hidden_size": WIDTH,
        "num_classes": num_classes if num_classes is not None else 1000,
        "vision_hidden_size": WIDTH, "text_hidden_size": WIDTH, "fusion_hidden_size": WIDTH,
        "max_text_length": D.CONTEXT, "dropout_rate": 0.0, "use_cross_attention": True,
        "fusion_type": "attention", "pooling_type": "avg", "use_task_specific_heads": True,
        "loss_weight": 1.0, "temperature": 1.0, "beam_size": 1,
    }


HEAD_CONFIG = {
    "name": MT,
    "trainable": True,
    "shared_vision_dim": WIDTH,
    "shared_text_dim": WIDTH,
    "task_configs": {
        "cap": _task_config("cap", "image_captioning"),
        "vqa": _task_config("vqa", "visual_question_answering", len(D.ANSWERS)),
        "grounding": _task_config("grounding", "visual_grounding"),
        "matching": _task_config("matching", "image_text_matching"),
    },
    "task_specific_kwargs": {
        "cap": {"num_layers": CAP_LAYERS, "num_heads": CAP_HEADS, "ffn_type": "swiglu",
                "ffn_expansion_factor": 4, "attention_type": "multi_head"},
        "vqa": {"hidden_dims": VQA_HIDDEN, "pooling_strategy": "attention"},
        "grounding": {"fusion_strategy": "gated"},
        "matching": {"projection_dim": PROJ, "fusion_strategy": "concatenation",
                     "normalization_type": "layer_norm", "use_post_fusion_ffn": True,
                     "ffn_type": "mlp", "ffn_expansion_factor": 4},
    },
}

CAP = f"{MT}/cap_head/"
VQA = f"{MT}/vqa_head/"
GRD = f"{MT}/grounding_head/"
MAT = f"{MT}/matching_head/"
MAT_TEMP = "matching_head/matching_head_temperature"   # outside the wrapper, as Keras makes it


def swiglu_width(d, factor=4):
    return 256 * math.ceil(int(d * factor * 2 / 3) / 256)


def head_shapes():
    """(path, shape) of every head weight, in a Keras-like creation order."""
    d, V = WIDTH, len(D.VOCAB)
    s = []
    f = swiglu_width(d)
    for i in range(CAP_LAYERS):
        s += [(CAP + f"self_attention_{i}/cross_attention/qkv/kernel", (d, 3 * d)),
              (CAP + f"self_attention_{i}/cross_attention/proj/kernel", (d, d))]
        for n, shp in (("q", (d, d)), ("kv", (d, 2 * d)), ("proj", (d, d))):
            s += [(CAP + f"cross_attention_{i}/{n}/kernel", shp), (CAP + f"cross_attention_{i}/{n}/bias", (shp[1],))]
        s += [(CAP + f"ffn_{i}/gate_proj/kernel", (d, f)), (CAP + f"ffn_{i}/up_proj/kernel", (d, f)),
              (CAP + f"ffn_{i}/down_proj/kernel", (f, d))]
        s += [(CAP + f"norm{k}_{i}/scale", (d,)) for k in (1, 2, 3)]
    s += [(CAP + "cap_head_output_proj/kernel", (d, V)), (CAP + "cap_head_output_proj/bias", (V,)),
          (CAP + "token_embedding", (V, d)), (CAP + "position_embedding", (POS_ROWS, d))]
    for n, shp in (("q", (d, d)), ("kv", (d, 2 * d)), ("proj", (d, d))):
        s += [(VQA + f"attention_pooling/{n}/kernel", shp), (VQA + f"attention_pooling/{n}/bias", (shp[1],))]
    prev = 2 * d
    for k, w in enumerate(VQA_HIDDEN):
        s += [(VQA + f"hidden_{k}/kernel", (prev, w)), (VQA + f"hidden_{k}/bias", (w,))]
        prev = w
    s += [(VQA + "output_layer/kernel", (prev, len(D.ANSWERS))), (VQA + "output_layer/bias", (len(D.ANSWERS),))]
    g = GRD + "grounding_head_fusion/"
    s += [(g + "gate_0/kernel", (d, d)), (g + "gate_0/bias", (d,)), (g + "gate_1/kernel", (d, d)),
          (g + "gate_1/bias", (d,)), (g + "gated_projection/kernel", (2 * d, d)), (g + "gated_projection/bias", (d,)),
          (g + "gated_norm/gamma", (d,)), (g + "gated_norm/beta", (d,))]
    s += [(GRD + "grounding_head_bbox_regressor/kernel", (d, 4)), (GRD + "grounding_head_bbox_regressor/bias", (4,)),
          (GRD + "grounding_head_confidence/kernel", (d, 1)), (GRD + "grounding_head_confidence/bias", (1,))]
    m = MAT + "matching_head_"
    s += [(MAT_TEMP, ()),
          (m + "fusion/concat_projection/kernel", (2 * d, d)), (m + "fusion/concat_projection/bias", (d,)),
          (m + "fusion/concat_norm/gamma", (d,)), (m + "fusion/concat_norm/beta", (d,)),
          (m + "post_fusion_norm/gamma", (d,)), (m + "post_fusion_norm/beta", (d,)),
          (m + "post_fusion_ffn/fc1/kernel", (d, 4 * d)), (m + "post_fusion_ffn/fc1/bias", (4 * d,)),
          (m + "post_fusion_ffn/fc2/kernel", (4 * d, d)), (m + "post_fusion_ffn/fc2/bias", (d,)),
          (m + "vision_proj/kernel", (d, PROJ)), (m + "vision_proj/bias", (PROJ,)),
          (m + "text_proj/kernel", (d, PROJ)), (m + "text_proj/bias", (PROJ,)),
          (m + "similarity/kernel", (d, 1)), (m + "similarity/bias", (1,))]
    return s


def f16(a):
    """float32 values rounded to float16 (the stored dtype), as float32."""
    return np.asarray(a, np.float32).astype(np.float16).astype(np.float32)


def init_weights(seed):
    """Seeded initial weights, {path: float32 ndarray}: kernels U(+-1/sqrt(in)) (torch Linear's
    default), biases and betas 0, norm scales and gammas 1, embeddings N(0, 0.5^2), the class
    token N(0, 0.5^2), logit_scale 2.6592, temperature 0.07, RoPE tables exact (rounded to F16,
    the stored dtype: they are constants)."""
    rng = np.random.default_rng(seed)
    W = {}
    shapes = dl_clip.weight_shapes(CLIP_CONFIG, CLIP_PREFIX) + head_shapes()
    for name, shape in shapes:
        leaf = name.rsplit("/", 1)[1]
        if leaf in ("cos_cached", "sin_cached"):
            cos, sin = dl_clip.rope_tables(2 * shape[1])
            a = f16(cos if leaf == "cos_cached" else sin)
        elif leaf == "logit_scale":
            a = np.array(CLIP_CONFIG["logit_scale_init"])
        elif name == MAT_TEMP:
            a = np.array(0.07)
        elif leaf in ("scale", "gamma"):
            a = np.ones(shape)
        elif leaf in ("bias", "beta"):
            a = np.zeros(shape)
        elif leaf == "kernel":
            fan_in = int(np.prod(shape[:-1]))
            a = rng.uniform(-1, 1, shape) / math.sqrt(fan_in)
        else:  # class_token, embeddings, token/position embedding of the caption head
            a = 0.5 * rng.standard_normal(shape)
        W[name] = np.asarray(a, dtype=np.float32)
    return W


def trainable(name):
    return not name.endswith("_cached")


class Model(torch.nn.Module):
    """All weights as parameters named by their Keras paths (ParameterList + names)."""

    def __init__(self, weights):
        super().__init__()
        self.names = list(weights)
        self.params = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.tensor(weights[n]), requires_grad=trainable(n)) for n in self.names])

    @property
    def W(self):
        return dict(zip(self.names, self.params))

    def numpy(self):
        return {n: p.detach().cpu().numpy().copy() for n, p in zip(self.names, self.params)}

    def load(self, weights):
        with torch.no_grad():
            for n, p in zip(self.names, self.params):
                p.copy_(torch.tensor(weights[n]))


# ---------------------------------------------------------------------------------------------
# encoder: dl_clip's functions (float32 here, float64 in the reference)


def clip_cfg_effective():
    return CLIP_CONFIG


def encode_image(W, images):
    """images [B, 64, 64, 3] float (preprocessed, channels last) -> (image_features, tokens)."""
    return dl_clip.encode_image(W, CLIP_CONFIG, images, CLIP_PREFIX)


def encode_text(W, ids):
    """ids [B, 16] int (padded with 0) -> (text_features, tokens [B, 16, D], pooled positions)."""
    return dl_clip.encode_text(W, CLIP_CONFIG, ids, CLIP_PREFIX)


def logit_scale(W):
    return torch.exp(torch.clamp(W[CLIP_PREFIX + "logit_scale"], max=math.log(100.0)))


IMAGE_MEAN = [0.5, 0.5, 0.5]
IMAGE_STD = [0.5, 0.5, 0.5]
RESCALE = 1.0 / 255.0


def preprocess(images_u8):
    """uint8 [B, 64, 64, 3] -> float32 as CLIPImageProcessor: v * (1/255), (v - mean) / std."""
    x = torch.tensor(np.asarray(images_u8)).to(torch.float32) * np.float32(RESCALE)
    mean = torch.tensor(IMAGE_MEAN, dtype=torch.float32)
    std = torch.tensor(IMAGE_STD, dtype=torch.float32)
    return (x - mean) / std


def preprocessor_config():
    return {
        "image_processor_type": "CLIPImageProcessor",
        "do_resize": True, "size": {"height": D.IMAGE, "width": D.IMAGE}, "resample": 3,
        "do_center_crop": False, "crop_size": {"height": D.IMAGE, "width": D.IMAGE},
        "do_rescale": True, "rescale_factor": RESCALE,
        "do_normalize": True, "image_mean": IMAGE_MEAN, "image_std": IMAGE_STD,
        "do_convert_rgb": True,
    }


# ---------------------------------------------------------------------------------------------
# heads (SPEC 2-4 in torch; tools/vlmref is the float64 twin)


def dense(W, name, x, act=None, bias=True):
    y = torch.matmul(x, W[name + "/kernel"])
    if bias:
        y = y + W[name + "/bias"]
    if act == "gelu":
        y = F.gelu(y)  # exact (erf)
    elif act == "sigmoid":
        y = torch.sigmoid(y)
    return y


def rms(x, scale, eps=1e-6):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * scale


def layer_norm(x, gamma, beta, eps=1e-6):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta


def attend(q, k, v, heads, causal=False):
    B, S, Dm = q.shape
    N = k.shape[1]
    dh = Dm // heads
    qh = q.reshape(B, S, heads, dh).transpose(1, 2)
    kh = k.reshape(B, N, heads, dh).transpose(1, 2)
    vh = v.reshape(B, N, heads, dh).transpose(1, 2)
    s = torch.matmul(qh, kh.transpose(-1, -2)) * (1.0 / math.sqrt(dh))
    if causal:
        keep = torch.ones(S, N, dtype=torch.bool).tril()
        s = s + torch.where(keep, 0.0, -1e9)
    p = torch.softmax(s, dim=-1)
    return torch.matmul(p, vh).transpose(1, 2).reshape(B, S, Dm)


def cross_attention(W, p, x, kv, heads):
    d = W[p + "q/kernel"].shape[1]
    q = dense(W, p + "q", x)
    kvp = dense(W, p + "kv", kv)
    return dense(W, p + "proj", attend(q, kvp[..., :d], kvp[..., d:], heads))


def caption_embed(W, ids):
    """Decoder input: token_embedding[ids] + position_embedding[t] (BOS at position 0)."""
    return W[CAP + "token_embedding"][ids] + W[CAP + "position_embedding"][: ids.shape[1]]


def caption_head(W, text, memory):
    """SPEC 4.1, post-norm; text [B,S,D] embedded, memory [B,N,D] -> (logits, hidden)."""
    x = text
    d = x.shape[-1]
    for i in range(CAP_LAYERS):
        sa = CAP + f"self_attention_{i}/cross_attention/"
        qkv = torch.matmul(x, W[sa + "qkv/kernel"])
        a = attend(qkv[..., :d], qkv[..., d:2 * d], qkv[..., 2 * d:], CAP_HEADS, causal=True)
        x = rms(x + torch.matmul(a, W[sa + "proj/kernel"]), W[CAP + f"norm1_{i}/scale"])
        x = rms(x + cross_attention(W, CAP + f"cross_attention_{i}/", x, memory, CAP_HEADS), W[CAP + f"norm2_{i}/scale"])
        fp = CAP + f"ffn_{i}/"
        h = F.silu(torch.matmul(x, W[fp + "gate_proj/kernel"])) * torch.matmul(x, W[fp + "up_proj/kernel"])
        x = rms(x + torch.matmul(h, W[fp + "down_proj/kernel"]), W[CAP + f"norm3_{i}/scale"])
    return dense(W, CAP + "cap_head_output_proj", x), x


def vqa_head(W, vision, question):
    """SPEC 4.2, attention pooling with 8 heads -> answer_logits [B, classes]."""
    ap = VQA + "attention_pooling/"
    va = cross_attention(W, ap, vision, question, 8).mean(1)
    ta = cross_attention(W, ap, question, vision, 8).mean(1)
    x = torch.cat([va, ta], -1)
    for k in range(len(VQA_HIDDEN)):
        x = dense(W, VQA + f"hidden_{k}", x, "gelu")
    return dense(W, VQA + "output_layer", x)


def grounding_fusion(W, vision, text):
    """Gated fusion of vision [B,N,D] with the mean text query tiled: f [B,N,D]."""
    q = text.mean(1)
    t = q[:, None, :].expand(-1, vision.shape[1], -1)
    g = GRD + "grounding_head_fusion/"
    g1 = vision * dense(W, g + "gate_0", vision, "sigmoid")
    g2 = t * dense(W, g + "gate_1", t, "sigmoid")
    y = dense(W, g + "gated_projection", torch.cat([g1, g2], -1), "gelu")
    return layer_norm(y, W[g + "gated_norm/gamma"], W[g + "gated_norm/beta"])


def grounding_head(W, vision, text):
    """SPEC 4.3 -> (bbox from the argmax token, confidence [B,N], fused f, confidence logits,
    box of every token [B,N,4])."""
    f = grounding_fusion(W, vision, text)
    conf_logit = dense(W, GRD + "grounding_head_confidence", f)[..., 0]
    boxes = dense(W, GRD + "grounding_head_bbox_regressor", f, "sigmoid")
    k = torch.argmax(conf_logit, dim=1)
    ar = torch.arange(f.shape[0])
    return boxes[ar, k], torch.sigmoid(conf_logit), f, conf_logit, boxes


def matching_temperature(W):
    return torch.clamp(W[MAT_TEMP], min=0.01, max=1.0)


def matching_embed(W, vision, text):
    m = MAT + "matching_head_"
    vp, tp = vision.mean(1), text.mean(1)
    ve = F.normalize(dense(W, m + "vision_proj", vp), dim=-1, eps=1e-7)
    te = F.normalize(dense(W, m + "text_proj", tp), dim=-1, eps=1e-7)
    return ve, te, vp, tp


def match_score_logit(W, vp, tp):
    m = MAT + "matching_head_"
    y = dense(W, m + "fusion/concat_projection", torch.cat([vp, tp], -1), "gelu")
    y = layer_norm(y, W[m + "fusion/concat_norm/gamma"], W[m + "fusion/concat_norm/beta"])
    y = layer_norm(y, W[m + "post_fusion_norm/gamma"], W[m + "post_fusion_norm/beta"])
    y = dense(W, m + "post_fusion_ffn/fc2", dense(W, m + "post_fusion_ffn/fc1", y, "gelu"))
    return dense(W, m + "similarity", y)[..., 0]


def matching_head(W, vision, text):
    """SPEC 4.4 on a batch (pairs i, i for the score)."""
    ve, te, vp, tp = matching_embed(W, vision, text)
    sim = ve @ te.T
    return {"similarity_matrix": sim, "logits": sim / matching_temperature(W),
            "match_score": torch.sigmoid(match_score_logit(W, vp, tp)),
            "vision_embeddings": ve, "text_embeddings": te}


@torch.no_grad()
def greedy(W, memory, max_length=POS_ROWS, bos=D.BOS, eos=D.EOS):
    """Greedy captions (SPEC 6; full recompute), memory [B,N,D] -> list of token lists (EOS
    included when emitted)."""
    B = memory.shape[0]
    seqs = torch.full((B, 1), bos, dtype=torch.int64)
    done = torch.zeros(B, dtype=torch.bool)
    out = [[] for _ in range(B)]
    for _ in range(max_length):
        logits, _ = caption_head(W, caption_embed(W, seqs), memory)
        nxt = torch.argmax(logits[:, -1], dim=-1)
        for b in range(B):
            if not done[b]:
                out[b].append(int(nxt[b]))
                if int(nxt[b]) == eos:
                    done[b] = True
        if bool(done.all()):
            break
        seqs = torch.cat([seqs, nxt[:, None]], 1)
    return out


def config_json():
    return json.dumps(HEAD_CONFIG)
