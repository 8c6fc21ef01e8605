#!/usr/bin/python3
"""Rewrites a float ONNX model into ONNX Runtime's dynamically quantized int8 form.

    /usr/bin/python3 tools/quantize_onnx.py IN.onnx OUT.onnx [--per-tensor] [--no-io]

What onnxruntime.quantization.quantize_dynamic produces (the onnxruntime Python package is not
needed: only Debian's python3-onnx and numpy), for every MatMul whose B is a constant [K, N] and
every Gemm whose B is a constant (transA 0, alpha and beta 1):

    A -> DynamicQuantizeLinear -> (A_q uint8, A_scale, A_zero)          one per activation tensor,
                                                                        shared by its products
    MatMulInteger(A_q, W_q int8 [K, N], A_zero, W_zero int8 [N] zeros) -> int32
    Cast(to float) -> Mul(., Mul(A_scale, W_scale [N]))  [-> Add(., bias) as the model had it]

Weights: symmetric int8 per output column (scale = max |column| / 127, a zero column gets scale 1,
values rounded and clipped to [-127, 127]), as vlmrt's kernels.QuantizeColumns; --per-tensor uses
one scale for the whole matrix instead. Activations: uint8, asymmetric, one scale and zero point
for the whole tensor, computed at each call by DynamicQuantizeLinear (ONNX's definition; ORT has
no per-row variant of it).

The node order and operand order are the ones ORT's graph optimiser (level "extended"/"all")
matches: MatMulIntegerToFloatFusion turns MatMulInteger + Cast + Mul(Mul(A_scale, B_scale)) [+ Add
of a constant 1-D bias as the Add's second input] into the com.microsoft MatMulIntegerToFloat
op, and DynamicQuantizeMatMulFusion folds a DynamicQuantizeLinear used by that op alone into
DynamicQuantizeMatMul. So a bias Add written as Add(bias, y) is turned into Add(y, bias). Run
tools/bench_ort.sh --save-optimized DIR to see what ORT made of it.

It prints how many MatMul and Gemm nodes it replaced (products of two computed tensors, such as
attention's, stay float), the float and int8 weight bytes, and the largest relative weight
error; unused float initializers are dropped. Unless --no-io, IN's NAME.io.safetensors (from
tools/bench_torch.py --onnx-dir or tools/bench_vit.py --onnx: the inputs and the float model's
outputs) is copied beside OUT, so that tools/bench_ort.js checks the int8 model against the
float outputs (give it a quantization tolerance: --tol).
"""

import argparse
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def quantize_columns(w, per_tensor=False):
    """w [K, N] float -> (int8 [K, N], float32 scale [N] or [])."""
    w = np.asarray(w, dtype=np.float32)
    if per_tensor:
        m = float(np.abs(w).max())
        s = np.float32(m / 127.0 if m > 0 else 1.0)
        q = np.clip(np.rint(w / s), -127, 127).astype(np.int8)
        return q, np.array(s, dtype=np.float32)
    m = np.abs(w).max(axis=0)
    s = np.where(m > 0, m / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / s), -127, 127).astype(np.int8)
    return q, s


class Graph:
    def __init__(self, model):
        self.model = model
        self.g = model.graph
        self.inits = {t.name: t for t in self.g.initializer}
        self.producer = {}
        for n in self.g.node:
            for o in n.output:
                self.producer[o] = n
        self.names = set(self.inits) | set(self.producer) | {i.name for i in self.g.input}

    def const(self, name):
        """The constant value of a tensor (initializer, Constant, Identity of one), else None."""
        seen = 0
        while seen < 16:
            if name in self.inits:
                return numpy_helper.to_array(self.inits[name]), name
            n = self.producer.get(name)
            if n is None:
                return None, None
            if n.op_type == "Identity":
                name = n.input[0]
                seen += 1
                continue
            if n.op_type == "Constant":
                for a in n.attribute:
                    if a.name == "value":
                        return numpy_helper.to_array(a.t), None
            return None, None
        return None, None

    def fresh(self, base):
        name, i = base, 0
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        self.names.add(name)
        return name


def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def quantize(model, per_tensor=False):
    G = Graph(model)
    g = model.graph
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    new_inits = []
    dql = {}  # activation tensor -> (q, scale, zero)
    out_nodes = []
    stats = {"MatMul": 0, "Gemm": 0, "kept": 0, "float_bytes": 0, "int8_bytes": 0, "max_rel_err": 0.0}
    for node in g.node:
        if node.op_type not in ("MatMul", "Gemm"):
            out_nodes.append(node)  # copied below, after any operand swap on it
            continue
        a = node.input[0]
        wv, _ = G.const(node.input[1])
        av, _ = G.const(a)
        ok = wv is not None and av is None and wv.ndim == 2 and wv.dtype == np.float32
        bias = None
        if ok and node.op_type == "Gemm":
            if attr(node, "transA", 0) != 0 or attr(node, "alpha", 1.0) != 1.0 or \
                    (len(node.input) > 2 and node.input[2] and attr(node, "beta", 1.0) != 1.0):
                ok = False
            else:
                if attr(node, "transB", 0):
                    wv = wv.T
                if len(node.input) > 2 and node.input[2]:
                    cv, cname = G.const(node.input[2])
                    if cv is not None and cname is None:  # a Constant node's value: make it an initializer
                        cname = G.fresh(node.input[2] + "_init")
                        new_inits.append(numpy_helper.from_array(cv.astype(np.float32), cname))
                    bias = cname if cname is not None else node.input[2]
        if not ok:
            stats["kept"] += 1
            out_nodes.append(node)
            continue
        k, n = wv.shape
        wq, ws = quantize_columns(wv, per_tensor)
        deq = wq.astype(np.float32) * ws
        colmax = np.maximum(np.abs(wv).max(axis=0), 1e-30)
        stats["max_rel_err"] = max(stats["max_rel_err"], float((np.abs(deq - wv).max(axis=0) / colmax).max()))
        stats["float_bytes"] += wv.size * 4
        stats["int8_bytes"] += wq.size + ws.size * 4 + (n if not per_tensor else 1)
        base = (node.name or node.output[0]).strip("/").replace("/", "_") or "mm"
        wq_name, ws_name, wz_name = G.fresh(base + "_W_q"), G.fresh(base + "_W_scale"), G.fresh(base + "_W_zero")
        new_inits.append(numpy_helper.from_array(wq, wq_name))
        new_inits.append(numpy_helper.from_array(ws, ws_name))
        new_inits.append(numpy_helper.from_array(np.zeros(() if per_tensor else (n,), np.int8), wz_name))
        if a not in dql:
            q, s, z = G.fresh(a + "_quantized"), G.fresh(a + "_scale"), G.fresh(a + "_zero_point")
            out_nodes.append(helper.make_node("DynamicQuantizeLinear", [a], [q, s, z], name=G.fresh(a + "_DynamicQuantizeLinear")))
            dql[a] = (q, s, z)
        q, s, z = dql[a]
        y_int = G.fresh(base + "_MatMulInteger_out")
        y_f = G.fresh(base + "_Cast_out")
        scale = G.fresh(base + "_scale")
        out_nodes.append(helper.make_node("MatMulInteger", [q, wq_name, z, wz_name], [y_int], name=G.fresh(base + "_MatMulInteger")))
        out_nodes.append(helper.make_node("Cast", [y_int], [y_f], to=TensorProto.FLOAT, name=G.fresh(base + "_Cast")))
        out_nodes.append(helper.make_node("Mul", [s, ws_name], [scale], name=G.fresh(base + "_scales_Mul")))
        if bias is None:
            out_nodes.append(helper.make_node("Mul", [y_f, scale], [node.output[0]], name=G.fresh(base + "_output_Mul")))
        else:
            y = G.fresh(base + "_output_Mul_out")
            out_nodes.append(helper.make_node("Mul", [y_f, scale], [y], name=G.fresh(base + "_output_Mul")))
            out_nodes.append(helper.make_node("Add", [y, bias], [node.output[0]], name=G.fresh(base + "_bias_Add")))
        stats[node.op_type] += 1
        # A bias Add after a MatMul, written Add(bias, y): swap to Add(y, bias) for ORT's fusion.
        if node.op_type == "MatMul":
            for c in consumers.get(node.output[0], []):
                if c.op_type == "Add" and len(c.input) == 2 and c.input[1] == node.output[0] and c.input[0] != node.output[0]:
                    bv, _ = G.const(c.input[0])
                    if bv is not None and bv.ndim == 1:
                        c.input[0], c.input[1] = c.input[1], c.input[0]
    copies = []
    for n in out_nodes:
        c = onnx.NodeProto()
        c.CopyFrom(n)
        copies.append(c)
    del g.node[:]
    g.node.extend(copies)
    g.initializer.extend(new_inits)
    remove_dead(g)
    return stats


def remove_dead(g):
    """Drops nodes whose outputs nothing uses and initializers no node reads."""
    keep_outputs = {o.name for o in g.output}
    while True:
        used = set(keep_outputs)
        for n in g.node:
            used.update(i for i in n.input if i)
            for a in n.attribute:  # subgraphs (If, Loop) read outer names
                if a.type == onnx.AttributeProto.GRAPH:
                    for sn in a.g.node:
                        used.update(sn.input)
        dead = [n for n in g.node if n.output and not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    inits = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(inits)
    names = {t.name for t in inits}
    ins = [i for i in g.input if i.name in used or i.name not in names]
    if len(ins) != len(g.input):
        del g.input[:]
        g.input.extend(ins)


def main():
    ap = argparse.ArgumentParser(description="float ONNX model -> ORT dynamic int8 (DynamicQuantizeLinear + MatMulInteger)")
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--per-tensor", action="store_true", help="one weight scale per matrix instead of one per column")
    ap.add_argument("--no-io", action="store_true", help="do not copy IN's NAME.io.safetensors beside OUT")
    a = ap.parse_args()
    model = onnx.load(a.input)
    opset = next((o for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is None or opset.version < 11:
        sys.exit(f"quantize_onnx.py: {a.input}: opset {opset.version if opset else '?'}; DynamicQuantizeLinear needs 11")
    stats = quantize(model, a.per_tensor)
    if stats["MatMul"] + stats["Gemm"] == 0:
        sys.exit(f"quantize_onnx.py: {a.input}: no MatMul or Gemm with a constant B; nothing written")
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    onnx.save(model, a.output)
    print(f"quantize_onnx.py: {a.output}: replaced {stats['MatMul']} MatMul and {stats['Gemm']} Gemm by "
          f"DynamicQuantizeLinear + MatMulInteger (weights int8 {'per tensor' if a.per_tensor else 'per column'}); "
          f"{stats['kept']} left float (no constant B)")
    print(f"quantize_onnx.py: weights {stats['float_bytes'] / 1e6:.1f} MB float -> {stats['int8_bytes'] / 1e6:.1f} MB int8 "
          f"with scales; file {os.path.getsize(a.input) / 1e6:.1f} -> {os.path.getsize(a.output) / 1e6:.1f} MB; "
          f"largest weight error {stats['max_rel_err']:.2e} of its column's max |w|")
    src = os.path.splitext(a.input)[0] + ".io.safetensors"
    dst = os.path.splitext(a.output)[0] + ".io.safetensors"
    if not a.no_io and os.path.exists(src) and os.path.abspath(src) != os.path.abspath(dst):
        shutil.copyfile(src, dst)
        print(f"quantize_onnx.py: {dst}: the float model's inputs and outputs")


if __name__ == "__main__":
    main()
