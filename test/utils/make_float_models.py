#!/usr/bin/python3
"""Writes the small float ONNX models of the front-end tests for the float ops (issue 13 item 5).

usage: make_float_models.py CASE OUT.onnx      (--list prints the cases)

Cases are the functions named case_<CASE> below; some are deliberately written in the form of
the wrong opset.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F, H = TensorProto.FLOAT, TensorProto.FLOAT16


def model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(list(nodes), "g", list(inputs), list(outputs), list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="make_float_models")
    m.ir_version = 8
    return m


def vi(name, elem=F, shape=None):
    return helper.make_tensor_value_info(name, elem, shape)


def axes(*v):
    return numpy_helper.from_array(np.array(v, np.int64), "axes")


def case_layernorm_opset16():
    return model([helper.make_node("LayerNormalization", ["x", "s"], ["y"], name="ln")],
                 [vi("x", F, [2, 4]), vi("s", F, [4])], [vi("y", F, [2, 4])], opset=16)


def case_reducesum_attr_opset13():
    return model([helper.make_node("ReduceSum", ["x"], ["y"], name="rs", axes=[1])],
                 [vi("x", F, [2, 4])], [vi("y", F, None)], opset=13)


def case_reducemax_input_opset13():
    return model([helper.make_node("ReduceMax", ["x", "axes"], ["y"], name="rm")],
                 [vi("x", F, [2, 4])], [vi("y", F, None)], [axes(1)], opset=13)


def case_split_num_outputs_opset13():
    return model([helper.make_node("Split", ["x"], ["a", "b"], name="sp", axis=1, num_outputs=2)],
                 [vi("x", F, [2, 4])], [vi("a", F, None), vi("b", F, None)], opset=13)


def case_reduce_forms():
    """Every reduction form the loader accepts, at opsets 11 (attribute axes) and 18."""
    return model([helper.make_node("ReduceSum", ["x"], ["s"], name="rs", axes=[1], keepdims=0)],
                 [vi("x", F, [2, 4, 3])], [vi("s", F, None)], opset=11)


def case_new_ops_opset18():
    """The opset-18 forms that --emit=onnx (opset 17) rewrites: ReduceMax's axes input back to
    an attribute (its noop_with_empty_axes, without effect on non-empty axes, dropped), Split's
    num_outputs to a split input; ReduceSum's axes stay an input."""
    nodes = [helper.make_node("ReduceMax", ["x", "axes"], ["m"], name="rm", keepdims=0,
                              noop_with_empty_axes=1),
             helper.make_node("ReduceSum", ["x", "axes"], ["s"], name="rs"),
             helper.make_node("Split", ["x"], ["a", "b"], name="sp", axis=2, num_outputs=2),
             helper.make_node("LayerNormalization", ["x", "g"], ["ln"], name="ln", axis=1),
             helper.make_node("Pow", ["x", "two"], ["p"], name="pw"),
             helper.make_node("Sqrt", ["p"], ["q"], name="sq"),
             helper.make_node("Reciprocal", ["q"], ["r"], name="rc"),
             helper.make_node("Where", ["c", "x", "r"], ["w"], name="wh"),
             helper.make_node("Expand", ["g", "shape"], ["e"], name="ex"),
             helper.make_node("ConvTranspose", ["x", "wt"], ["t"], name="ct", strides=[2])]
    inits = [axes(1), numpy_helper.from_array(np.ones([4, 3], np.float32), "g"),
             numpy_helper.from_array(np.float32(2), "two"),
             numpy_helper.from_array(np.arange(24).reshape(2, 4, 3) % 3 == 0, "c"),
             numpy_helper.from_array(np.array([2, 4, 3], np.int64), "shape"),
             numpy_helper.from_array(np.full([4, 2, 2], 0.5, np.float32), "wt")]
    outs = [vi(n, F, None) for n in ("m", "s", "a", "b", "ln", "w", "e", "t")]
    return model(nodes, [vi("x", F, [2, 4, 3])], outs, inits, opset=18)


def case_reducemean_noop_opset18():
    """noop_with_empty_axes = 1 without axes: the identity, which opset 17 cannot express."""
    return model([helper.make_node("ReduceMean", ["x"], ["y"], name="rm", noop_with_empty_axes=1)],
                 [vi("x", F, [2, 4])], [vi("y", F, None)], opset=18)


def case_half_conv():
    """A `half()` export's shape: float16 initializers (raw data), Cast at the float32 I/O."""
    rng = np.random.default_rng(3)
    w = numpy_helper.from_array(rng.standard_normal([2, 1, 3, 3]).astype(np.float16), "w")
    b = numpy_helper.from_array(np.float16([0.5, -0.25]), "b")
    nodes = [helper.make_node("Cast", ["x"], ["xh"], name="in", to=H),
             helper.make_node("Conv", ["xh", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("HardSigmoid", ["c"], ["h"], name="hs"),
             helper.make_node("Cast", ["h"], ["y"], name="out", to=F)]
    return model(nodes, [vi("x", F, [1, 1, 4, 4])], [vi("y", F, [1, 2, 4, 4])], [w, b])


def main():
    cases = {n[len("case_"):]: f for n, f in globals().items() if n.startswith("case_")}
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print("\n".join(sorted(cases)))
        return 0
    if len(sys.argv) != 3 or sys.argv[1] not in cases:
        print(__doc__, file=sys.stderr)
        return 2
    onnx.save(cases[sys.argv[1]](), sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
