#!/usr/bin/python3
"""Quantized ConvTranspose under `qcc run -O2` (fold-conv-transpose: phase convolutions in a
QLinearConv) against an independent numpy reference, and optionally ONNX Runtime.

  conv_transpose_ref.py --qcc QCC [--ort-run-cmd "node .../ort-run.js"] [--keep DIR]
                        [--case NAME ...] [--seeds N]

Each case is a random QDQ model built with the onnx helper: u8 input x -> DequantizeLinear ->
ConvTranspose (int8 weights per output channel, axis 1, or per tensor; an int32 bias
DequantizeLinear with scale s_x * s_w) [-> Relu] -> QuantizeLinear -> u8 output y. The
reference computes it the ONNX way: dequantize in float64, the transposed convolution in float64
by scattering every input element's taps, quantize with round half to even and saturation.
qcc's integer accumulator is exact and only its requantization rounds (float32 multiplier), so it
may differ by one step where the float sum is within 1e-3 steps of a rounding tie; every other
element must be equal. Prints per case the element count, the exact-equality fraction and the
near-tie differences; with --ort-run-cmd also ONNX Runtime's differences from qcc and from the
reference (ONNX Runtime runs DQ -> float ConvTranspose -> Q: float32 sums). The -O2 graph must
fold everything (`-Werror=float-fallback`) and contain no ConvTranspose.
--keep DIR writes DIR/NAME.onnx and DIR/NAME.x.npy for other tools.

  conv_transpose_ref.py --qcc QCC --ort-run-cmd CMD --expose MODEL.onnx INPUT.npy --keep DIR

instead runs a whole QDQ model (a U-Net from `qcc quantize`) in qcc (-O2) and ONNX Runtime with
the result of every QuantizeLinear that reads a ConvTranspose (or a Relu/Clip after one) made a
graph output too, and prints per such tensor and per original output how many elements differ
and by how many steps at most (float outputs: by how much); fails when a ConvTranspose result
differs by more than one step.
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np
from onnx import TensorProto, helper, numpy_helper

# name: (rank, cin, cout, group, in_spatial, kernel, attrs, per_channel, relu)
CASES = {
    "k2s2": (4, 8, 4, 1, (9, 7), (2, 2), dict(strides=[2, 2]), True, False),
    "k3s2p1op1": (4, 5, 6, 1, (6, 5), (3, 3),
                  dict(strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]), True, False),
    "dilation2": (4, 4, 3, 1, (5, 6), (3, 2), dict(strides=[2, 3], dilations=[2, 2]), True, False),
    "grouped": (4, 6, 4, 2, (5, 5), (3, 3), dict(strides=[2, 2], pads=[1, 0, 0, 1], group=2), False,
                False),
    "per-tensor": (4, 3, 5, 1, (4, 6), (4, 4), dict(strides=[2, 2], pads=[1, 1, 1, 1]), False,
                   False),
    "relu": (4, 6, 5, 1, (6, 6), (2, 2), dict(strides=[2, 2]), True, True),
    "1d": (3, 5, 4, 1, (11,), (5,), dict(strides=[3], pads=[2, 1], output_padding=[1]), True,
           False),
    "output-shape": (4, 4, 4, 1, (5, 5), (3, 3), dict(strides=[2, 2], output_shape=[11, 10]), True,
                     False),
    "same-upper": (4, 3, 4, 1, (5, 4), (3, 3), dict(strides=[2, 2], auto_pad="SAME_UPPER"), True,
                   False),
    "3d": (5, 3, 4, 1, (3, 4, 3), (3, 2, 2), dict(strides=[2, 2, 2], pads=[1, 0, 0, 1, 0, 0]), True,
           False),
}


def build(name, seed):
    rank, cin, cout, group, sp, k, attrs, per_channel, relu = CASES[name]
    rng = np.random.default_rng(seed)
    n = 2
    sx, zx = 0.02 + 0.03 * rng.random(), int(rng.integers(100, 156))
    wshape = (cin, cout // group) + k
    wq = rng.integers(-127, 128, size=wshape).astype(np.int8)
    nsw = cout // group if per_channel else 1
    sw = (0.002 + 0.01 * rng.random(nsw)).astype(np.float32)
    sb = (np.float32(sx) * sw).astype(np.float32)
    bq = rng.integers(-2000, 2000, size=cout).astype(np.int32)
    # A bias DQ of one scale per output channel (grouped per-channel weights repeat per group).
    sb_full = np.tile(sb, cout // len(sb)) if per_channel else np.full(cout, sb[0], np.float32)
    # The output scale: the float sums' spread over ~200 steps.
    taps = cin // group * int(np.prod(k))
    sy = float(np.float32(sx * float(sw.mean()) * 127 * 60 * np.sqrt(taps) / 200))
    zy = 0 if relu else 128
    inits = [
        numpy_helper.from_array(np.array(sx, np.float32), "sx"),
        numpy_helper.from_array(np.array(zx, np.uint8), "zx"),
        numpy_helper.from_array(wq, "wq"),
        numpy_helper.from_array(sw if per_channel else sw.reshape(()), "sw"),
        numpy_helper.from_array(np.zeros(sw.shape if per_channel else (), np.int8), "zw"),
        numpy_helper.from_array(bq, "bq"),
        numpy_helper.from_array(sb_full, "sb"),
        numpy_helper.from_array(np.array(sy, np.float32), "sy"),
        numpy_helper.from_array(np.array(zy, np.uint8), "zy"),
    ]
    nodes = [
        helper.make_node("DequantizeLinear", ["x", "sx", "zx"], ["xf"]),
        helper.make_node("DequantizeLinear", ["wq", "sw", "zw"], ["wf"],
                         **({"axis": 1} if per_channel else {})),
        helper.make_node("DequantizeLinear", ["bq", "sb"], ["bf"], axis=0),
        helper.make_node("ConvTranspose", ["xf", "wf", "bf"], ["ct"], name="up", **attrs),
    ]
    last = "ct"
    if relu:
        nodes.append(helper.make_node("Relu", ["ct"], ["ctr"]))
        last = "ctr"
    nodes.append(helper.make_node("QuantizeLinear", [last, "sy", "zy"], ["y"]))
    xshape = [n, cin] + list(sp)
    graph = helper.make_graph(nodes, name.replace("-", "_"),
                              [helper.make_tensor_value_info("x", TensorProto.UINT8, xshape)],
                              [helper.make_tensor_value_info("y", TensorProto.UINT8, None)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    x = rng.integers(0, 256, size=xshape).astype(np.uint8)
    params = dict(sx=sx, zx=zx, wq=wq, sw=sw, bq=bq, sb=sb_full, sy=sy, zy=zy)
    return model, x, params


def geometry(in_size, k, s, d, pads_b, pads_e, out_pad, out_shape, auto_pad):
    """Per spatial dim: (full, out, pad_begin), as the ONNX specification defines them."""
    full = s * (in_size - 1) + out_pad + (k - 1) * d + 1
    if out_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        out = out_shape if out_shape is not None else in_size * s
        total = full - out
        pb = 0 if total < 0 else total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
    else:
        pb, out = pads_b, full - pads_b - pads_e
    return full, out, pb


def reference(name, x, p):
    """The QDQ ConvTranspose in float64 and the float sums in output steps (before rounding)."""
    rank, cin, cout, group, sp, k, attrs, per_channel, relu = CASES[name]
    nsp = rank - 2
    s = attrs.get("strides", [1] * nsp)
    d = attrs.get("dilations", [1] * nsp)
    pads = attrs.get("pads", [0] * (2 * nsp))
    op = attrs.get("output_padding", [0] * nsp)
    oshape = attrs.get("output_shape")
    geo = [geometry(sp[i], k[i], s[i], d[i], pads[i], pads[nsp + i], op[i],
                    oshape[i] if oshape else None, attrs.get("auto_pad", "NOTSET"))
           for i in range(nsp)]
    xf = (x.astype(np.float64) - p["zx"]) * float(np.float32(p["sx"]))
    sw = p["sw"].astype(np.float64)
    wf = p["wq"].astype(np.float64) * (sw.reshape((1, -1) + (1,) * nsp) if per_channel else sw)
    n = x.shape[0]
    cig, cog = cin // group, cout // group
    size = [max(g[0], g[1] + g[2]) for g in geo]
    acc = np.zeros([n, cout] + size)
    for grp in range(group):
        xg = xf[:, grp * cig:(grp + 1) * cig]
        wg = wf[grp * cig:(grp + 1) * cig]
        for tap in np.ndindex(*k):
            # y[:, co, i*s + t*d] += sum_ci x[:, ci, i] w[ci, co, t]
            contrib = np.einsum("nc...,cm->nm...", xg, wg[(slice(None), slice(None)) + tap])
            idx = tuple(slice(tap[i] * d[i], tap[i] * d[i] + s[i] * (sp[i] - 1) + 1, s[i])
                        for i in range(nsp))
            acc[(slice(None), slice(grp * cog, (grp + 1) * cog)) + idx] += contrib
    b = p["bq"].astype(np.float64) * p["sb"].astype(np.float64)
    acc += b.reshape((1, -1) + (1,) * nsp)
    crop = tuple(slice(g[2], g[2] + g[1]) for g in geo)
    v = acc[(slice(None), slice(None)) + crop]
    if relu:
        v = np.maximum(v, 0)
    steps = v / p["sy"]
    y = np.clip(np.round(steps) + p["zy"], 0, 255).astype(np.uint8)
    return y, steps


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write("command failed: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
        sys.exit(1)
    return r.stdout + r.stderr


def expose(a):
    import onnx
    model = onnx.load(a.expose[0])
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    names = []
    for n in g.node:
        if n.op_type != "QuantizeLinear":
            continue
        src = producer.get(n.input[0])
        if src is not None and src.op_type in ("Relu", "Clip"):
            src = producer.get(src.input[0])
        if src is not None and src.op_type == "ConvTranspose":
            names.append(n.output[0])
    outs = [o.name for o in g.output]
    for nm in names:
        g.output.append(helper.make_tensor_value_info(nm, TensorProto.UINT8, None))
    os.makedirs(a.keep, exist_ok=True)
    path = os.path.join(a.keep, "exposed.onnx")
    onnx.save(model, path)
    x = a.expose[1]
    run([a.qcc, "run", path, "-O2", "--input", "x=" + x, "--output-dir",
         os.path.join(a.keep, "qcc")])
    run(shlex.split(a.ort_run_cmd) + [path, "--in", "x=" + x, "--out-dir",
                                      os.path.join(a.keep, "ort")])
    total, worst = 0, 0
    for nm in names + outs:
        q = np.load(os.path.join(a.keep, "qcc", nm + ".npy"))
        o = np.load(os.path.join(a.keep, "ort", nm + ".npy"))
        d = np.abs(q.astype(np.float64) - o.astype(np.float64))
        kind = "ConvTranspose Q" if nm in names else "output"
        if nm in names:
            total += int((d > 0).sum())
            worst = max(worst, int(d.max()))
        print("%s %s: %d elements, %d differ, max %s" % (
            kind, nm, d.size, int((d > 0).sum()), ("%d steps" % d.max()) if nm in names
            else "%.3g" % d.max()))
    print("expose: %d ConvTranspose results, %d elements differ, max %d steps" % (len(names), total,
                                                                             worst))
    print("expose: " + ("PASS" if worst <= 1 and names else "FAIL"))
    return 0 if worst <= 1 and names else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcc", required=True)
    ap.add_argument("--ort-run-cmd")
    ap.add_argument("--keep")
    ap.add_argument("--case", action="append")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--expose", nargs=2, metavar=("MODEL", "INPUT"))
    a = ap.parse_args()
    if a.expose:
        return expose(a)
    import onnx

    work = a.keep or tempfile.mkdtemp(prefix="ctref")
    os.makedirs(work, exist_ok=True)
    ok = True
    tot = dict(n=0, exact=0, ort=0, ort_ref=0)
    for name in a.case or list(CASES):
        for seed in range(a.seeds):
            model, x, p = build(name, 1000 + seed)
            base = os.path.join(work, name + ("" if seed == 0 else "-%d" % seed))
            onnx.save(model, base + ".onnx")
            np.save(base + ".x.npy", x)
            graph = run([a.qcc, base + ".onnx", "-O2", "-Werror=float-fallback", "--emit=qir"])
            folded = "ConvTranspose" not in graph and "QLinearConv" in graph
            run([a.qcc, "run", base + ".onnx", "-O2", "--input", "x=" + base + ".x.npy",
                 "--output-dir", base + ".qcc"])
            yq = np.load(os.path.join(base + ".qcc", "y.npy"))
            yr, steps = reference(name, x, p)
            if yq.shape != yr.shape:
                print("FAIL %s: shape %s, reference %s" % (name, yq.shape, yr.shape))
                ok = False
                continue
            diff = np.abs(yq.astype(int) - yr.astype(int))
            near = np.abs(np.abs(steps - np.floor(steps)) - 0.5) < 1e-3
            bad = int(((diff > 0) & ~near).sum() + (diff > 1).sum())
            ties = int(((diff == 1) & near).sum())
            line = "%s %s: %d elements, qcc vs numpy: %.4f%% exact, %d near-tie steps" % (
                "PASS" if bad == 0 and folded else "FAIL", name, diff.size,
                100.0 * (diff == 0).mean(), ties)
            ok &= bad == 0 and folded
            tot["n"] += diff.size
            tot["exact"] += int((diff == 0).sum())
            if a.ort_run_cmd:
                out = base + ".ort"
                run(shlex.split(a.ort_run_cmd) +
                    [base + ".onnx", "--in", "x=" + base + ".x.npy", "--out-dir", out])
                yo = np.load(os.path.join(out, "y.npy")).astype(int)
                do = np.abs(yo - yq.astype(int))
                dr = np.abs(yo - yr.astype(int))
                line += ", qcc vs onnxruntime: %d differ (max %d), onnxruntime vs numpy: %d" % (
                    int((do > 0).sum()), int(do.max()), int((dr > 0).sum()))
                ok &= int(do.max()) <= 1
                tot["ort"] += int((do > 0).sum())
                tot["ort_ref"] += int((dr > 0).sum())
            if not folded:
                line += " (not folded at -O2)"
            print(line)
    line = "total: %d elements, qcc vs numpy %.4f%% exact" % (tot["n"],
                                                              100.0 * tot["exact"] / tot["n"])
    if a.ort_run_cmd:
        line += ", qcc vs onnxruntime %d differ, onnxruntime vs numpy %d differ" % (tot["ort"],
                                                                                   tot["ort_ref"])
    print(line)
    print("conv-transpose-ref: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
