"""Minimal safetensors reader/writer on NumPy alone (no pip package needed).

Dtypes: F64, F32, F16, BF16, I8, I32 (BF16 is read into float32; written from float32 by
round-to-nearest-even). Tensors are stored in the order given, contiguous, with no holes.
"""

import json
import struct

import numpy as np

_NP = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I8": np.dtype("i1"),
    "I32": np.dtype("<i4"),
    "I64": np.dtype("<i8"),
}
_FROM_NP = {np.dtype(v).str: k for k, v in _NP.items()}


def _bf16_to_f32(raw):
    u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
    return u.view(np.float32)


def _f32_to_bf16(a):
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype("<u2")


def round_bf16(a):
    """float32 values rounded to the nearest bfloat16 (returned as float32)."""
    return _bf16_to_f32(_f32_to_bf16(a).tobytes()).reshape(np.shape(a))


def load(path):
    """Returns (tensors: dict name -> ndarray, metadata: dict str -> str)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    out = {}
    for name, info in header.items():
        dt, shape = info["dtype"], info["shape"]
        a, b = info["data_offsets"]
        raw = body[a:b]
        if dt == "BF16":
            arr = _bf16_to_f32(raw)
        elif dt in _NP:
            arr = np.frombuffer(raw, dtype=_NP[dt]).copy()
        else:
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {dt}")
        out[name] = arr.reshape(shape)
    return out, meta


def save(path, tensors, metadata=None, bf16=()):
    """Writes tensors (dict name -> ndarray, order kept) with string metadata.

    Names listed in bf16 are stored as BF16 (from their float32 values).
    """
    header = {}
    chunks = []
    off = 0
    for name, arr in tensors.items():
        arr = np.asarray(arr)
        if name in bf16:
            raw = _f32_to_bf16(arr).tobytes()
            dt = "BF16"
        else:
            key = arr.dtype.newbyteorder("<").str if arr.dtype.byteorder not in "|" else arr.dtype.str
            if key not in _FROM_NP:
                raise ValueError(f"tensor {name}: unsupported dtype {arr.dtype}")
            dt = _FROM_NP[key]
            raw = np.ascontiguousarray(arr, dtype=_NP[dt]).tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for c in chunks:
            f.write(c)
