#!/usr/bin/python3
"""Writes small (often deliberately broken) ONNX models for the front-end lit tests.

usage: make_onnx_models.py CASE OUT.onnx

Each case is one function below; `--list` prints them. Side files (external data, inputs)
are written next to OUT with OUT as prefix.
"""
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def model(nodes, inputs, outputs, inits=(), opset=17, extra_opsets=(), name="g", value_info=()):
    graph = helper.make_graph(list(nodes), name, list(inputs), list(outputs), list(inits),
                              value_info=list(value_info))
    imports = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=imports, producer_name="make_onnx_models")
    m.ir_version = 8
    return m


def vi(name, elem=F, shape=None):
    return helper.make_tensor_value_info(name, elem, shape)


def identity_model():
    return model([helper.make_node("Identity", ["x"], ["y"], name="id0")],
                 [vi("x", F, [2, 3])], [vi("y", F, [2, 3])])


def save(m, out):
    with open(out, "wb") as f:
        f.write(m.SerializeToString())


def write_bytes(data, out):
    with open(out, "wb") as f:
        f.write(data)


def varint(n):
    b = bytearray()
    while True:
        c = n & 0x7F
        n >>= 7
        if n:
            b.append(c | 0x80)
        else:
            b.append(c)
            return bytes(b)


# ---- well-formed models ----------------------------------------------------------------------

def case_identity(out):
    save(identity_model(), out)


def case_transpose(out):
    """Initializer (raw_data) feeding an op, plus an attribute."""
    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "w")
    nodes = [helper.make_node("Transpose", ["w"], ["t"], name="tr", perm=[1, 0]),
             helper.make_node("Identity", ["t"], ["y"], name="id")]
    save(model(nodes, [], [vi("y", F, [3, 2])], [w]), out)


def case_typed_fields(out):
    """Initializers in float_data / int32_data (i8, u8, f16, bool, i32) / int64_data."""
    inits = [
        helper.make_tensor("f32", F, [2], [1.5, -2.0]),
        helper.make_tensor("i8", TensorProto.INT8, [3], [-128, 0, 127]),
        helper.make_tensor("u8", TensorProto.UINT8, [2], [0, 255]),
        helper.make_tensor("f16", TensorProto.FLOAT16, [2], [1.0, -0.5]),  # int32_data bits
        helper.make_tensor("b", TensorProto.BOOL, [2], [1, 0]),
        helper.make_tensor("i32", TensorProto.INT32, [2], [-7, 70000]),
        helper.make_tensor("i64", TensorProto.INT64, [2], [-5, 1 << 40]),
    ]
    for t in inits:
        assert not t.raw_data
    names = [t.name for t in inits]
    nodes = [helper.make_node("Identity", [n], ["out_" + n], name="id_" + n) for n in names]
    outs = [vi("out_" + t.name, t.data_type, list(t.dims)) for t in inits]
    save(model(nodes, [], outs, inits), out)


def case_input_initializer(out):
    """A graph input that is also an initializer is a constant, not an input."""
    w = numpy_helper.from_array(np.array([1.0, 2.0], dtype=np.float32), "w")
    nodes = [helper.make_node("Identity", ["w"], ["y"], name="id")]
    save(model(nodes, [vi("w", F, [2])], [vi("y", F, [2])], [w]), out)


def case_constant_node(out):
    nodes = [
        helper.make_node("Constant", [], ["c_tensor"], name="ct",
                         value=helper.make_tensor("v", TensorProto.INT8, [2], [-1, 2])),
        helper.make_node("Constant", [], ["c_float"], name="cf", value_float=0.25),
        helper.make_node("Constant", [], ["c_ints"], name="ci", value_ints=[3, 4, 5]),
        helper.make_node("Identity", ["c_tensor"], ["y0"], name="i0"),
        helper.make_node("Identity", ["c_float"], ["y1"], name="i1"),
        helper.make_node("Identity", ["c_ints"], ["y2"], name="i2"),
    ]
    outs = [vi("y0", TensorProto.INT8, [2]), vi("y1", F, []), vi("y2", TensorProto.INT64, [3])]
    save(model(nodes, [], outs), out)


def case_symbolic(out):
    """dim_param becomes a symbolic dim (sanitized), missing dims are unknown."""
    x = helper.make_tensor_value_info("x", F, ["batch size", 3, None])
    z = helper.make_tensor_value_info("z", F, ["batch size", 4])
    nodes = [helper.make_node("Identity", ["x"], ["y"], name="idx"),
             helper.make_node("Identity", ["z"], ["w"], name="idz")]
    save(model(nodes, [x, z], [vi("y", F, None), vi("w", F, None)]), out)


def case_unsorted(out):
    """Nodes listed out of topological order (consumer before producer)."""
    nodes = [helper.make_node("Identity", ["b"], ["y"], name="second"),
             helper.make_node("Transpose", ["x"], ["b"], name="first", perm=[1, 0])]
    save(model(nodes, [vi("x", F, [2, 3])], [vi("y", F, [3, 2])]), out)


def case_optional_io(out):
    """Empty input name = omitted optional operand; empty output names get fresh names."""
    nodes = [helper.make_node("Clip", ["x", "", "hi"], ["y"], name="clip"),
             helper.make_node("Split", ["y"], ["a", ""], name="split", axis=0)]
    hi = numpy_helper.from_array(np.array(6.0, dtype=np.float32), "hi")
    save(model(nodes, [vi("x", F, [4])], [vi("a", F, [2])], [hi], opset=13), out)


def case_softmax_opset11(out):
    nodes = [helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)]
    save(model(nodes, [vi("x", F, [2, 3, 4])], [vi("y", F, [2, 3, 4])], opset=11), out)


def case_softmax_opset11_last(out):
    """Opset-11 Softmax on the last axis: the same as opset 13, so --emit=onnx can write it."""
    nodes = [helper.make_node("Softmax", ["x"], ["y"], name="sm")]
    save(model(nodes, [vi("x", F, [2, 3])], [vi("y", F, [2, 3])], opset=11), out)


def case_squeeze_opset11(out):
    """Squeeze with the pre-13 `axes` attribute: the writer must turn it into an operand."""
    nodes = [helper.make_node("Squeeze", ["x"], ["y"], name="sq", axes=[0])]
    save(model(nodes, [vi("x", F, [1, 3])], [vi("y", F, [3])], opset=11), out)


def case_qlinear_add(out):
    """com.microsoft contrib op QLinearAdd; --emit=onnx must import com.microsoft 1."""
    q = lambda n, v, t: numpy_helper.from_array(np.array(v, dtype=t), n)
    inits = [q("sa", 0.5, np.float32), q("za", 128, np.uint8), q("sb", 0.25, np.float32),
             q("zb", 128, np.uint8), q("sy", 1.0, np.float32), q("zy", 128, np.uint8)]
    nodes = [helper.make_node("QLinearAdd", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"],
                              name="qadd", domain="com.microsoft")]
    U8 = TensorProto.UINT8
    save(model(nodes, [vi("a", U8, [1, 4]), vi("b", U8, [1, 4])], [vi("y", U8, [1, 4])], inits,
               extra_opsets=[("com.microsoft", 1)]), out)


def case_extra_domains(out):
    """Unused extra opset imports (ai.onnx.ml) are ignored."""
    m = identity_model()
    m.opset_import.append(helper.make_opsetid("ai.onnx.ml", 3))
    m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    save(m, out)


def external_model(out, length=None, location=None, write_file=True, file_bytes=None):
    data = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    loc = location or (os.path.basename(out) + ".weights")
    t = TensorProto()
    t.name = "w"
    t.data_type = F
    t.dims.extend([4])
    t.data_location = TensorProto.EXTERNAL
    pad = b"\0" * 16
    for k, v in [("location", loc), ("offset", "16"), ("length", str(length or 16))]:
        e = t.external_data.add()
        e.key, e.value = k, v
    if write_file:
        payload = file_bytes if file_bytes is not None else pad + data.tobytes()
        write_bytes(payload, os.path.join(os.path.dirname(out), os.path.basename(out) + ".weights"))
    nodes = [helper.make_node("Identity", ["w"], ["y"], name="id")]
    save(model(nodes, [], [vi("y", F, [4])], [t]), out)


def case_external(out):
    external_model(out)


def case_external_missing(out):
    external_model(out, write_file=False)


def case_external_short(out):
    external_model(out, file_bytes=b"\0" * 20)


def case_external_escape(out):
    external_model(out, location="../secret.bin")


def case_external_absolute(out):
    external_model(out, location="/etc/passwd")


# ---- broken models -----------------------------------------------------------------------------

def case_truncated(out):
    data = identity_model().SerializeToString()
    write_bytes(data[: len(data) // 2], out)


def case_bitflip(out):
    """Flips the continuation bit of the graph's length prefix: the length then swallows the
    graph's first byte and runs far past the end of the file."""
    m = identity_model()
    graph = m.graph.SerializeToString()
    opsets = b"".join(b"\x42" + varint(len(o.SerializeToString())) + o.SerializeToString()
                      for o in m.opset_import)
    ln = varint(len(graph))
    assert len(ln) == 1 and graph[0] != 0
    flipped = bytes([ln[0] ^ 0x80])
    data = b"\x08\x08" + b"\x3a" + flipped + graph + opsets
    try:
        onnx.load_model_from_string(data)
        raise SystemExit("bitflip case unexpectedly parses")
    except Exception:
        pass
    write_bytes(data, out)


def case_wrong_wire_type(out):
    """ir_version (field 1, varint) encoded as a length-delimited field."""
    write_bytes(b"\x0a\x02\x08\x08" + identity_model().SerializeToString(), out)


def case_empty_file(out):
    write_bytes(b"", out)


def case_negative_dim(out):
    t = helper.make_tensor("w", F, [2], [1.0, 2.0])
    t.dims[0] = -2
    nodes = [helper.make_node("Identity", ["w"], ["y"], name="id")]
    save(model(nodes, [], [vi("y", F, [2])], [t]), out)


def case_negative_input_dim(out):
    x = vi("x", F, [2, 3])
    x.type.tensor_type.shape.dim[1].dim_value = -3
    nodes = [helper.make_node("Identity", ["x"], ["y"], name="id")]
    save(model(nodes, [x], [vi("y", F, None)]), out)


def case_dims_overflow(out):
    t = TensorProto()
    t.name = "w"
    t.data_type = F
    t.dims.extend([1 << 40, 1 << 40])
    t.raw_data = b"\0" * 8
    nodes = [helper.make_node("Identity", ["w"], ["y"], name="id")]
    save(model(nodes, [], [vi("y", F, None)], [t]), out)


def case_raw_data_size(out):
    t = numpy_helper.from_array(np.zeros(6, dtype=np.float32), "w")
    t.raw_data = t.raw_data[:-1]
    nodes = [helper.make_node("Identity", ["w"], ["y"], name="id")]
    save(model(nodes, [], [vi("y", F, [6])], [t]), out)


def case_typed_count(out):
    t = helper.make_tensor("w", F, [3], [1.0, 2.0, 3.0])
    del t.float_data[2]
    nodes = [helper.make_node("Identity", ["w"], ["y"], name="id")]
    save(model(nodes, [], [vi("y", F, [3])], [t]), out)


def case_huge_typed(out):
    """dims promise 2^30 floats (4 GiB) but float_data is empty: refused without allocating."""
    t = TensorProto()
    t.name = "w"
    t.data_type = F
    t.dims.extend([1 << 30])
    nodes = [helper.make_node("Identity", ["w"], ["y"], name="id")]
    save(model(nodes, [], [vi("y", F, None)], [t]), out)


def case_bad_elem_type(out):
    t = helper.make_tensor("w_double", TensorProto.DOUBLE, [1], [1.0])
    nodes = [helper.make_node("Identity", ["w_double"], ["y"], name="id")]
    save(model(nodes, [], [vi("y", TensorProto.DOUBLE, [1])], [t]), out)


def case_dangling(out):
    nodes = [helper.make_node("Identity", ["x"], ["t"], name="ok"),
             helper.make_node("Transpose", ["nowhere"], ["y"], name="bad_node")]
    save(model(nodes, [vi("x", F, [2])], [vi("y", F, None)]), out)


def case_cycle(out):
    nodes = [helper.make_node("Identity", ["x"], ["a"], name="entry"),
             helper.make_node("Concat", ["a", "c"], ["b"], name="loop_b", axis=0),
             helper.make_node("Identity", ["b"], ["c"], name="loop_c"),
             helper.make_node("Identity", ["b"], ["y"], name="exit")]
    save(model(nodes, [vi("x", F, [2])], [vi("y", F, None)]), out)


def case_unsupported(out):
    nodes = [helper.make_node("FooOp", ["x"], ["a"], name="f1"),
             helper.make_node("BarOp", ["a"], ["b"], name="b1"),
             helper.make_node("FooOp", ["b"], ["c"], name="f2"),
             helper.make_node("FooOp", ["c"], ["d"]),
             helper.make_node("FooOp", ["d"], ["e"], name="f4"),
             helper.make_node("Identity", ["e"], ["g"], name="fine"),
             helper.make_node("Weird", ["g"], ["y"], name="w1", domain="com.example")]
    save(model(nodes, [vi("x", F, [2])], [vi("y", F, None)],
               extra_opsets=[("com.example", 1)]), out)


def case_opset0(out):
    m = identity_model()
    m.opset_import[0].version = 0
    save(m, out)


def case_opset9(out):
    m = identity_model()
    m.opset_import[0].version = 9
    save(m, out)


def case_gelu_opset20(out):
    nodes = [helper.make_node("Gelu", ["x"], ["y"], name="gelu0", approximate="tanh")]
    save(model(nodes, [vi("x", F, [2, 3])], [vi("y", F, [2, 3])], opset=20), out)


def case_opset21(out):
    m = identity_model()
    m.opset_import[0].version = 21
    save(m, out)


def case_duplicate_output(out):
    nodes = [helper.make_node("Identity", ["x"], ["y"], name="one"),
             helper.make_node("Identity", ["x"], ["y"], name="two")]
    save(model(nodes, [vi("x", F, [2])], [vi("y", F, None)]), out)


def case_shape_error(out):
    """A shape rule rejects the node: Transpose perm of the wrong length."""
    nodes = [helper.make_node("Transpose", ["x"], ["y"], name="bad_perm", perm=[0])]
    save(model(nodes, [vi("x", F, [2, 3])], [vi("y", F, None)]), out)


def case_empty_string_attr(out):
    """A string attribute holding the empty string (protobuf-c leaves its data pointer NULL)."""
    nodes = [helper.make_node("AveragePool", ["x"], ["y"], name="pool", kernel_shape=[2, 2],
                              auto_pad="")]
    save(model(nodes, [vi("x", F, [1, 1, 4, 4])], [vi("y", F, None)]), out)

def case_empty_strings_attr(out):
    """A list-of-strings attribute whose one entry is the empty string."""
    node = helper.make_node("Relu", ["x"], ["y"], name="relu")
    node.attribute.append(helper.make_attribute("labels", [""]))
    save(model([node], [vi("x", F, [2])], [vi("y", F, None)]), out)

# ---- tensor files ---------------------------------------------------------------------------------

def case_npy_inputs(out):
    """Model Transpose(x); x given as .npy and as TensorProto .pb."""
    nodes = [helper.make_node("Transpose", ["x"], ["y"], name="tr", perm=[1, 0])]
    save(model(nodes, [vi("x", F, [2, 3])], [vi("y", F, [3, 2])]), out)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.save(out + ".x.npy", x)
    write_bytes(numpy_helper.from_array(x, "x").SerializeToString(), out + ".x.pb")
    # NumPy writes v1 headers; make a v2 one by hand (4-byte header length).
    with open(out + ".x.npy", "rb") as f:
        v1 = f.read()
    hlen = struct.unpack("<H", v1[8:10])[0]
    header = v1[10:10 + hlen]
    header = header[:-1] + b" " * 4 + b"\n"
    write_bytes(b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header)) + header + v1[10 + hlen:],
                out + ".x2.npy")
    np.save(out + ".fortran.npy", np.asfortranarray(x))
    with open(out + ".fortran.npy", "r+b") as f:  # ensure the flag is really set
        assert b"'fortran_order': True" in f.read()
    write_bytes(v1[:-4], out + ".short.npy")
    np.save(out + ".f64.npy", x.astype(np.float64))
    write_bytes(b"\x93NUMPY\x01\x00\xff\x7f{", out + ".hdr.npy")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print("\n".join(sorted(CASES)))
        return
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit("usage: make_onnx_models.py CASE OUT.onnx (--list for cases)")
    out = sys.argv[2]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    CASES[sys.argv[1]](out)


if __name__ == "__main__":
    main()
