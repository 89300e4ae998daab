#!/usr/bin/python3
"""Runs a command and checks its exact exit status: `expect_exit.py STATUS CMD ARGS...`.

The command's stdout and stderr pass through unchanged so FileCheck can read them; the wrapper
itself exits 0 when the status matches and 1 (with a message on stderr) otherwise. lit's `not`
only checks for a non-zero status, which would also accept a crash or a sanitizer report.
"""
import subprocess
import sys


def main():
    want = int(sys.argv[1])
    proc = subprocess.run(sys.argv[2:])
    if proc.returncode != want:
        sys.stderr.write(f"expect_exit: '{sys.argv[2]}' exited with {proc.returncode}, expected {want}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
