#!/usr/bin/python3
"""ONNX backend node-test conformance runner for qcc.

Selects the tests under the ONNX test-data node directory whose ops and graph input/output
element types qcc supports, runs `qcc run` on every test_data_set_* and compares the outputs
with the expected TensorProtos. Run with /usr/bin/python3 (needs numpy and onnx).
"""
import argparse
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

DEFAULT_DATA = "/usr/share/libonnx-testdata/data/node"

SUPPORTED_OPS = {
    "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger",
    "MatMulInteger", "QLinearAdd", "QLinearMul", "QLinearConcat", "QLinearGlobalAveragePool",
    "QLinearAveragePool", "QLinearSigmoid", "QLinearLeakyRelu", "QGemm", "Conv",
    "BatchNormalization", "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish",
    "Tanh", "Exp", "Add", "Sub", "Mul", "Div", "MaxPool", "AveragePool", "GlobalAveragePool",
    "GlobalMaxPool", "ReduceMean", "Gemm", "MatMul", "Flatten", "Reshape", "Transpose", "Concat",
    "Slice", "Split", "Squeeze", "Unsqueeze", "Softmax", "Pad", "Cast", "Identity", "Shape",
    "Gather", "Resize", "DynamicQuantizeLinear", "Erf", "Gelu", "ConvTranspose", "Pow", "Sqrt",
    "Reciprocal", "LayerNormalization", "ReduceSum", "ReduceMax", "Expand", "Where",
    # Handled by the loader.
    "Constant", "ConstantOfShape",
}
SUPPORTED_DOMAINS = {"", "ai.onnx", "com.microsoft"}

TP = onnx.TensorProto
SUPPORTED_ELEM_TYPES = {TP.FLOAT, TP.FLOAT16, TP.INT8, TP.UINT8, TP.INT32, TP.INT64, TP.BOOL}


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def value_elem_type(vi):
    t = vi.type
    if not t.HasField("tensor_type"):
        return None  # sequences, maps, optionals
    return t.tensor_type.elem_type


def in_scope(name, model):
    """Returns (selected, reason)."""
    if "training" in name:
        return False, "training mode"
    if name.endswith("_expanded") or "_expanded_" in name:
        return False, "expanded"
    g = model.graph
    for node in g.node:
        if node.domain not in SUPPORTED_DOMAINS:
            return False, "domain %s" % node.domain
        if node.op_type not in SUPPORTED_OPS:
            return False, "op %s" % node.op_type
    for vi in list(g.input) + list(g.output):
        if value_elem_type(vi) not in SUPPORTED_ELEM_TYPES:
            return False, "element type of %s" % vi.name
    return True, ""


def select_tests(data_dir, name_filter):
    selected = []
    for test_dir in sorted(glob.glob(os.path.join(data_dir, "test_*"))):
        name = os.path.basename(test_dir)
        if name_filter and not re.search(name_filter, name):
            continue
        model_path = os.path.join(test_dir, "model.onnx")
        if not os.path.isfile(model_path):
            continue
        try:
            model = onnx.load(model_path)
        except Exception:  # unreadable model: not something qcc is judged on
            continue
        ok, _ = in_scope(name, model)
        if ok:
            selected.append((name, test_dir, model))
    return selected


def load_tensor(path):
    tp = onnx.TensorProto()
    with open(path, "rb") as f:
        tp.ParseFromString(f.read())
    return numpy_helper.to_array(tp)


def compare(name, expected, actual):
    """Returns None when equal, else a short reason."""
    if expected.shape != actual.shape:
        return "%s: shape %s, expected %s" % (name, list(actual.shape), list(expected.shape))
    if expected.dtype.kind == "f":
        if actual.dtype.kind != "f":
            return "%s: dtype %s, expected %s" % (name, actual.dtype, expected.dtype)
        a = actual.astype(np.float64)
        e = expected.astype(np.float64)
        if not np.allclose(a, e, rtol=1e-3, atol=1e-5, equal_nan=True):
            bad = ~np.isclose(a, e, rtol=1e-3, atol=1e-5, equal_nan=True)
            i = np.unravel_index(np.argmax(bad), bad.shape) if bad.ndim else ()
            return "%s: %d of %d values differ (e.g. at %s: %r vs expected %r)" % (
                name, int(bad.sum()), bad.size, list(i), a[i].item(), e[i].item())
        return None
    if actual.dtype != expected.dtype:
        return "%s: dtype %s, expected %s" % (name, actual.dtype, expected.dtype)
    if not np.array_equal(actual, expected):
        bad = actual != expected
        i = np.unravel_index(np.argmax(bad), bad.shape) if bad.ndim else ()
        return "%s: %d of %d values differ (e.g. at %s: %r vs expected %r)" % (
            name, int(bad.sum()), bad.size, list(i), actual[i].item(), expected[i].item())
    return None


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def run_test(qcc, name, test_dir, model, timeout):
    """Returns (passed, reason)."""
    g = model.graph
    initializers = {i.name for i in g.initializer}
    input_names = [vi.name for vi in g.input if vi.name not in initializers]
    output_names = [vi.name for vi in g.output]
    data_sets = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))
    if not data_sets:
        return False, "no test_data_set_* directories"
    for ds in data_sets:
        inputs = sorted(glob.glob(os.path.join(ds, "input_*.pb")),
                        key=lambda p: int(re.search(r"input_(\d+)", p).group(1)))
        if len(inputs) != len(input_names):
            return False, "%s: %d input files for %d graph inputs" % (
                os.path.basename(ds), len(inputs), len(input_names))
        with tempfile.TemporaryDirectory(prefix="qcc-conf-") as out_dir:
            cmd = [qcc, "run", os.path.join(test_dir, "model.onnx")]
            for n, p in zip(input_names, inputs):
                cmd += ["--input", "%s=%s" % (n, p)]
            cmd += ["--output-dir", out_dir]
            try:
                proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      timeout=timeout)
            except subprocess.TimeoutExpired:
                return False, "timed out after %ss" % timeout
            if proc.returncode != 0:
                msg = first_line(proc.stderr.decode("utf-8", "replace"))
                return False, "qcc exited with %d: %s" % (proc.returncode, msg)
            for i, oname in enumerate(output_names):
                expected = load_tensor(os.path.join(ds, "output_%d.pb" % i))
                got_path = os.path.join(out_dir, sanitize(oname) + ".npy")
                if not os.path.isfile(got_path):
                    return False, "output %s was not written" % oname
                try:
                    actual = np.load(got_path, allow_pickle=False)
                except Exception as e:
                    return False, "output %s is not a readable .npy: %s" % (oname, e)
                reason = compare(oname, expected, actual)
                if reason:
                    return False, "%s: %s" % (os.path.basename(ds), reason)
    return True, ""


def read_expect_file(path):
    expected = {}
    with open(path) as f:
        for line in f:
            text, _, reason = line.partition("#")
            text = text.strip()
            if text:
                expected[text] = reason.strip()
    return expected


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qcc", default="qcc", help="path of the qcc driver")
    ap.add_argument("--data-dir", default=DEFAULT_DATA, help="ONNX node test directory")
    ap.add_argument("--filter", help="only tests whose name matches this regex")
    ap.add_argument("--list", action="store_true", help="print the selected tests and exit")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--expect-file", help="tests allowed to fail, one per line ('name # reason')")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per test")
    args = ap.parse_args()

    if not os.path.isdir(args.data_dir):
        print("error: no ONNX test data at %s" % args.data_dir, file=sys.stderr)
        return 2
    selected = select_tests(args.data_dir, args.filter)
    if args.list:
        for name, _, _ in selected:
            print(name)
        print("selected: %d tests" % len(selected))
        return 0

    allowed = read_expect_file(args.expect_file) if args.expect_file else {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_test, args.qcc, name, d, m, args.timeout)
                   for name, d, m in selected]
        results = [f.result() for f in futures]

    passed = failed = xfailed = 0
    for (name, _, _), (ok, reason) in zip(selected, results):
        if ok:
            passed += 1
            note = " (listed in the expect file: %s)" % (allowed[name] or "no reason") \
                if name in allowed else ""
            print("PASS %s%s" % (name, note))
        elif name in allowed:
            xfailed += 1
            print("XFAIL %s: %s" % (name, reason))
        else:
            failed += 1
            print("FAIL %s: %s" % (name, reason))
    if xfailed:
        print("expected failures: %d" % xfailed)
    print("conformance: %d passed, %d failed" % (passed, failed))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
