#!/usr/bin/python3
"""Writes a small QOperator-format ONNX model (integer operators, no QDQ) and an input for it.

  make_qoperator_model.py MODEL.onnx INPUT.npy [--seed N] [--halve-weights]

The network: QuantizeLinear (u8) -> QLinearConv 3x3 (i8 per-channel weights, i32 bias)
-> QLinearConv 3x3 -> com.microsoft QLinearAdd (residual: first conv + second conv)
-> com.microsoft QLinearGlobalAveragePool -> Flatten -> com.microsoft QGemm with a float output.
Everything comes from a fixed seed, so the same arguments give the same files. --halve-weights
halves every int8 weight (into [-64, 63]) after drawing it, so that no pair of u8 x s8 products can
leave int16 and ONNX Runtime is exact on it even on x86 without VNNI.
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def conv_params(rng, prefix, cin, cout, halve):
    w = rng.integers(-100, 101, (cout, cin, 3, 3), dtype=np.int8)
    w = np.right_shift(w, 1) if halve else w
    w_scale = rng.uniform(0.002, 0.01, cout).astype(np.float32)
    bias = rng.integers(-2000, 2001, cout, dtype=np.int32)
    return [const(prefix + "_w", w), const(prefix + "_w_scale", w_scale),
            const(prefix + "_w_zp", np.zeros(cout, np.int8)), const(prefix + "_b", bias)]


def build(seed, halve=False):
    rng = np.random.default_rng(seed)
    c_in, c, h, w, classes = 3, 8, 8, 8, 10
    x_scale, act_scale, sum_scale, pool_scale = 0.02, 0.05, 0.08, 0.03
    fc_w = rng.integers(-127, 128, (classes, c), dtype=np.int8)
    inits = [
        const("x_scale", np.float32(x_scale)), const("x_zp", np.uint8(128)),
        const("c1_scale", np.float32(act_scale)), const("c1_zp", np.uint8(120)),
        const("c2_scale", np.float32(act_scale * 1.5)), const("c2_zp", np.uint8(131)),
        const("sum_scale", np.float32(sum_scale)), const("sum_zp", np.uint8(125)),
        const("pool_scale", np.float32(pool_scale)), const("pool_zp", np.uint8(118)),
        const("fc_w", np.right_shift(fc_w, 1) if halve else fc_w),
        const("fc_w_scale", np.float32(0.004)), const("fc_w_zp", np.int8(0)),
        const("fc_b", rng.integers(-500, 501, classes, dtype=np.int32)),
    ]
    inits += conv_params(rng, "c1", c_in, c, halve)
    inits += conv_params(rng, "c2", c, c, halve)
    ms = "com.microsoft"
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "x_scale", "x_zp"], ["x_q"], name="quant"),
        helper.make_node("QLinearConv", ["x_q", "x_scale", "x_zp", "c1_w", "c1_w_scale", "c1_w_zp",
                                         "c1_scale", "c1_zp", "c1_b"], ["c1"], name="conv1",
                         pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("QLinearConv", ["c1", "c1_scale", "c1_zp", "c2_w", "c2_w_scale", "c2_w_zp",
                                         "c2_scale", "c2_zp", "c2_b"], ["c2"], name="conv2",
                         pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("QLinearAdd", ["c1", "c1_scale", "c1_zp", "c2", "c2_scale", "c2_zp",
                                        "sum_scale", "sum_zp"], ["sum"], name="residual", domain=ms),
        helper.make_node("QLinearGlobalAveragePool", ["sum", "sum_scale", "sum_zp", "pool_scale",
                                                      "pool_zp"], ["pool"], name="gap", domain=ms,
                         channels_last=0),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flatten", axis=1),
        helper.make_node("QGemm", ["flat", "pool_scale", "pool_zp", "fc_w", "fc_w_scale", "fc_w_zp",
                                   "fc_b"], ["output"], name="fc", domain=ms, transB=1, alpha=0.5),
    ]
    graph = helper.make_graph(
        nodes, "qoperator_net",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, c_in, h, w])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid(ms, 1)],
                              producer_name="qcc-test")
    model.ir_version = 8
    onnx.checker.check_model(model)
    x = rng.uniform(-2.0, 2.0, (1, c_in, h, w)).astype(np.float32)
    return model, x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--halve-weights", action="store_true")
    args = ap.parse_args()
    model, x = build(args.seed, args.halve_weights)
    onnx.save(model, args.model)
    np.save(args.input, x)


if __name__ == "__main__":
    main()
