#!/usr/bin/python3
"""qcc's results do not depend on the CPU: runs `qcc run` on the same models and inputs on several
(emulated) x86-64 CPUs and requires byte-identical outputs.

  cpu_invariance.py --qcc QCC --cpu NAME=COMMAND ... [--models DIR] [--float-ops]

Each --cpu gives a name and a command prefix ("" runs natively; e.g. "qemu-x86_64 -cpu qemu64"
for the x86-64 baseline without SSE4, AVX or FMA). The models: every single-op case of
ort_diff.py (all quantized ops, including the lookup tables whose float functions come from libm,
which picks its implementation by CPU) and, when --models is given, the shared real models.
With --float-ops the single-op cases are those of float_ops_diff.py instead (the float ops of
float models and float16 compute; Pow's powf and the activations' expf come from libm, tanh
and erf from qcc's own ir/ops/fmath.h). The first CPU is the reference. Prints one line per CPU, then
`cpu-invariance: PASS` or FAIL.
"""
import argparse
import concurrent.futures
import filecmp
import os
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import float_ops_diff  # noqa: E402
import ort_diff  # noqa: E402

SHARED = [("resnet18_ortqdq_u8", "resnet18_ortqdq_u8_input"),
          ("mobilenetv2_torchao_qnnpack", "mobilenetv2_torchao_qnnpack_input"),
          ("mobilenetv2_qdq", "mobilenetv2_input")]


def jobs(workdir, models_dir, float_ops=False):
    """(name, model path, qcc input arguments) for every model run."""
    out = []
    source = float_ops_diff if float_ops else ort_diff
    for case in source.all_cases():
        model, _, qcc_args, _ = source.save_case(case, os.path.join(workdir, "cases", case.name))
        out.append((case.name, model, qcc_args))
    if models_dir:
        for model, inp in SHARED:
            out.append((model, os.path.join(models_dir, model + ".onnx"),
                        ["--input", "input=" + os.path.join(models_dir, inp + ".npy")]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qcc", required=True)
    ap.add_argument("--cpu", action="append", required=True, help="NAME=COMMAND PREFIX")
    ap.add_argument("--models", help="folder of the shared models")
    ap.add_argument("--float-ops", action="store_true", help="float_ops_diff.py's cases")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    cpus = [c.split("=", 1) for c in args.cpu]
    with tempfile.TemporaryDirectory(prefix="cpu-invariance-") as tmp:
        runs = jobs(tmp, args.models, args.float_ops)

        def run(cpu_job):
            (cpu, prefix), (name, model, qcc_args) = cpu_job
            out = os.path.join(tmp, "out", cpu, name)
            os.makedirs(out, exist_ok=True)
            cmd = shlex.split(prefix) + [args.qcc, "run", model] + qcc_args + ["--output-dir", out]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
            return p.returncode == 0, out, p.stderr.strip()

        todo = [(c, r) for c in cpus for r in runs]
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = dict(zip([(c[0], r[0]) for c, r in todo], pool.map(run, todo)))
        failed = False
        ref_cpu = cpus[0][0]
        for cpu, _ in cpus:
            differ, errors = [], []
            for name, _, _ in runs:
                ok, out, err = results[(cpu, name)]
                if not ok:
                    errors.append("%s (%s)" % (name, err.splitlines()[-1] if err else "failed"))
                    continue
                ref = results[(ref_cpu, name)][1]
                files = sorted(os.listdir(ref)) if os.path.isdir(ref) else []
                if sorted(os.listdir(out)) != files or not all(
                        filecmp.cmp(os.path.join(ref, f), os.path.join(out, f), shallow=False) for f in files):
                    differ.append(name)
            failed |= bool(differ or errors)
            print("cpu-invariance: %s: %d models, %d differ from %s, %d failed%s" % (
                cpu, len(runs), len(differ), ref_cpu, len(errors),
                "".join("\n  differs: " + n for n in differ[:10]) + "".join("\n  failed: " + e for e in errors[:10])))
    print("cpu-invariance: %s" % ("FAIL" if failed else "PASS"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
