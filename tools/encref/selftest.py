#!/usr/bin/python3
"""Self-test of the encoder reference (tools/encref/hf.py).

Checks each primitive against torch's own (F.layer_norm, F.gelu, torch.softmax, F.conv2d,
F._scaled_dot_product_attention, nn.MultiheadAttention), the whole towers against the
torch.nn-module implementation of modules.py (float64, random configs, batch and causal mask),
the end-of-text rules on hand-worked ids, and re-runs both implementations on the committed
fixtures under testdata/encoders/ against their stored float32 outputs.

Usage: /usr/bin/python3 tools/encref/selftest.py [-v]
"""

import json
import math
import os
import sys
import unittest

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)
import safetensors_io  # noqa: E402
from encref import dl_clip, hf, modules  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(TOOLS), "testdata", "encoders")
D64 = torch.float64
TIGHT = dict(rtol=1e-10, atol=1e-10)


def close(a, b, **tol):
    tol = tol or TIGHT
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), **tol)


class Primitives(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)

    def test_layer_norm(self):
        x = torch.randn(3, 5, 17, dtype=D64) * 3 + 1
        w, b = torch.randn(17, dtype=D64), torch.randn(17, dtype=D64)
        for eps in (1e-5, 1e-6):
            close(hf.layer_norm(x, w, b, eps), F.layer_norm(x, (17,), w, b, eps))

    def test_activations(self):
        x = torch.linspace(-8, 8, 2001, dtype=D64)
        close(hf.gelu(x), F.gelu(x))
        close(hf.gelu_tanh(x), F.gelu(x, approximate="tanh"))
        close(hf.quick_gelu(x), x / (1 + torch.exp(-1.702 * x)))

    def test_softmax(self):
        s = torch.randn(4, 9, 11, dtype=D64) * 10
        s[0, 0, 3:] = float("-inf")
        close(hf.softmax(s), torch.softmax(s, -1))

    def test_patch_embed_is_conv(self):
        x = torch.randn(2, 3, 24, 32, dtype=D64)
        w, b = torch.randn(7, 3, 8, 8, dtype=D64), torch.randn(7, dtype=D64)
        ref = F.conv2d(x, w, b, stride=8).flatten(2).transpose(1, 2)
        close(hf.patch_embed(x, w, b), ref)
        close(hf.patch_embed(x, w), F.conv2d(x, w, stride=8).flatten(2).transpose(1, 2))

    def _weights(self, D):
        return [torch.randn(D, D, dtype=D64) / math.sqrt(D) if i % 2 == 0 else torch.randn(D, dtype=D64) * 0.1
                for i in range(8)]

    def test_attention_vs_multihead_attention(self):
        D, H = 24, 4
        wq, bq, wk, bk, wv, bv, wo, bo = self._weights(D)
        xq, xkv = torch.randn(2, 5, D, dtype=D64), torch.randn(2, 9, D, dtype=D64)
        m = nn.MultiheadAttention(D, H, batch_first=True).to(D64).eval()
        m.in_proj_weight.data.copy_(torch.cat([wq, wk, wv]))
        m.in_proj_bias.data.copy_(torch.cat([bq, bk, bv]))
        m.out_proj.weight.data.copy_(wo)
        m.out_proj.bias.data.copy_(bo)
        with torch.no_grad():
            ref = m(xq, xkv, xkv, need_weights=False)[0]
            close(hf.attention(xq, xkv, wq, bq, wk, bk, wv, bv, wo, bo, H), ref)
            x = torch.randn(2, 7, D, dtype=D64)
            mask = torch.triu(torch.ones(7, 7, dtype=torch.bool), 1)
            ref = m(x, x, x, attn_mask=mask, need_weights=False)[0]
            close(hf.attention(x, x, wq, bq, wk, bk, wv, bv, wo, bo, H, causal=True), ref)

    def test_attention_vs_sdpa(self):
        sdpa = getattr(F, "scaled_dot_product_attention", None)
        if sdpa is None and hasattr(F, "_scaled_dot_product_attention"):
            def sdpa(q, k, v, is_causal=False):  # torch 1.13's private form returns (out, weights)
                return F._scaled_dot_product_attention(q, k, v, None, 0.0, False, is_causal)[0]
        if sdpa is None:
            self.skipTest("no scaled_dot_product_attention in this torch")
        D, H = 32, 4
        dh = D // H
        eye = torch.eye(D, dtype=D64)
        zero = torch.zeros(D, dtype=D64)
        for causal in (False, True):
            x = torch.randn(3, 6, D, dtype=D64)
            mine = hf.attention(x, x, eye, zero, eye, zero, eye, zero, eye, zero, H, causal=causal)
            q = x.reshape(3, 6, H, dh).transpose(1, 2)
            ref = sdpa(q, q, q, is_causal=causal) if causal else sdpa(q, q, q)
            close(mine, ref.transpose(1, 2).reshape(3, 6, D))

    def test_eot_rules(self):
        ids = torch.tensor([[0, 5, 2, 9, 7, 2], [0, 2, 3, 4, 2, 2], [0, 1, 1, 1, 1, 1]])
        pos, rule = hf.eot_positions(ids, 2)  # legacy: arg-max of the ids, first max
        self.assertEqual((pos.tolist(), rule), ([3, 3, 1], "legacy_argmax"))
        pos, rule = hf.eot_positions(ids, 9)
        self.assertEqual((pos.tolist(), rule), ([3, 0, 0], "first_eos_token_id"))
        pos, _ = hf.eot_positions(torch.tensor([[3, 7, 7, 7], [7, 1, 7, 1]]), 7)
        self.assertEqual(pos.tolist(), [1, 0])


def random_case(kind, act, seed, layers=2, D=24, H=3, F_=40, image=24, patch=6):
    init = hf.Init(seed)
    if kind == "clip_vision":
        cfg = hf.clip_vision_config(D, F_, layers, H, image, patch, act=act, proj=16)
        W = hf.random_clip_vision(init, cfg)
        W["visual_projection.weight"] = init.normal((16, D), 1 / math.sqrt(D))
    elif kind == "siglip_vision":
        cfg = hf.siglip_vision_config(D, F_, layers, H, image, patch, act=act)
        W = hf.random_siglip_vision(init, cfg)
    else:
        cfg = hf.clip_text_config(D, F_, layers, H, 50, 12, eos=49, bos=48, pad=49, act=act, proj=16)
        W = hf.random_clip_text(init, cfg)
        W["text_projection.weight"] = init.normal((16, D), 1 / math.sqrt(D))
    return cfg, hf.to_torch(W)


class TowersVsModules(unittest.TestCase):
    def test_clip_vision(self):
        for act in ("quick_gelu", "gelu", "gelu_pytorch_tanh"):
            cfg, W = random_case("clip_vision", act, 11)
            x = torch.randn(3, 3, 24, 24, dtype=D64, generator=torch.Generator().manual_seed(1))
            with torch.no_grad():
                a, b = hf.clip_vision(W, cfg, x), modules.clip_vision(W, cfg, x)
            for k in ("last_hidden_state", "pooler_output", "image_embeds"):
                close(a[k], b[k], rtol=1e-9, atol=1e-9)

    def test_siglip_vision(self):
        for act in ("gelu_pytorch_tanh", "gelu"):
            cfg, W = random_case("siglip_vision", act, 12)
            x = torch.randn(3, 3, 24, 24, dtype=D64, generator=torch.Generator().manual_seed(2))
            with torch.no_grad():
                a, b = hf.siglip_vision(W, cfg, x), modules.siglip_vision(W, cfg, x)
            for k in ("last_hidden_state", "pooler_output"):
                close(a[k], b[k], rtol=1e-9, atol=1e-9)

    def test_clip_text(self):
        for act, eos in (("quick_gelu", 49), ("gelu", 49), ("quick_gelu", 2)):
            cfg, W = random_case("clip_text", act, 13)
            cfg["eos_token_id"] = eos
            ids = torch.tensor([[48, 5, 2, 30, 49, 49, 49, 49, 49, 49],
                                [48, 7, 9, 2, 11, 12, 13, 14, 15, 49]])
            with torch.no_grad():
                (a, meta), (b, where) = hf.clip_text(W, cfg, ids), modules.clip_text(W, cfg, ids)
            self.assertEqual(meta["eot_positions"], where)
            self.assertEqual(where, [4, 9])
            for k in ("last_hidden_state", "pooler_output", "text_embeds"):
                close(a[k], b[k], rtol=1e-9, atol=1e-9)

    def test_causal(self):
        """Changing a later token leaves every earlier position's state unchanged."""
        cfg, W = random_case("clip_text", "quick_gelu", 14)
        ids = torch.tensor([[48, 5, 6, 7, 8, 9, 49]])
        ids2 = ids.clone()
        ids2[0, 4] = 33
        with torch.no_grad():
            a, _ = hf.clip_text(W, cfg, ids)
            b, _ = hf.clip_text(W, cfg, ids2)
        close(a["last_hidden_state"][0, :4], b["last_hidden_state"][0, :4])
        self.assertGreater(float((a["last_hidden_state"][0, 4:] - b["last_hidden_state"][0, 4:]).abs().max()), 1e-3)


class Fixtures(unittest.TestCase):
    """The committed fixtures: stored outputs = both implementations (float64) to float32 rounding."""

    def cases(self):
        if not os.path.isdir(FIXTURES):
            self.skipTest("no testdata/encoders")
        return sorted(d for d in os.listdir(FIXTURES) if os.path.isfile(os.path.join(FIXTURES, d, "config.json")))

    def test_fixtures(self):
        names = self.cases()
        self.assertTrue(names)
        for name in names:
            d = os.path.join(FIXTURES, name)
            with self.subTest(case=name):
                with open(os.path.join(d, "config.json")) as f:
                    cfg = json.load(f)
                W32, wmeta = safetensors_io.load(os.path.join(d, "model.safetensors"))
                for k, v in W32.items():
                    self.assertEqual(v.dtype, np.float32, k)
                ref, meta = safetensors_io.load(os.path.join(d, "reference.safetensors"))
                self.assertEqual(meta["case"], name)
                W = hf.to_torch(W32)
                got = {}
                with torch.no_grad():
                    mt = cfg["model_type"]
                    vcfg = cfg.get("vision_config", cfg)
                    if mt in ("clip", "clip_vision_model"):
                        pv = torch.from_numpy(ref["input.pixel_values"]).to(D64)
                        v = modules.clip_vision(W, vcfg, pv)
                        v2 = hf.clip_vision(W, vcfg, pv)
                    else:
                        pv = torch.from_numpy(ref["input.pixel_values"]).to(D64)
                        v = modules.siglip_vision(W, vcfg, pv)
                        v2 = hf.siglip_vision(W, vcfg, pv)
                    for k in v:
                        close(v[k], v2[k], rtol=1e-9, atol=1e-9)
                    if mt == "siglip_vision_model":
                        v["image_embeds"] = v["pooler_output"]
                    if mt == "clip":
                        t, where = modules.clip_text(W, cfg["text_config"], torch.from_numpy(ref["input.input_ids"]))
                        self.assertEqual(json.loads(meta["eot_positions"]), where)
                        rule = "legacy_argmax" if cfg["text_config"]["eos_token_id"] == 2 else "first_eos_token_id"
                        self.assertEqual(meta["eot_rule"], rule)
                        got["output.image_embeds"] = v["image_embeds"]
                        got["output.text_embeds"] = t["text_embeds"]
                        i = v["image_embeds"] / v["image_embeds"].norm(dim=-1, keepdim=True)
                        tt = t["text_embeds"] / t["text_embeds"].norm(dim=-1, keepdim=True)
                        got["output.logits_per_image"] = W["logit_scale"].exp() * i @ tt.T
                        for k in ("last_hidden_state", "pooler_output"):
                            got["output.vision." + k] = v[k]
                            got["output.text." + k] = t[k]
                    else:
                        for k in v:
                            got["output." + k] = v[k]
                self.assertEqual(sorted(got), sorted(k for k in ref if k.startswith("output.")))
                for k, g in got.items():
                    r = ref[k]
                    self.assertEqual(r.dtype, np.float32, k)
                    self.assertEqual(list(r.shape), list(g.shape), k)
                    # float64 rounded to float32: the same float32 up to one ulp (two float64
                    # codings may straddle a rounding boundary)
                    close(r, g.numpy().astype(np.float32), rtol=1.2e-7, atol=1e-7)
                    self.assertGreater(float(np.std(r)), 0.1, k)


class DlClip(unittest.TestCase):
    """dl_techniques' CLIP (dl_clip.py): RoPE, GQA, RMSNorm, patch conv against independent codings."""

    def test_rope_is_complex_rotation(self):
        x = torch.randn(2, 3, 9, 8, dtype=D64)
        cos, sin = (torch.from_numpy(t) for t in dl_clip.rope_tables(8, max_seq_len=16))
        got = dl_clip.apply_rope(x, cos, sin)
        z = torch.view_as_complex(x.reshape(2, 3, 9, 4, 2).contiguous())
        inv = 10000.0 ** (-torch.arange(4, dtype=D64) * 2 / 8)
        ang = torch.arange(9, dtype=D64)[:, None] * inv[None]
        ref = torch.view_as_real(z * torch.polar(torch.ones_like(ang), ang)).reshape(2, 3, 9, 8)
        close(got, ref)
        # q.k after rotation depends only on the offset m - n
        q, k = torch.randn(1, 1, 16, 8, dtype=D64), torch.randn(1, 1, 16, 8, dtype=D64)
        q[:, :, :] = q[:, :, :1]
        k[:, :, :] = k[:, :, :1]
        rq, rk = dl_clip.apply_rope(q, cos, sin), dl_clip.apply_rope(k, cos, sin)
        s = (rq @ rk.transpose(-1, -2))[0, 0]
        close(s[5, 2], s[12, 9])
        close(s[3, 7], s[10, 14])

    def test_rope_partial(self):
        x = torch.randn(1, 2, 5, 10, dtype=D64)
        cos, sin = (torch.from_numpy(t[:, :2]) for t in dl_clip.rope_tables(4, max_seq_len=8))
        got = dl_clip.apply_rope(x, cos, sin)
        close(got[..., 4:], x[..., 4:])
        close(got[..., :4], dl_clip.apply_rope(x[..., :4].contiguous(), cos, sin))

    def test_gqa_vs_multihead_attention(self):
        """With RoPE off (cos 1, sin 0), GQA = MHA whose K/V weights repeat each kv head's
        columns for its group of query heads."""
        D, H, KV, S = 24, 6, 2, 7
        dh, g = D // H, H // KV
        W = {}
        for n, o in (("w_q", D), ("w_k", KV * dh), ("w_v", KV * dh), ("w_o", D)):
            W[f"a/{n}/kernel"] = torch.randn(D, o, dtype=D64) / math.sqrt(D)
            W[f"a/{n}/bias"] = torch.randn(o, dtype=D64) * 0.1
        cos, sin = torch.ones(S, dh // 2, dtype=D64), torch.zeros(S, dh // 2, dtype=D64)
        x = torch.randn(2, S, D, dtype=D64)
        got = dl_clip.gqa(x, W, "a/", H, KV, cos, sin)

        def expand(t):  # [..., KV*dh] -> [..., H*dh]: query head h reads kv head h // g
            return torch.cat([t[..., (h // g) * dh:(h // g + 1) * dh] for h in range(H)], dim=-1)

        m = nn.MultiheadAttention(D, H, batch_first=True).to(D64).eval()
        m.in_proj_weight.data.copy_(torch.cat([W["a/w_q/kernel"].T, expand(W["a/w_k/kernel"]).T,
                                               expand(W["a/w_v/kernel"]).T]))
        m.in_proj_bias.data.copy_(torch.cat([W["a/w_q/bias"], expand(W["a/w_k/bias"]), expand(W["a/w_v/bias"])]))
        m.out_proj.weight.data.copy_(W["a/w_o/kernel"].T)
        m.out_proj.bias.data.copy_(W["a/w_o/bias"])
        with torch.no_grad():
            ref = m(x, x, x, need_weights=False)[0]
        close(got, ref)

    def test_rms_norm_and_swiglu_width(self):
        x = torch.randn(3, 5, 16, dtype=D64) * 2
        sc = torch.randn(16, dtype=D64)
        ref = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * sc
        close(dl_clip.rms_norm(x, sc), ref)
        self.assertEqual(dl_clip.swiglu_hidden(768, 4, 256), 2048)
        self.assertEqual(dl_clip.swiglu_hidden(64, 4, 256), 256)
        self.assertEqual(dl_clip.swiglu_hidden(32, 2, 16), 48)
        self.assertEqual(dl_clip.swiglu_hidden(512, 4, 256), 1536)

    def test_patch_conv_is_nhwc_conv(self):
        cfg = dl_clip.full_config(**dict(image_size=16, patch_size=4, vision_layers=0, vision_width=8,
                                         vision_heads=2, vision_kv_heads=1, embed_dim=8))
        W32 = dl_clip.random_weights(cfg, 3)
        W = {k: torch.from_numpy(v.astype(np.float64)) for k, v in W32.items()}
        img = torch.randn(2, 16, 16, 3, dtype=D64)
        _, tokens = dl_clip.encode_image(W, cfg, img)
        kern = W["clip/patch_conv/kernel"].permute(3, 2, 0, 1)  # HWIO -> OIHW
        ref = F.conv2d(img.permute(0, 3, 1, 2), kern, stride=4).permute(0, 2, 3, 1).reshape(2, 16, 8)
        close(tokens[:, 1:], ref)
        close(tokens[:, 0], W["clip/class_token"].reshape(1, 8).expand(2, 8))

    def test_last_non_pad(self):
        ids = torch.tensor([[5, 6, 0, 0], [1, 2, 3, 4], [0, 0, 0, 0]])
        self.assertEqual(dl_clip.last_non_pad(ids).tolist(), [1, 3, 0])

    def test_fixture(self):
        path = os.path.join(FIXTURES, "dl_clip_tiny.safetensors")
        if not os.path.isfile(path):
            self.skipTest("no dl_clip_tiny fixture")
        t, meta = safetensors_io.load(path)
        self.assertEqual(meta["class_name"], "CLIP")
        cfg = json.loads(meta["config"])
        W = {k: torch.from_numpy(v.astype(np.float64)) for k, v in t.items() if k.startswith("clip/")}
        self.assertEqual(sorted(W), sorted(json.loads(meta["weight_paths"])))
        for name, shape in dl_clip.weight_shapes(cfg):
            self.assertEqual(tuple(t[name].shape), tuple(shape), name)
        with torch.no_grad():
            out, dbg = dl_clip.forward(W, cfg, torch.from_numpy(t["input.image"]).double(),
                                       torch.from_numpy(t["input.text"]))
        self.assertEqual(dbg["text_pool_positions"].tolist(), [6, 11])
        for k, v in out.items():
            close(t["output." + k], v.numpy().astype(np.float32), rtol=1.2e-7, atol=1e-7)
        close(np.linalg.norm(t["output.image_features"], axis=-1), [1, 1], rtol=1e-6, atol=1e-6)
        close(t["output.logits_per_text"], t["output.logits_per_image"].T)
        # attention is not degenerate: the tokens differ and the RoPE tables are not zero
        self.assertGreater(float(np.std(t["debug.vision_last_hidden_state"][:, 1:], axis=1).mean()), 0.1)
        self.assertEqual(float(t["clip/vision_transformer_0/attention/rope/cos_cached"][0, 0]), 1.0)


if __name__ == "__main__":
    unittest.main()
