#!/usr/bin/python3
"""Probe: does ONNX Runtime compute u8 x s8 products exactly on this machine?

  ort_probe.py --ort-run-cmd "node .../ort-run.js" [--qcc QCC] [--workdir DIR] [--word]

Builds one small QLinearConv (uint8 activations, int8 weights, 1x1 kernel over 8 channels) whose
pairs of products a[k]*w[k] + a[k+1]*w[k+1] reach 2 * 255 * 127 = 64770, far outside int16, and
computes its exact ONNX result with the numpy reference (qref.py). On x86 without VNNI, ONNX
Runtime multiplies u8 x s8 with vpmaddubsw, which saturates each pair sum to int16, so its result
differs; with AVX-512 VNNI / AVX-VNNI (vpdpbusd) it is exact.

Prints `ort-probe: onnxruntime exact` or `ort-probe: onnxruntime saturates u8 x s8 pairs (...)`,
and with --qcc also whether `qcc run` gives the exact result. --word prints only `exact` or
`saturating` (the lit configuration uses it to set the feature `ort-exact-u8s8`).
Exit status: 0 when the run worked (whatever ONNX Runtime computed), 1 when qcc is not exact, 2
when a tool failed.
"""
import argparse
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

X_SCALE, W_SCALE, Y_SCALE, Y_ZP = 1.0 / 255, 1.0 / 127, 0.1, 128


def probe_operands():
    """x: 1x8x3x3 uint8, mostly 255; w: 6 output channels of 8 taps.

    Channels 0 and 1 (all +127 / all -128) saturate in every pairing; channel 2 alternates signs
    (each pair is small and exact everywhere); channels 3-5 mix large and small values."""
    x = np.full([1, 8, 3, 3], 255, np.uint8)
    x[0, :, 1, 1] = np.array([3, 200, 17, 255, 90, 128, 255, 1], np.uint8)
    x[0, 3:5, 2, 0] = 40
    w = np.array([[127] * 8,
                  [-128] * 8,
                  [127, -128] * 4,
                  [127, 127, -5, 3, -128, -128, 60, 0],
                  [100, 90, -128, 127, 0, 0, 127, 127],
                  [-1, 2, -3, 4, -5, 6, -7, 8]], np.int8).reshape(6, 8, 1, 1)
    bias = np.array([0, 0, 100, -300, 5, 0], np.int32)
    return x, w, bias


def probe_model(w, bias):
    inits = [numpy_helper.from_array(np.asarray(v), n) for n, v in [
        ("xs", np.float32(X_SCALE)), ("xz", np.uint8(0)), ("w", w),
        ("ws", np.float32(W_SCALE)), ("wz", np.int8(0)), ("ys", np.float32(Y_SCALE)),
        ("yz", np.uint8(Y_ZP)), ("b", bias)]]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"])
    graph = helper.make_graph(
        [node], "ort_u8s8_probe", [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 8, 3, 3])],
        [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, 6, 3, 3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="qcc-ort-probe")
    model.ir_version = 7
    return model


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        sys.stderr.write("ort-probe: %s failed:\n%s" % (cmd[0], p.stdout + p.stderr))
        sys.exit(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ort-run-cmd", required=True, help="command that runs ort-run.js (split like a shell)")
    ap.add_argument("--qcc", help="also check `qcc run` against the exact result")
    ap.add_argument("--workdir", help="keep the model and outputs here")
    ap.add_argument("--word", action="store_true", help="print only exact or saturating")
    args = ap.parse_args()
    x, w, bias = probe_operands()
    exact = qref.qlinear_conv(x, X_SCALE, np.uint8(0), w, W_SCALE, np.int8(0), Y_SCALE,
                              np.uint8(Y_ZP), bias, {})
    with tempfile.TemporaryDirectory(prefix="ort-probe-") as tmp:
        d = args.workdir or tmp
        os.makedirs(d, exist_ok=True)
        model, xin = os.path.join(d, "probe.onnx"), os.path.join(d, "x.npy")
        onnx.save(probe_model(w, bias), model)
        np.save(xin, x)
        run(shlex.split(args.ort_run_cmd) + [model, "--in", "x=" + xin, "--out-dir", os.path.join(d, "ort")])
        ort = np.load(os.path.join(d, "ort", "y.npy"))
        got = None
        if args.qcc:
            run([args.qcc, "run", model, "--input", "x=" + xin, "--output-dir", os.path.join(d, "qcc")])
            got = np.load(os.path.join(d, "qcc", "y.npy"))
    ort_diff = np.abs(ort.astype(np.int64) - exact.astype(np.int64))
    if args.word:
        print("exact" if not ort_diff.any() else "saturating")
        return 0
    if not ort_diff.any():
        print("ort-probe: onnxruntime exact (%d outputs)" % exact.size)
    else:
        print("ort-probe: onnxruntime saturates u8 x s8 pairs (%d of %d outputs differ, max %d steps)"
              % (np.count_nonzero(ort_diff), exact.size, ort_diff.max()))
    if got is None:
        return 0
    qcc_diff = np.count_nonzero(got.astype(np.int64) != exact.astype(np.int64))
    if qcc_diff == 0:
        print("ort-probe: qcc exact (%d outputs)" % exact.size)
        return 0
    print("ort-probe: qcc differs from the exact result in %d of %d outputs" % (qcc_diff, exact.size))
    return 1


if __name__ == "__main__":
    sys.exit(main())
