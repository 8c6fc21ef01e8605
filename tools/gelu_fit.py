#!/usr/bin/python3
"""Fit of the exact GELU's Q (kernels/rows_consts_amd64.go, rows_arm64.go).

The vector kernels compute gelu(x) = relu(x) - m exp((Q(m) - a^2)/2) with
a = |x| and m = a/(1.25 a + c), so Q(m) = 2 log(Phi(-a) (1.25 a + c)) + a^2,
a smooth function of m in [0, 0.8). This script fits Q by a polynomial of
degree 8 on a in [0, 13.5] (Lawson's iteratively reweighted least squares on
Chebyshev nodes in m, float64: close to the minimax fit), rounds it to
float32 in powers of m, prints the rows of vecConsts, and emulates the
float32 kernel (FMA and the exp's reduction as in rows_avx512_amd64.s) on a
sweep of [-13.2, 13.2] to report its largest error in ulps (relative to
2^-23 |gelu|). Usage: /usr/bin/python3 tools/gelu_fit.py
"""
import math
import struct

import numpy as np

F32 = np.float32
DEGREE, A_MAX, K, S1 = 8, 13.5, 0.56, 1.25          # c = sqrt2/K/0.8


def f32(v):
    return float(F32(v))


def bits(v):
    return struct.unpack("<I", struct.pack("<f", float(v)))[0]


def target(a, c):
    return np.array([2 * math.log(0.5 * math.erfc(x / math.sqrt(2)) * (S1 * x + c)) for x in a]) + a * a


def fit(c, n=6000, iters=400):
    mmax = A_MAX / (S1 * A_MAX + c)
    mm = mmax / 2 + mmax / 2 * np.cos(np.pi * (np.arange(n) + 0.5) / n)
    a = c * mm / (1 - S1 * mm)
    f = target(a, c)
    m0, hw = f32(mmax / 2), mmax / 2
    V = np.polynomial.chebyshev.chebvander((mm - m0) / hw, DEGREE)
    w, best = np.ones(n) / n, None
    for _ in range(iters):
        cc, *_ = np.linalg.lstsq(V * np.sqrt(w)[:, None], f * np.sqrt(w), rcond=None)
        e = V @ cc - f
        err = np.max(np.abs(e))
        if best is None or err < best[0]:
            best = (err, cc)
        w = w * (np.abs(e) + 1e-3 * err)
        w /= w.sum()
    pc = np.polynomial.chebyshev.cheb2poly(best[1])
    centred = np.polynomial.polynomial.Polynomial([f32(pc[k] / hw**k) for k in range(DEGREE + 1)])
    plain = centred(np.polynomial.polynomial.Polynomial([-m0, 1]))     # powers of m
    return best[0] / 2, [f32(q) for q in plain.coef]


def fma(a, b, c):
    return (a.astype(np.float64) * b + c).astype(F32)


def emulate(x, c, q):
    """The AVX-512 kernel in numpy float32 (VDIVPS, FMAs, VSCALEFPS); e are
    the exp's c6..c2 (vecConsts rows 3-7), scaled by 2^-k for exp(r/2)."""
    e = [struct.unpack("<f", struct.pack("<I", b))[0] for b in (0x3ab43e12, 0x3c091dca, 0x3d2aadac, 0x3e2aaa47, 0x3efffffc)]
    ln2hi, ln2lo = -1.38671875, struct.unpack("<f", struct.pack("<I", 0x39de8083))[0]
    one = np.ones_like(x)
    a = np.minimum(np.abs(x), F32(14.5))
    d = fma(a, one * F32(S1), one * F32(c))
    m = (a.astype(np.float64) / d).astype(F32)
    t = one * F32(q[-1])
    for qk in reversed(q[:-1]):
        t = fma(t, m, one * F32(qk))
    rnd = F32(1.5 * 2**23 + 127)
    nb = fma(fma(-a, a, t), one * F32(math.log2(math.e) / 2), one * rnd)
    n = (nb - rnd).astype(F32)
    r = fma(-a, a, (n * F32(ln2hi)).astype(F32))
    r = fma(n, one * F32(ln2lo), (r + t).astype(F32))
    y = one * F32(e[0] / 64)
    for ck in (e[1] / 32, e[2] / 16, e[3] / 8, e[4] / 4, 0.5, 1.0):
        y = fma(y, r, one * F32(ck))
    y = (y.astype(np.float64) * np.exp2(n.astype(np.float64))).astype(F32)
    return fma(-y, m, np.maximum(x, F32(0)))


def main():
    c = f32(math.sqrt(2) / K / 0.8)
    err, q = fit(c)
    print("// c = %.8g (0x%08x), Q fitted to %.2e in Q/2" % (c, bits(c), err))
    for k in range(DEGREE, -1, -1):
        print("\tsplat(0x%08x), // q%d = %.8g" % (bits(q[k]), k, q[k]))
    x = np.linspace(-13.2, 13.2, 1 << 20).astype(F32)
    ref = np.array([0.5 * v * math.erfc(-v / math.sqrt(2)) for v in x.astype(np.float64)])
    got = emulate(x, c, q).astype(np.float64)
    ok = np.abs(ref) > 1e-37
    ulps = np.abs(got - ref)[ok] / (2.0**-23 * np.abs(ref[ok]))
    print("// emulated float32 kernel: largest error %.2f ulps at %g" % (ulps.max(), x[ok][np.argmax(ulps)]))


if __name__ == "__main__":
    main()
