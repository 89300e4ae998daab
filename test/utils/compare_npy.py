#!/usr/bin/python3
"""Compares a qcc output .npy with a reference .npy (ONNX Runtime or PyTorch).

Prints one line of agreement metrics and exits 1 when a requested bound is not met:
  --exact            every element bit-identical
  --min-sqnr DB      signal-to-quantization-noise ratio of ours against the reference
  --step S           output quantization step; reports the max difference in steps
  --max-steps K      with --step: bound on that difference
  --min-top1 F       fraction of rows (first axis) whose argmax agrees
"""
import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ours")
    ap.add_argument("ref")
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--min-sqnr", type=float)
    ap.add_argument("--step", type=float)
    ap.add_argument("--max-steps", type=float)
    ap.add_argument("--min-top1", type=float)
    ap.add_argument("--labels", help="class labels (.npy): print both accuracies; fail when ours is lower")
    args = ap.parse_args()

    ours = np.load(args.ours)
    ref = np.load(args.ref)
    if ours.shape != ref.shape or ours.dtype != ref.dtype:
        print(f"compare: shape/dtype mismatch: ours {ours.shape} {ours.dtype}, ref {ref.shape} {ref.dtype}")
        return 1
    o = ours.astype(np.float64)
    r = ref.astype(np.float64)
    mismatches = int(np.count_nonzero(ours != ref))
    noise = np.sum((o - r) ** 2)
    signal = np.sum(r ** 2)
    sqnr = float("inf") if noise == 0 else 10 * np.log10(signal / noise)
    maxdiff = float(np.max(np.abs(o - r))) if o.size else 0.0
    rows = o.reshape(o.shape[0], -1) if o.ndim >= 1 and o.shape[0] else o.reshape(1, -1)
    rrows = r.reshape(rows.shape)
    # An empty tensor has no rows to disagree on.
    top1 = float(np.mean(np.argmax(rows, axis=1) == np.argmax(rrows, axis=1))) if o.size else 1.0
    steps = maxdiff / args.step if args.step else None
    line = (f"compare: {o.size} elements, {mismatches} differ, max |diff| {maxdiff:.6g}, "
            f"SQNR {sqnr:.2f} dB, top-1 agreement {top1:.4f}")
    if steps is not None:
        line += f", max diff {steps:.3f} steps"
    print(line)
    ok = True
    if args.labels:
        labels = np.load(args.labels).reshape(-1)
        ours_ok = int(np.sum(np.argmax(rows, axis=1) == labels))
        ref_ok = int(np.sum(np.argmax(rrows, axis=1) == labels))
        print(f"accuracy: {ours_ok}/{labels.size} (reference {ref_ok}/{labels.size})")
        ok = ours_ok >= ref_ok
    if args.exact and mismatches:
        ok = False
    if args.min_sqnr is not None and sqnr < args.min_sqnr:
        ok = False
    if args.max_steps is not None and (steps is None or steps > args.max_steps):
        ok = False
    if args.min_top1 is not None and top1 < args.min_top1:
        ok = False
    print("compare: PASS" if ok else "compare: FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
