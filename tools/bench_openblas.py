#!/usr/bin/python3
"""Print OpenBLAS's one-thread GFLOP/s for the matmul shapes of bench/.

Run it with Debian's numpy and OpenBLAS (apt-get install python3-numpy
libopenblas0-pthread), with any OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
overrides removed for this command only:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
        /usr/bin/python3 tools/bench_openblas.py

Debian's numpy calls whatever libblas.so.3 the alternatives system points
at. Without libopenblas0-pthread that is the netlib reference BLAS of
libblas3 (3-6 GFLOP/s), and every ratio against it would look 30x better
than it is: the script then prints no figure and exits with status 2,
naming the library and the package to install (see check_blas below; the
same check guards tools/bench_torch.py and tools/bench_vit.py).
--blas-dir DIR runs against the OpenBLAS in DIR instead (the script
re-executes itself with LD_LIBRARY_PATH), without installing anything:

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

    /usr/bin/python3 tools/bench_openblas.py --self-test

runs the BLAS check on fixed /proc/self/maps texts (no numpy needed) and
exits non-zero if it classifies any of them wrongly.
"""
import contextlib
import io
import os
import re
import statistics
import subprocess
import sys
import time

# ---------------------------------------------------------------- which BLAS runs
#
# numpy and Debian's torch (BLAS_INFO=generic) call sgemm through the
# library whose soname is libblas.so.3 (or libcblas.so.3): only one object
# with that soname is ever loaded in a process, so it is the one that runs
# the products. Other BLAS libraries may be mapped beside it and run none:
# with the reference libblas.so.3 in front, Debian's liblapack.so.3 still
# pulls libopenblasp-r0.3.21.so in, so "OpenBLAS is mapped" proves nothing.

REFERENCE_PACKAGE = "libblas3"
INSTALL = "apt-get install libopenblas0-pthread"

# Optimised BLAS libraries by a part of their file name or directory.
_KNOWN = (("openblas", "OpenBLAS"), ("mkl", "MKL"), ("blis", "BLIS"), ("atlas", "ATLAS"),
          ("armpl", "Arm PL"), ("accelerate", "Accelerate"))
# Symbols that only an optimised library exports (dlsym follows its dependencies,
# so Debian's openblas-pthread/libblas.so.3, a shim over libopenblasp, has them).
_SYMBOLS = (("openblas_get_config", "OpenBLAS"), ("MKL_Get_Version", "MKL"),
            ("bli_info_get_version_str", "BLIS"), ("ATL_buildinfo", "ATLAS"))
_SONAME = re.compile(r"^lib(c?blas)\.so(\.\d+)*$")


def mapped_libraries(maps_text):
    """The shared objects of a /proc/<pid>/maps text, each once, in order."""
    seen = []
    for line in maps_text.splitlines():
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[5].startswith("/") and ".so" in parts[5]:
            path = parts[5].strip()
            if path not in seen:
                seen.append(path)
    return seen


def _by_name(path):
    low = path.lower()
    for key, name in _KNOWN:
        if key in low:
            return name
    return None


def _by_symbols(path):
    try:
        import ctypes
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    for sym, name in _SYMBOLS:
        if hasattr(lib, sym):
            return name
    return None


def blas_in_use(maps_text, config_text="", probe=True):
    """Returns (kind, path): the BLAS that runs the products of this process.

    kind is "OpenBLAS", "MKL", "BLIS", "ATLAS", ... for an optimised library,
    "reference" for the netlib reference BLAS (a libblas.so.3 that is none of
    those: Debian's libblas3 installs it as .../blas/libblas.so.3.*), or None
    when nothing tells. maps_text is the process's /proc/self/maps read after
    a product ran; config_text is numpy.show_config() or
    torch.__config__.show(), used only when no BLAS library is mapped (a
    BLAS linked into the extension itself, as pip's torch links MKL).
    probe=False skips opening the libraries (the self-test's fake paths).
    """
    libs = mapped_libraries(maps_text)
    front = [p for p in libs if _SONAME.match(os.path.basename(p))]
    for path in front:
        kind = _by_name(path) or (_by_symbols(path) if probe else None)
        if kind is None:
            return "reference", path
    if front:
        return _by_name(front[0]) or (_by_symbols(front[0]) if probe else None), front[0]
    for path in libs:  # no libblas.so: an optimised library linked directly (pip wheels)
        base = os.path.basename(path).lower()
        if re.match(r"^lib(openblas|mkl_|blis|[st]?atlas)", base):
            return _by_name(base), path
    m = re.search(r"BLAS_INFO=(\w+)", config_text)
    if m and _by_name(m.group(1)):
        return _by_name(m.group(1)), f"(linked in: BLAS_INFO={m.group(1)})"
    low = config_text.lower()
    for key, name in _KNOWN[:4]:
        if re.search(key + r"\w*_info:\s*\n\s+libraries", low):
            return name, f"(linked in: {key} in show_config)"
    return None, "(no BLAS library mapped)"


def _package_of(path):
    try:
        out = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.split(":")[0] if out.returncode == 0 and out.stdout else None


def refusal(who, user, kind, path):
    """The message for a BLAS that would make the figures meaningless, or None when it is fine."""
    if kind == "reference":
        pkg = _package_of(path) or REFERENCE_PACKAGE
        return (f"{who}: {user} runs the reference BLAS {path} (Debian package {pkg}, netlib, "
                f"about 3-6 GFLOP/s): no figure printed, every ratio against it would look ~30x "
                f"better than it is. Install OpenBLAS: `{INSTALL}` (it takes over the libblas.so.3 "
                f"alternative: update-alternatives --display libblas.so.3-x86_64-linux-gnu), or pass "
                f"--blas-dir DIR with OpenBLAS's libblas.so.3 in DIR.")
    if kind is None:
        return (f"{who}: cannot tell which BLAS {user} runs {path}: no figure printed. "
                f"Install OpenBLAS: `{INSTALL}`, or pass --blas-dir DIR with OpenBLAS's libblas.so.3 in DIR.")
    return None


def check_blas(who, user, config_text=""):
    """Exits with status 2 when the BLAS mapped now is the reference one (or unknown).

    Call it after a product ran (so that a lazily loaded BLAS is mapped).
    Returns (kind, path) otherwise.
    """
    with open("/proc/self/maps") as f:
        kind, path = blas_in_use(f.read(), config_text)
    msg = refusal(who, user, kind, path)
    if msg:
        print(msg, file=sys.stderr, flush=True)
        sys.exit(2)
    return kind, path


def numpy_config_text(np):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            np.show_config()
        except Exception as e:  # noqa: BLE001 (context only)
            print(f"show_config failed: {e}")
    return buf.getvalue()


_MAPS_LINE = "7f0000000000-7f0000001000 r-xp 00000000 08:01 {inode} {path}\n"


def _fake_maps(*paths):
    return "".join(_MAPS_LINE.format(inode=i + 100, path=p) for i, p in enumerate(paths)) + \
        "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n"


def self_test():
    """The check on fixed maps texts; returns the number of wrong answers."""
    lib = "/usr/lib/x86_64-linux-gnu/"
    cases = [
        # Debian numpy with libopenblas0-pthread installed (the fair case).
        ("openblas alternative", _fake_maps(lib + "libgfortran.so.5.0.0", lib + "openblas-pthread/libblas.so.3",
                                            lib + "openblas-pthread/liblapack.so.3",
                                            lib + "openblas-pthread/libopenblasp-r0.3.21.so"), "", "OpenBLAS", True),
        # Reference BLAS in front, OpenBLAS mapped behind it through liblapack: must refuse.
        ("reference in front of openblas", _fake_maps(lib + "blas/libblas.so.3.11.0",
                                                      lib + "openblas-pthread/liblapack.so.3",
                                                      lib + "openblas-pthread/libopenblasp-r0.3.21.so"),
         "", "reference", False),
        ("reference unpacked by dpkg -x", _fake_maps("/tmp/rb/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"),
         "", "reference", False),
        ("reference, plain path", _fake_maps(lib + "libblas.so.3", lib + "liblapack.so.3"), "", "reference", False),
        ("reference cblas", _fake_maps(lib + "blas/libcblas.so.3.11.0", lib + "atlas/libblas.so.3"),
         "", "reference", False),
        ("openblas --blas-dir", _fake_maps("/tmp/ob/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
                                           lib + "openblas-pthread/libopenblasp-r0.3.21.so"), "", "OpenBLAS", True),
        ("blis alternative", _fake_maps(lib + "blis-pthread/libblas.so.3"), "", "BLIS", True),
        ("pip numpy wheel", _fake_maps("/x/site-packages/numpy.libs/libopenblas64_p-r0-15028c96.3.21.so"),
         "", "OpenBLAS", True),
        ("pip torch (MKL linked in)", _fake_maps(lib + "libgomp.so.1.0.0"), "  - Build settings: BLAS_INFO=mkl, ",
         "MKL", True),
        ("Debian torch, nothing mapped", _fake_maps(lib + "libgomp.so.1.0.0"), "  - Build settings: BLAS_INFO=generic, ",
         None, False),
        ("numpy show_config naming openblas", _fake_maps(),
         "openblas_info:\n    libraries = ['openblas', 'openblas']\n", "OpenBLAS", True),
        ("numpy show_config, generic blas", _fake_maps(),
         "openblas_info:\n  NOT AVAILABLE\nblas_info:\n    libraries = ['blas', 'blas']\n", None, False),
    ]
    bad = 0
    for name, maps, cfg, want_kind, want_ok in cases:
        kind, path = blas_in_use(maps, cfg, probe=False)
        msg = refusal("bench_openblas.py", "numpy", kind, path)
        ok = kind == want_kind and (msg is None) == want_ok
        bad += not ok
        print(f"self-test {name}: {kind} {path} -> {'figures' if msg is None else 'refused'}"
              f"  {'PASS' if ok else 'FAIL (want ' + str(want_kind) + ')'}")
    msg = refusal("bench_openblas.py", "numpy", "reference", lib + "blas/libblas.so.3.11.0")
    for part in ("libblas.so.3.11.0", "libblas3", INSTALL):
        if part not in msg:
            print(f"self-test message: {part!r} missing  FAIL")
            bad += 1
    print("self-test refusal message: " + msg)
    print("self-test: " + ("PASS" if not bad else f"FAIL ({bad} wrong)"))
    return bad


# ---------------------------------------------------------------- the benchmark

SHAPES = [
    (1, 768, 768), (16, 768, 768), (64, 768, 768), (197, 768, 768),
    (64, 768, 3072), (64, 3072, 768), (16, 768, 32000),
]


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


def rate(np, m, k, n):
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
    if "--self-test" in sys.argv:
        return 1 if self_test() else 0
    reexec_with_blas_dir()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy as np
    np.matmul(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32))
    kind, lib = check_blas("bench_openblas.py", "numpy", numpy_config_text(np))
    print(f"blas: {lib} ({kind}, core {core_name(lib)})", flush=True)
    for m, k, n in SHAPES:
        wall, cpu = rate(np, m, k, n)
        print(f"openblas {m}x{k}x{n}: cpu-time {cpu:.1f} GFLOP/s, wall {wall:.1f} GFLOP/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
