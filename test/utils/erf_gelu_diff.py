#!/usr/bin/python3
"""Erf and Gelu (both approximations) under `qcc run` against the ONNX formulas in float64 and,
with --ort-run-cmd, against ONNX Runtime.

  erf_gelu_diff.py --qcc QCC [--ort-run-cmd "node .../ort-run.js"]

Each case is a one-node model (Erf at opset 13, Gelu at opset 20) run on 200001 points evenly
spaced over [-10, 10] plus zeros, tiny and huge values. qcc computes erf and tanh with its own
qcc_erff and qcc_tanhf (ir/ops/fmath.h), and ONNX Runtime with MLAS's polynomial approximations, so the two are not bit-identical; the
difference is counted in units of 2^-23 * max(1, |y|) (an ulp of the result, or of 1 where the
result is smaller: Gelu's tail is 0.5x * (1 + erf(x / sqrt 2)) with 1 + erf cancelling, so no
float32 evaluation of the formula is accurate there in relative terms). Prints one line per case
and fails when a bound is exceeded: 1 unit for Erf, 8 for Gelu.
"""
import argparse
import math
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper

F = TensorProto.FLOAT


def model(op, opset, **attrs):
    node = helper.make_node(op, ["x"], ["y"], **attrs)
    graph = helper.make_graph([node], op.lower(), [helper.make_tensor_value_info("x", F, [None])],
                              [helper.make_tensor_value_info("y", F, [None])])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def erf64(x):
    return np.vectorize(math.erf)(x)


def gelu_none64(x):
    return 0.5 * x * (1.0 + erf64(x / math.sqrt(2.0)))


def gelu_tanh64(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


# name, model, float64 reference, bound in units
CASES = [
    ("erf", model("Erf", 13), erf64, 1),
    ("gelu_none", model("Gelu", 20), gelu_none64, 8),
    ("gelu_tanh", model("Gelu", 20, approximate="tanh"), gelu_tanh64, 8),
]


def units(ref, got):
    """|ref - got| in units of 2^-23 * max(1, |ref|)."""
    r, g = ref.astype(np.float64), got.astype(np.float64)
    return np.abs(r - g) / (2.0 ** -23 * np.maximum(1.0, np.abs(r)))


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd) + ": " + (p.stderr.strip().splitlines() or [""])[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qcc", required=True)
    ap.add_argument("--ort-run-cmd", help="command that runs ort-run.js (omit: no ONNX Runtime)")
    args = ap.parse_args()
    x = np.concatenate([np.linspace(-10, 10, 200001, dtype=np.float32),
                        np.float32([0.0, -0.0, 1e-30, -1e-30, 50, -50, 1e4, -1e4])])
    failed = 0
    with tempfile.TemporaryDirectory(prefix="erf-gelu-diff-") as tmp:
        xin = os.path.join(tmp, "x.npy")
        np.save(xin, x)
        for name, m, ref64, bound in CASES:
            d = os.path.join(tmp, name)
            os.makedirs(d)
            path = os.path.join(d, "model.onnx")
            onnx.save(m, path)
            run([args.qcc, "run", path, "--input", "x=" + xin, "--output-dir",
                 os.path.join(d, "qcc")])
            got = np.load(os.path.join(d, "qcc", "y.npy"))
            ref = ref64(x.astype(np.float64)).astype(np.float32)
            worst = {"float64": units(ref, got).max()}
            if args.ort_run_cmd:
                run(shlex.split(args.ort_run_cmd) + [path, "--in", "x=" + xin, "--out-dir",
                                                     os.path.join(d, "ort")])
                ort = np.load(os.path.join(d, "ort", "y.npy"))
                worst["onnxruntime"] = units(ort, got).max()
            ok = got.dtype == np.float32 and all(w <= bound for w in worst.values())
            failed += not ok
            print("%s %s: %s (bound %d)" % ("PASS" if ok else "FAIL", name, ", ".join(
                "%s max %.2f units" % (k, v) for k, v in worst.items()), bound))
    print("erf-gelu-diff: %s" % ("FAIL" if failed else "PASS"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
