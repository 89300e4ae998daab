#!/usr/bin/python3
"""Writes a small ONNX node-test directory for the self-test of conformance_opt_diff.py:

  make_opt_diff_cases.py DIR

test_qdq_conv      DQ -> Conv (float bias) -> Q with constant int8 weights: -O2 quantizes the bias
                   and folds the whole into a QLinearConv, whose uint8 output moves by one step
                   where the float result lands near a rounding boundary (within one step);
test_residual_add  DQ -> Conv, added to its own DQ'd input, -> Q: -O2's residual quantizer rounds
                   the conv branch before the add, so outputs move by up to two steps (beyond
                   the bound: the self-test's failure);
test_relu          a float Relu: nothing to fold, bit-identical;
test_bad_input     its input file has the wrong element type: both levels fail.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)


def save(root, name, graph, inputs, outputs):
    d = os.path.join(root, name)
    ds = os.path.join(d, "test_data_set_0")
    os.makedirs(ds, exist_ok=True)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, os.path.join(d, "model.onnx"))
    for kind, tensors in (("input", inputs), ("output", outputs)):
        for i, t in enumerate(tensors):
            with open(os.path.join(ds, "%s_%d.pb" % (kind, i)), "wb") as f:
                f.write(numpy_helper.from_array(t).SerializeToString())


def qdq_conv(root):
    c = lambda v, n: numpy_helper.from_array(np.asarray(v), n)
    inits = [c(np.float32(0.02), "xs"), c(np.uint8(128), "xz"),
             c(rng.integers(-127, 128, (8, 8, 3, 3)).astype(np.int8), "w"),
             c(rng.uniform(0.002, 0.02, 8).astype(np.float32), "ws"), c(np.zeros(8, np.int8), "wz"),
             c(rng.uniform(-0.5, 0.5, 8).astype(np.float32), "b"),
             c(np.float32(0.05), "ys"), c(np.uint8(128), "yz")]
    nodes = [helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["xd"]),
             helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wd"], axis=0),
             helper.make_node("Conv", ["xd", "wd", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("QuantizeLinear", ["c", "ys", "yz"], ["y"])]
    g = helper.make_graph(nodes, "qdq_conv",
                          [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 8, 24, 24])],
                          [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, 8, 24, 24])],
                          inits)
    x = rng.integers(0, 256, (1, 8, 24, 24)).astype(np.uint8)
    save(root, "test_qdq_conv", g, [x], [np.zeros((1, 8, 24, 24), np.uint8)])


def residual_add(root):
    c = lambda v, n: numpy_helper.from_array(np.asarray(v), n)
    inits = [c(np.float32(0.02), "xs"), c(np.uint8(128), "xz"),
             c(rng.integers(-127, 128, (8, 8, 1, 1)).astype(np.int8), "w"),
             c(np.float32(0.01), "ws"), c(np.int8(0), "wz"),
             c(np.float32(0.08), "ys"), c(np.uint8(128), "yz")]
    nodes = [helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["xd"]),
             helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wd"]),
             helper.make_node("Conv", ["xd", "wd"], ["c"]),
             helper.make_node("Add", ["xd", "c"], ["sum"]),
             helper.make_node("QuantizeLinear", ["sum", "ys", "yz"], ["y"])]
    shape = [1, 8, 24, 24]
    g = helper.make_graph(nodes, "residual_add",
                          [helper.make_tensor_value_info("x", TensorProto.UINT8, shape)],
                          [helper.make_tensor_value_info("y", TensorProto.UINT8, shape)], inits)
    x = rng.integers(0, 256, shape).astype(np.uint8)
    save(root, "test_residual_add", g, [x], [np.zeros(shape, np.uint8)])


def relu(root, name, x):
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], name,
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    save(root, name, g, [x], [np.maximum(x, 0).astype(np.float32)])


def main():
    root = sys.argv[1]
    qdq_conv(root)
    residual_add(root)
    relu(root, "test_relu", rng.normal(size=(2, 3)).astype(np.float32))
    relu(root, "test_bad_input", np.zeros((2, 3), np.int32))
    return 0


if __name__ == "__main__":
    sys.exit(main())
