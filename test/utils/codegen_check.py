#!/usr/bin/python3
"""Compiles a model with qcc, runs the generated code and compares it with `qcc run`.

  codegen_check.py --qcc QCC --harness HARNESS.c --runtime DIR --work DIR
                   [--exe] [--cross aarch64 [--qemu-cpu NAME]]
                   [--codegen-flags="-mcpu=... -mattr=..."] [--reuse-ref]
                   MODEL [QCC FLAGS...] -- INPUTS...

QCC FLAGS (-O2, --passes=..., --dim ...) go to both the compiler and `qcc run`; --codegen-flags
only to the compiler (-mcpu, -mattr; one shell-quoted string). INPUTS are NAME=FILE.npy (or one
bare FILE). By default the object is linked with the test harness (test/codegen/Inputs/harness.c)
by cc, or for --cross aarch64 by aarch64-linux-gnu-gcc; with --exe qcc itself links it
(`--emit=exe`, the runtime's driver, run as `m --input NAME=FILE --output-dir DIR`). A cross
executable runs under `qemu-aarch64 -cpu NAME` (--qemu-cpu; QEMU's default, its `max` CPU, without
it), so code using an instruction the named CPU lacks dies with SIGILL. Every output of `qcc run`
must be bit-identical (floats compared by their bits). Prints the compile command (paths as base
names), the QEMU command, whether the reference was computed or reused (--reuse-ref), one line per
output and PASS or FAIL.

--reuse-ref keeps `qcc run`'s outputs in WORK/ref and reuses them while the `qcc run` command,
the qcc binary and the model and input files are unchanged, so several instruction-set levels of
one model (one lit file, one work dir) pay for the interpreter once.
"""
import argparse
import json
import os
import shlex
import shutil
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


def stamp(cmd, files):
    """What the reference outputs depend on: the `qcc run` command, its files' sizes and times."""
    state = []
    for f in files:
        st = os.stat(f)
        state.append([f, st.st_size, st.st_mtime_ns])
    return json.dumps({"cmd": cmd, "files": state}, sort_keys=True)


def reference(args, qcc_flags, inputs, ref):
    """Runs `qcc run` into `ref`, or with --reuse-ref keeps what a same run left there."""
    run_inputs = [a for i in inputs for a in (["--input", i] if "=" in i else [i])]
    cmd = [args.qcc, "run", args.model, *qcc_flags, "--output-dir", ref, *run_inputs]
    files = [args.qcc, args.model] + [i.split("=", 1)[-1] for i in inputs]
    key, key_path = stamp(cmd, files), ref + ".stamp"
    if args.reuse_ref and os.path.isdir(ref) and os.path.exists(key_path):
        with open(key_path) as f:
            if f.read() == key:
                print("codegen: reference: reused")
                return
    for path in (ref, key_path):
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    run(cmd)
    if args.reuse_ref:
        print("codegen: reference: computed")
        with open(key_path, "w") as f:
            f.write(key)


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
    ap.add_argument("--qemu-cpu", help="the CPU QEMU emulates for --cross (qemu-aarch64 -cpu NAME)")
    ap.add_argument("--exe", action="store_true", help="link with qcc --emit=exe, not the harness")
    ap.add_argument("--reuse-ref", action="store_true")
    ap.add_argument("model")
    args, qcc_flags = ap.parse_known_args(argv)
    if args.qemu_cpu and not args.cross:
        ap.error("--qemu-cpu needs --cross")
    os.makedirs(args.work, exist_ok=True)
    obj = os.path.join(args.work, "m.o")
    exe = os.path.join(args.work, "m")
    gen, ref = os.path.join(args.work, "gen"), os.path.join(args.work, "ref")
    target, cc, prefix = ["-target", CROSS[args.cross][0]] if args.cross else [], "cc", []
    if args.cross:
        cc, prefix = CROSS[args.cross][1], list(CROSS[args.cross][2])
        if args.qemu_cpu:
            prefix[1:1] = ["-cpu", args.qemu_cpu]
    codegen_flags = shlex.split(args.codegen_flags)
    if args.exe:
        compile_cmd = [args.qcc, args.model, *qcc_flags, *codegen_flags, *target, "--emit=exe",
                       "-o", exe]
        exe_inputs = [a for i in inputs for a in (["--input", i] if "=" in i else [i])]
    else:
        compile_cmd = [args.qcc, args.model, *qcc_flags, *codegen_flags, *target, "--name", "m",
                       "-o", obj]
        exe_inputs = inputs
    print("codegen: compile: %s" % " ".join(os.path.basename(a) for a in compile_cmd))
    if args.cross:
        print("codegen: run: %s" % " ".join(prefix[:-2] if prefix[-2] == "-L" else prefix))
    run(compile_cmd)
    if not args.exe:
        run([cc, "-I", args.runtime, "-DQCC_PREFIX=m", args.harness, obj, "-lm", "-o", exe])
    if os.path.isdir(gen):
        shutil.rmtree(gen)
    run([*prefix, exe, "--output-dir", gen, *exe_inputs])
    reference(args, qcc_flags, inputs, ref)
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
