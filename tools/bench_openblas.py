#!/usr/bin/python3
"""Print OpenBLAS's one-thread GFLOP/s for the matmul shapes of bench/.

Run it with Debian's numpy (linked to the system OpenBLAS), with any
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE overrides removed for this command only:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
        /usr/bin/python3 tools/bench_openblas.py

Debian's numpy loads whatever libblas.so.3 the alternatives system points
at, which may be the slow reference BLAS. --blas-dir DIR runs against the
OpenBLAS in DIR instead (the script re-executes itself with LD_LIBRARY_PATH),
without installing anything:

    apt-get download libopenblas0-pthread
    dpkg -x libopenblas0-pthread_*.deb ob
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
        /usr/bin/python3 tools/bench_openblas.py \
        --blas-dir ob/usr/lib/x86_64-linux-gnu/openblas-pthread

The first line names the BLAS library numpy loaded and its kernel set. Each
line after it is "openblas MxKxN: cpu-time <v> GFLOP/s, wall <v> GFLOP/s",
medians of 21 timed runs of C = A @ W + bias (float32, W given K x N), each
run repeated until it lasts about 10 ms, as "vlmrt bench matmul" measures:
against the process's CPU time (steadier on a shared machine) and the wall.
"""
import os
import statistics
import sys
import time


def reexec_with_blas_dir():
    """Honour --blas-dir by re-executing with LD_LIBRARY_PATH set."""
    if "--blas-dir" not in sys.argv:
        return
    i = sys.argv.index("--blas-dir")
    if i + 1 >= len(sys.argv):
        sys.exit("bench_openblas.py: --blas-dir needs a directory")
    d = os.path.abspath(sys.argv[i + 1])
    if os.environ.get("LD_LIBRARY_PATH", "").split(":")[0] != d:
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = ":".join(filter(None, [d, env.get("LD_LIBRARY_PATH")]))
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


reexec_with_blas_dir()
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402 (after the thread setting)

SHAPES = [
    (1, 768, 768), (16, 768, 768), (64, 768, 768), (197, 768, 768),
    (64, 768, 3072), (64, 3072, 768), (16, 768, 32000),
]


def rate(m, k, n):
    rng = np.random.default_rng(1)
    a = rng.random((m, k), dtype=np.float32) - 0.5
    w = rng.random((k, n), dtype=np.float32) - 0.5
    bias = rng.random(n, dtype=np.float32) - 0.5
    c = np.empty((m, n), dtype=np.float32)

    def run():
        np.matmul(a, w, out=c)
        np.add(c, bias, out=c)

    reps = 1
    while True:
        t = time.perf_counter()
        for _ in range(reps):
            run()
        if time.perf_counter() - t > 0.01 or reps > 1 << 20:
            break
        reps *= 2
    rates, cpu_rates = [], []
    flops = 2 * m * k * n * reps
    for _ in range(21):
        t, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            run()
        rates.append(flops / (time.perf_counter() - t) / 1e9)
        cpu_rates.append(flops / max(time.process_time() - c0, 1e-9) / 1e9)
    return statistics.median(rates), statistics.median(cpu_rates)


def blas_library():
    """Return the path of the BLAS library this process has loaded."""
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "blas" in os.path.basename(path):
                return path
    return "unknown"


def core_name(path):
    """Return the kernel set OpenBLAS chose for this CPU, if it is OpenBLAS.

    OpenBLAS 0.3.21 does not know every recent CPU model and then falls
    back to an old kernel set (Prescott: SSE3), many times slower; the
    name shows it. OPENBLAS_CORETYPE=SkylakeX picks the AVX-512 kernels.
    """
    try:
        import ctypes
        lib = ctypes.CDLL(path)
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "not OpenBLAS"


def main():
    np.matmul(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32))
    lib = blas_library()
    print(f"blas: {lib} (core {core_name(lib)})", flush=True)
    for m, k, n in SHAPES:
        wall, cpu = rate(m, k, n)
        print(f"openblas {m}x{k}x{n}: cpu-time {cpu:.1f} GFLOP/s, wall {wall:.1f} GFLOP/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
