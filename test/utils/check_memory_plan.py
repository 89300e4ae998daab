#!/usr/bin/python3
"""Checks a memory plan printed by `qcc --print-memory-plan` (lines `plan: NAME OFFSET SIZE FIRST
LAST`, then `plan: arena A lower-bound L`), independently of qcc's planner:
  - no two tensors whose live ranges [FIRST, LAST] overlap share a byte of the arena;
  - every tensor lies inside the arena and is 64-byte aligned;
  - the lower bound equals the largest total size of tensors live at one op, recomputed here;
  - with --max-over P: the arena is at most P percent above that lower bound.
Prints `memory-plan: N tensors, arena A, lower bound L (+x.x%)` and `memory-plan: PASS`.
"""
import argparse
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("plan")
    ap.add_argument("--max-over", type=float)
    args = ap.parse_args()
    tensors, arena, bound = [], None, None
    with open(args.plan) as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0] != "plan:":
                continue
            if parts[1] == "arena":
                arena, bound = int(parts[2]), int(parts[4])
            else:
                tensors.append((parts[1],) + tuple(int(x) for x in parts[2:6]))
    if arena is None:
        print("memory-plan: error: no `plan: arena` line")
        print("memory-plan: FAIL")
        return 1
    errors = []
    for name, off, size, first, last in tensors:
        if off % 64 or off + size > arena:
            errors.append("%s at %d (+%d) is misaligned or outside the arena" % (name, off, size))
    for i, (na, oa, sa, fa, la) in enumerate(tensors):
        for nb, ob, sb, fb, lb in tensors[i + 1:]:
            if fa <= lb and fb <= la and oa < ob + sb and ob < oa + sa:
                errors.append("%s and %s are live together and overlap in memory" % (na, nb))
    steps = max((t[4] for t in tensors), default=-1) + 1
    live = [0] * steps
    for _, _, size, first, last in tensors:
        for s in range(first, last + 1):
            live[s] += size
    lower = max(live, default=0)
    if lower != bound:
        errors.append("lower bound %d, recomputed %d" % (bound, lower))
    over = 100.0 * (arena / lower - 1) if lower else 0.0
    if args.max_over is not None and over > args.max_over:
        errors.append("arena %.1f%% above the lower bound (limit %.1f%%)" % (over, args.max_over))
    print("memory-plan: %d tensors, arena %d, lower bound %d (%+.1f%%)" % (len(tensors), arena, lower, over))
    for e in errors[:10]:
        print("memory-plan: error: " + e)
    print("memory-plan: %s" % ("FAIL" if errors else "PASS"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
