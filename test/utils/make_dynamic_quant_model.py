#!/usr/bin/python3
"""Writes a model in ONNX Runtime's dynamic-quantization form and an input for it.

  make_dynamic_quant_model.py MODEL.onnx INPUT.npy [--seed N]

The graph is what `onnxruntime.quantization.quantize_dynamic` writes, built by hand (the Python
onnxruntime package is not available here): for each layer, DynamicQuantizeLinear on the float
activation, ConvInteger / MatMulInteger with uint8 weights and non-zero zero points, Cast to
float, Mul by (activation scale * weight scale), Add of the float bias. The network: conv 3x3
(3 -> 8) -> Relu -> conv 1x1 (8 -> 4) -> Flatten -> MatMul (256 -> 10) + bias. uint8 x uint8
products are exact in ONNX Runtime on every x86 machine (vpmaddwd), so the model compares with
it live anywhere. Everything comes from a fixed seed.
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build(seed, matmul_only=False):
    rng = np.random.default_rng(seed)
    inits, nodes = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def dynamic_layer(prefix, x, op, w_shape, attrs, bias_shape):
        """DQL(x) -> op(x_q, W, x_zp, w_zp) -> Cast -> Mul(x_scale * w_scale) -> Add(bias)."""
        w = const(prefix + "_w", rng.integers(0, 256, w_shape, dtype=np.uint8))
        w_scale = const(prefix + "_w_scale", np.float32(rng.uniform(0.002, 0.02)))
        w_zp = const(prefix + "_w_zp", np.uint8(rng.integers(100, 156)))
        bias = const(prefix + "_b", rng.uniform(-0.5, 0.5, bias_shape).astype(np.float32))
        q, s, z = prefix + "_xq", prefix + "_xs", prefix + "_xz"
        nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [q, s, z], name=prefix + "_dql"))
        nodes.append(helper.make_node(op, [q, w, z, w_zp], [prefix + "_acc"], name=prefix, **attrs))
        nodes.append(helper.make_node("Cast", [prefix + "_acc"], [prefix + "_accf"],
                                      to=TensorProto.FLOAT, name=prefix + "_cast"))
        nodes.append(helper.make_node("Mul", [s, w_scale], [prefix + "_scale"], name=prefix + "_scale_mul"))
        nodes.append(helper.make_node("Mul", [prefix + "_accf", prefix + "_scale"], [prefix + "_mul"],
                                      name=prefix + "_output_mul"))
        nodes.append(helper.make_node("Add", [prefix + "_mul", bias], [prefix + "_out"], name=prefix + "_bias"))
        return prefix + "_out"

    in_shape = [1, 256] if matmul_only else [1, 3, 8, 8]
    if matmul_only:
        out = dynamic_layer("fc", "input", "MatMulInteger", (256, 10), {}, (10,))
    else:
        h = dynamic_layer("conv1", "input", "ConvInteger", (8, 3, 3, 3), {"pads": [1, 1, 1, 1]},
                          (1, 8, 1, 1))
        nodes.append(helper.make_node("Relu", [h], ["relu1"], name="relu1"))
        h = dynamic_layer("conv2", "relu1", "ConvInteger", (4, 8, 1, 1), {}, (1, 4, 1, 1))
        nodes.append(helper.make_node("Flatten", [h], ["flat"], name="flatten", axis=1))
        out = dynamic_layer("fc", "flat", "MatMulInteger", (256, 10), {}, (10,))
    nodes.append(helper.make_node("Identity", [out], ["output"], name="output"))
    graph = helper.make_graph(
        nodes, "dynamic_quant_net",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="qcc-test")
    model.ir_version = 8
    onnx.checker.check_model(model)
    x = rng.normal(0.0, 1.0, in_shape).astype(np.float32)
    return model, x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--matmul-only", action="store_true",
                    help="only the MatMul layer, on a [1,256] input (its folded form is ONNX)")
    args = ap.parse_args()
    model, x = build(args.seed, args.matmul_only)
    onnx.save(model, args.model)
    np.save(args.input, x)


if __name__ == "__main__":
    main()
