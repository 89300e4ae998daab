#!/usr/bin/python3
"""Validates an ONNX model with the full ONNX checker (including shape inference) and prints
a short summary for FileCheck: opsets, initializers, nodes with their inputs and attributes."""
import sys

import onnx
from onnx import numpy_helper


def main():
    m = onnx.load(sys.argv[1])
    onnx.checker.check_model(m, full_check=True)
    print("ir_version", m.ir_version)
    for o in m.opset_import:
        print("opset", repr(o.domain), o.version)
    for t in m.graph.initializer:
        a = numpy_helper.to_array(t)
        print("initializer", t.name, a.dtype, list(a.shape), a.flatten().tolist())
    for n in m.graph.node:
        attrs = " ".join(f"{a.name}={onnx.helper.get_attribute_value(a)}" for a in n.attribute)
        print(" ".join(["node", n.name, n.op_type, str(list(n.input)), "->", str(list(n.output))]
                       + ([attrs] if attrs else [])))
    for kind, vals in (("input", m.graph.input), ("output", m.graph.output)):
        for v in vals:
            t = v.type.tensor_type
            dims = [d.dim_param if d.HasField("dim_param") else
                    str(d.dim_value) if d.HasField("dim_value") else "?" for d in t.shape.dim]
            shape = "[" + ",".join(dims) + "]" if t.HasField("shape") else "unranked"
            print(kind, v.name, onnx.TensorProto.DataType.Name(t.elem_type), shape)


if __name__ == "__main__":
    main()
