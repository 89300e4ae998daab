#!/usr/bin/python3
"""Prints the code size of a static library: code_size.py LIB [--size TOOL] [--label L] [--budget N].

Sums binutils `size` (Berkeley format) over the archive's objects. "text" there is the code plus
the read-only data and unwind tables, an upper bound on what the runtime adds to an app. With
--budget, exits 1 when text exceeds N bytes. Run by the build after each relink and by
test/runtime/code-size-*.test.
"""
import argparse
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("--size", default="size")
    ap.add_argument("--label", default="host")
    ap.add_argument("--budget", type=int)
    args = ap.parse_args()
    p = subprocess.run([args.size, "--format=berkeley", "--totals", args.lib],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        return 1
    totals = [line.split() for line in p.stdout.splitlines() if line.rstrip().endswith("(TOTALS)")]
    if not totals:
        sys.stderr.write("code_size: no (TOTALS) line in `size` output\n")
        return 1
    text, data, bss = (int(x) for x in totals[0][:3])
    line = f"qcc runtime code size ({args.label}): text {text} bytes, data {data}, bss {bss}"
    ok = args.budget is None or text <= args.budget
    if args.budget is not None:
        line += f" (budget {args.budget}: {'ok' if ok else 'EXCEEDED'})"
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
