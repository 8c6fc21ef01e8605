#!/usr/bin/python3
"""Self-tests of the float64 reference (sparsemax, flash, masks, beam rule).

Usage: /usr/bin/python3 tools/selftest.py
"""

import math
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlmref import generate as G  # noqa: E402
from vlmref import layers as L  # noqa: E402


def simplex_projection(z):
    """Brute force: sparsemax(z) = argmin_p ||p - z|| on the simplex, by bisection on tau."""
    lo, hi = np.min(z) - 1.0, np.max(z)
    for _ in range(200):
        tau = (lo + hi) / 2
        if np.sum(np.maximum(z - tau, 0)) > 1:
            lo = tau
        else:
            hi = tau
    return np.maximum(z - (lo + hi) / 2, 0)


class Primitives(unittest.TestCase):
    def test_sparsemax_matches_projection(self):
        rng = np.random.default_rng(1)
        for scale in (0.1, 1.0, 5.0):
            x = rng.normal(0, scale, (20, 13))
            p = L.sparsemax(x)
            for r in range(x.shape[0]):
                np.testing.assert_allclose(p[r], simplex_projection(x[r]), atol=1e-9)
            np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-12)

    def test_sparsemax_masked_keys_take_no_mass(self):
        x = np.array([[0.3, 0.2, 5.0, 0.1]])
        keep = np.array([[True, True, False, True]])
        p = L.sparsemax(L._apply_mask(x, keep))
        self.assertEqual(p[0, 2], 0.0)
        self.assertAlmostEqual(p.sum(), 1.0)

    def test_flash_equals_plain_with_masks(self):
        rng = np.random.default_rng(2)
        q, k, v = rng.normal(size=(2, 5, 16)), rng.normal(size=(2, 11, 16)), rng.normal(size=(2, 11, 16))
        keep = rng.random((2, 1, 5, 11)) > 0.5
        keep[0, 0, 1] = False  # a row that keeps nothing keeps everything
        for tile in (1, 3, 4, 11, 64):
            np.testing.assert_allclose(L.attend(q, k, v, 4, keep, tile=tile), L.attend(q, k, v, 4, keep), atol=1e-12)

    def test_empty_row_keeps_all(self):
        s = np.array([[1.0, 2.0, 3.0]])
        np.testing.assert_allclose(L.softmax(L._apply_mask(s, np.zeros((1, 3), bool))), L.softmax(s))

    def test_lambda_schedule(self):
        self.assertAlmostEqual(L.differential_lambda(1.0, 0), 0.2)
        self.assertAlmostEqual(L.differential_lambda(1.0, 2), 0.8 - 0.6 * math.exp(-0.3))
        self.assertEqual(L.differential_lambda(0.1, 0), 0.1)
        self.assertEqual(L.differential_lambda(10.0, 5), 0.9)

    def test_swiglu_width(self):
        self.assertEqual(L.swiglu_width(768, 4), 2048)
        self.assertEqual(L.swiglu_width(64, 4), 256)
        self.assertEqual(L.swiglu_width(48, 4), 256)

    def test_l2_normalize_zero(self):
        np.testing.assert_array_equal(L.l2_normalize(np.zeros((1, 4))), np.zeros((1, 4)))


class TableGen:
    """A fake generator: next-token log-probs looked up by the tokens so far."""

    def __init__(self, table, vocab):
        self.table, self.vocab = table, vocab

    def next_logits(self, memory_row, tokens):
        p = self.table.get(tuple(tokens[1:]), None)
        if p is None:
            p = {0: 1.0}
        out = np.full(self.vocab, math.log(1e-9))
        for t, pr in p.items():
            out[t] = math.log(pr)
        return out


class Beam(unittest.TestCase):
    def test_rule(self):
        # tokens: 0, 1 = bos, 2 = eos, 3
        table = {(): {3: 0.5, 2: 0.3, 0: 0.2}, (3,): {2: 0.9, 3: 0.1}, (0,): {0: 0.5, 2: 0.5}}
        gen = TableGen(table, 4)
        toks, info = G.beam_search(gen, None, 1, 2, 8, 2)
        # step 1: 3 live, [eos] finished, 0 live. step 2: [3,eos] fin, [0,0] live (tie with
        # [0,eos]: lower token id first), [0,eos] fin, [3,3] live -> 3 finished, stop.
        self.assertEqual([t for t, _ in info["finished"]], [[2], [3, 2], [0, 2]])
        self.assertEqual(toks, [3, 2])
        g, _, _ = G.greedy(gen, None, 1, 2, 8)
        self.assertEqual(g, [3, 2])

    def test_live_join_when_too_few_finished(self):
        table = {(): {3: 0.6, 0: 0.4}}
        gen = TableGen({**table, (3,): {3: 1.0}, (3, 3): {3: 1.0}, (0,): {0: 1.0}, (0, 0): {0: 1.0}}, 4)
        toks, info = G.beam_search(gen, None, 1, 2, 3, 2)
        self.assertEqual(len(info["finished"]), 2)
        self.assertEqual(toks, [3, 3, 3])

    def test_normalized_score(self):
        # beam 2, step 1: 3 live, [eos] finished, 0 live; step 2: [3, eos] finished -> stop.
        # [eos]: log .4 = -0.92 vs [3, eos]: (log .6 + log .9) / 2 = -0.31 -> the longer wins
        gen = TableGen({(): {2: 0.4, 3: 0.6}, (3,): {2: 0.9, 0: 0.1}}, 4)
        toks, info = G.beam_search(gen, None, 1, 2, 8, 2)
        self.assertEqual([t for t, _ in info["finished"]], [[2], [3, 2]])
        self.assertEqual(toks, [3, 2])
        # [eos]: log .45 = -0.80 vs [3, eos]: (log .55 + log .3) / 2 = -0.90 -> the shorter wins
        gen = TableGen({(): {2: 0.45, 3: 0.55}, (3,): {2: 0.3, 0: 0.7}}, 4)
        toks, _ = G.beam_search(gen, None, 1, 2, 8, 2)
        self.assertEqual(toks, [2])
        g, _, _ = G.greedy(gen, None, 1, 2, 8)
        self.assertEqual(g[0], 3)

if __name__ == "__main__":
    unittest.main()
