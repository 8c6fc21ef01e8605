"""The heads of SPEC.md sections 4 and 5 on top of layers.py (float64).

Each head is a small class built from (tensors, config, prefix); run(inputs) takes a dict of
arrays keyed like the fixture inputs (without "input.") and returns a dict of outputs.
"""

import json

import numpy as np

from . import layers as L


def _task(cfg):
    tc = cfg.get("task_config") or {}
    return tc


def _hidden(cfg):
    return int(_task(cfg)["hidden_size"])


def _f64(a):
    return np.asarray(a, dtype=np.float64)


class Decoder:
    """The post-norm decoder of SPEC 4.1 (self-attn, cross-attn, FFN; RMS norms) + output_proj."""

    def __init__(self, w, head_name, cfg):
        self.w = w
        self.head = head_name
        self.layers = int(cfg.get("num_layers", 6))
        self.heads = int(cfg.get("num_heads", 12))
        self.ffn_type = cfg.get("ffn_type", "swiglu")
        self.attention_type = cfg.get("attention_type", "multi_head")
        self.d = _hidden(cfg)
        if self.d % self.heads:
            raise ValueError(f"hidden_size {self.d} % num_heads {self.heads} != 0")
        if self.attention_type not in ("multi_head", "flash", "sparse", "differential"):
            raise ValueError(f"unknown attention_type {self.attention_type!r}")

    def _attn_args(self):
        if self.attention_type == "flash":
            return {"tile": 3}
        if self.attention_type == "sparse":
            return {"prob": "sparsemax"}
        return {}

    def hidden(self, x, memory):
        """x (B,S,D) text stream, memory (B,N,Dkv) -> final hidden states (B,S,D)."""
        w = self.w
        keep = L.causal_keep(x.shape[1])
        for i in range(self.layers):
            if self.attention_type == "differential":
                sa = L.differential_attention(w.scope(f"self_attention_{i}"), x, x, self.heads, i, keep)
            else:
                sa = L.self_attention(w.scope(f"self_attention_{i}"), x, self.heads, keep, **self._attn_args())
            x = L.rms_norm(x + sa, w.get(f"norm1_{i}/scale"))
            if self.attention_type == "differential":
                ca = L.differential_attention(w.scope(f"cross_attention_{i}"), x, memory, self.heads, i)
            else:
                ca = L.cross_attention(w.scope(f"cross_attention_{i}"), x, memory, self.heads, **self._attn_args())
            x = L.rms_norm(x + ca, w.get(f"norm2_{i}/scale"))
            x = L.rms_norm(x + L.ffn(w.scope(f"ffn_{i}"), x, self.ffn_type), w.get(f"norm3_{i}/scale"))
        return x

    def logits(self, h):
        return L.dense(self.w, f"{self.head}_output_proj", h)

    def __call__(self, x, memory):
        h = self.hidden(x, memory)
        return self.logits(h), h


class CaptioningHead:
    """SPEC 4.1 ImageCaptioningHead."""

    def __init__(self, w, cfg, name):
        self.w, self.cfg, self.name = w, cfg, name
        self.decoder = Decoder(w, name, cfg)

    def run(self, inp):
        logits, h = self.decoder(_f64(inp["text_features"]), _f64(inp["vision_features"]))
        return {"logits": logits, "hidden_states": h}

    def memory(self, inp):
        return _f64(inp["vision_features"])


class VQAHead:
    """SPEC 4.2 VQAHead."""

    def __init__(self, w, cfg, name):
        self.w, self.cfg, self.name = w, cfg, name
        self.pool = cfg.get("pooling_strategy", "attention")
        self.hidden_dims = list(cfg.get("hidden_dims", [512, 256]))

    def run(self, inp):
        v, q = _f64(inp["vision_features"]), _f64(inp["question_features"])
        if self.pool == "attention":
            ap = self.w.scope("attention_pooling")
            va = L.cross_attention(ap, v, q, 8)
            ta = L.cross_attention(ap, q, v, 8)
            vp, tp = va.mean(axis=1), ta.mean(axis=1)
        elif self.pool == "mean":
            vp, tp = v.mean(axis=1), q.mean(axis=1)
        elif self.pool == "max":
            vp, tp = v.max(axis=1), q.max(axis=1)
        else:
            raise ValueError(f"unknown pooling_strategy {self.pool!r}")
        x = np.concatenate([vp, tp], -1)
        for k in range(len(self.hidden_dims)):
            x = L.dense(self.w, f"hidden_{k}", x, "gelu")
        return {"answer_logits": L.dense(self.w, "output_layer", x)}


class GroundingHead:
    """SPEC 4.3 VisualGroundingHead."""

    def __init__(self, w, cfg, name):
        self.w, self.cfg, self.name = w, cfg, name
        self.fusion = cfg.get("fusion_strategy", "gated")

    def run(self, inp):
        v, t = _f64(inp["vision_features"]), _f64(inp["text_features"])
        if v.ndim != 3:
            raise ValueError("grounding: vision_features must be rank 3")
        q = t.mean(axis=1) if t.ndim == 3 else t
        tt = np.repeat(q[:, None, :], v.shape[1], axis=1)
        f = L.fusion(self.w.scope(f"{self.name}_fusion"), v, tt, self.fusion)
        conf = L.dense(self.w, f"{self.name}_confidence", f, "sigmoid")[..., 0]
        k = np.argmax(conf, axis=1)  # first maximum
        g = f[np.arange(f.shape[0]), k]
        bbox = L.dense(self.w, f"{self.name}_bbox_regressor", g, "sigmoid")
        return {"bbox": bbox, "confidence": conf, "grounded_features": g}


class MatchingHead:
    """SPEC 4.4 ImageTextMatchingHead. temperature_w: where the temperature scalar lives."""

    def __init__(self, w, cfg, name, temperature_w=None):
        self.w, self.cfg, self.name = w, cfg, name
        self.tw = temperature_w or w
        self.fusion = cfg.get("fusion_strategy", "concatenation")
        self.norm = cfg.get("normalization_type", "layer_norm")
        self.use_ffn = bool(cfg.get("use_post_fusion_ffn", True))
        self.ffn_type = cfg.get("ffn_type", "mlp")

    def run(self, inp):
        v, t = _f64(inp["vision_features"]), _f64(inp["text_features"])
        vp = v.mean(axis=1) if v.ndim == 3 else v
        tp = t.mean(axis=1) if t.ndim == 3 else t
        n = self.name
        ve = L.l2_normalize(L.dense(self.w, f"{n}_vision_proj", vp))
        te = L.l2_normalize(L.dense(self.w, f"{n}_text_proj", tp))
        sim = ve @ te.T
        temp = float(self.tw.get(f"{n}_temperature").reshape(()))
        m = L.fusion(self.w.scope(f"{n}_fusion"), vp[:, None], tp[:, None], self.fusion)[:, 0]
        m = L.norm(self.w, f"{n}_post_fusion_norm", m, self.norm)
        if self.use_ffn:
            m = L.ffn(self.w.scope(f"{n}_post_fusion_ffn"), m, self.ffn_type)
        score = L.dense(self.w, f"{n}_similarity", m, "sigmoid")[..., 0]
        return {"similarity_matrix": sim, "logits": sim / temp, "match_score": score,
                "vision_embeddings": ve, "text_embeddings": te}


def top_k_desc(scores, k):
    """Indices of the k largest, descending, lower index first on ties (stable)."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return np.array(order[:k], dtype=np.int64)


class DenseCaptioningHead:
    """SPEC 5.1 DenseCaptioningHead."""

    def __init__(self, w, cfg, name):
        self.w, self.cfg, self.name = w, cfg, name
        self.k = int(cfg.get("num_regions", 10))
        self.decoder = Decoder(w, name, cfg)
        self.last_indices = None

    def run(self, inp):
        v, t = _f64(inp["vision_features"]), _f64(inp["text_features"])
        b, n, _ = v.shape
        k = min(self.k, n)
        n_ = self.name
        obj = L.dense(self.w, f"{n_}_objectness", v, "sigmoid")[..., 0]
        box = L.dense(self.w, f"{n_}_box", v, "sigmoid")
        idx = np.stack([top_k_desc(obj[i], k) for i in range(b)])
        self.last_indices = idx
        rows = np.arange(b)[:, None]
        scores = obj[rows, idx]
        bboxes = box[rows, idx]
        region_tok = L.dense(self.w, f"{n_}_region_proj", v[rows, idx])  # (B, K, Dv)
        logits = []
        for j in range(k):
            mem = np.concatenate([region_tok[:, j:j + 1], v], axis=1)
            tj = t[:, j] if t.ndim == 4 else t
            lg, _ = self.decoder(tj, mem)
            logits.append(lg)
        return {"region_scores": scores, "region_bboxes": bboxes,
                "caption_logits": np.stack(logits, axis=1)}


class VisualDialogueHead:
    """SPEC 5.2 VisualDialogueHead."""

    def __init__(self, w, cfg, name):
        self.w, self.cfg, self.name = w, cfg, name
        self.decoder = Decoder(w, name, cfg)

    def context(self, inp):
        v = _f64(inp["vision_features"])
        hist = _f64(inp["dialogue_history"])
        utt = _f64(inp["current_utterance"])
        b = v.shape[0]
        hist = hist.reshape(b, -1, hist.shape[-1])
        vp = L.dense(self.w, f"{self.name}_vision_proj", v)
        return np.concatenate([vp, hist, utt], axis=1)

    def run(self, inp):
        ctx = self.context(inp)
        logits, h = self.decoder(_f64(inp["response_features"]), ctx)
        out = {"response_logits": logits, "hidden_states": h}
        if "candidate_responses" in inp:
            n = self.name
            c = _f64(inp["candidate_responses"]).mean(axis=2)
            m = ctx.mean(axis=1)
            me = L.l2_normalize(L.dense(self.w, f"{n}_context_proj", m))
            ce = L.l2_normalize(L.dense(self.w, f"{n}_candidate_proj", c))
            temp = float(self.w.get(f"{n}_temperature").reshape(()))
            out["candidate_scores"] = np.einsum("bp,bcp->bc", me, ce) / temp
        return out


_BY_TASK = {
    "image_captioning": CaptioningHead,
    "visual_question_answering": VQAHead,
    "visual_grounding": GroundingHead,
    "image_text_matching": MatchingHead,
    "dense_captioning": DenseCaptioningHead,
    "visual_dialogue": VisualDialogueHead,
}

_BY_CLASS = {
    "ImageCaptioningHead": CaptioningHead,
    "VQAHead": VQAHead,
    "VisualGroundingHead": GroundingHead,
    "ImageTextMatchingHead": MatchingHead,
    "DenseCaptioningHead": DenseCaptioningHead,
    "VisualDialogueHead": VisualDialogueHead,
}


class MultiTaskHead:
    """SPEC 4.5 MultiTaskVLMHead: each task head under the wrapper's prefix."""

    def __init__(self, tensors, cfg):
        self.prefix = cfg.get("name", "multi_task_vlm_head")
        self.heads = {}
        kwargs = cfg.get("task_specific_kwargs") or {}
        for task, tc in cfg["task_configs"].items():
            hc = dict(kwargs.get(task) or {})
            hc["task_config"] = tc
            name = f"{tc['name']}_head"
            w = L.Weights(tensors, f"{self.prefix}/{name}/")
            cls = _BY_TASK[tc["task_type"]]
            if cls is MatchingHead:
                self.heads[task] = cls(w, hc, name, temperature_w=L.Weights(tensors, f"{name}/"))
            else:
                self.heads[task] = cls(w, hc, name)

    def run(self, inp):
        out = {}
        for task, h in self.heads.items():
            for k, v in h.run(inp).items():
                out[f"{task}.{k}"] = v
        return out


def build(tensors, meta):
    """Builds the head of a file from its tensors and metadata (class_name, config)."""
    cls_name = meta["class_name"]
    cfg = json.loads(meta["config"])
    if cls_name == "MultiTaskVLMHead":
        return MultiTaskHead(tensors, cfg)
    if cls_name not in _BY_CLASS:
        raise ValueError(f"unknown class_name {cls_name!r}")
    name = f"{cfg['task_config']['name']}_head"
    return _BY_CLASS[cls_name](L.Weights(tensors, name + "/"), cfg, name)


def split_io(tensors):
    """Splits a fixture's tensors into (inputs without 'input.', outputs without 'output.')."""
    inp = {k[len("input."):]: v for k, v in tensors.items() if k.startswith("input.")}
    out = {k[len("output."):]: v for k, v in tensors.items() if k.startswith("output.")}
    return inp, out
