#!/usr/bin/python3
"""Accuracy of a model quantized by `qcc quantize` against its float model (issue 13).

  quantize_eval.py --qcc QCC --float F.onnx --quant Q.onnx --val-x X.npy --val-y Y.npy
                   [--ort-run-cmd CMD] [--max-drop POINTS] [--min-agree FRACTION]

Runs the float model with `qcc run` (the reference interpreter) and the quantized model compiled
by qcc (`qcc Q -O2 --dim N=<images> --emit=exe`, its executable on the validation images), takes the argmax of the
logits and compares both with the labels; with --ort-run-cmd also runs ONNX Runtime on the
quantized model and counts the images where its class equals the compiled model's. Prints one
line per figure and PASS/FAIL lines for the accuracy drop (at most --max-drop points, default
0.5) and the agreement with ONNX Runtime (at least --min-agree, default 0.99).
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("quantize_eval: %s failed (%d):\n%s%s" % (cmd[0], p.returncode, p.stdout, p.stderr))
    return p


def only_npy(d):
    files = sorted(f for f in os.listdir(d) if f.endswith(".npy"))
    if len(files) != 1:
        sys.exit("quantize_eval: expected one output in %s, found %s" % (d, files))
    return np.load(os.path.join(d, files[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcc", required=True)
    ap.add_argument("--float", required=True)
    ap.add_argument("--quant", required=True)
    ap.add_argument("--val-x", required=True)
    ap.add_argument("--val-y", required=True)
    ap.add_argument("--input", default="input")
    ap.add_argument("--ort-run-cmd")
    ap.add_argument("--max-drop", type=float, default=0.5)
    ap.add_argument("--min-agree", type=float, default=0.99)
    a = ap.parse_args()
    y = np.load(a.val_y).astype(np.int64).ravel()
    with tempfile.TemporaryDirectory() as work:
        fdir, qdir, odir = (os.path.join(work, n) for n in ("float", "quant", "ort"))
        run([a.qcc, "run", a.float, "--input", "%s=%s" % (a.input, a.val_x), "--output-dir", fdir])
        exe = os.path.join(work, "m")
        n = np.load(a.val_x, mmap_mode="r").shape[0]
        run([a.qcc, a.quant, "-O2", "--dim", "N=%d" % n, "--emit=exe", "-o", exe])
        os.mkdir(qdir)
        run([exe, "--input", "%s=%s" % (a.input, a.val_x), "--output-dir", qdir])
        fcls = only_npy(fdir).argmax(axis=1)
        qcls = only_npy(qdir).argmax(axis=1)
        facc, qacc = 100.0 * np.mean(fcls == y), 100.0 * np.mean(qcls == y)
        print("quantize-eval: %d images: float %.2f%%, quantized (compiled) %.2f%%" % (len(y), facc, qacc))
        drop = facc - qacc
        print("%s accuracy drop %.2f points (at most %.2f)" % ("PASS" if drop <= a.max_drop else "FAIL", drop,
                                                                a.max_drop))
        if a.ort_run_cmd:
            os.mkdir(odir)
            run(shlex.split(a.ort_run_cmd) + [a.quant, a.val_x, "--out-dir", odir])
            agree = float(np.mean(only_npy(odir).argmax(axis=1) == qcls))
            print("%s ONNX Runtime agrees with qcc on %.2f%% of the images (at least %.2f%%)"
                  % ("PASS" if agree >= a.min_agree else "FAIL", 100 * agree, 100 * a.min_agree))


if __name__ == "__main__":
    main()
