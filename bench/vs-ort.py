#!/usr/bin/python3
"""qcc's compiled models against ONNX Runtime, side by side on this machine.

  bench/vs-ort.py [--qcc build/qcc] [--threads T] [--runs N] [--rounds R] [--models a,b]

Compiles each shared model with `qcc MODEL.onnx -O3 -mcpu=native --emit=exe`, then alternates R rounds of
`./model --bench N --threads T` and `node ../shared/tools/ort-run.js MODEL --bench N --threads T`
(the same thread count, one session), and prints each engine's median of the per-round medians,
the ratio, and the CPU (name and int8 instruction set) the figures belong to. One JSON line per
model, then a table. Exit status 1 when a model fails to compile or run.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
MODELS = {
    "resnet18_ortqdq_u8": "resnet18_ortqdq_u8_input",
    "mobilenetv2_torchao_qnnpack": "mobilenetv2_torchao_qnnpack_input",
    "mobilenetv2_qdq": "mobilenetv2_input",
    # the digits CNNs have a dynamic batch: compiled for, and run on, the 297 validation images
    "digits_qdq": "digits_val_x",
    "digits_float": "digits_val_x",
}
DIMS = {"digits_qdq": ["--dim", "N=297"], "digits_float": ["--dim", "N=297"]}


def cpu():
    name, flags = "unknown CPU", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and name == "unknown CPU":
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    isa = "avx512_vnni" if "avx512_vnni" in flags else "avx_vnni" if "avx_vnni" in flags else \
        "avx2" if "avx2" in flags else "baseline"
    return name, isa


def bench_line(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{") and "median_ms" in line:
            return json.loads(line)
    raise RuntimeError("no bench line from %s" % " ".join(cmd))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcc", default=os.path.join(ROOT, "build", "qcc"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models", default=",".join(m for m in MODELS if m != "digits_float"))
    ap.add_argument("--mcpu", default="native", help="-mcpu for qcc (default: this machine)")
    args = ap.parse_args()
    models_dir = os.path.join(SHARED, "models")
    ort_run = os.path.join(SHARED, "tools", "ort-run.js")
    if not os.path.isdir(models_dir):
        print("vs-ort: %s not found; skipping" % models_dir)
        return 0
    if not os.environ.get("ORT_NODE_DIR") and os.path.isdir(os.path.join(ROOT, ".ort")):
        os.environ["ORT_NODE_DIR"] = os.path.join(ROOT, ".ort")  # scripts/install-ort.sh's place
    name, isa = cpu()
    print("vs-ort: CPU %s (%s), %d thread(s), %d rounds of %d runs" %
          (name, isa, args.threads, args.rounds, args.runs))
    rows, status = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            onnx_path = os.path.join(models_dir, model + ".onnx")
            inp = os.path.join(models_dir, MODELS[model] + ".npy")
            exe = os.path.join(tmp, model)
            try:
                subprocess.run([args.qcc, onnx_path, "-O3", "-mcpu=" + args.mcpu, "--emit=exe", "-o", exe]
                               + DIMS.get(model, []), check=True)
                qcc_ms, ort_ms = [], []
                for _ in range(args.rounds):
                    ort_ms.append(bench_line(["node", ort_run, onnx_path, inp, "--bench",
                                              str(args.runs), "--threads", str(args.threads)])["median_ms"])
                    qcc_ms.append(bench_line([exe, inp, "--output-dir", os.path.join(tmp, "out"),
                                              "--bench", str(args.runs), "--threads",
                                              str(args.threads)])["median_ms"])
            except (subprocess.CalledProcessError, RuntimeError, OSError) as e:
                print("vs-ort: %s: FAIL: %s" % (model, e))
                status = 1
                continue
            q, o = statistics.median(qcc_ms), statistics.median(ort_ms)
            rows.append((model, q, o))
            print(json.dumps({"bench": "vs-ort", "model": model, "cpu": name, "isa": isa,
                              "threads": args.threads, "qcc_median_ms": round(q, 3),
                              "ort_median_ms": round(o, 3), "ort_over_qcc": round(o / q, 3)}))
    print("| model | qcc -O3 -mcpu=%s (ms) | ONNX Runtime (ms) | ORT / qcc |" % args.mcpu)
    print("| --- | --- | --- | --- |")
    for model, q, o in rows:
        print("| %s | %.2f | %.2f | %.2f |" % (model, q, o, o / q))
    return status


if __name__ == "__main__":
    sys.exit(main())
