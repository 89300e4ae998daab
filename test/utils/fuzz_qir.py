#!/usr/bin/python3
"""Mutation fuzzing of the .qir front end: fuzz_qir.py QCC WORKDIR COUNT SEED FILE...

Each mutant of the given .qir files (bit flips, deleted/duplicated/spliced lines, numbers
replaced by extremes, element types swapped, brackets dropped) must be accepted (status 0) or
rejected with a located diagnostic (status 1); anything else (a signal, a sanitizer report, a
hang) is a failure and the mutant is kept in WORKDIR for reproduction. Accepted mutants must print
the same text again after a round trip.
"""
import os
import random
import re
import subprocess
import sys

EXTREMES = ["0", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
            "2147483648", "4294967296", "1e38", "3.4e39", "1e-45", "nan", "inf", "-inf", "256",
            "-129", "99999999999999999999999"]
TYPES = ["f32", "f16", "i8", "u8", "i32", "i64", "bool"]


def mutate(rng, text, spare_lines):
    lines = text.split("\n")
    kind = rng.randrange(8)
    if kind == 0:
        data = bytearray(text.encode())
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(data)
    if kind == 1 and len(lines) > 1:
        del lines[rng.randrange(len(lines))]
    elif kind == 2:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == 3:
        lines.insert(rng.randrange(len(lines)), rng.choice(spare_lines))
    elif kind == 4:
        nums = list(re.finditer(r"-?\d+(\.\d+)?(e-?\d+)?", text))
        if nums:
            m = rng.choice(nums)
            return (text[:m.start()] + rng.choice(EXTREMES) + text[m.end():]).encode()
    elif kind == 5:
        types = list(re.finditer(r"\b(f32|f16|i8|u8|i32|i64|bool)\b", text))
        if types:
            m = rng.choice(types)
            return (text[:m.start()] + rng.choice(TYPES) + text[m.end():]).encode()
    elif kind == 6:
        brackets = [i for i, c in enumerate(text) if c in "[]{}()<>"]
        if brackets:
            i = rng.choice(brackets)
            return (text[:i] + text[i + 1:]).encode()
    else:
        i = rng.randrange(len(lines))
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
    return "\n".join(lines).encode()


def run(cmd, env):
    try:
        return subprocess.run(cmd, capture_output=True, env=env, timeout=60)
    except subprocess.TimeoutExpired:
        return None


def main():
    qcc, work, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sources = [open(f, encoding="utf-8").read() for f in sys.argv[5:]]
    spare = [l for s in sources for l in s.splitlines() if l.strip() and not l.lstrip().startswith("//")]
    os.makedirs(work, exist_ok=True)
    rng = random.Random(seed)
    env = dict(os.environ)
    failures = accepted = 0
    for n in range(count):
        path = os.path.join(work, f"mutant{n}.qir")
        with open(path, "wb") as f:
            f.write(mutate(rng, rng.choice(sources), spare))
        r = run([qcc, path, "--emit=qir"], env)
        if r is None or r.returncode not in (0, 1) or (r.returncode == 1 and b"error:" not in r.stderr):
            failures += 1
            status = "timeout" if r is None else r.returncode
            print(f"FAIL {path}: status {status}")
            if r is not None:
                sys.stdout.write(r.stderr.decode(errors="replace")[-2000:])
            continue
        if r.returncode == 0:
            accepted += 1
            again = os.path.join(work, f"mutant{n}.printed.qir")
            with open(again, "wb") as f:
                f.write(r.stdout)
            r2 = run([qcc, again, "--emit=qir"], env)
            if r2 is None or r2.returncode != 0 or r2.stdout != r.stdout:
                failures += 1
                print(f"FAIL {path}: printed form does not round-trip")
                continue
            os.remove(again)
        os.remove(path)
    print(f"fuzz-qir: {count} mutants, {accepted} accepted, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
