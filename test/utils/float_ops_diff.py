#!/usr/bin/python3
"""The float ops of float models (issue 13 item 5) under `qcc run` against ONNX Runtime.

  float_ops_diff.py --qcc QCC --ort-run-cmd "node .../ort-run.js" [--filter RE] [--list]

--ort-run-cmd is the command lit's %ort-run stands for (node and ../shared/tools/ort-run.js,
possibly behind test/utils/as-zen3.sh); its ort-run.js is replaced by ort_run_npy.js, which
reads and writes float16 and bool, so the emulation prefix is kept.

Each case is a one-node ONNX model with random inputs from a fixed seed; ONNX Runtime runs it
through ort_run_npy.js (float16 and bool inputs and outputs), qcc through `qcc run`. The
float16 cases have float16 graph inputs and outputs, so ONNX Runtime's CPU provider runs the op
as it runs each op of a `half()` model: Cast to float32 inserted before it and after it (of
these ops only LayerNormalization, Clip, Concat, Split, Transpose and Expand have float16
kernels; see docs/accuracy.md for what happens when several such ops follow each other).

A case passes when qcc's output meets its bound:
  exact    every output bit-identical (NaN == NaN);
  ulps N   at most N units in the last place of the output's type (float32 or float16);
  sqnr D   signal-to-quantization-noise ratio of qcc against ONNX Runtime of at least D dB.
Each line prints the measured worst case, whatever the bound: differing elements, max ulps
and SQNR. The ConvTranspose cases whose padding the specification derives (auto_pad SAME_*,
output_shape with an odd total padding) also hold a float64 numpy reference of the
specification (`spec`) with the pads it prescribes; qcc must meet the bound against both.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16,
              np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8,
              np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int64): TensorProto.INT64,
              np.dtype(np.bool_): TensorProto.BOOL}

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261201)


class Case:
    def __init__(self, name, op, bound=("exact",), opset=17, **attrs):
        self.name, self.op, self.bound, self.opset, self.attrs = name, op, bound, opset, attrs
        self.inputs, self.inits, self.operands = [], [], []
        self.outputs = ["y"]
        self.out_types = None  # ONNX element types of the outputs; default: the first input's
        self.spec = None       # callable(*operand arrays) -> list of expected outputs

    def feed(self, name, arr):
        self.inputs.append((name, np.asarray(arr)))
        self.operands.append(name)
        return self

    def const(self, name, arr):
        self.inits.append((name, np.asarray(arr)))
        self.operands.append(name)
        return self

    def out(self, *types):
        self.out_types = list(types)
        return self

    def skip(self):
        self.operands.append("")
        return self

    def args(self):
        values = dict(self.inputs + self.inits)
        return [values[n] if n else None for n in self.operands]

    def model(self):
        first = (self.inputs + self.inits)[0][1]
        types = self.out_types or [NP_TO_ONNX[first.dtype]] * len(self.outputs)
        node = helper.make_node(self.op, self.operands, self.outputs, **self.attrs)
        ins = [helper.make_tensor_value_info(n, NP_TO_ONNX[a.dtype], list(a.shape))
               for n, a in self.inputs]
        outs = [helper.make_tensor_value_info(n, t, None) for n, t in zip(self.outputs, types)]
        inits = [numpy_helper.from_array(a, n) for n, a in self.inits]
        graph = helper.make_graph([node], self.name, ins, outs, inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                              producer_name="qcc-float-ops-diff")
        m.ir_version = 8
        return m


def f32(x):
    return np.asarray(x, dtype=np.float32)


def f16(x):
    return np.asarray(x, dtype=np.float16)


def normal(shape, scale=1.0, dtype=np.float32):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def uniform(shape, lo, hi, dtype=np.float32):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


# ---- measures --------------------------------------------------------------------------------

def ordered(a):
    """Float bits mapped to integers that order like the values (so ulps are differences)."""
    if a.dtype == np.float16:
        i = a.view(np.int16).astype(np.int64)
        return np.where(i < 0, -32768 - i, i)
    i = a.view(np.int32).astype(np.int64)
    return np.where(i < 0, -2147483648 - i, i)


def measure(ref, got):
    """(differing elements, max ulps, SQNR dB) of got against ref."""
    if ref.shape != got.shape or ref.dtype != got.dtype:
        return None
    if ref.dtype.kind != "f":
        diff = int(np.sum(ref != got))
        return diff, diff and float("inf"), float("inf") if diff == 0 else 0.0
    both_nan = np.isnan(ref) & np.isnan(got)
    same = (ref == got) | both_nan
    ulps = np.where(same, 0, np.abs(ordered(ref) - ordered(got)))
    r, g = ref.astype(np.float64), got.astype(np.float64)
    finite = np.isfinite(r) & np.isfinite(g)
    noise = np.sum((r[finite] - g[finite]) ** 2)
    signal = np.sum(r[finite] ** 2)
    sqnr = float("inf") if noise == 0 else 10 * np.log10(signal / noise) if signal else 0.0
    return int(np.sum(~same)), int(ulps.max()) if ulps.size else 0, sqnr


def meets(bound, m):
    if m is None:
        return False
    diff, ulps, sqnr = m
    if bound[0] == "exact":
        return diff == 0
    if bound[0] == "ulps":
        return ulps <= bound[1]
    return sqnr >= bound[1]


def describe(m):
    diff, ulps, sqnr = m
    if diff == 0:
        return "bit-identical"
    return "%d differ, max %d ulps, SQNR %.1f dB" % (diff, ulps, sqnr)


def bound_text(bound):
    return {"exact": "exact", "ulps": "<= %s ulps", "sqnr": ">= %s dB"}[bound[0]].replace(
        "%s", str(bound[1]) if len(bound) > 1 else "")


# ---- numpy references of the specification ---------------------------------------------------

def conv_transpose_spec(x, w, b, strides, pads_begin, out_shape, dilations=None, group=1):
    """ONNX ConvTranspose in float64 with the given leading pads and output spatial sizes."""
    n, c = x.shape[:2]
    nsp = x.ndim - 2
    dil = dilations or [1] * nsp
    mg = w.shape[1]
    cg = c // group
    y = np.zeros([n, mg * group] + list(out_shape))
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    for g in range(group):
        for i in np.ndindex(*x.shape[2:]):
            for k in np.ndindex(*w.shape[2:]):
                o = [i[d] * strides[d] + k[d] * dil[d] - pads_begin[d] for d in range(nsp)]
                if all(0 <= o[d] < out_shape[d] for d in range(nsp)):
                    contrib = np.einsum("nc,cm->nm", x64[(slice(None), slice(g * cg, g * cg + cg)) + i],
                                        w64[(slice(g * cg, g * cg + cg), slice(None)) + k])
                    y[(slice(None), slice(g * mg, g * mg + mg)) + tuple(o)] += contrib
    if b is not None:
        y += b.astype(np.float64).reshape([1, -1] + [1] * nsp)
    return y


# ---- cases -----------------------------------------------------------------------------------

def math_cases():
    cases = []
    x = uniform([4, 257], 0.05, 6.0)
    for e, name in [(2.0, "sq"), (3.0, "cube"), (0.5, "half"), (-1.7, "neg")]:
        cases.append(Case("pow_scalar_" + name, "Pow").feed("x", x).const("e", f32(e)))
    cases.append(Case("pow_tensor_bcast", "Pow").feed("x", x).feed("e", uniform([257], -3, 3)))
    cases.append(Case("pow_tensor_of_3", "Pow").feed("x", x).feed("e", np.full([257], 3, np.float32)))
    cases.append(Case("pow_int64_exponent", "Pow").feed("x", x).const(
        "e", rng.integers(-4, 7, size=[257]).astype(np.int64)))
    cases.append(Case("pow_int32_scalar_5", "Pow").feed("x", x).const("e", np.array(5, np.int32)))
    cases.append(Case("pow_int32_base", "Pow").feed(
        "x", rng.integers(-20, 20, size=[300]).astype(np.int32)).feed(
        "e", rng.integers(0, 6, size=[300]).astype(np.int32)))
    cases.append(Case("pow_int64_base_float_exp", "Pow").feed(
        "x", rng.integers(1, 50, size=[300]).astype(np.int64)).feed("e", uniform([300], 0, 3)))
    cases.append(Case("sqrt", "Sqrt").feed("x", np.concatenate(
        [uniform([1000], 0, 100), f32([0, -0.0, -1, np.inf, 1e-40])])))
    cases.append(Case("reciprocal", "Reciprocal").feed("x", np.concatenate(
        [normal([1000], 10), f32([0, -0.0, np.inf, 1e-40])])))
    return cases


def conv_transpose_case(name, x_shape, w_shape, bound, spec_pads=None, spec_out=None, **attrs):
    c = Case(name, "ConvTranspose", bound, **attrs)
    c.feed("x", normal(x_shape)).feed("w", normal(w_shape, 0.5)).feed("b", normal([w_shape[1] * attrs.get("group", 1)]))
    if spec_pads is not None:
        c.spec = lambda x, w, b: [conv_transpose_spec(
            x, w, b, attrs.get("strides", [1] * (len(x_shape) - 2)), spec_pads, spec_out,
            attrs.get("dilations"), attrs.get("group", 1)).astype(np.float32)]
    return c


def conv_transpose_cases():
    s = ("sqnr", 130)
    return [
        # The U-Net upsampling: kernel 2, stride 2; each output has one tap, so cg products.
        conv_transpose_case("convtranspose_k2s2", [2, 16, 8, 8], [16, 8, 2, 2], s, strides=[2, 2]),
        conv_transpose_case("convtranspose_one_channel_exact", [1, 1, 7, 7], [1, 3, 3, 3],
                            ("exact",), strides=[2, 2]),
        conv_transpose_case("convtranspose_k3s2_pads_outpad", [1, 8, 6, 6], [8, 4, 3, 3], s,
                            strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
        conv_transpose_case("convtranspose_group2_dilation2", [1, 6, 5, 7], [6, 2, 3, 2], s,
                            group=2, dilations=[2, 2], pads=[1, 0, 2, 1]),
        conv_transpose_case("convtranspose_1d", [2, 4, 9], [4, 3, 4], s, strides=[3]),
        conv_transpose_case("convtranspose_3d", [1, 3, 3, 4, 5], [3, 2, 2, 3, 2], s,
                            strides=[2, 1, 2], pads=[1, 0, 0, 0, 1, 1]),
        # Output 10 x 10 (in * stride); full sizes 12 and 11, so total paddings 2 and 1: the odd
        # one goes to the end for SAME_UPPER (begin 0) and to the beginning for SAME_LOWER.
        conv_transpose_case("convtranspose_same_upper_odd", [1, 3, 5, 5], [3, 2, 4, 3], s,
                            spec_pads=[1, 0], spec_out=[10, 10], strides=[2, 2],
                            auto_pad="SAME_UPPER"),
        conv_transpose_case("convtranspose_same_lower_odd", [1, 3, 5, 5], [3, 2, 4, 3], s,
                            spec_pads=[1, 1], spec_out=[10, 10], strides=[2, 2],
                            auto_pad="SAME_LOWER"),
        conv_transpose_case("convtranspose_valid", [1, 3, 4, 5], [3, 2, 3, 3], s, strides=[2, 1],
                            auto_pad="VALID"),
        conv_transpose_case("convtranspose_output_shape_even", [1, 2, 4, 4], [2, 3, 3, 3], s,
                            strides=[2, 2], output_shape=[7, 7]),
        # Full size 3 * 3 + 3 = 12; 14 is less than a stride beyond: two bias-only positions
        # at the end (ONNX Runtime rejects 15).
        conv_transpose_case("convtranspose_output_shape_wide", [1, 2, 4, 4], [2, 3, 3, 3], s,
                            spec_pads=[0, 0], spec_out=[14, 12], strides=[3, 3],
                            output_shape=[14, 12]),
    ]


def conv_transpose_odd_case():
    """output_shape with an odd total padding: the specification puts the extra pad at the
    beginning (full size 2 * 3 + 3 = 9 per dim, output 8: begin 1, end 0)."""
    return [conv_transpose_case("convtranspose_output_shape_odd", [1, 2, 4, 4], [2, 3, 3, 3],
                                ("sqnr", 130), spec_pads=[1, 1], spec_out=[8, 8], strides=[2, 2],
                                output_shape=[8, 8])]


def layer_norm_cases():
    s = ("sqnr", 120)
    cases = []
    c = Case("layernorm_last_axis", "LayerNormalization", s, epsilon=1e-5)
    c.feed("x", normal([4, 6, 64], 2) + 3).feed("s", normal([64])).feed("b", normal([64]))
    cases.append(c)
    c = Case("layernorm_axis1_mean_invstd", "LayerNormalization", s, axis=1)
    c.feed("x", normal([3, 4, 5, 6])).feed("s", normal([4, 5, 6])).feed("b", normal([4, 5, 6]))
    c.outputs = ["y", "mean", "invstd"]
    cases.append(c)
    c = Case("layernorm_no_bias_eps", "LayerNormalization", s, axis=-2, epsilon=0.1)
    c.feed("x", normal([2, 8, 16], 0.2)).feed("s", normal([8, 16]))
    cases.append(c)
    return cases


def reduce_cases():
    x = normal([3, 4, 5, 6])
    s = ("sqnr", 120)  # a full sum is one value: SQNR is then its relative error (1e-6)
    ax = lambda *a: np.array(a, np.int64)  # noqa: E731
    return [
        Case("reducesum_axes_input", "ReduceSum", s, keepdims=1).feed("x", x).const("a", ax(1, 3)),
        Case("reducesum_no_keepdims_neg_axis", "ReduceSum", s, keepdims=0).feed("x", x).const("a", ax(-1)),
        Case("reducesum_all", "ReduceSum", s).feed("x", x),
        Case("reducesum_empty_axes_noop", "ReduceSum", ("exact",), noop_with_empty_axes=1).feed(
            "x", x).const("a", np.zeros([0], np.int64)),
        Case("reducesum_opset11_attr", "ReduceSum", s, opset=11, axes=[0, 2]).feed("x", x),
        Case("reducesum_int64", "ReduceSum", ("exact",), keepdims=0).feed(
            "x", rng.integers(-1000, 1000, size=[4, 50]).astype(np.int64)).const("a", ax(1)),
        Case("reducemax_attr_opset13", "ReduceMax", ("exact",), opset=13, axes=[1, 2]).feed("x", x),
        Case("reducemax_input_opset18", "ReduceMax", ("exact",), opset=18, keepdims=0).feed(
            "x", x).const("a", ax(0, -1)),
        Case("reducemax_int32", "ReduceMax", ("exact",), opset=13, axes=[0]).feed(
            "x", rng.integers(-99, 99, size=[7, 9]).astype(np.int32)),
        Case("reducemean_input_opset18", "ReduceMean", s, opset=18).feed("x", x).const("a", ax(2, 3)),
        Case("reducemean_noop_opset18", "ReduceMean", ("exact",), opset=18,
             noop_with_empty_axes=1).feed("x", x),
    ]


def movement_cases():
    x = normal([2, 7, 5])
    cases = [
        Case("expand_bcast", "Expand").feed("x", normal([3, 1, 5])).const("s", np.array([2, 1, 4, 1], np.int64)),
        Case("expand_f16", "Expand").feed("x", normal([1, 6], dtype=np.float16)).const("s", np.array([3, 6], np.int64)),
        Case("where_bcast", "Where").feed("c", rng.random([4, 1, 6]) > 0.5).feed(
            "a", normal([5, 6])).feed("b", normal([4, 5, 1])).out(TensorProto.FLOAT),
        Case("where_int64", "Where").feed("c", rng.random([8]) > 0.5).feed(
            "a", rng.integers(0, 9, [8]).astype(np.int64)).feed("b", np.int64(-1)).out(TensorProto.INT64),
    ]
    c = Case("split_input_opset13", "Split", axis=1).feed("x", x).const("s", np.array([2, 5], np.int64))
    c.outputs = ["y", "y2"]
    cases.append(c)
    c = Case("split_num_outputs_opset18", "Split", opset=18, axis=1, num_outputs=3).feed("x", x)
    c.outputs = ["y", "y2", "y3"]
    cases.append(c)
    return cases


def softmax_cases():
    s = ("ulps", 16)
    x = normal([3, 4, 5], 3)
    return [
        Case("softmax_axis0", "Softmax", s, axis=0).feed("x", x),
        Case("softmax_axis1", "Softmax", s, axis=1).feed("x", x),
        Case("softmax_last", "Softmax", s).feed("x", x),
        Case("softmax_opset11_axis1_coerce", "Softmax", s, opset=11, axis=1).feed("x", x),
    ]


def fp16_cases():
    """Each op with float16 operands: the op in float32 and one rounding, like ONNX Runtime."""
    h = lambda *s: normal(list(s), 1.0, np.float16)  # noqa: E731
    pos = lambda *s: uniform(list(s), 0.1, 4.0, np.float16)  # noqa: E731
    one = ("ulps", 1)
    cases = [
        Case("f16_add_bcast", "Add").feed("a", h(4, 8)).feed("b", h(8)),
        Case("f16_sub", "Sub").feed("a", h(64)).feed("b", h(64)),
        Case("f16_mul", "Mul").feed("a", h(64)).feed("b", h(64)),
        Case("f16_div", "Div").feed("a", h(64)).feed("b", pos(64)),
        Case("f16_pow", "Pow").feed("a", pos(64)).feed("b", h(64)),
        Case("f16_pow_scalar3", "Pow").feed("a", h(64)).const("b", f16(3)),
        Case("f16_sqrt", "Sqrt").feed("a", pos(64)),
        Case("f16_reciprocal", "Reciprocal").feed("a", pos(64)),
        Case("f16_relu", "Relu").feed("a", h(64)),
        Case("f16_leakyrelu", "LeakyRelu", alpha=0.1).feed("a", h(64)),
        Case("f16_sigmoid", "Sigmoid", one).feed("a", h(256)),
        Case("f16_hardsigmoid", "HardSigmoid", alpha=0.2, beta=0.5).feed("a", h(256)),
        Case("f16_hardswish", "HardSwish").feed("a", h(256)),
        Case("f16_tanh", "Tanh", one).feed("a", h(256)),
        Case("f16_exp", "Exp", one).feed("a", h(256)),
        Case("f16_erf", "Erf", one).feed("a", h(256)),
        Case("f16_gelu", "Gelu", one, opset=20).feed("a", h(256)),
        Case("f16_clip", "Clip").feed("a", h(64)).const("lo", f16(-0.5)).const("hi", f16(0.7)),
        Case("f16_softmax", "Softmax", one, axis=1).feed("a", h(3, 40)),
        Case("f16_conv", "Conv", one, pads=[1, 1, 1, 1]).feed("x", h(1, 8, 10, 10)).feed(
            "w", h(16, 8, 3, 3)).feed("b", h(16)),
        Case("f16_convtranspose", "ConvTranspose", one, strides=[2, 2]).feed("x", h(1, 8, 6, 6)).feed(
            "w", h(8, 4, 2, 2)).feed("b", h(4)),
        Case("f16_batchnorm", "BatchNormalization", one).feed("x", h(2, 4, 5, 5)).feed("s", h(4)).feed(
            "b", h(4)).feed("m", h(4)).feed("v", pos(4)),
        Case("f16_matmul", "MatMul", one).feed("a", h(2, 8, 32)).feed("b", h(32, 16)),
        Case("f16_gemm", "Gemm", one, transB=1, alpha=0.5).feed("a", h(8, 32)).feed("b", h(16, 32)).feed(
            "c", h(16)),
        Case("f16_maxpool", "MaxPool", kernel_shape=[2, 2], strides=[2, 2]).feed("x", h(1, 4, 8, 8)),
        Case("f16_averagepool", "AveragePool", one, kernel_shape=[3, 3], pads=[1, 1, 1, 1]).feed(
            "x", h(1, 4, 8, 8)),
        Case("f16_globalaveragepool", "GlobalAveragePool", one).feed("x", h(2, 4, 7, 7)),
        Case("f16_reducemean", "ReduceMean", one, axes=[1]).feed("x", h(4, 64)),
        Case("f16_reducesum", "ReduceSum", one).feed("x", h(4, 64)).const("a", np.array([1], np.int64)),
        Case("f16_reducemax", "ReduceMax", axes=[1]).feed("x", h(4, 64)),
        Case("f16_concat", "Concat", axis=1).feed("a", h(2, 3)).feed("b", h(2, 5)),
        Case("f16_transpose", "Transpose", perm=[1, 0]).feed("a", h(3, 5)),
        Case("f16_resize_nearest", "Resize", mode="nearest").feed("x", h(1, 2, 3, 3)).skip().const(
            "s", f32([1, 1, 2, 2])),
        Case("f16_where", "Where").feed("c", rng.random([16]) > 0.5).feed("a", h(16)).feed("b", h(16)).out(
            TensorProto.FLOAT16),
    ]
    c = Case("f16_layernorm", "LayerNormalization", one)
    c.feed("x", h(4, 32)).feed("s", h(32)).feed("b", h(32))
    cases.append(c)
    c = Case("f16_cast_to_f32", "Cast", to=TensorProto.FLOAT).feed("x", h(64))
    c.out_types = [TensorProto.FLOAT]
    cases.append(c)
    c = Case("f32_cast_to_f16", "Cast", to=TensorProto.FLOAT16).feed("x", np.concatenate(
        [normal([500], 100), f32([65504, 65519.99, 65520, 1e-8, 3e-5, -6.1e-5, 2.0**-25, 2.0**-24 * 1.5])]))
    c.out_types = [TensorProto.FLOAT16]
    cases.append(c)
    return cases


def all_cases():
    """Each group draws its inputs from its own seed, so adding a case moves only its group's."""
    global rng
    cases = []
    groups = [math_cases, conv_transpose_cases, conv_transpose_odd_case, layer_norm_cases,
              reduce_cases, movement_cases, softmax_cases, fp16_cases]
    for i, group in enumerate(groups):
        rng = np.random.default_rng(20261201 + i)
        cases += group()
    return cases


# ---- running ---------------------------------------------------------------------------------

def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd[:2]) + ": " + (p.stderr.strip().splitlines() or [""])[0])


def save_case(case, d):
    """Writes the model and its inputs to d; returns (model path, ort args, qcc args, output
    names), as ort_diff.save_case does (cpu_invariance.py runs these cases too)."""
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    onnx.save(case.model(), path)
    ort_args, qcc_args = [], []
    for n, a in case.inputs:
        f = os.path.join(d, n + ".npy")
        np.save(f, a)
        ort_args += ["--in", "%s=%s" % (n, f)]
        qcc_args += ["--input", "%s=%s" % (n, f)]
    return path, ort_args, qcc_args, list(case.outputs)


def run_case(case, qcc, ort_cmd, tmp):
    d = os.path.join(tmp, case.name)
    path, ort_args, qcc_args, _ = save_case(case, d)
    run([qcc, "run", path, "--output-dir", os.path.join(d, "qcc")] + qcc_args)
    run(ort_cmd + [path, "--out-dir", os.path.join(d, "ort")] + ort_args)
    worst = None
    ok = True
    for i, name in enumerate(case.outputs):
        got = np.load(os.path.join(d, "qcc", name + ".npy"))
        ort = np.load(os.path.join(d, "ort", name + ".npy"))
        m = measure(ort, got)
        if case.spec:
            ms = measure(case.spec(*case.args())[i], got)
            ok &= meets(case.bound, ms) and meets(case.bound, m)
            return ok, "%s; spec %s" % (describe(m) if m else "onnxruntime shape %s" % (
                list(ort.shape),), describe(ms) if ms else "shape differs")
        if m is None:
            return False, "%s: %s %s vs onnxruntime %s %s" % (name, got.dtype, list(got.shape),
                                                               ort.dtype, list(ort.shape))
        ok &= meets(case.bound, m)
        if worst is None or m[0] > worst[0]:
            worst = m
    return ok, describe(worst)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qcc", required=True)
    ap.add_argument("--ort-run-cmd", required=True, help="lit's %%ort-run command")
    ap.add_argument("--filter", help="only cases whose name matches this regex")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    cases = [c for c in all_cases() if not args.filter or re.search(args.filter, c.name)]
    ort_cmd = shlex.split(args.ort_run_cmd)
    if ort_cmd and os.path.basename(ort_cmd[-1]) == "ort-run.js":
        ort_cmd[-1] = os.path.join(HERE, "ort_run_npy.js")
    if args.list:
        for c in cases:
            print(c.name)
        return 0
    failed = 0
    with tempfile.TemporaryDirectory(prefix="float-ops-diff-") as tmp:
        for c in cases:
            try:
                ok, text = run_case(c, args.qcc, ort_cmd, tmp)
            except RuntimeError as e:
                ok, text = False, str(e)
            failed += not ok
            bound = bound_text(c.bound)
            print("%s %s: %s (bound %s)" % ("PASS" if ok else "FAIL", c.name, text, bound))
    print("float-ops-diff: %d cases, %d failed" % (len(cases), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
