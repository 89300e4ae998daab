#!/usr/bin/python3
"""-O0 against -O2 on QDQ-form models: every rewrite -O2 makes is exact or moves a quantized
result by at most one step of its output quantizer.

  qdq_opt_diff.py --qcc QCC

Builds one small model per pattern in the QDQ form exporters write (DQ -> op -> Q, with an
int8/uint8 Q -> DQ pair on every activation; weights as int8 constants through a DQ), feeds a
fixed-seed input to `qcc run -O0` (every node with its ONNX semantics) and `qcc run -O2`, and
compares the quantized output (the model returns the Q's integers). Prints, per case, the number
of differing elements, the largest difference in output steps, and how many float compute ops
`--report=quant` still finds at -O2; fails when a difference exceeds the case's bound (one step;
zero for exact rewrites) or when anything is left in float. The patterns cover what -O2 folds:
conv (per-channel weights, bias), depthwise conv, conv + BatchNormalization (TensorRT idiom,
negative gamma), conv + Relu/Clip, MatMul, Gemm, Add, Mul, residual add with a float branch,
pools, Sigmoid, LeakyRelu, Concat, data movement, and the elementwise activations that fold-lut
turns into lookup tables (exact: Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu, the
HardSwish, SiLU and both GELU composites, and opset 20's Gelu).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(1234)
F = TensorProto.FLOAT


class Model:
    def __init__(self, name, max_steps=1, opset=13):
        """max_steps: the bound on |O0 - O2| in output steps (0: the folding is exact)."""
        self.name, self.max_steps, self.opset = name, max_steps, opset
        self.nodes, self.inits, self.n = [], [], 0

    def const(self, value):
        self.n += 1
        name = "c%d" % self.n
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op, inputs, **attrs):
        self.n += 1
        out = "t%d" % self.n
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def qdq(self, x, scale, zp=0, dtype=np.uint8):
        s, z = self.const(np.float32(scale)), self.const(np.asarray(zp, dtype))
        return self.node("DequantizeLinear", [self.node("QuantizeLinear", [x, s, z]), s, z])

    def weight(self, shape, per_channel=True):
        w = rng.integers(-127, 128, shape).astype(np.int8)
        s = rng.uniform(0.002, 0.02, shape[0]).astype(np.float32) if per_channel else np.float32(0.01)
        z = np.zeros(shape[0], np.int8) if per_channel else np.int8(0)
        attrs = {"axis": 0} if per_channel else {}
        return self.node("DequantizeLinear", [self.const(w), self.const(s), self.const(z)], **attrs)

    def finish(self, y, out_scale, in_shape):
        s, z = self.const(np.float32(out_scale)), self.const(np.uint8(128))
        q = self.node("QuantizeLinear", [y, s, z])
        self.nodes.append(helper.make_node("Identity", [q], ["y"]))
        graph = helper.make_graph(self.nodes, self.name,
                                  [helper.make_tensor_value_info("x", F, in_shape)],
                                  [helper.make_tensor_value_info("y", TensorProto.UINT8, None)],
                                  self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)])
        m.ir_version = 8
        return m, in_shape, self.max_steps


def bn_params(m, c, negative=False):
    gamma = rng.uniform(0.5, 1.5, c).astype(np.float32)
    if negative:
        gamma[::2] *= -1
    return [m.const(gamma), m.const(rng.uniform(-0.3, 0.3, c).astype(np.float32)),
            m.const(rng.uniform(-0.5, 0.5, c).astype(np.float32)),
            m.const(rng.uniform(0.5, 2.0, c).astype(np.float32))]


def cases():
    out = []
    shape = [1, 8, 10, 10]

    m = Model("conv_per_channel_bias")
    b = m.const(rng.uniform(-0.5, 0.5, 8).astype(np.float32))
    y = m.node("Conv", [m.qdq("x", 0.02, 128), m.weight([8, 8, 3, 3]), b], pads=[1, 1, 1, 1])
    out.append(m.finish(y, 0.1, shape))

    m = Model("conv_bn_negative_gamma_clip")
    c = m.node("Conv", [m.qdq("x", 0.02, 128), m.weight([8, 8, 3, 3])], pads=[1, 1, 1, 1])
    bn = m.node("BatchNormalization", [c] + bn_params(m, 8, negative=True))
    y = m.node("Clip", [bn, m.const(np.float32(0)), m.const(np.float32(6))])
    out.append(m.finish(y, 0.05, shape))

    m = Model("depthwise_conv_bn_relu")
    c = m.node("Conv", [m.qdq("x", 0.02, 128), m.weight([8, 1, 3, 3])], pads=[1, 1, 1, 1], group=8)
    y = m.node("Relu", [m.node("BatchNormalization", [c] + bn_params(m, 8))])
    out.append(m.finish(y, 0.05, shape))

    # The inserted residual quantizer rounds the branch (half a step) and saturates it where the
    # branch alone leaves the output quantizer's range: not bounded by one step.
    m = Model("residual_add_float_branch", max_steps=2)
    xq = m.qdq("x", 0.02, 128)
    c = m.node("Conv", [xq, m.weight([8, 8, 1, 1])])
    bn = m.node("BatchNormalization", [c] + bn_params(m, 8))
    y = m.node("Add", [xq, bn])
    out.append(m.finish(y, 0.08, shape))

    m = Model("add_mul")
    a = m.node("Add", [m.qdq("x", 0.02, 128), m.qdq(m.node("Sigmoid", ["x"]), 1 / 256.0, 0)])
    y = m.node("Mul", [m.qdq(a, 0.03, 128), m.qdq(m.node("Relu", ["x"]), 0.02, 0)])
    out.append(m.finish(y, 0.05, shape))

    m = Model("pools_sigmoid_leakyrelu")
    xq = m.qdq("x", 0.02, 128)
    p = m.qdq(m.node("AveragePool", [xq], kernel_shape=[3, 3], pads=[1, 1, 1, 1]), 0.02, 128)
    s = m.qdq(m.node("Sigmoid", [p]), 1 / 256.0, 0)
    y = m.node("GlobalAveragePool", [m.qdq(m.node("LeakyRelu", [s], alpha=0.1), 0.004, 0)])
    out.append(m.finish(y, 0.004, shape))

    m = Model("movement_concat", max_steps=0)
    xq = m.qdq("x", 0.02, 128)
    mp = m.node("MaxPool", [xq], kernel_shape=[2, 2], strides=[2, 2])
    t = m.node("Transpose", [m.qdq(mp, 0.02, 128)], perm=[0, 1, 3, 2])
    y = m.node("Concat", [m.qdq(t, 0.02, 128), m.qdq(mp, 0.02, 128)], axis=1)
    out.append(m.finish(y, 0.02, shape))

    # The TensorRT idiom's float tail: conv + BN + Relu + MaxPool + global average pool, quantized
    # only after Flatten. propagate-qdq moves the quantizer above Flatten, pool-quant quantizes
    # the pool's input; each input is rounded to half a step before the mean: within one step.
    m = Model("tensorrt_float_tail")
    c = m.node("Conv", [m.qdq("x", 0.02, 128), m.weight([8, 8, 3, 3])], pads=[1, 1, 1, 1])
    r = m.node("Relu", [m.node("BatchNormalization", [c] + bn_params(m, 8))])
    mp = m.node("MaxPool", [r], kernel_shape=[2, 2], strides=[2, 2])
    y = m.node("Flatten", [m.node("GlobalAveragePool", [mp])])
    out.append(m.finish(y, 0.01, [64, 8, 10, 10]))

    # Conv, residual add and Relu, each with its quantizer: fuse-epilogue makes them one op.
    m = Model("conv_add_relu_epilogue")
    xq = m.qdq("x", 0.02, 128)
    cq = m.qdq(m.node("Conv", [xq, m.weight([8, 8, 1, 1])]), 0.05, 128)
    y = m.node("Relu", [m.node("Add", [cq, xq])])
    out.append(m.finish(y, 0.06, shape))

    mshape = [4, 32]
    m = Model("matmul_gemm")
    mm = m.node("MatMul", [m.qdq("x", 0.03, 128), m.weight([32, 16], per_channel=False)])
    b = m.const(rng.uniform(-0.5, 0.5, 10).astype(np.float32))
    y = m.node("Gemm", [m.qdq(mm, 0.1, 128), m.weight([10, 16], per_channel=False), b], transB=1)
    out.append(m.finish(y, 0.05, mshape))

    # Linear as MatMul + Add: fold-bias-add makes a Gemm, quantize-bias an int32 bias, then QGemm.
    m = Model("matmul_bias_add")
    mm = m.node("MatMul", [m.qdq("x", 0.03, 128), m.weight([32, 16], per_channel=False)])
    y = m.node("Add", [mm, m.const(rng.uniform(-0.5, 0.5, 16).astype(np.float32))])
    out.append(m.finish(y, 0.1, mshape))

    # A ConvTranspose (k3 s2 pads 1 output_padding 1, per-channel weights on axis 1, float bias,
    # Relu): quantize-bias, then fold-conv-transpose's phase conv, a QLinearConv at -O2.
    m = Model("conv_transpose_bias_relu")
    crng = np.random.default_rng(2026)  # its own: the other cases' draws stay as they were
    w = crng.integers(-127, 128, [8, 6, 3, 3]).astype(np.int8)
    ws = crng.uniform(0.002, 0.02, 6).astype(np.float32)
    wd = m.node("DequantizeLinear", [m.const(w), m.const(ws), m.const(np.zeros(6, np.int8))],
                axis=1)
    b = m.const(crng.uniform(-0.5, 0.5, 6).astype(np.float32))
    ct = m.node("ConvTranspose", [m.qdq("x", 0.02, 128), wd, b], kernel_shape=[3, 3],
                strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])
    out.append(m.finish(m.node("Relu", [ct]), 0.1, shape))
    return out + lut_cases(shape)


def lut_cases(shape):
    """Elementwise activations between one DQ and one Q: fold-lut makes each one lookup table,
    so -O2 equals -O0 exactly. These draw nothing from rng (the cases above keep their data).
    Gelu needs opset 20; the rest are written at opset 13."""
    out = []
    for name, act, in_dtype, out_scale in [
            ("sigmoid", lambda m, x: m.node("Sigmoid", [x]), np.uint8, 1 / 128.0),
            ("tanh", lambda m, x: m.node("Tanh", [x]), np.int8, 1 / 128.0),
            ("hardsigmoid", lambda m, x: m.node("HardSigmoid", [x], alpha=0.25), np.uint8, 1 / 128.0),
            ("hardswish", lambda m, x: m.node("HardSwish", [x]), np.int8, 0.03),
            ("leakyrelu", lambda m, x: m.node("LeakyRelu", [x], alpha=0.1), np.uint8, 0.03),
            ("hardswish_composite", hardswish_composite, np.uint8, 0.03),
            ("silu", lambda m, x: m.node("Mul", [x, m.node("Sigmoid", [x])]), np.int8, 0.03),
            ("gelu_tanh_composite", gelu_tanh_composite, np.uint8, 0.03),
            ("gelu_erf_composite", gelu_erf_composite, np.int8, 0.03),
            ("gelu", lambda m, x: m.node("Gelu", [x]), np.uint8, 0.03),
            ("gelu_tanh", lambda m, x: m.node("Gelu", [x], approximate="tanh"), np.int8, 0.03)]:
        m = Model("lut_" + name, max_steps=0, opset=20 if name in ("gelu", "gelu_tanh") else 13)
        zp = 128 if in_dtype == np.uint8 else 0
        out.append(m.finish(act(m, m.qdq("x", 0.03, zp, in_dtype)), out_scale, shape))
    return out


def hardswish_composite(m, x):
    """x * Clip(x + 3, 0, 6) / 6, as exporters write HardSwish."""
    f = lambda v: m.const(np.float32(v))
    c = m.node("Clip", [m.node("Add", [x, f(3)]), f(0), f(6)])
    return m.node("Div", [m.node("Mul", [x, c]), f(6)])


def gelu_tanh_composite(m, x):
    """0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))), as torch exports it before
    opset 20."""
    f = lambda v: m.const(np.float32(v))
    x3 = m.node("Mul", [m.node("Mul", [x, x]), x])
    inner = m.node("Mul", [m.node("Add", [x, m.node("Mul", [x3, f(0.044715)])]), f(0.7978846)])
    t = m.node("Add", [m.node("Tanh", [inner]), f(1)])
    return m.node("Mul", [m.node("Mul", [x, t]), f(0.5)])


def gelu_erf_composite(m, x):
    """x * 0.5 * (1 + erf(x / sqrt(2))), as torch exports GELU before opset 20."""
    f = lambda v: m.const(np.float32(v))
    e = m.node("Add", [m.node("Erf", [m.node("Div", [x, f(1.4142135)])]), f(1)])
    return m.node("Mul", [m.node("Mul", [x, f(0.5)]), e])


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd) + ": " + (p.stderr.strip().splitlines() or [""])[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qcc", required=True)
    args = ap.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="qdq-opt-diff-") as tmp:
        for model, shape, max_steps in cases():
            d = os.path.join(tmp, model.graph.name)
            os.makedirs(d)
            path, xin = os.path.join(d, "model.onnx"), os.path.join(d, "x.npy")
            onnx.save(model, path)
            np.save(xin, rng.normal(0.0, 1.0, shape).astype(np.float32))
            outs = {}
            for level in ("-O0", "-O2"):
                run([args.qcc, "run", path, "--input", "x=" + xin, "--output-dir",
                     os.path.join(d, level), level, "--verify-each"])
                outs[level] = np.load(os.path.join(d, level, "y.npy")).astype(np.int64)
            diff = np.abs(outs["-O0"] - outs["-O2"])
            count, worst = int(np.count_nonzero(diff)), int(diff.max())
            p = subprocess.run([args.qcc, path, "-O2", "--report=quant", "-o", os.devnull],
                               capture_output=True, text=True)
            left = [l for l in p.stderr.splitlines() if l.startswith("report: ")]
            float_left = int(left[0].split()[1]) if left else -1
            ok = worst <= max_steps and float_left == 0
            failed += not ok
            print("%s %s: %d of %d differ, max %d step%s (bound %d); float ops left at -O2: %d" % (
                "PASS" if ok else "FAIL", model.graph.name, count, diff.size, worst,
                "" if worst == 1 else "s", max_steps, float_left))
    print("qdq-opt-diff: %s" % ("FAIL" if failed else "PASS"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
