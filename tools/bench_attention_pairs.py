"""Attention against PyTorch in close pairs, for a shared, noisy machine.

Usage (go test binaries built with `go test -c -o X ./bench/`):

    OPENBLAS_CORETYPE=SkylakeX LD_LIBRARY_PATH=<openblas-pthread dir> \
        /usr/bin/python3 tools/bench_attention_pairs.py ROUNDS NEW.test [OLD.test]

One PyTorch process stays loaded and times softmax(q k^T / 8) v (12 heads
of 64; least of 7 batches of thread CPU time, as in bench/README.md) before
and after each run of the go test binaries (cpu-us/op of
Attention16x197/64x577/Decode1x197 at avx512), so that each ratio compares
measurements seconds apart. It prints, per shape, the best times and the
median and quartiles of the per-round ratios.
"""
import statistics
import subprocess
import sys
import time

import torch

torch.set_num_threads(1)

SHAPES = {"Attention16x197": (16, 197), "Attention64x577": (64, 577), "AttentionDecode1x197": (1, 197)}


def best_us(f, reps=7):
    f()
    n = 1
    while True:
        s = time.thread_time()
        for _ in range(n):
            f()
        if time.thread_time() - s > 0.02:
            break
        n *= 2
    best = 1e9
    for _ in range(reps):
        s = time.thread_time()
        for _ in range(n):
            f()
        best = min(best, (time.thread_time() - s) / n)
    return best * 1e6


def torch_all(data):
    r = {}
    with torch.no_grad():
        for name, (q, k, v) in data.items():
            r[name] = best_us(lambda: torch.softmax(q @ k.transpose(-1, -2) * 0.125, -1) @ v)
    return r


def go(binary):
    out = subprocess.run([binary, "-test.run", "^$", "-test.bench",
                          "Attention(64x577|16x197|Decode1x197)$/avx512", "-test.benchtime", "150ms"],
                         capture_output=True, text=True, check=True).stdout
    r = {}
    for line in out.splitlines():
        if line.startswith("Benchmark"):
            f = line.split()
            r[f[0].split("/")[0].replace("Benchmark", "")] = float(f[f.index("cpu-us/op") - 1])
    return r


def quartiles(xs):
    xs = sorted(xs)
    return f"{statistics.median(xs):.2f} (q1 {xs[len(xs) // 4]:.2f}, q3 {xs[3 * len(xs) // 4]:.2f})"


def main():
    rounds, binaries = int(sys.argv[1]), sys.argv[2:]
    data = {k: tuple(torch.randn(1, 12, n, 64) for n in (sq, sk, sk)) for k, (sq, sk) in SHAPES.items()}
    rows = []
    for _ in range(rounds):
        before = torch_all(data)
        runs = [go(b) for b in binaries]
        after = torch_all(data)
        rows.append((before, runs, after))
    for k in SHAPES:
        torch_mean = [(b[k] + a[k]) / 2 for b, _, a in rows]
        line = [f"{k}: torch best {min(min(b[k], a[k]) for b, _, a in rows):.1f}"]
        for i, name in enumerate(binaries):
            line.append(f"{name} best {min(r[i][k] for _, r, _ in rows):.1f}, "
                        f"torch/it {quartiles([t / r[i][k] for t, (_, r, _) in zip(torch_mean, rows)])}")
        if len(binaries) == 2:
            line.append(f"second/first {quartiles([r[1][k] / r[0][k] for _, r, _ in rows])}")
        print(" | ".join(line))


if __name__ == "__main__":
    main()
