#!/usr/bin/python3
"""Differential test of qcc's quantized ops against ONNX Runtime (CPU) and a numpy reference.

Builds one small single-op ONNX model per case (every quantized op qcc implements, with u8
non-zero zero points, i8 symmetric and per-channel variants), feeds random inputs from a fixed
seed to ONNX Runtime (ort-run.js, npm onnxruntime-node) and to `qcc run`, and compares the outputs
bit for bit. The integer products (QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger, QGemm)
are also checked, on full-range data, against the independent numpy implementation of the ONNX
formulas in qref.py, whatever machine this is.

--ort-u8s8 says what ONNX Runtime does on this machine (the lit feature `ort-exact-u8s8`, found
by ort_probe.py). `exact`: every case is compared with ONNX Runtime as generated. `saturating`
(x86 without VNNI, where ONNX Runtime's u8 x s8 GEMM saturates pairs of products to int16): the
u8 x s8 cases that take that GEMM are compared with ONNX Runtime on a copy whose weights are
halved into [-64, 63], where no pair can saturate (2 * 255 * 64 = 32640); their full-range
models are still checked against numpy.

Prints one line per case, `PASS/FAIL name (onnxruntime: ..., numpy: ...)`, then the totals.
Integer outputs differ in quantization steps; float outputs in ulps.

Run with /usr/bin/python3 (needs numpy and onnx). ONNX Runtime is found through ORT_NODE_DIR
(a folder whose node_modules holds onnxruntime-node).
"""
import argparse
import concurrent.futures
import copy
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ORT_RUN = os.path.join(HERE, "..", "..", "..", "shared", "tools", "ort-run.js")

NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.uint8): TensorProto.UINT8,
              np.dtype(np.int8): TensorProto.INT8, np.dtype(np.int32): TensorProto.INT32}
MS = "com.microsoft"


class Case:
    """One single-node model: graph inputs (fed from .npy) and initializers (constants)."""

    def __init__(self, name, op, domain=""):
        self.name, self.op, self.domain = name, op, domain
        self.inputs = []  # (name, array) fed at run time
        self.inits = []   # (name, array) constants
        self.operands = []
        self.attrs = {}
        self.out_type = None
        self.extra_outputs = []  # (name, onnx type) after "y"

    def feed(self, name, arr):
        self.inputs.append((name, arr))
        self.operands.append(name)
        return self

    def const(self, name, arr):
        self.inits.append((name, np.asarray(arr)))
        self.operands.append(name)
        return self

    def skip(self):
        self.operands.append("")
        return self

    def args(self):
        """Operand arrays in node order, None for omitted ones."""
        values = dict(self.inputs + self.inits)
        return [values[n] if n else None for n in self.operands]

    def model(self):
        names = ["y"] + [n for n, _ in self.extra_outputs]
        node = helper.make_node(self.op, self.operands, names, domain=self.domain, **self.attrs)
        ins = [helper.make_tensor_value_info(n, NP_TO_ONNX[a.dtype], list(a.shape))
               for n, a in self.inputs]
        outs = [helper.make_tensor_value_info(n, t, None)
                for n, t in [("y", self.out_type)] + self.extra_outputs]
        inits = [numpy_helper.from_array(a, n) for n, a in self.inits]
        graph = helper.make_graph([node], self.name, ins, outs, inits)
        opsets = [helper.make_opsetid("", 13)]
        if self.domain == MS:
            opsets.append(helper.make_opsetid(MS, 1))
        m = helper.make_model(graph, opset_imports=opsets, producer_name="qcc-ort-diff")
        m.ir_version = 7
        return m


rng = np.random.default_rng(20240611)


def f32(x):
    return np.asarray(x, dtype=np.float32)


def rand_q(shape, dtype):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, size=shape).astype(dtype)


def scalar(v, dtype):
    return np.array(v, dtype=dtype)


# ---- QuantizeLinear / DequantizeLinear ----------------------------------------------------------

def quantize_input(shape, scale):
    x = f32(rng.normal(0.0, 3.0, size=shape))
    # Exact ties k + 0.5 (in units of the scale) exercise round-half-to-even.
    flat = x.reshape(-1)
    n = flat.size // 4
    flat[:n] = (rng.integers(-140, 140, size=n) + 0.5).astype(np.float32) * np.float32(scale)
    return x


def q_cases():
    cases = []
    c = Case("quantize_u8", "QuantizeLinear")
    c.feed("x", quantize_input([2, 3, 8, 8], 0.05)).const("s", f32(0.05)).const("z", scalar(128, np.uint8))
    c.out_type = TensorProto.UINT8
    cases.append(c)
    c = Case("quantize_i8_sym", "QuantizeLinear")
    c.feed("x", quantize_input([4, 100], 0.037)).const("s", f32(0.037)).const("z", scalar(0, np.int8))
    c.out_type = TensorProto.INT8
    cases.append(c)
    c = Case("quantize_no_zp", "QuantizeLinear")
    c.feed("x", f32(rng.uniform(-1, 30, size=[50]))).const("s", f32(0.1))
    c.out_type = TensorProto.UINT8
    cases.append(c)
    c = Case("quantize_per_axis_u8", "QuantizeLinear")
    c.feed("x", quantize_input([2, 4, 5, 5], 0.02)).const("s", f32([0.02, 0.05, 0.013, 0.1]))
    c.const("z", np.array([0, 128, 17, 250], np.uint8))
    c.out_type = TensorProto.UINT8
    cases.append(c)
    c = Case("quantize_per_axis_i8_axis0", "QuantizeLinear")
    c.feed("x", quantize_input([3, 40], 0.03)).const("s", f32([0.03, 0.011, 0.07]))
    c.const("z", np.array([0, 0, 0], np.int8))
    c.attrs = {"axis": 0}
    c.out_type = TensorProto.INT8
    cases.append(c)
    c = Case("dequantize_u8", "DequantizeLinear")
    c.feed("x", rand_q([2, 3, 8, 8], np.uint8)).const("s", f32(0.0173)).const("z", scalar(131, np.uint8))
    c.out_type = TensorProto.FLOAT
    cases.append(c)
    c = Case("dequantize_i8_sym", "DequantizeLinear")
    c.feed("x", rand_q([300], np.int8)).const("s", f32(0.0291)).const("z", scalar(0, np.int8))
    c.out_type = TensorProto.FLOAT
    cases.append(c)
    c = Case("dequantize_per_axis", "DequantizeLinear")
    c.feed("x", rand_q([2, 3, 4, 4], np.int8)).const("s", f32([0.1, 0.0123, 0.5]))
    c.const("z", np.array([0, 0, 0], np.int8))
    c.out_type = TensorProto.FLOAT
    cases.append(c)
    c = Case("dequantize_i32_bias", "DequantizeLinear")
    c.feed("x", rng.integers(-100000, 100000, size=[64]).astype(np.int32)).const("s", f32(0.00037))
    c.out_type = TensorProto.FLOAT
    cases.append(c)
    return cases


# ---- QLinearConv / ConvInteger --------------------------------------------------------------------

def qconv_case(name, x_dtype, w_dtype, x_shape, w_shape, attrs, per_channel=False, bias=True,
               sym=False):
    c = Case(name, "QLinearConv")
    m = w_shape[0]
    xzp = 0 if (sym or x_dtype == np.int8) else 119
    wzp = 0 if (sym or w_dtype == np.int8) else 133
    c.feed("x", rand_q(x_shape, x_dtype)).const("xs", f32(0.021)).const("xz", scalar(xzp, x_dtype))
    c.const("w", rand_q(w_shape, w_dtype))
    if per_channel:
        c.const("ws", f32(rng.uniform(0.002, 0.02, size=[m])))
        c.const("wz", np.full([m], wzp, w_dtype))
    else:
        c.const("ws", f32(0.0067)).const("wz", scalar(wzp, w_dtype))
    y_dtype = x_dtype
    c.const("ys", f32(0.37)).const("yz", scalar(0 if y_dtype == np.int8 else 121, y_dtype))
    if bias:
        c.const("b", rng.integers(-20000, 20000, size=[m]).astype(np.int32))
    c.attrs = attrs
    c.out_type = NP_TO_ONNX[np.dtype(y_dtype)]
    return c


def conv_cases():
    cases = [
        qconv_case("qlinearconv_u8u8_pads", np.uint8, np.uint8, [1, 3, 9, 9], [4, 3, 3, 3],
                   {"pads": [1, 1, 1, 1]}),
        qconv_case("qlinearconv_u8s8_per_channel", np.uint8, np.int8, [2, 4, 8, 8], [6, 4, 3, 3],
                   {"pads": [1, 0, 1, 2], "strides": [2, 1]}, per_channel=True),
        qconv_case("qlinearconv_s8s8_sym", np.int8, np.int8, [1, 8, 7, 7], [8, 8, 1, 1], {},
                   sym=True),
        qconv_case("qlinearconv_depthwise_same_upper", np.uint8, np.int8, [1, 6, 10, 10],
                   [6, 1, 3, 3], {"group": 6, "auto_pad": "SAME_UPPER", "strides": [2, 2]},
                   per_channel=True),
        qconv_case("qlinearconv_group_dilation_nobias", np.uint8, np.uint8, [1, 4, 11, 11],
                   [4, 2, 3, 3], {"group": 2, "dilations": [2, 2], "pads": [2, 2, 2, 2]},
                   bias=False),
        qconv_case("qlinearconv_1d", np.uint8, np.int8, [2, 3, 20], [5, 3, 4],
                   {"pads": [1, 2], "strides": [3]}),
    ]
    for name, x_dtype, zps in [("convinteger_u8_zp", np.uint8, True),
                               ("convinteger_u8_nozp", np.uint8, False)]:
        c = Case(name, "ConvInteger")
        c.feed("x", rand_q([1, 3, 7, 7], x_dtype)).const("w", rand_q([2, 3, 3, 3], np.uint8))
        if zps:
            c.const("xz", scalar(97, np.uint8)).const("wz", scalar(140, np.uint8))
        c.attrs = {"pads": [1, 1, 1, 1]}
        c.out_type = TensorProto.INT32
        cases.append(c)
    return cases


# ---- QLinearMatMul / MatMulInteger / QGemm --------------------------------------------------------

def matmul_cases():
    cases = []
    for name, ad, bd, a_shape, b_shape, per_col in [
            ("qlinearmatmul_u8u8", np.uint8, np.uint8, [5, 16], [16, 7], False),
            ("qlinearmatmul_s8s8_sym", np.int8, np.int8, [3, 4, 32], [32, 9], False),
            ("qlinearmatmul_u8s8_per_column", np.uint8, np.int8, [6, 24], [24, 10], True),
            ("qlinearmatmul_batch_broadcast", np.uint8, np.uint8, [2, 1, 3, 8], [4, 8, 5], False)]:
        c = Case(name, "QLinearMatMul")
        n = b_shape[-1]
        c.feed("a", rand_q(a_shape, ad)).const("as", f32(0.031))
        c.const("az", scalar(0 if ad == np.int8 else 124, ad))
        c.const("b", rand_q(b_shape, bd))
        if per_col:
            c.const("bs", f32(rng.uniform(0.001, 0.01, size=[n]))).const("bz", np.zeros([n], bd))
        else:
            c.const("bs", f32(0.0113)).const("bz", scalar(0 if bd == np.int8 else 130, bd))
        c.const("ys", f32(0.41)).const("yz", scalar(0 if ad == np.int8 else 118, ad))
        c.out_type = NP_TO_ONNX[np.dtype(ad)]
        cases.append(c)
    for name, ad, bd, a_shape, b_shape, zps in [
            ("matmulinteger_u8u8_zp", np.uint8, np.uint8, [2, 5, 16], [16, 7], "scalar"),
            ("matmulinteger_s8s8", np.int8, np.int8, [4, 12], [12, 6], None),
            ("matmulinteger_u8s8_per_column_zp", np.uint8, np.int8, [3, 20], [20, 8], "column")]:
        c = Case(name, "MatMulInteger")
        c.feed("a", rand_q(a_shape, ad)).const("b", rand_q(b_shape, bd))
        if zps == "scalar":
            c.const("az", scalar(100, ad)).const("bz", scalar(150, bd))
        elif zps == "column":
            c.const("az", scalar(77, ad)).const("bz", rng.integers(-5, 5, size=[b_shape[-1]]).astype(bd))
        c.out_type = TensorProto.INT32
        cases.append(c)
    for name, ad, bd, attrs, with_c, out, per_col in [
            ("qgemm_u8u8_bias", np.uint8, np.uint8, {}, True, "q", False),
            ("qgemm_u8s8_transB_alpha", np.uint8, np.int8, {"transB": 1, "alpha": 0.7}, True, "q", True),
            ("qgemm_s8s8_float_out", np.int8, np.int8, {"transA": 1}, False, "f", False),
            ("qgemm_u8s8_float_out_bias", np.uint8, np.int8, {"alpha": 1.3}, True, "f", True)]:
        m, k, n = 6, 20, 9
        c = Case(name, "QGemm", MS)
        a_shape = [k, m] if attrs.get("transA") else [m, k]
        b_shape = [n, k] if attrs.get("transB") else [k, n]
        c.feed("a", rand_q(a_shape, ad)).const("as", f32(0.027))
        c.const("az", scalar(0 if ad == np.int8 else 127, ad)).const("b", rand_q(b_shape, bd))
        if per_col:
            c.const("bs", f32(rng.uniform(0.001, 0.01, size=[n]))).const("bz", np.zeros([n], bd))
        else:
            c.const("bs", f32(0.0091)).const("bz", scalar(0 if bd == np.int8 else 129, bd))
        if with_c:
            c.const("c", rng.integers(-5000, 5000, size=[n]).astype(np.int32))
        else:
            c.skip()
        if out == "q":
            c.const("ys", f32(0.29)).const("yz", scalar(0 if ad == np.int8 else 125, ad))
            c.out_type = NP_TO_ONNX[np.dtype(ad)]
        else:
            c.out_type = TensorProto.FLOAT
        c.attrs = attrs
        cases.append(c)
    return cases


# ---- QLinearAdd / QLinearMul / lookup-table activations ------------------------------------------

def binary_cases():
    cases = []
    shapes = [("same", [2, 3, 8, 8], [2, 3, 8, 8]), ("nchw_channel", [2, 3, 8, 8], [1, 3, 1, 1]),
              ("scalar_b", [4, 33], []), ("scalar_a1", [1], [4, 33]), ("outer", [5, 1], [1, 7]),
              ("row", [6, 10], [10])]
    for op in ["QLinearAdd", "QLinearMul"]:
        for dtype in [np.uint8, np.int8]:
            for sname, sa, sb in shapes:
                if dtype == np.int8 and sname not in ("same", "nchw_channel", "scalar_b"):
                    continue
                tag = "u8" if dtype == np.uint8 else "i8"
                c = Case("%s_%s_%s" % (op.lower(), tag, sname), op, MS)
                u8 = dtype == np.uint8
                c.feed("a", rand_q(sa, dtype)).const("as", f32(0.0371 if op == "QLinearAdd" else 0.05))
                c.const("az", scalar(131 if u8 else 0, dtype))
                c.feed("b", rand_q(sb, dtype)).const("bs", f32(0.0219 if op == "QLinearAdd" else 0.031))
                c.const("bz", scalar(97 if u8 else 0, dtype))
                c.const("ys", f32(0.0533 if op == "QLinearAdd" else 0.47))
                c.const("yz", scalar(126 if u8 else 0, dtype))
                c.out_type = NP_TO_ONNX[np.dtype(dtype)]
                cases.append(c)
    # Exhaustive (all 256 x 256 byte pairs) with parameters found to sit on rounding ties,
    # where fused and unfused evaluation of ONNX Runtime's float expressions differ.
    grid = np.arange(256, dtype=np.uint8)
    layouts = [("general", np.repeat(grid, 256).reshape(256, 256), np.tile(grid, 256).reshape(256, 256)),
               ("b_span", np.tile(grid, 256).reshape(256, 256), grid.reshape(256, 1)),
               ("a_span", grid.reshape(256, 1), np.tile(grid, 256).reshape(256, 256))]
    for op, tag, (sa, sb, sy, za, zb, zy) in [
            ("QLinearAdd", "fold", (0.0913797319, 0.0729277581, 0.0161372572, 57, 131, 40)),
            ("QLinearAdd", "span", (0.0324793644, 0.0572327673, 0.081228897, 49, 50, 73)),
            ("QLinearMul", "zp", (0.041177664, 0.0772171691, 0.37827161, 239, 152, 32))]:
        for lname, A, B in layouts:
            c = Case("%s_tie_%s_%s" % (op.lower(), tag, lname), op, MS)
            c.feed("a", A.copy()).const("as", f32(sa)).const("az", scalar(za, np.uint8))
            c.feed("b", B.copy()).const("bs", f32(sb)).const("bz", scalar(zb, np.uint8))
            c.const("ys", f32(sy)).const("yz", scalar(zy, np.uint8))
            c.out_type = TensorProto.UINT8
            cases.append(c)
    for op, attrs in [("QLinearSigmoid", {}), ("QLinearLeakyRelu", {"alpha": 0.1})]:
        for dtype in [np.uint8, np.int8]:
            u8 = dtype == np.uint8
            c = Case("%s_%s" % (op.lower(), "u8" if u8 else "i8"), op, MS)
            # Every byte value, so the whole lookup table is compared.
            x = np.arange(256, dtype=np.uint8).view(dtype).reshape(4, 64)
            c.feed("x", x).const("xs", f32(0.0625 if op == "QLinearSigmoid" else 0.043))
            c.const("xz", scalar(128 if u8 else 0, dtype))
            c.const("ys", f32(1.0 / 256 if op == "QLinearSigmoid" else 0.031))
            c.const("yz", scalar(0 if op == "QLinearSigmoid" and u8 else (-128 if op == "QLinearSigmoid" else (100 if u8 else 5)), dtype))
            c.attrs = attrs
            c.out_type = NP_TO_ONNX[np.dtype(dtype)]
            cases.append(c)
    return cases


# ---- pools and concat ----------------------------------------------------------------------------

def pool_cases():
    cases = []
    for name, dtype, shape, attrs in [
            ("qlinearglobalavgpool_u8", np.uint8, [2, 5, 7, 7], {}),
            ("qlinearglobalavgpool_i8", np.int8, [1, 8, 6, 5], {}),
            ("qlinearglobalavgpool_channels_last", np.uint8, [2, 4, 4, 6], {"channels_last": 1})]:
        u8 = dtype == np.uint8
        c = Case(name, "QLinearGlobalAveragePool", MS)
        c.feed("x", rand_q(shape, dtype)).const("xs", f32(0.033)).const("xz", scalar(117 if u8 else 0, dtype))
        c.const("ys", f32(0.029)).const("yz", scalar(123 if u8 else -3, dtype))
        c.attrs = attrs
        c.out_type = NP_TO_ONNX[np.dtype(dtype)]
        cases.append(c)
    for name, dtype, shape, attrs in [
            ("qlinearavgpool_3x3_pad", np.uint8, [1, 3, 9, 9], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
            ("qlinearavgpool_3x3_pad_include", np.uint8, [1, 3, 9, 9],
             {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1}),
            ("qlinearavgpool_ceil_s2", np.int8, [2, 2, 10, 10],
             {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
            ("qlinearavgpool_same_upper", np.uint8, [1, 4, 7, 8],
             {"kernel_shape": [2, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
            ("qlinearavgpool_channels_last", np.uint8, [1, 6, 6, 5],
             {"kernel_shape": [2, 2], "strides": [2, 2], "channels_last": 1}),
            ("qlinearavgpool_global_shortcut", np.uint8, [1, 3, 5, 5], {"kernel_shape": [5, 5]})]:
        u8 = dtype == np.uint8
        c = Case(name, "QLinearAveragePool", MS)
        c.feed("x", rand_q(shape, dtype)).const("xs", f32(0.041)).const("xz", scalar(125 if u8 else 0, dtype))
        c.const("ys", f32(0.037)).const("yz", scalar(119 if u8 else 0, dtype))
        c.attrs = attrs
        c.out_type = NP_TO_ONNX[np.dtype(dtype)]
        cases.append(c)
    for name, dtype, axis in [("qlinearconcat_u8", np.uint8, 1), ("qlinearconcat_i8_axis_last", np.int8, -1)]:
        u8 = dtype == np.uint8
        c = Case(name, "QLinearConcat", MS)
        c.const("ys", f32(0.05)).const("yz", scalar(128 if u8 else 0, dtype))
        shapes = [[2, 3, 4], [2, 5, 4], [2, 1, 4]] if axis == 1 else [[2, 3, 4], [2, 3, 2], [2, 3, 5]]
        params = [(0.05, 128 if u8 else 0), (0.031, 100 if u8 else 3), (0.11, 140 if u8 else -7)]
        for i, (shp, (s, z)) in enumerate(zip(shapes, params)):
            c.feed("x%d" % i, rand_q(shp, dtype)).const("s%d" % i, f32(s)).const("z%d" % i, scalar(z, dtype))
        c.attrs = {"axis": axis}
        c.out_type = NP_TO_ONNX[np.dtype(dtype)]
        cases.append(c)
    return cases


# ---- full-range integer products: every u8 x s8 product, saturating pairs, ties -------------------

def extreme_cases():
    cases = []
    # Row i of A is the value i; every column of B is a permutation of all 256 int8 values, so
    # every u8 x s8 product occurs and neighbouring products reach 2 * 255 * 127.
    k = np.arange(256).reshape(256, 1)
    j = np.arange(256).reshape(1, 256)
    c = Case("matmulinteger_u8s8_every_product", "MatMulInteger")
    c.feed("a", np.repeat(np.arange(256, dtype=np.uint8).reshape(256, 1), 256, axis=1))
    c.const("b", (((k * 37 + j * 11) % 256) - 128).astype(np.int8))
    c.out_type = TensorProto.INT32
    cases.append(c)
    # Per-channel extremes: saturated activations against all +127, all -128, alternating and
    # random channels, with per-channel scales from tiny to large.
    x = rand_q([1, 8, 6, 6], np.uint8)
    x[:, :, ::2, :] = 255
    w = rand_q([6, 8, 3, 3], np.int8)
    w[0], w[1], w[2] = 127, -128, np.where(np.arange(72).reshape(8, 3, 3) % 2 == 0, 127, -128)
    c = Case("qlinearconv_u8s8_per_channel_extremes", "QLinearConv")
    c.feed("x", x).const("xs", f32(0.02)).const("xz", scalar(0, np.uint8)).const("w", w)
    c.const("ws", f32([1e-5, 2e-5, 0.004, 0.0011, 0.0005, 0.3]))
    c.const("wz", np.zeros([6], np.int8)).const("ys", f32(11.0)).const("yz", scalar(128, np.uint8))
    c.const("b", np.array([0, 0, 2**20, -(2**20), 7, 0], np.int32))
    c.attrs = {"pads": [1, 1, 1, 1]}
    c.out_type = TensorProto.UINT8
    cases.append(c)
    # Requantization ties: M = f32(0.5 * 0.25) / 0.25 = 0.5 exactly, so every odd accumulator
    # lands on k + 0.5 and must round to even.
    c = Case("qlinearmatmul_u8s8_requant_ties", "QLinearMatMul")
    c.feed("a", rng.integers(0, 16, size=[16, 8]).astype(np.uint8)).const("as", f32(0.5))
    c.const("az", scalar(8, np.uint8)).const("b", rng.integers(-8, 9, size=[8, 12]).astype(np.int8))
    c.const("bs", f32(0.25)).const("bz", scalar(0, np.int8))
    c.const("ys", f32(0.25)).const("yz", scalar(128, np.uint8))
    c.out_type = TensorProto.UINT8
    cases.append(c)
    return cases


# ---- DynamicQuantizeLinear (uint8 with parameters from the data) --------------------------------------

def dynamic_quantize_cases():
    cases = []
    grid = (np.arange(-60, 60) * 0.25).astype(np.float32)  # a regular grid around 0
    for name, x in [("mixed", f32(rng.normal(0.0, 2.0, size=[3, 50]))),
                    ("positive", f32(rng.uniform(0.5, 7.0, size=[64]))),
                    ("negative", f32(rng.uniform(-9.0, -0.1, size=[2, 2, 8]))),
                    ("zeros", np.zeros([10], np.float32)),
                    ("grid", grid)]:
        c = Case("dynamicquantizelinear_" + name, "DynamicQuantizeLinear")
        c.feed("x", x)
        c.out_type = TensorProto.UINT8
        c.extra_outputs = [("y_scale", TensorProto.FLOAT), ("y_zero_point", TensorProto.UINT8)]
        cases.append(c)
    # com.microsoft DynamicQuantizeMatMul: what the dynamic-quantization chain folds into.
    for name, b_dtype, per_col, bias in [("u8_zp", np.uint8, False, True),
                                         ("s8_per_column", np.int8, True, True),
                                         ("u8_nobias_batched", np.uint8, False, False)]:
        c = Case("dynamicquantizematmul_" + name, "DynamicQuantizeMatMul", MS)
        a_shape = [2, 3, 24] if name.endswith("batched") else [5, 24]
        c.feed("a", f32(rng.normal(0.3, 1.5, size=a_shape)))
        c.const("b", rand_q([24, 7], b_dtype))
        c.const("bs", f32(rng.uniform(0.002, 0.02, size=[7])) if per_col else f32(0.0061))
        if b_dtype == np.uint8:
            c.const("bz", scalar(131, np.uint8))
        else:
            c.const("bz", np.zeros([7], np.int8))
        if bias:
            c.const("bias", f32(rng.uniform(-1, 1, size=[7])))
        c.out_type = TensorProto.FLOAT
        cases.append(c)
    return cases


def all_cases():
    return (q_cases() + conv_cases() + matmul_cases() + binary_cases() + pool_cases() +
            extreme_cases() + dynamic_quantize_cases())


# ---- the numpy reference and the u8 x s8 GEMM --------------------------------------------------------

# Operand index of the weights (the second factor) of each integer product.
WEIGHT_OPERAND = {"QLinearConv": 3, "ConvInteger": 1, "QLinearMatMul": 3, "MatMulInteger": 1,
                  "QGemm": 3, "DynamicQuantizeMatMul": 1}


def numpy_reference(case):
    """The exact ONNX result from qref.py, or None for ops it does not implement."""
    a = case.args() + [None] * 9
    if case.op == "QLinearConv":
        return qref.qlinear_conv(*a[:9], case.attrs)
    if case.op == "ConvInteger":
        return qref.checked_i32(qref.conv_integer(a[0], a[1], a[2], a[3], case.attrs))
    if case.op == "QLinearMatMul":
        return qref.qlinear_matmul(*a[:8])
    if case.op == "MatMulInteger":
        return qref.checked_i32(qref.matmul_integer(a[0], a[1], a[2], a[3]))
    if case.op == "QGemm":
        return qref.qgemm(*a[:9], case.attrs)
    if case.op == "DynamicQuantizeLinear":
        return qref.dynamic_quantize(a[0])
    if case.op == "DynamicQuantizeMatMul":
        return qref.dynamic_quantize_matmul(a[0], a[1], a[2], a[3], a[4])
    return None


def takes_u8s8_gemm(case):
    """u8 activations x s8 weights through ONNX Runtime's GEMM (depthwise convs use another
    kernel, which does not pair products)."""
    if case.op not in WEIGHT_OPERAND:
        return False
    args = case.args()
    act, weights = args[0], args[WEIGHT_OPERAND[case.op]]
    # DynamicQuantizeMatMul quantizes its float A to uint8 itself.
    act_u8 = act.dtype == np.uint8 or case.op == "DynamicQuantizeMatMul"
    if not act_u8 or weights.dtype != np.int8:
        return False
    depthwise = (case.op in ("QLinearConv", "ConvInteger") and weights.shape[1] == 1
                 and case.attrs.get("group", 1) == act.shape[1])
    return not depthwise


def with_bounded_weights(case):
    """A copy whose int8 weights are halved into [-64, 63]: no pair of u8 x s8 products can
    leave int16, so ONNX Runtime's saturating GEMM computes it exactly."""
    bounded = copy.deepcopy(case)
    bounded.name = case.name + "_bounded"
    wname = case.operands[WEIGHT_OPERAND[case.op]]
    bounded.inits = [(n, np.right_shift(a, 1) if n == wname else a) for n, a in case.inits]
    bounded.inputs = [(n, np.right_shift(a, 1) if n == wname else a) for n, a in case.inputs]
    return bounded


# ---- running and comparing -------------------------------------------------------------------------

def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    return p.returncode, p.stdout + p.stderr


def compare(ref, got):
    """(max diff in steps or ulps, mismatch count); None when shapes or types differ."""
    if ref.shape != got.shape or ref.dtype != got.dtype:
        return None
    if ref.dtype == np.float32:
        ri = ref.view(np.int32).astype(np.int64)
        gi = got.view(np.int32).astype(np.int64)
        # Map to a monotone integer line so the difference counts ulps.
        ri = np.where(ri < 0, -(ri & 0x7FFFFFFF), ri)
        gi = np.where(gi < 0, -(gi & 0x7FFFFFFF), gi)
        d = np.abs(ri - gi)
    else:
        d = np.abs(ref.astype(np.int64) - got.astype(np.int64))
    return (int(d.max()) if d.size else 0), int(np.count_nonzero(d))


def load_outputs(saved, d):
    """Every output of the case, "y" first, as a tuple of arrays."""
    return tuple(np.load(os.path.join(d, n + ".npy")) for n in saved[3])


def save_case(case, d):
    """Writes the model and its inputs; returns (model path, ort args, qcc args, output names)."""
    os.makedirs(d, exist_ok=True)
    model_path = os.path.join(d, "model.onnx")
    onnx.save(case.model(), model_path)
    ort_args, qcc_args = [], []
    for n, a in case.inputs:
        f = os.path.join(d, n + ".npy")
        np.save(f, a)
        ort_args += ["--in", "%s=%s" % (n, f)]
        qcc_args += ["--input", "%s=%s" % (n, f)]
    return model_path, ort_args, qcc_args, ["y"] + [n for n, _ in case.extra_outputs]


class ToolFailed(Exception):
    pass


def run_qcc(saved, qcc, d, env):
    model, _, qcc_args, _ = saved
    rc, out = run([qcc, "run", model] + qcc_args + ["--output-dir", os.path.join(d, "qcc")], env)
    if rc != 0:
        raise ToolFailed("qcc failed: " + (out.strip().splitlines()[0] if out.strip() else ""))
    return load_outputs(saved, os.path.join(d, "qcc"))


def run_ort(saved, ort_cmd, d, env):
    model, ort_args, _, _ = saved
    rc, out = run(ort_cmd + [model] + ort_args + ["--out-dir", os.path.join(d, "ort")], env)
    if rc != 0:
        last = out.strip().splitlines()[-1] if out.strip() else ""
        raise ToolFailed("onnxruntime failed: " + last)
    return load_outputs(saved, os.path.join(d, "ort"))


def describe(label, refs, gots, verbose):
    """(ok, text) for the bit-exact comparison of qcc's outputs `gots` with `refs` (tuples)."""
    refs = refs if isinstance(refs, tuple) else (refs,)
    gots = gots if isinstance(gots, tuple) else (gots,)
    maxd = count = 0
    for ref, got in zip(refs, gots):
        r = compare(ref, got)
        if r is None:
            return False, "%s: output mismatch: %s %s vs qcc %s %s" % (label, ref.dtype, ref.shape,
                                                                     got.dtype, got.shape)
        maxd, count = max(maxd, r[0]), count + r[1]
        if verbose and r[1]:
            for i in np.argwhere(ref != got)[:5]:
                t = tuple(i)
                print("    %s at %s: reference %s qcc %s" % (label, t, ref[t], got[t]))
    unit = "ulps" if refs[0].dtype == np.float32 else "steps"
    return count == 0, "%s: max diff %d %s, %d mismatches" % (label, maxd, unit, count)


def run_case(case, qcc, ort_cmd, ort_u8s8, workdir, env, verbose):
    """Returns (ok, message, compared-with-onnxruntime-on-bounded-weights, checked-by-numpy)."""
    d = os.path.join(workdir, case.name)
    saved = save_case(case, d)
    got = run_qcc(saved, qcc, d, env)
    checks = []
    bounded = ort_u8s8 == "saturating" and takes_u8s8_gemm(case)
    if bounded:
        weak = with_bounded_weights(case)
        wd = os.path.join(workdir, weak.name)
        weak_saved = save_case(weak, wd)
        checks.append(describe("onnxruntime, weights in [-64, 63]", run_ort(weak_saved, ort_cmd, wd, env),
                               run_qcc(weak_saved, qcc, wd, env), verbose))
    else:
        checks.append(describe("onnxruntime", run_ort(saved, ort_cmd, d, env), got, verbose))
    ref = numpy_reference(case)
    if ref is not None:
        checks.append(describe("numpy", ref, got, verbose))
    return all(ok for ok, _ in checks), "; ".join(t for _, t in checks), bounded, ref is not None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qcc", required=True, help="path of the qcc driver")
    ap.add_argument("--ort-run", default=DEFAULT_ORT_RUN, help="path of ort-run.js")
    ap.add_argument("--ort-run-cmd", help="whole command that runs ort-run.js, split like a shell "
                    "(default: node ORT_RUN); e.g. under an emulated CPU")
    ap.add_argument("--ort-u8s8", choices=["exact", "saturating"], default="exact",
                    help="whether ONNX Runtime's u8 x s8 GEMM is exact here (see ort_probe.py)")
    ap.add_argument("--filter", default="", help="only cases whose name contains this")
    ap.add_argument("--keep", help="keep the models and outputs in this directory")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="cases run at once")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    env = dict(os.environ)
    if "ORT_NODE_DIR" not in env:
        default = os.path.join(HERE, "..", "..", ".ort")
        if os.path.isdir(default):
            env["ORT_NODE_DIR"] = os.path.abspath(default)
    ort_cmd = shlex.split(args.ort_run_cmd) if args.ort_run_cmd else ["node", args.ort_run]
    passed = failed = vs_ort = vs_ort_bounded = vs_numpy = 0

    def check(case):
        try:
            return run_case(case, args.qcc, ort_cmd, args.ort_u8s8, workdir, env, args.verbose)
        except (ToolFailed, subprocess.TimeoutExpired, OSError, ValueError) as e:
            return False, "error: %s" % e, False, False

    with tempfile.TemporaryDirectory(prefix="ort-diff-") as tmp:
        workdir = args.keep or tmp
        cases = [c for c in all_cases() if args.filter in c.name]
        # Cases run in parallel (each is two or three processes); results print in case order.
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for case, (ok, msg, bounded, numpy_checked) in zip(cases, pool.map(check, cases)):
                print("%s %s (%s)" % ("PASS" if ok else "FAIL", case.name, msg), flush=True)
                if ok:
                    passed += 1
                    vs_ort += 1
                    vs_ort_bounded += bounded
                    vs_numpy += numpy_checked
                else:
                    failed += 1
    print("ort-diff: %d passed, %d failed" % (passed, failed))
    print("ort-diff: bit-identical to onnxruntime on %d (%d with weights in [-64, 63]), "
          "to the numpy reference on %d" % (vs_ort, vs_ort_bounded, vs_numpy))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
