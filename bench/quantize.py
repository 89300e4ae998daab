#!/usr/bin/python3
"""`qcc quantize` on float torchvision-architecture models (issue 13's acceptance figures).

  bench/quantize.py [--qcc build/qcc] [--models resnet18,mobilenetv2] [--samples 32]
                    [--memory-samples 256] [--work DIR] [--qcc-flags "..."]

The float models are torchvision's, as the shared QDQ models were made from them (random
weights, BatchNormalization statistics warmed up by PyTorch): mobilenetv2 is
../shared/models/mobilenetv2_qdq.onnx and resnet18 is resnet18_ortqdq_u8.onnx with their Q/DQ
removed (test/utils/strip_qdq.py); with --synthetic, test/utils/make_vision_float.py's numpy-made
networks instead (deep random networks without trained weights: their quantization noise
grows layer after layer). Calibration and 8 held-back inputs are N(0, 1) images of 224 x 224.
`qcc quantize` calibrates on --samples samples under /usr/bin/time -v (wall time, peak RSS), and
once more on --memory-samples samples (peak RSS must not grow with the count: the samples are
streamed in batches); the quantized model runs under `qcc run -O2` on the held-back inputs, one
at a time, and its output is compared with the float model's (`qcc run`): SQNR = 10 log10(sum
f^2 / sum (f - q)^2) in dB, and the share of inputs whose top-1 class agrees. One JSON line per
model, then a table.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        name = re.search(r"model name\s*:\s*(.*)", info).group(1).strip()
        fam = re.search(r"cpu family\s*:\s*(\d+)", info).group(1)
        model = re.search(r"model\s*:\s*(\d+)", info).group(1)
        return "%s (family %s model %s)" % (name, fam, model)
    except (OSError, AttributeError):
        return "unknown CPU"


def timed(cmd):
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("bench/quantize: %s failed:\n%s" % (" ".join(cmd), p.stderr[-3000:]))
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    secs = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    return secs, rss / 1024.0


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("bench/quantize: %s failed:\n%s" % (" ".join(cmd), p.stderr[-3000:]))


def outputs(qcc, model, hold, flags, work):
    """The model's only output on each held-back input, run one at a time (`qcc run`)."""
    x = np.load(hold)
    one, out = os.path.join(work, "one.npy"), os.path.join(work, "out")
    rows = []
    for i in range(x.shape[0]):
        np.save(one, x[i:i + 1])
        run(["rm", "-rf", out])
        run([qcc, "run", model] + flags + ["--input", one, "--output-dir", out])
        (name,) = [n for n in os.listdir(out) if n.endswith(".npy")]
        rows.append(np.load(os.path.join(out, name)))
    return np.concatenate(rows).astype(np.float64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcc", default=os.path.join(ROOT, "build", "qcc"))
    ap.add_argument("--models", default="resnet18,mobilenetv2")
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--memory-samples", type=int, default=256)
    ap.add_argument("--work")
    ap.add_argument("--qcc-flags", default="")
    ap.add_argument("--synthetic", action="store_true")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="qcc-quantize-bench-")
    gen = os.path.join(ROOT, "test", "utils", "make_vision_float.py")
    rows = []
    for m in a.models.split(","):
        d = os.path.join(work, m)
        os.makedirs(d, exist_ok=True)
        flt, hold = os.path.join(d, m + "_float.onnx"), os.path.join(d, m + "_holdout.npy")
        if a.synthetic:
            run([sys.executable, gen, m, d, "--calib", str(max(a.samples, a.memory_samples))])
            allc = np.load(os.path.join(d, m + "_calib.npy"), mmap_mode="r")
        else:
            shared = {"mobilenetv2": "mobilenetv2_qdq.onnx", "resnet18": "resnet18_ortqdq_u8.onnx"}[m]
            run([sys.executable, os.path.join(ROOT, "test", "utils", "strip_qdq.py"),
                 os.path.join(ROOT, "..", "shared", "models", shared), flt])
            allc = np.random.default_rng(5).standard_normal(
                (max(a.samples, a.memory_samples), 3, 224, 224)).astype(np.float32)
            np.save(hold, np.random.default_rng(6).standard_normal((8, 3, 224, 224)).astype(np.float32))
        few = os.path.join(d, "calib_%d.npy" % a.samples)
        np.save(few, np.ascontiguousarray(allc[:a.samples]))
        many = os.path.join(d, "calib_%d.npy" % a.memory_samples)
        np.save(many, np.ascontiguousarray(allc[:a.memory_samples]))
        q = os.path.join(d, m + "_qdq.onnx")
        flags = shlex.split(a.qcc_flags)
        secs, rss = timed([a.qcc, "quantize", flt, "--calib", few, "-o", q] + flags)
        secs_many, rss_many = (None, None)
        if a.memory_samples:
            secs_many, rss_many = timed([a.qcc, "quantize", flt, "--calib", many, "-o",
                                         os.path.join(d, "many.onnx")] + flags)
        f = outputs(a.qcc, flt, hold, [], d)
        y = outputs(a.qcc, q, hold, ["-O2"], d)
        sqnr = 10 * np.log10((f ** 2).sum() / max(((f - y) ** 2).sum(), 1e-300))
        agree = float(np.mean(f.argmax(1) == y.argmax(1)))
        row = {"bench": "quantize", "model": m, "cpu": cpu_name(), "samples": a.samples,
               "calib_s": round(secs, 2), "peak_rss_mib": round(rss, 1),
               "memory_samples": a.memory_samples,
               "calib_s_many": round(secs_many, 2) if secs_many else None,
               "peak_rss_mib_many": round(rss_many, 1) if rss_many else None,
               "sqnr_db": round(float(sqnr), 2), "top1_agree": agree, "flags": a.qcc_flags}
        print(json.dumps(row), flush=True)
        rows.append(row)
    print("| model | calibration (%d samples) | peak RSS | peak RSS (%d samples) | SQNR on 8 held-back | top-1 agree |"
          % (a.samples, a.memory_samples))
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| %s | %.1f s | %.0f MiB | %s MiB | %.1f dB | %.0f%% |" % (
            r["model"], r["calib_s"], r["peak_rss_mib"],
            "%.0f" % r["peak_rss_mib_many"] if r["peak_rss_mib_many"] else "-", r["sqnr_db"],
            100 * r["top1_agree"]))
    print("CPU: %s" % cpu_name())


if __name__ == "__main__":
    main()
