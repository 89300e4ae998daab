#!/usr/bin/python3
"""numpy reference of the hand-written models in this folder: reference.py MODEL OUTDIR INPUT...

add_one (add_one_model.c): x f32[2,3] -> y = x + 1, q_0 = clamp(trunc(y * 100), 0, 255) as u8.
mul (mul_model.c): a i8[4], b i32[1,4] -> out_c = a * b as i64[4].
Writes OUTDIR/<name>.npy under the file names the exe uses.
"""
import os
import sys

import numpy as np


def main():
    model, out_dir, ins = sys.argv[1], sys.argv[2], [np.load(f) for f in sys.argv[3:]]
    os.makedirs(out_dir, exist_ok=True)
    if model == "add_one":
        y = ins[0] + np.float32(1)
        q = np.clip((y * np.float32(100)).astype(np.int32), 0, 255).astype(np.uint8)
        outs = {"y": y, "q_0": q}
    elif model == "mul":
        outs = {"out_c": ins[0].astype(np.int64) * ins[1].reshape(4).astype(np.int64)}
    else:
        sys.exit("reference: unknown model " + model)
    for name, value in outs.items():
        np.save(os.path.join(out_dir, name + ".npy"), value)


if __name__ == "__main__":
    main()
