#!/usr/bin/python3
"""A small float U-Net-style encoder-decoder under `qcc run` against ONNX Runtime, in float32
and as a float16 model.

  unet_diff.py --qcc QCC [--ort-run-cmd "node .../ort-run.js"] [--keep DIR]

The network (built with the onnx helper, weights from a fixed seed): two encoder stages
Conv 3x3 -> BatchNormalization -> Relu -> MaxPool 2x2, a bottleneck Conv -> BN -> Relu, two
decoder stages ConvTranspose 2x2 stride 2 -> Concat with the encoder's skip -> Conv -> BN ->
Relu, and a 1x1 Conv -> HardSigmoid head; input [2, 3, 32, 32], output [2, 1, 32, 32].

The float16 variant is what `model.half()` exports with float32 I/O kept: float16
initializers, every op in float16, a Cast to float16 after the input and to float32 before the
output. ONNX Runtime's CPU provider has no float16 kernel for most of these ops: it wraps each
one in Casts to float32 and back and then removes the Cast pairs between them (and the ones at
the graph's boundary), so it computes almost all of the float16 model in float32 without
rounding; only its float16 Concat kernel rounds (the decoder's inputs). qcc computes each op
as ONNX specifies it, in float32 with the result rounded to float16. So the float16 results are
also compared with an independent numpy model of those semantics (each op in float32, numpy's
own summation order, the result rounded to float16), which qcc must match far more closely.

Without --ort-run-cmd only the comparisons with the numpy model run (float32 too, where that
model is plain float32 arithmetic). Prints one line per comparison with its SQNR (dB) and
bound, and fails when one is not met.
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(20261202)


class Builder:
    def __init__(self, dtype):
        self.dtype = dtype
        self.nodes, self.inits = [], []
        self.params = {}  # name -> float32 array (before the cast to dtype), for numpy
        self.n = 0

    def name(self, base):
        self.n += 1
        return "%s_%d" % (base, self.n)

    def init(self, base, arr):
        n = self.name(base)
        self.params[n] = arr
        self.inits.append(numpy_helper.from_array(arr.astype(self.dtype), n))
        return n

    def node(self, op, ins, **attrs):
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out


def weights(cout, cin, k):
    return (rng.standard_normal([cout, cin, k, k]) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)


def conv_bn_relu(b, x, cin, cout, spec):
    w = b.init("w", weights(cout, cin, 3))
    bias = b.init("b", (rng.standard_normal(cout) * 0.1).astype(np.float32))
    y = b.node("Conv", [x, w, bias], pads=[1, 1, 1, 1])
    gamma = b.init("gamma", rng.uniform(0.5, 1.5, cout).astype(np.float32))
    beta = b.init("beta", (rng.standard_normal(cout) * 0.1).astype(np.float32))
    mean = b.init("mean", (rng.standard_normal(cout) * 0.1).astype(np.float32))
    var = b.init("var", rng.uniform(0.5, 2.0, cout).astype(np.float32))
    y = b.node("BatchNormalization", [y, gamma, beta, mean, var], epsilon=1e-5)
    spec.append(("conv", w, bias, 1))
    spec.append(("bn", gamma, beta, mean, var))
    spec.append(("relu",))
    return b.node("Relu", [y])


def build(dtype):
    """The model and the op list the numpy reference replays (same weights for both dtypes)."""
    global rng
    rng = np.random.default_rng(20261202)
    b = Builder(dtype)
    spec = []  # list of steps; ("save", k) / ("concat", k) handle the skips
    x = "x"
    if dtype == np.float16:
        x = b.node("Cast", [x], to=TensorProto.FLOAT16)
    e1 = conv_bn_relu(b, x, 3, 8, spec)
    spec.append(("save", 1))
    p1 = b.node("MaxPool", [e1], kernel_shape=[2, 2], strides=[2, 2])
    spec.append(("maxpool",))
    e2 = conv_bn_relu(b, p1, 8, 16, spec)
    spec.append(("save", 2))
    p2 = b.node("MaxPool", [e2], kernel_shape=[2, 2], strides=[2, 2])
    spec.append(("maxpool",))
    mid = conv_bn_relu(b, p2, 16, 32, spec)
    y = mid
    for cin, cout, skip, k in [(32, 16, e2, 2), (16, 8, e1, 1)]:
        wt = b.init("wt", (rng.standard_normal([cin, cout, 2, 2]) * np.sqrt(1.0 / cin)).astype(np.float32))
        bt = b.init("bt", (rng.standard_normal(cout) * 0.1).astype(np.float32))
        y = b.node("ConvTranspose", [y, wt, bt], strides=[2, 2], kernel_shape=[2, 2])
        spec.append(("convtranspose", wt, bt))
        y = b.node("Concat", [y, skip], axis=1)
        spec.append(("concat", k))
        y = conv_bn_relu(b, y, 2 * cout, cout, spec)
    wh = b.init("wh", weights(1, 8, 1))
    bh = b.init("bh", np.array([0.2], np.float32))
    y = b.node("Conv", [y, wh, bh])
    spec.append(("conv", wh, bh, 0))
    y = b.node("HardSigmoid", [y], alpha=0.2, beta=0.5)
    spec.append(("hardsigmoid", 0.2, 0.5))
    if dtype == np.float16:
        y = b.node("Cast", [y], to=TensorProto.FLOAT)
    b.nodes[-1].output[0] = "y"
    graph = helper.make_graph(b.nodes, "unet_" + np.dtype(dtype).name, [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 1, 32, 32])], b.inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                          producer_name="qcc-unet-diff")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m, spec, b.params


# ---- numpy reference: each op in float32, the result rounded to `dtype` ----------------------

def np_conv(x, w, b, pad):
    n, c, h, wd = x.shape
    k = w.shape[2]
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    cols = np.stack([xp[:, :, i:i + h, j:j + wd] for i in range(k) for j in range(k)], axis=2)
    return np.einsum("nckhw,ock->nohw", cols, w.reshape(w.shape[0], c, k * k)) + b[None, :, None, None]


def np_conv_transpose_k2s2(x, w, b):
    n, c, h, wd = x.shape
    y = np.einsum("nchw,cokl->nohkwl", x, w).reshape(n, w.shape[1], 2 * h, 2 * wd)
    return y + b[None, :, None, None]


def reference(spec, params, x, dtype):
    rnd = lambda a: a.astype(np.float32).astype(dtype).astype(np.float32)  # noqa: E731
    p = lambda n: rnd(params[n])  # noqa: E731
    y = rnd(x)
    saved = {}
    for step in spec:
        op = step[0]
        if op == "conv":
            y = np_conv(y, p(step[1]), p(step[2]), step[3])
        elif op == "bn":
            g, be, m, v = (p(n) for n in step[1:])
            inv = (1.0 / np.sqrt(v + np.float32(1e-5))).astype(np.float32)
            y = (y - m[None, :, None, None]) * inv[None, :, None, None] * g[None, :, None, None] + \
                be[None, :, None, None]
        elif op == "relu":
            y = np.maximum(y, 0)
        elif op == "maxpool":
            n, c, h, w = y.shape
            y = y.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
        elif op == "convtranspose":
            y = np_conv_transpose_k2s2(y, p(step[1]), p(step[2]))
        elif op == "concat":
            y = np.concatenate([y, saved[step[1]]], axis=1)
        elif op == "hardsigmoid":
            y = np.clip(np.float32(step[1]) * y + np.float32(step[2]), 0, 1)
        elif op == "save":
            saved[step[1]] = y
            continue
        y = rnd(y.astype(np.float32))
    return y


def sqnr(ref, got):
    r, g = ref.astype(np.float64), got.astype(np.float64)
    noise = np.sum((r - g) ** 2)
    return float("inf") if noise == 0 else 10 * np.log10(np.sum(r ** 2) / noise)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd[:3]) + ": " + (p.stderr.strip().splitlines() or [""])[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qcc", required=True)
    ap.add_argument("--ort-run-cmd", help="lit's %%ort-run command (omit: no ONNX Runtime)")
    ap.add_argument("--keep", help="write the models, input and outputs to this directory")
    args = ap.parse_args()
    x = np.random.default_rng(7).standard_normal([2, 3, 32, 32]).astype(np.float32)
    tmp_obj = None if args.keep else tempfile.TemporaryDirectory(prefix="unet-diff-")
    tmp = args.keep or tmp_obj.name
    os.makedirs(tmp, exist_ok=True)
    xin = os.path.join(tmp, "x.npy")
    np.save(xin, x)
    failed = 0
    results = {}
    for dtype in (np.float32, np.float16):
        name = "unet_" + np.dtype(dtype).name
        model, spec, params = build(dtype)
        path = os.path.join(tmp, name + ".onnx")
        onnx.save(model, path)
        out = {}
        for tag, extra in (("qcc", []), ("qcc-O2", ["-O2"])):
            d = os.path.join(tmp, name, tag)
            os.makedirs(os.path.join(tmp, name), exist_ok=True)
            run([args.qcc, "run", path, "--input", "x=" + xin, "--output-dir", d] + extra)
            out[tag] = np.load(os.path.join(d, "y.npy"))
        if args.ort_run_cmd:
            d = os.path.join(tmp, name, "ort")
            run(shlex.split(args.ort_run_cmd) + [path, "--in", "x=" + xin, "--out-dir", d])
            out["ort"] = np.load(os.path.join(d, "y.npy"))
        out["numpy"] = reference(spec, params, x, dtype)
        results[dtype] = out
    f32, h16 = results[np.float32], results[np.float16]
    checks = [
        ("float32: qcc run vs onnxruntime", "ort", f32, "qcc", 120),
        ("float32: qcc run -O2 vs onnxruntime", "ort", f32, "qcc-O2", 120),
        ("float16: qcc run vs onnxruntime", "ort", h16, "qcc", 60),
        ("float16: qcc run -O2 vs onnxruntime", "ort", h16, "qcc-O2", 60),
        ("float16: onnxruntime vs its float32 model", "ort", f32, None, 60),
        ("float32: qcc run vs numpy", "numpy", f32, "qcc", 120),
        ("float32: qcc run -O2 vs numpy", "numpy", f32, "qcc-O2", 120),
        ("float16: qcc run vs numpy, per-op float16 rounding", "numpy", h16, "qcc", 80),
    ]
    checks = [(text, res[ref], h16["ort"] if got is None else res[got], bound)
              for text, ref, res, got, bound in checks if ref in res]
    for text, ref, got, bound in checks:
        ok = got.dtype == np.float32 and got.shape == ref.shape and sqnr(ref, got) >= bound
        failed += not ok
        print("%s %s: SQNR %.1f dB (bound %d)" % ("PASS" if ok else "FAIL", text, sqnr(ref, got),
                                                  bound))
    same = np.array_equal(h16["qcc"], h16["qcc-O2"])
    print("float16: qcc run -O2 %s qcc run" % ("bit-identical to" if same else "differs from"))
    print("unet-diff: %s" % ("FAIL" if failed else "PASS"))
    if tmp_obj:
        tmp_obj.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
