#!/usr/bin/python3
"""Checks that every C source of qcc is clang-format clean (style in .clang-format)."""
import os
import subprocess
import sys

SOURCE_DIRS = ["ir", "frontend", "passes", "codegen", "runtime", "tools", "calib"]


def main():
    root = sys.argv[1]
    clang_format = sys.argv[2] if len(sys.argv) > 2 else "clang-format-19"
    files = []
    for d in SOURCE_DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, d)):
            files += [os.path.join(dirpath, n) for n in sorted(names) if n.endswith((".c", ".h"))]
    bad = []
    for f in sorted(files):
        r = subprocess.run([clang_format, "--dry-run", "-Werror", f], capture_output=True, text=True)
        if r.returncode != 0:
            bad.append(os.path.relpath(f, root))
    for f in bad:
        print(f"needs clang-format: {f}")
    print(f"format: {len(files)} files, {len(bad)} need formatting")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
