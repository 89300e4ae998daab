#!/usr/bin/python3
"""numpy references for the calibrators of calib/ (docs/quantize.md, "Calibration methods").

  calib_ref.py make OUT.npy DIST ROWS,COLS... [--seed S]
      writes float32 calibration data: normal, laplace, uniform (-1, 1), relu (non-negative),
      skewed (gamma - 0.7), growing (row r scaled by 2^(r/4)), jump (tiny rows, a huge last
      one), const:V, nan / inf / neginf (one bad value mid-array); f64 and i32 write the wrong
      dtype.
  calib_ref.py check OUT.txt DATA.npy --method M [--bins N] [--batch B] [--averaging C]
                     [--dtype uint8|int8] [--symmetric] [--closed-form uniform]
      recomputes from DATA.npy, in numpy and from the definitions alone, what qcc-calib-test
      printed into OUT.txt: the statistics, the histogram (every bin when OUT.txt lists them),
      the chosen threshold and its cost, the range and the qparams. Prints one "ok: ..." line per
      check, or "MISMATCH: ..." lines and exits 1.
  calib_ref.py qparams LO HI [--dtype uint8|int8] [--symmetric]
      ONNX Runtime's compute_scale_zp (quant_utils.py) on one range, in numpy.
  calib_ref.py per-channel OUT.txt DATA.npy AXIS
      checks per-channel symmetric int8 weight scales against max|w| / 127.
  calib_ref.py rss-flat SMALL.txt LARGE.txt MAXGROWTH_KB
      compares the "Maximum resident set size" of two `/usr/bin/time -v` logs.
"""
import argparse
import math
import re
import sys

import numpy as np

F32 = np.float32


# ---- data --------------------------------------------------------------------------------------
def make(args):
    shape = tuple(int(d) for d in args.shape.split(",") if d)
    rng = np.random.default_rng(args.seed)
    d = args.dist
    if d == "normal":
        x = rng.standard_normal(shape)
    elif d == "laplace":
        x = rng.laplace(0.0, 1.0, shape)
    elif d == "uniform":
        x = rng.uniform(-1.0, 1.0, shape)
    elif d == "relu":
        x = np.maximum(rng.standard_normal(shape) * 2.0 + 0.5, 0.0)
    elif d == "skewed":  # asymmetric: mostly positive with a short negative tail
        x = rng.gamma(2.0, 1.0, shape) - 0.7
    elif d == "growing":  # each row's magnitude 2^(row / 4): the range grows batch after batch
        x = rng.standard_normal(shape) * np.exp2(np.arange(shape[0]) / 4.0).reshape(
            (-1,) + (1,) * (len(shape) - 1))
    elif d == "jump":  # tiny rows then a huge one: the histogram collapses into few bins
        x = rng.standard_normal(shape) * 1e-6
        x[-1] *= 1e12
    elif d.startswith("const:"):
        x = np.full(shape, float(d[6:]))
    elif d in ("nan", "inf", "neginf"):
        x = rng.standard_normal(shape)
        x.reshape(-1)[x.size // 2] = float(d.replace("neg", "-"))
    elif d == "f64":
        np.save(args.out, rng.standard_normal(shape))
        return 0
    elif d == "i32":
        np.save(args.out, rng.integers(-5, 5, shape, dtype=np.int32))
        return 0
    else:
        sys.exit("unknown distribution " + d)
    np.save(args.out, x.astype(F32))
    return 0


# ---- the definitions, in numpy -----------------------------------------------------------------
def histogram(x, bins):
    """Counts of |x| over [0, 2^e), e the smallest with 2^e > max|x|; None for all-zero data."""
    a = np.abs(x.astype(np.float64))
    amax = a.max()
    if amax == 0:
        return None, np.bincount(np.zeros(x.size, np.int64), minlength=bins)
    e = int(np.frexp(amax)[1])
    idx = np.floor(a * (bins * 2.0 ** -e)).astype(np.int64)
    assert idx.max() < bins
    return e, np.bincount(idx, minlength=bins)


def choose_percentile(h, p):
    total = h.sum()
    cum = np.cumsum(h)
    k = int(np.argmax(cum >= total * (p / 100.0))) + 1
    return k, [cum[k - 1] / total]


def kl_of(h, k, levels):
    h = h.copy()
    h[0] = h[1]  # the zero spike counts as its neighbour
    total = h.sum()
    kept = h[:k].sum()
    if kept == 0:
        return math.inf
    pc = h[:k].astype(np.float64)
    pc[k - 1] += total - kept
    per = k // levels
    g = np.minimum(np.arange(k) // per, levels - 1)
    sums = np.bincount(g, weights=h[:k].astype(np.float64), minlength=levels)
    nz = np.bincount(g, weights=(pc != 0).astype(np.float64), minlength=levels)
    mask = pc != 0
    if np.any(sums[g][mask] == 0):
        return math.inf
    p = pc[mask] / total
    q = (sums[g][mask] / nz[g][mask]) / kept
    return float(np.sum(p * np.log(p / q)))


def mse_of(h, k, levels):
    steps = levels - 1
    j = np.nonzero(h)[0]
    c = j + 0.5
    err = np.where(j >= k, c - k, c - (np.round((c * steps) / k) * k) / steps)
    return float(np.sum(h[j] * err * err) / h.sum())


def choose_by(cost, h, first):
    costs = np.array([cost(k) for k in range(first, h.size + 1)])
    k = int(np.argmin(costs)) + first  # argmin: the first minimum, the smallest k
    return k, costs


def ema(batches, c):
    c = F32(c)
    mn = mx = None
    for b in batches:
        bmin, bmax = F32(b.min()), F32(b.max())
        if mn is None:
            mn, mx = bmin, bmax
        else:
            mn = F32(mn + F32(c * F32(bmin - mn)))
            mx = F32(mx + F32(c * F32(bmax - mx)))
    return mn, mx


def qparams(lo, hi, dtype, symmetric):
    """ONNX Runtime's get_qmin_qmax_for_qType and compute_scale_zp, float32 bounds."""
    if dtype == "uint8":
        qmin, qmax = 0, 255
    else:
        qmin, qmax = (-127, 127) if symmetric else (-128, 127)
    rmin = np.minimum(F32(lo), F32(0))
    rmax = np.maximum(F32(hi), F32(0))
    if symmetric:
        a = np.maximum(np.abs(rmin), np.abs(rmax))
        rmin, rmax = -a, a
    dr = np.float64(F32(rmax - rmin))
    scale = dr / (np.float64(qmax) - np.float64(qmin))
    if scale < np.finfo(F32).tiny:
        return F32(1.0), 0, qmin, qmax
    if symmetric:
        zp = np.round((qmin + qmax) / 2.0)
    else:
        zp = np.round(qmin - np.float64(rmin) / scale)
    return F32(scale), int(np.clip(zp, qmin, qmax)), qmin, qmax


# ---- checking the driver's output --------------------------------------------------------------
class Checker:
    def __init__(self):
        self.bad = 0

    def eq(self, what, got, want):
        if got == want:
            print("ok: %s" % what)
        else:
            print("MISMATCH: %s: qcc-calib-test %r, numpy %r" % (what, got, want))
            self.bad += 1

    def close(self, what, got, want, tol):
        if abs(got - want) <= tol:
            print("ok: %s" % what)
        else:
            print("MISMATCH: %s: qcc-calib-test %r, numpy %r (tolerance %g)" % (what, got, want, tol))
            self.bad += 1


def parse_output(path):
    out = {"bins": {}}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "values:":
                out["values"], out["batches"] = int(w[1]), int(w[3])
            elif w[0] == "min:":
                out["min"], out["max"] = F32(w[1]), F32(w[3])
            elif w[0] == "hist:":
                m = re.match(r"hist: bins=(\d+) edge=(?:2\^(-?\d+)|none)", line)
                out["edge"] = int(m.group(2)) if m.group(2) is not None else None
            elif w[0] == "bin":
                out["bins"][int(w[1])] = int(w[2])
            elif w[0] == "choice:":
                m = re.match(r"choice: levels=(\d+) bins_kept=(\d+) cost=(\S+)", line)
                out["levels"], out["kept"], out["cost"] = int(m.group(1)), int(m.group(2)), float(m.group(3))
            elif w[0] == "range:":
                out["range"] = (F32(w[1]), F32(w[2]))
            elif w[0] == "qparams:":
                kv = dict(t.split("=") for t in w[1:] if "=" in t)
                out["qparams"] = (F32(kv["scale"]), int(kv["zero_point"]), int(kv["qmin"]), int(kv["qmax"]))
    return out


def check(args):
    x = np.load(args.data)
    assert x.dtype == F32
    rows = x.reshape(x.shape[0] if x.ndim else 1, -1)
    out = parse_output(args.output)
    ck = Checker()
    flat = rows.reshape(-1)
    batches = [rows[r:r + args.batch].reshape(-1) for r in range(0, rows.shape[0], args.batch)]
    ck.eq("values", out["values"], flat.size)
    ck.eq("batches", out["batches"], len(batches))
    ck.eq("min max", (out["min"], out["max"]), (F32(flat.min()), F32(flat.max())))
    m = args.method.split(":")[0]
    if m == "max":
        want = (F32(flat.min()), F32(flat.max()))
    elif m == "ema":
        want = ema(batches, args.averaging)
    else:
        e, h = histogram(flat, args.bins)
        ck.eq("histogram edge exponent", out["edge"], e)
        if out["bins"]:
            want_bins = {int(i): int(h[i]) for i in np.nonzero(h)[0]}
            ck.eq("histogram: %d non-empty bins" % len(want_bins), out["bins"], want_bins)
        levels = 256 if not args.symmetric and flat.min() >= 0 else 128
        ck.eq("levels", out["levels"], levels)
        if e is None:
            want = (F32(0), F32(0))
        else:
            if m == "percentile":
                p = float(args.method.split(":")[1]) if ":" in args.method else 99.99
                k, costs = choose_percentile(h, p)
                ck.eq("percentile bins kept", out["kept"], k)
                ck.close("percentile mass kept", out["cost"], costs[0], 1e-12)
            else:
                cost = (lambda k: kl_of(h, k, levels)) if m == "entropy" else (lambda k: mse_of(h, k, levels))
                first = levels if m == "entropy" else 1
                k, costs = choose_by(cost, h, first)
                # A different k is only acceptable when numpy finds it just as good (ties within
                # the rounding of a differently ordered sum).
                mine = costs[out["kept"] - first]
                if out["kept"] != k and mine <= costs[k - first] * (1 + 1e-12):
                    print("note: bins kept %d and %d tie to rounding" % (out["kept"], k))
                    k = out["kept"]
                ck.eq("%s bins kept" % m, out["kept"], k)
                ck.close("%s cost" % m, out["cost"], costs[k - first], 1e-9 * max(1.0, abs(costs[k - first])))
            t = (k * 2.0 ** e) / args.bins
            absmax = F32(max(abs(flat.min()), abs(flat.max())))
            amax = F32(t) if t < absmax else absmax
            want = (max(F32(flat.min()), -amax), min(F32(flat.max()), amax))
            if args.closed_form == "uniform":
                # |x| of uniform(-1, 1) is uniform(0, 1): its P-th percentile is P / 100.
                ck.close("closed-form percentile within one bin width", float(out["range"][1]), p / 100.0,
                         2.0 ** e / args.bins)
                ck.close("sample percentile within one bin width", float(out["range"][1]),
                         float(np.percentile(np.abs(flat), p)), 2.0 ** e / args.bins)
    ck.eq("range", out["range"], (F32(want[0]), F32(want[1])))
    ck.eq("qparams", out["qparams"], qparams(want[0], want[1], args.dtype, args.symmetric))
    return 1 if ck.bad else 0


def per_channel(args):
    w = np.load(args.data)
    out = {}
    with open(args.output) as f:
        for line in f:
            m = re.match(r"channel (\d+): scale=(\S+) zero_point=(-?\d+)", line)
            if m:
                out[int(m.group(1))] = (F32(m.group(2)), int(m.group(3)))
    ck = Checker()
    a = np.moveaxis(np.abs(w), args.axis, 0).reshape(w.shape[args.axis], -1).max(axis=1)
    want = {c: (F32(np.float64(a[c]) / 127.0) if a[c] > 0 else F32(1.0), 0) for c in range(a.size)}
    ck.eq("%d channels: scale max|w|/127, zero point 0" % a.size, out, want)
    return 1 if ck.bad else 0


def rss_flat(args):
    def rss(path):
        with open(path) as f:
            return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read()).group(1))

    small, large = rss(args.small), rss(args.large)
    growth = large - small
    print("max RSS %d kB -> %d kB: %s" % (small, large, "flat" if growth <= args.max_growth_kb else "GROWS"))
    return 0 if growth <= args.max_growth_kb else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("make")
    p.add_argument("out")
    p.add_argument("dist")
    p.add_argument("shape")
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("check")
    p.add_argument("output")
    p.add_argument("data")
    p.add_argument("--method", default="max")
    p.add_argument("--bins", type=int, default=2048)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--averaging", type=float, default=0.01)
    p.add_argument("--dtype", default="uint8")
    p.add_argument("--symmetric", action="store_true")
    p.add_argument("--closed-form", choices=["uniform"])
    p = sub.add_parser("qparams")
    p.add_argument("lo", type=float)
    p.add_argument("hi", type=float)
    p.add_argument("--dtype", default="uint8")
    p.add_argument("--symmetric", action="store_true")
    p = sub.add_parser("per-channel")
    p.add_argument("output")
    p.add_argument("data")
    p.add_argument("axis", type=int)
    p = sub.add_parser("rss-flat")
    p.add_argument("small")
    p.add_argument("large")
    p.add_argument("max_growth_kb", type=int)
    args = ap.parse_args()
    if args.cmd == "make":
        return make(args)
    if args.cmd == "check":
        return check(args)
    if args.cmd == "per-channel":
        return per_channel(args)
    if args.cmd == "rss-flat":
        return rss_flat(args)
    s, z, qmin, qmax = qparams(args.lo, args.hi, args.dtype, args.symmetric)
    print("qparams: %s%s scale=%.9g zero_point=%d qmin=%d qmax=%d" % (
        args.dtype, " symmetric" if args.symmetric else "", s, z, qmin, qmax))
    return 0


if __name__ == "__main__":
    sys.exit(main())
