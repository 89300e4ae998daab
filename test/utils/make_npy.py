#!/usr/bin/python3
"""Writes a random .npy test input: make_npy.py FILE DTYPE DIMS [--seed N] [--low L --high H].

DTYPE is u8, i8, i32 or f32; DIMS is comma-separated (1,2,4,4). Integers are uniform in
[low, high] (default: the whole type range); floats are uniform in [low, high) (default [-1, 1)).
"""
import argparse

import numpy as np

TYPES = {"u8": np.uint8, "i8": np.int8, "i32": np.int32, "f32": np.float32}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("dtype", choices=sorted(TYPES))
    ap.add_argument("dims")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--low", type=float)
    ap.add_argument("--high", type=float)
    args = ap.parse_args()
    shape = tuple(int(d) for d in args.dims.split(",") if d)
    rng = np.random.default_rng(args.seed)
    dt = TYPES[args.dtype]
    if args.dtype == "f32":
        lo = -1.0 if args.low is None else args.low
        hi = 1.0 if args.high is None else args.high
        data = rng.uniform(lo, hi, shape).astype(dt)
    else:
        info = np.iinfo(dt)
        lo = info.min if args.low is None else int(args.low)
        hi = info.max if args.high is None else int(args.high)
        data = rng.integers(lo, hi, shape, dtype=dt, endpoint=True)
    np.save(args.file, data)


if __name__ == "__main__":
    main()
