#!/usr/bin/env python3
"""Printer/parser round trip over every .qir file qcc accepts.

For each *.qir file under the given roots: p1 = print(parse(f)), p2 = print(parse(p1)); p1 and p2
must be byte-identical. Files qcc rejects (the negative tests) are skipped and counted. Side
files (file<...> constants) are found again because every non-.qir file of the source's
directory is linked next to the printed copy.

usage: roundtrip.py QCC ROOT...
Prints one line per mismatch and a summary: "roundtrip: N files, M mismatches".
Exit status: 0 when there are no mismatches, 1 otherwise, 2 on bad usage."""
import os
import subprocess
import sys
import tempfile


def qir_files(roots):
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "Output")
            for name in sorted(filenames):
                if name.endswith(".qir"):
                    yield os.path.join(dirpath, name)


def run_qcc(qcc, src, dst):
    r = subprocess.run([qcc, src, "--emit=qir", "-o", dst], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=300)
    return r.returncode, r.stderr.decode("utf-8", "replace")


def link_side_files(src_dir, work):
    for name in os.listdir(src_dir):
        path = os.path.join(src_dir, name)
        if os.path.isfile(path) and not name.endswith(".qir"):
            os.symlink(os.path.abspath(path), os.path.join(work, name))


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    qcc, roots = argv[1], argv[2:]
    checked = skipped = mismatches = 0
    for path in qir_files(roots):
        with tempfile.TemporaryDirectory(prefix="qir-roundtrip-") as work:
            link_side_files(os.path.dirname(path), work)
            p1 = os.path.join(work, "p1.qir")
            p2 = os.path.join(work, "p2.qir")
            rc, _ = run_qcc(qcc, path, p1)
            if rc != 0:
                skipped += 1
                continue
            checked += 1
            rc, err = run_qcc(qcc, p1, p2)
            if rc != 0:
                mismatches += 1
                print(f"MISMATCH {path}: printed form does not parse:\n{err}")
                continue
            with open(p1, "rb") as a, open(p2, "rb") as b:
                first, second = a.read(), b.read()
            if first != second:
                mismatches += 1
                print(f"MISMATCH {path}: print(parse(print(parse(f)))) differs from print(parse(f))")
    print(f"roundtrip: skipped {skipped} files that qcc rejects")
    print(f"roundtrip: {checked} files, {mismatches} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
