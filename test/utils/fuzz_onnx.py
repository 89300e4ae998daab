#!/usr/bin/python3
"""Mutation smoke test for the ONNX loader: corrupts a valid model many ways and checks
that qcc either loads it (exit 0) or rejects it cleanly (exit 1) without sanitizer reports.

usage: fuzz_onnx.py QCC MODEL.onnx WORKDIR [ITERATIONS]"""
import os
import random
import subprocess
import sys


def mutate(data, rng):
    b = bytearray(data)
    kind = rng.randrange(5)
    if kind == 0:  # flip one to four bits
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 1:  # truncate
        b = b[: rng.randrange(len(b))]
    elif kind == 2:  # overwrite a byte with an extreme value
        b[rng.randrange(len(b))] = rng.choice([0x00, 0x7F, 0x80, 0xFF])
    elif kind == 3:  # insert a huge varint somewhere
        i = rng.randrange(len(b))
        b[i:i] = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
    else:  # duplicate a slice
        i = rng.randrange(len(b))
        j = min(len(b), i + rng.randint(1, 16))
        b[j:j] = b[i:j]
    return bytes(b)


def main():
    qcc, model, work = sys.argv[1:4]
    iterations = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    os.makedirs(work, exist_ok=True)
    data = open(model, "rb").read()
    rng = random.Random(1234)
    counts = {0: 0, 1: 0}
    for it in range(iterations):
        path = os.path.join(work, f"m{it}.onnx")
        with open(path, "wb") as f:
            f.write(mutate(data, rng))
        r = subprocess.run([qcc, path, "-o", os.devnull], capture_output=True, text=True,
                           errors="replace", timeout=60)
        bad = "Sanitizer" in r.stderr or "runtime error" in r.stderr
        if r.returncode not in (0, 1) or bad:
            print(f"FAIL iteration {it}: exit {r.returncode}\n{r.stderr}")
            sys.exit(1)
        if r.returncode == 1 and "error:" not in r.stderr:
            print(f"FAIL iteration {it}: exit 1 without a diagnostic")
            sys.exit(1)
        counts[r.returncode] += 1
        os.remove(path)
    print(f"fuzz ok: {iterations} mutants, {counts[0]} loaded, {counts[1]} rejected")


if __name__ == "__main__":
    main()
