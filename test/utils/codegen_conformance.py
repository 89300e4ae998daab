#!/usr/bin/python3
"""Conformance models through the code generator.

Takes the ONNX node tests onnx_conformance.py selects (--source onnx-node) or the single-op cases
of ort_diff.py (--source ort-diff: every quantized op with saturating, tie and extreme
parameters), compiles each model with `qcc MODEL -O2` into an object, links it with the test
harness (test/codegen/Inputs/harness.c) or with --exe into an executable, runs it on every
test_data_set_* and requires outputs bit-identical to `qcc run -O2` on the same inputs (floats
compared by their bits). A model whose final graph holds an op without a lowering ("interpreter
only") is counted apart, and so is one whose code cannot be generated ahead of time because a
scale, zero point, weight or shape is a run-time input of the test (or asks for an unsupported
corner of a lowered op, such as MaxPool's Indices); any other failure to compile, link or run and
any differing output is a failure.

  codegen_conformance.py --qcc QCC --harness HARNESS.c --runtime DIR [--source S]
                         [--cross aarch64] [--exe] [--level=FLAGS]... [--verbose]

Each --level=FLAGS is one instruction-set level: qcc's compile flags (-mcpu=, -mattr=) as one
shell-quoted string, and for --cross a `--qemu-cpu=NAME` among them runs its executables under
`qemu-aarch64 -cpu NAME`. Every compiled model is compiled, run and compared at every level
(`qcc run` once per data set); "compiled and identical" counts the models identical at all of
them, and one line per level confirms it ran. --exe links with `qcc --emit=exe` (the runtime's
driver, `--input NAME=FILE`) instead of the harness.
"""
import argparse
import concurrent.futures
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_conformance as conf  # noqa: E402
import ort_diff  # noqa: E402

CROSS = {"aarch64": ("aarch64-linux-gnu", "aarch64-linux-gnu-gcc",
                     ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"])}


def same_bits(a, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        a = a.view("u%d" % a.dtype.itemsize)
        b = b.view("u%d" % b.dtype.itemsize)
    return bool(np.array_equal(a, b))


def run(cmd, timeout):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def onnx_node_jobs(args, work):
    """(name, model path, data sets as [[(input name, .npy path)]]) of the ONNX node tests."""
    jobs = []
    for name, test_dir, model in conf.select_tests(args.data_dir, args.filter):
        g = model.graph
        initializers = {i.name for i in g.initializer}
        input_names = [vi.name for vi in g.input if vi.name not in initializers]
        sets = []
        for k, ds in enumerate(sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))):
            files = sorted(glob.glob(os.path.join(ds, "input_*.pb")),
                           key=lambda f: int(re.search(r"input_(\d+)", f).group(1)))
            specs = []
            for n, f in zip(input_names, files):
                path = os.path.join(work, "%s.%d.%s.npy" % (name, k, conf.sanitize(n)))
                np.save(path, conf.load_tensor(f))
                specs.append((n, path))
            sets.append(specs)
        jobs.append((name, os.path.join(test_dir, "model.onnx"), sets))
    return jobs


def ort_diff_jobs(args, work):
    jobs = []
    for case in ort_diff.all_cases():
        if args.filter and not re.search(args.filter, case.name):
            continue
        model, _, qcc_args, _ = ort_diff.save_case(case, os.path.join(work, case.name))
        specs = [tuple(a.split("=", 1)) for a in qcc_args if a != "--input"]
        jobs.append((case.name, model, [specs]))
    return jobs


def level_cmds(args, level, model, work):
    """(compile command, link command or None, run prefix, executable) of one level."""
    flags = [f for f in level if not f.startswith("--qemu-cpu=")]
    qemu_cpu = [f.split("=", 1)[1] for f in level if f.startswith("--qemu-cpu=")]
    target, cc, prefix = [], "cc", []
    if args.cross:
        target = ["-target", CROSS[args.cross][0]]
        cc, prefix = CROSS[args.cross][1], list(CROSS[args.cross][2])
        if qemu_cpu:
            prefix[1:1] = ["-cpu", qemu_cpu[-1]]
    obj, exe = os.path.join(work, "m.o"), os.path.join(work, "m")
    if args.exe:
        return [args.qcc, model, "-O2", *flags, *target, "--emit=exe", "-o", exe], None, prefix, exe
    return ([args.qcc, model, "-O2", *flags, *target, "--name", "m", "-o", obj],
            [cc, "-I", args.runtime, "-DQCC_PREFIX=m", args.harness, obj, "-lm", "-o", exe],
            prefix, exe)


def reference(args, model, specs, ref):
    """`qcc run -O2`'s outputs for one data set in `ref`; None or the reason it failed."""
    cmd = [args.qcc, "run", model, "-O2", "--output-dir", ref]
    for n, path in specs:
        cmd += ["--input", "%s=%s" % (n, path)]
    p = run(cmd, args.timeout)
    return None if p.returncode == 0 else "qcc run: " + conf.first_line(p.stderr)


def check(args, name, model, sets):
    """('identical' | 'interpreter only' | 'not static' | 'failed', reason, levels passed).

    The first level's compile sorts out the models the generator does not take (the graph is the
    same at every level); `qcc run` runs once per data set, and every level must match it."""
    with tempfile.TemporaryDirectory(prefix="qcc-cgconf-") as work:
        refs = []
        for li, level in enumerate(args.levels):
            label = " ".join(level) or "generic"
            where = "" if len(args.levels) == 1 else " [%s]" % label
            comp, link, prefix, exe = level_cmds(args, level, model, work)
            p = run(comp, args.timeout)
            if p.returncode != 0:
                if li == 0 and "interpreter only" in p.stderr:
                    op = re.search(r"error: (\w+): cannot compile: interpreter only", p.stderr)
                    return "interpreter only", op.group(1) if op else "", 0
                if li == 0 and re.search(
                        r"must be (a )?constants?|has no static shape|is not supported", p.stderr):
                    return "not static", conf.first_line(p.stderr), 0
                return "failed", "compile%s: %s" % (where, conf.first_line(p.stderr)), li
            if link:
                p = run(link, args.timeout)
                if p.returncode != 0:
                    return "failed", "link%s: %s" % (where, conf.first_line(p.stderr)), li
            if not refs:
                for k, specs in enumerate(sets):
                    ref = os.path.join(work, "ref%d" % k)
                    failure = reference(args, model, specs, ref)
                    if failure:
                        return "failed", failure, li
                    refs.append(ref)
            for k, specs in enumerate(sets):
                gen = os.path.join(work, "gen%d.%d" % (li, k))
                inputs = ["%s=%s" % s for s in specs]
                if args.exe:
                    inputs = [a for i in inputs for a in ("--input", i)]
                p = run([*prefix, exe, "--output-dir", gen, *inputs], args.timeout)
                if p.returncode != 0:
                    return "failed", "run%s: %s" % (where, conf.first_line(p.stderr)), li
                for f in sorted(os.listdir(refs[k])):
                    a = np.load(os.path.join(refs[k], f))
                    got = os.path.join(gen, f)
                    if not os.path.exists(got) or not same_bits(np.load(got), a):
                        return "failed", "data set %d%s: output %s differs" % (k, where, f[:-4]), li
    return "identical", "", len(args.levels)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcc", required=True)
    ap.add_argument("--harness", required=True)
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--source", choices=["onnx-node", "ort-diff"], default="onnx-node")
    ap.add_argument("--data-dir", default=conf.DEFAULT_DATA)
    ap.add_argument("--filter")
    ap.add_argument("--cross", choices=sorted(CROSS))
    ap.add_argument("--level", action="append", dest="level_flags", metavar="FLAGS",
                    help="compile flags of one instruction-set level (repeatable; default: none)")
    ap.add_argument("--exe", action="store_true", help="link with qcc --emit=exe, not the harness")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--verbose", action="store_true", help="one line per test")
    args = ap.parse_args()
    args.levels = [shlex.split(f) for f in args.level_flags or [""]]
    if not args.cross and any(f.startswith("--qemu-cpu=") for lv in args.levels for f in lv):
        ap.error("--qemu-cpu= in a level needs --cross")
    counts = {"identical": 0, "interpreter only": 0, "not static": 0, "failed": 0}
    with tempfile.TemporaryDirectory(prefix="qcc-cgconf-inputs-") as work:
        jobs = (onnx_node_jobs if args.source == "onnx-node" else ort_diff_jobs)(args, work)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(lambda t: (t[0],) + check(args, *t), jobs))
    for name, verdict, reason, _ in results:
        counts[verdict] += 1
        if verdict == "failed" or args.verbose:
            print("codegen-conformance: %s: %s%s" % (name, verdict, ": " + reason if reason else ""))
    for li, level in enumerate(args.levels if len(args.levels) > 1 else []):
        print("codegen-conformance: level %s: %d compiled and identical"
              % (" ".join(level) or "generic", sum(1 for r in results if r[3] > li)))
    print("codegen-conformance: %d tests, %d compiled and identical, %d interpreter only, "
          "%d with run-time parameters, %d failed"
          % (len(results), counts["identical"], counts["interpreter only"], counts["not static"],
             counts["failed"]))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
