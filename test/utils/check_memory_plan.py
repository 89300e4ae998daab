#!/usr/bin/python3
"""Checks a memory plan printed by `qcc --print-memory-plan` (lines `plan: NAME OFFSET SIZE FIRST
LAST [alias-of|in-place-of OPERAND]`, then `plan: arena A lower-bound L`), independently of qcc's
planner:
  - tensors sharing a buffer (a view `alias-of` its operand, or a result written `in-place-of` an
    operand) sit at the same offset; a tensor written in place starts no earlier than the last use
    of every tensor already in that buffer;
  - no two buffers whose live ranges [FIRST, LAST] overlap share a byte of the arena;
  - every tensor lies inside the arena and is 64-byte aligned;
  - the lower bound equals the largest total size of buffers live at one op, recomputed here;
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
                share, of = (parts[6], parts[7]) if len(parts) >= 8 else (None, None)
                tensors.append((parts[1],) + tuple(int(x) for x in parts[2:6]) + (share, of))
    if arena is None:
        print("memory-plan: error: no `plan: arena` line")
        print("memory-plan: FAIL")
        return 1
    errors = []
    # Buffers: union of the tensors sharing one.
    parent = {t[0]: t[0] for t in tensors}
    by_name = {t[0]: t for t in tensors}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for name, off, size, first, last, share, of in tensors:
        if not share:
            continue
        if of not in by_name:
            errors.append("%s shares the buffer of %s, which is not planned" % (name, of))
            continue
        if by_name[of][1] != off:
            errors.append("%s shares %s's buffer at another offset" % (name, of))
        root = find(of)
        if share == "in-place-of":
            for other in tensors:
                if other[0] != name and find(other[0]) == root and other[3] <= first and other[4] > first:
                    errors.append("%s is written in place while %s is still live" % (name, other[0]))
        parent[name] = root
    buffers = {}
    for name, off, size, first, last, _, _ in tensors:
        r = find(name)
        b = buffers.setdefault(r, [name, off, size, first, last])
        b[2], b[3], b[4] = max(b[2], size), min(b[3], first), max(b[4], last)
    for name, off, size, first, last, _, _ in tensors:
        if off % 64 or off + size > arena:
            errors.append("%s at %d (+%d) is misaligned or outside the arena" % (name, off, size))
    blist = list(buffers.values())
    for i, (na, oa, sa, fa, la) in enumerate(blist):
        for nb, ob, sb, fb, lb in blist[i + 1:]:
            if fa <= lb and fb <= la and oa < ob + sb and ob < oa + sa:
                errors.append("%s and %s are live together and overlap in memory" % (na, nb))
    steps = max((t[4] for t in blist), default=-1) + 1
    live = [0] * steps
    for _, _, size, first, last in blist:
        for s in range(first, last + 1):
            live[s] += size
    lower = max(live, default=0)
    if lower != bound:
        errors.append("lower bound %d, recomputed %d" % (bound, lower))
    over = 100.0 * (arena / lower - 1) if lower else 0.0
    if args.max_over is not None and over > args.max_over:
        errors.append("arena %.1f%% above the lower bound (limit %.1f%%)" % (over, args.max_over))
    print("memory-plan: %d tensors in %d buffers, arena %d, lower bound %d (%+.1f%%)"
          % (len(tensors), len(blist), arena, lower, over))
    for e in errors[:10]:
        print("memory-plan: error: " + e)
    print("memory-plan: %s" % ("FAIL" if errors else "PASS"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
