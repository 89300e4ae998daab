#!/usr/bin/python3
"""Compiles a model with qcc, runs the generated code and compares it with `qcc run`.

  codegen_check.py --qcc QCC --harness HARNESS.c --runtime DIR --work DIR
                   [--cross aarch64] [--codegen-flags "-mcpu=..."] MODEL [QCC FLAGS...] -- INPUTS...

QCC FLAGS (-O2, --passes=..., --dim ...) go to both the compiler and `qcc run`; --codegen-flags
only to the compiler (-mcpu, -mattr). INPUTS are NAME=FILE.npy (or one bare FILE). The object is
linked with the test harness (test/codegen/Inputs/harness.c) by cc, or for --cross aarch64 by
aarch64-linux-gnu-gcc and run under qemu-aarch64. Every output of `qcc run` must be bit-identical
(floats compared by their bits). Prints one line per output and PASS or FAIL.
"""
import argparse
import os
import shlex
import subprocess
import sys

import numpy as np

CROSS = {
    "aarch64": ("aarch64-linux-gnu", "aarch64-linux-gnu-gcc",
                ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]),
}


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        sys.stderr.write("codegen_check: failed (%d): %s\n" % (p.returncode, " ".join(cmd)))
        sys.exit(1)
    return p.stdout


def same_bits(a, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        return None
    if a.dtype.kind == "f":
        a = a.view(np.dtype("u%d" % a.dtype.itemsize))
        b = b.view(np.dtype("u%d" % b.dtype.itemsize))
    return int(np.count_nonzero(a != b))


def main():
    argv = sys.argv[1:]
    inputs = []
    if "--" in argv:
        k = argv.index("--")
        argv, inputs = argv[:k], argv[k + 1:]
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcc", required=True)
    ap.add_argument("--harness", required=True)
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cross", choices=sorted(CROSS))
    ap.add_argument("--codegen-flags", default="")
    ap.add_argument("model")
    args, qcc_flags = ap.parse_known_args(argv)
    os.makedirs(args.work, exist_ok=True)
    obj = os.path.join(args.work, "m.o")
    exe = os.path.join(args.work, "m")
    gen, ref = os.path.join(args.work, "gen"), os.path.join(args.work, "ref")
    target, cc, prefix = ["-target", CROSS[args.cross][0]] if args.cross else [], "cc", []
    if args.cross:
        cc, prefix = CROSS[args.cross][1], CROSS[args.cross][2]
    run([args.qcc, args.model, *qcc_flags, *shlex.split(args.codegen_flags), *target, "--name", "m",
         "-o", obj])
    run([cc, "-I", args.runtime, "-DQCC_PREFIX=m", args.harness, obj, "-lm", "-o", exe])
    run([*prefix, exe, "--output-dir", gen, *inputs])
    run_inputs = [a for i in inputs for a in (["--input", i] if "=" in i else [i])]
    run([args.qcc, "run", args.model, *qcc_flags, "--output-dir", ref, *run_inputs])
    ok = True
    names = sorted(f for f in os.listdir(ref) if f.endswith(".npy"))
    for name in names:
        path = os.path.join(gen, name)
        if not os.path.exists(path):
            print("codegen: %s: missing" % name[:-4])
            ok = False
            continue
        a, b = np.load(path), np.load(os.path.join(ref, name))
        differ = same_bits(a, b)
        if differ is None:
            print("codegen: %s: %s %s vs %s %s" % (name[:-4], a.dtype, a.shape, b.dtype, b.shape))
            ok = False
            continue
        print("codegen: %s: %d elements, %d differ" % (name[:-4], a.size, differ))
        ok = ok and differ == 0
    print("codegen: PASS" if ok and names else "codegen: FAIL")
    return 0 if ok and names else 1


if __name__ == "__main__":
    sys.exit(main())
