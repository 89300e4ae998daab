#!/usr/bin/python3
"""Per-layer kernel microbenchmark: achieved int8 multiply-adds per second against the measured peak.

  bench/kernels.py [--model M] [--runs N] [--bench B] [--threads T] [--filter S] [--json]
                   [--qcc build/qcc] [--input NAME=F.npy ...] [--peak FILE] [--profile FILE]

1. Builds bench/peak/peak.c (cc -O2, per-function target attributes) and runs it: one core's
   throughput of each int8 dot-product sequence this CPU has (or reads saved peak JSON lines,
   --peak FILE).
2. Compiles MODEL with `qcc MODEL -O3 -mcpu=native --emit=exe` and runs it N times (separate
   processes) with `--bench B --profile`; a kernel's time is its total over the 1 + B runs of a
   process divided by the runs, the median over the N processes (or --profile FILE: a saved
   `--profile` output, for tests).
3. Reads the final graph (`qcc MODEL -O3 --emit=qir`) and gives each conv/gemm kernel its
   multiply-add count: N*OH*OW*M*(C/group)*KH*KW for a conv (output elements times the weight's
   C/group*KH*KW), output elements times K for a matmul.
4. Prints per layer: kernel, shape, MACs, ms, G MAC/s, the instruction sequence in use and the
   % of that sequence's peak (times T with --threads T: one core per thread). The sequence is the
   suffix of the micro-kernel named in the profile label, `OpName value [qu8-conv-4x64c4-vpdpbusd512]`;
   a label without one is a "scalar" kernel, compared against the `generic` peak. Then totals, and
   the MAC-weighted "3x3 convs: X% of peak" (dense 3x3 convolutions, the acceptance figure).
   "% best" compares with the fastest sequence measured on this CPU: LLVM vectorizes "scalar"
   kernels, so they can exceed the generic peak.

MODEL is a path or a name in ../shared/models. Without --input, a model with one input runs on
MODEL's stem + "_input.npy" (the shared models' convention) or, when there is none, on a seeded
random tensor of the input's type.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.path.join(ROOT, "..", "shared", "models")
PEAK_C = os.path.join(ROOT, "bench", "peak", "peak.c")
SEQUENCES = ("vpdpbusd512", "vpdpbusd256", "vpmaddubsw", "vpmaddwd", "sdot", "usdot", "smmla", "usmmla", "mul32",
             "generic")
# operand index of the weight (convs) or of B (matmuls), by op kind as printed in .qir
CONV_WEIGHT = {"QLinearConv": 3, "QLinearConvFused": 3, "ConvInteger": 1, "DynamicQuantizeConv": 1,
               "Conv": 1}
MATMULS = {"QLinearMatMul", "MatMulInteger", "QGemm", "DynamicQuantizeMatMul", "Gemm", "MatMul"}


# ---- the machine ------------------------------------------------------------------------------
def cpu():
    """(model name with family/model, the int8-relevant flags)."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    info.setdefault(k.strip(), v.strip())
    except OSError:
        pass
    name = info.get("model name", info.get("CPU part", "unknown CPU"))
    fam, mod = info.get("cpu family"), info.get("model")
    if fam and mod and fam.isdigit() and mod.isdigit():
        f, m = int(fam), int(mod)
        zen = {23: "Zen/Zen 2", 25: "Zen 4" if 0x10 <= m <= 0x1f or 0x60 <= m <= 0xaf else "Zen 3",
               26: "Zen 5"}.get(f) if "AMD" in info.get("vendor_id", "") + name else None
        name += " (family %d model %d%s)" % (f, m, ", " + zen if zen else "")
    flags = set((info.get("flags") or info.get("Features") or "").split())
    keep = ["avx2", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni", "amx_int8",
            "asimddp", "i8mm", "sve", "sve2"]
    return name, [k for k in keep if k in flags]


def measure_peak(tmp, ms):
    cc = os.environ.get("CC") or shutil.which("clang-19") or shutil.which("cc")
    exe = os.path.join(tmp, "peak")
    subprocess.run([cc, "-std=c17", "-O2", PEAK_C, "-o", exe], check=True)
    return subprocess.run([exe, "--ms", str(ms)], check=True, capture_output=True,
                          text=True).stdout


def read_peak(text):
    """{sequence: G MAC/s} and the clock estimate from peak's JSON lines."""
    peak, ghz = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        d = json.loads(line)
        if d.get("sequence") == "clock":
            ghz = d["ghz"]
        elif "gmacs" in d:
            peak[d["sequence"]] = d["gmacs"]
    return peak, ghz


# ---- the final graph (.qir) -------------------------------------------------------------------
TOKEN = re.compile(r'''[ \t\r]*(?:(//[^\n]*)|(\n)|([%@](?:"(?:[^"\\\n]|\\.)*"|[A-Za-z0-9_.$/-]+))|
                   ("(?:[^"\\\n]|\\.)*")|([A-Za-z0-9_.+-]+)|(.))''', re.X)
OPEN, CLOSE = "([<{", ")]>}"


def unquote(s):
    if not s.startswith('"'):
        return s
    s = s[1:-1]
    return re.sub(r'\\(x[0-9A-Fa-f]{2}|.)', lambda m: {"n": "\n", "t": "\t"}.get(
        m.group(1), chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "x" and len(m.group(1)) == 3
        else m.group(1)), s)


def tokens(text):
    out = []
    for m in TOKEN.finditer(text):
        if m.group(1) is not None:
            continue
        if m.group(2) is not None:
            out.append("\n")
        elif m.group(3) is not None:
            out.append(m.group(3)[0] + unquote(m.group(3)[1:]))
        else:
            tok = m.group(4) or m.group(5) or m.group(6)
            if tok and not tok.isspace():
                out.append(tok)
    return out


def parse_dims(toks, i):
    """toks[i] == '[': (dims, index after ']'); a dim is an int or None (symbolic/unknown)."""
    dims, i = [], i + 1
    while toks[i] != "]":
        if toks[i] != ",":
            dims.append(int(toks[i]) if re.fullmatch(r"-?\d+", toks[i]) else None)
        i += 1
    return dims, i + 1


def parse_type(toks, i):
    """A type at toks[i]: (shape, index after it and after a '{layout}')."""
    if toks[i] == "!":
        depth, i = 0, i + 2  # skip '!' 'q'
        while True:
            depth += toks[i] == "<"
            depth -= toks[i] == ">"
            i += 1
            if depth == 0:
                break
    else:
        i += 1
    shape, i = parse_dims(toks, i) if toks[i] == "[" else (None, i)
    if i + 2 < len(toks) and toks[i] == "{" and toks[i + 2] == "}":
        i += 3
    return shape, i


def parse_attrs(toks):
    """The int and int-list attributes of an attribute block's tokens."""
    attrs, i = {}, 0
    while i + 2 < len(toks):
        if toks[i + 1] == "=" and (i == 0 or toks[i - 1] == ","):
            v = toks[i + 2]
            if re.fullmatch(r"-?\d+", v):
                attrs[toks[i]] = int(v)
            elif v == "[":
                j, vals = i + 3, []
                while toks[j] != "]":
                    if toks[j] != ",":
                        vals.append(toks[j])
                    j += 1
                if all(re.fullmatch(r"-?\d+", x) for x in vals):
                    attrs[toks[i]] = [int(x) for x in vals]
        i += 1
    return attrs


def statements(toks):
    """Splits the body into statements (newlines inside brackets do not end one)."""
    i = toks.index("(")
    depth, params = 1, []
    i += 1
    start = i
    while depth:
        depth += toks[i] == "("
        depth -= toks[i] == ")"
        i += 1
    params = toks[start:i - 1]
    while toks[i] != "{":
        i += 1
    stmts, cur, depth = [], [], 0
    for tok in toks[i + 1:]:
        if depth == 0 and tok in ("\n", "}"):
            if cur:
                stmts.append(cur)
            cur = []
            if tok == "}":
                break
            continue
        if tok == "\n":
            continue
        depth += tok in OPEN
        depth -= tok in CLOSE
        cur.append(tok)
    return [t for t in params if t != "\n"], stmts


def parse_qir(text):
    """(input names and shapes, value shapes, ops): each op a dict of kind, label, operands,
    attrs and result shape."""
    params, stmts = statements(tokens(text))
    shapes, inputs, ops = {}, [], []
    i = 0
    while i < len(params):
        if params[i].startswith("%"):
            shape, j = parse_type(params, i + 2)
            shapes[params[i][1:]] = shape
            inputs.append((params[i][1:], shape))
            i = j
        else:
            i += 1
    for st in stmts:
        if st[0] == "return" or "=" not in st:
            continue
        eq = st.index("=")
        results = [t[1:] for t in st[:eq] if t.startswith("%")]
        rest = st[eq + 1:]
        if rest[0] == "const":
            shapes[results[0]], _ = parse_type(rest, 1)
            continue
        kind, j = rest[0], 1
        symbol = None
        if rest[j].startswith("@"):
            symbol, j = rest[j][1:], j + 1
        depth, k = 0, j
        while True:
            depth += rest[k] in OPEN
            depth -= rest[k] in CLOSE
            k += 1
            if depth == 0:
                break
        operands = [None if t == "none" else t[1:] for t in rest[j + 1:k - 1]
                    if t.startswith("%") or t == "none"]
        attrs = {}
        if k < len(rest) and rest[k] == "{":
            depth, a = 0, k
            while True:
                depth += rest[a] in OPEN
                depth -= rest[a] in CLOSE
                a += 1
                if depth == 0:
                    break
            attrs, k = parse_attrs(rest[k + 1:a - 1]), a
        result_shapes = []
        if k < len(rest) and rest[k] == ":":
            k += 1
            while k < len(rest):
                shape, k = parse_type(rest, k)
                result_shapes.append(shape)
                k += k < len(rest) and rest[k] == ","
        for r, s in zip(results, result_shapes):
            shapes[r] = s
        ops.append({"kind": kind, "label": "%s %s" % (kind, symbol if symbol is not None else results[0]),
                    "operands": operands, "attrs": attrs, "out": result_shapes[0] if result_shapes else None})
    return inputs, shapes, ops


def prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def macs_and_shape(op, shapes):
    """(multiply-adds, shape text, dense 3x3 conv?) of a conv or matmul op; None otherwise."""
    out = op["out"]
    if op["kind"] in CONV_WEIGHT:
        w = shapes.get(op["operands"][CONV_WEIGHT[op["kind"]]])
        if not w or not out or None in w or None in out:
            return None, "?", False
        group = op["attrs"].get("group", 1)
        kernel = "x".join(map(str, w[2:]))
        stride = op["attrs"].get("strides", [])
        text = "%s %d->%d %s" % (kernel, w[1] * group, w[0], "x".join(map(str, out[2:])))
        if any(s != 1 for s in stride):
            text += " s" + "x".join(map(str, sorted(set(stride))))
        if group == w[0] and w[1] == 1 and group > 1:
            text = "dw " + text
        elif group > 1:
            text = "g%d " % group + text
        return prod(out) * prod(w[1:]), text, group == 1 and w[2:] == [3, 3]
    if op["kind"] in MATMULS:
        a = shapes.get(op["operands"][0])
        if not a or not out or None in a or None in out:
            return None, "?", False
        k = a[-2] if op["attrs"].get("transA") and len(a) >= 2 else a[-1]
        return prod(out) * k, "gemm %dx%d->%d" % (prod(out[:-1]), k, out[-1]), False
    return None, "", False


# ---- the profile ------------------------------------------------------------------------------
ROW = re.compile(r"^\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)  (.*)$")
HEAD = re.compile(r"=== Profile \((\d+) runs?")
UKERNEL = re.compile(r"^(.*) \[([^\]]+)\]$")


def read_profile(text):
    """[(label, ms per run)] in kernel order."""
    runs, rows = 1, []
    for line in text.splitlines():
        m = HEAD.search(line)
        if m:
            runs = int(m.group(1))
            continue
        m = ROW.match(line)
        if m:
            rows.append((m.group(5), float(m.group(1)) / runs))
    return rows


def sequence_of(label):
    """(label without the micro-kernel, the sequence in use)."""
    m = UKERNEL.match(label)
    if not m:
        return label, "scalar"
    for seq in SEQUENCES:
        if m.group(2) == seq or m.group(2).endswith("-" + seq):
            return m.group(1), seq
    return m.group(1), "?" + m.group(2)


def run_model(args, model, tmp, inputs):
    exe = os.path.join(tmp, "model")
    subprocess.run([args.qcc, model, "-O3", "-mcpu=native", "--emit=exe", "-o", exe], check=True)
    ins = []
    for spec in args.input or []:
        ins += ["--input", spec]
    if not ins:
        if len(inputs) != 1:
            raise RuntimeError("the model has %d inputs: give each with --input NAME=F.npy" % len(inputs))
        stem = os.path.splitext(model)[0]
        path = stem + "_input.npy"
        if not os.path.exists(path):
            import numpy as np
            path = os.path.join(tmp, "input.npy")
            rng = np.random.default_rng(0)
            np.save(path, rng.standard_normal(inputs[0][1]).astype(np.float32)
                    if inputs[0][2] == "f32" else rng.integers(0, 256, inputs[0][1]).astype(np.uint8))
        ins = [path]
    runs = []
    for _ in range(args.runs):
        out = subprocess.run([exe] + ins + ["--output-dir", os.path.join(tmp, "out"), "--bench",
                             str(args.bench), "--threads", str(args.threads), "--profile"],
                             check=True, capture_output=True, text=True).stdout
        runs.append(read_profile(out))
    return [(runs[0][k][0], statistics.median(r[k][1] for r in runs)) for k in range(len(runs[0]))]


def input_types(text):
    """[(name, shape, element type)] of the graph's inputs (for a random input)."""
    head = text[:text.index("{")] if "{" in text else text
    return [(unquote(n), [int(d) for d in dims.split(",") if d], t) for n, t, dims in
            re.findall(r'%("[^"]*"|[A-Za-z0-9_.$/-]+)\s*:\s*(\w+)\[([^\]]*)\]', head)]


def fmt_macs(n):
    if n is None:
        return "?"
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            return "%.2f %s" % (n / scale, unit)
    return str(n)


def layers(n):
    return "%d layer%s" % (n, "" if n == 1 else "s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="resnet18_ortqdq_u8")
    ap.add_argument("--qcc", default=os.path.join(ROOT, "build", "qcc"))
    ap.add_argument("--runs", type=int, default=5, help="processes; per-kernel median (default 5)")
    ap.add_argument("--bench", type=int, default=10, help="--bench of each process (default 10)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--filter", default=None, help="list only kernels whose shape or name has this")
    ap.add_argument("--json", action="store_true", help="JSON lines instead of the table")
    ap.add_argument("--input", action="append", help="NAME=F.npy for the exe (repeatable)")
    ap.add_argument("--peak", default=None, help="peak JSON lines from a previous bench/peak run")
    ap.add_argument("--peak-ms", type=int, default=100, help="peak's time per repetition (ms)")
    ap.add_argument("--profile", default=None, help="a saved --profile output instead of running")
    args = ap.parse_args()
    model = args.model
    if not os.path.exists(model):
        model = os.path.join(MODELS_DIR, model + ".onnx")
    name, flags = cpu()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if args.peak:
                with open(args.peak) as f:
                    peak_text = f.read()
            else:
                peak_text = measure_peak(tmp, args.peak_ms)
            peak, ghz = read_peak(peak_text)
            qir = subprocess.run([args.qcc, model, "-O3", "--emit=qir"], check=True,
                                 capture_output=True, text=True).stdout
            _, shapes, ops = parse_qir(qir)
            if args.profile:
                with open(args.profile) as f:
                    prof = read_profile(f.read())
            else:
                prof = run_model(args, model, tmp, input_types(qir))
        except (subprocess.CalledProcessError, RuntimeError, OSError, ValueError) as e:
            print("kernels: FAIL: %s" % e, file=sys.stderr)
            return 1
    by_label = {}
    for op in ops:
        by_label.setdefault(op["label"], []).append(op)
    rows, other_ms, other_n = [], 0.0, 0
    best = max(peak.values()) if peak else None  # the fastest sequence this CPU has
    for label, ms in prof:
        base, seq = sequence_of(label)
        op = by_label.get(base, [None]).pop(0) if by_label.get(base) else None
        macs, shape, dense3 = macs_and_shape(op, shapes) if op else (None, "", False)
        if macs is None and shape == "":
            other_ms += ms
            other_n += 1
            continue
        ref = "generic" if seq == "scalar" else seq
        p = peak.get(ref)
        gmacs = macs / ms / 1e6 if macs is not None and ms > 0 else None
        pct = 100.0 * gmacs / (p * args.threads) if gmacs is not None and p else None
        pct_best = 100.0 * gmacs / (best * args.threads) if gmacs is not None and best else None
        rows.append({"kernel": base, "shape": shape, "macs": macs, "ms": ms, "gmacs": gmacs,
                     "sequence": seq, "peak_sequence": ref, "peak_gmacs": p, "pct_peak": pct,
                     "pct_best": pct_best, "dense3x3": dense3})
    shown = [r for r in rows if not args.filter or args.filter in r["shape"] or args.filter in r["kernel"]]

    def rounded(d):
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in (d or {}).items()}

    def summary(sel):
        sel = [r for r in sel if r["macs"] is not None]
        if not sel:
            return None
        macs, ms = sum(r["macs"] for r in sel), sum(r["ms"] for r in sel)
        out = {"layers": len(sel), "macs": macs, "ms": ms, "gmacs": macs / ms / 1e6 if ms else None,
               "pct_peak_mac_weighted": None, "pct_peak_time": None}
        known = [r for r in sel if r["pct_peak"] is not None]  # the layers with a peak to compare
        if known:
            kmacs, kms = sum(r["macs"] for r in known), sum(r["ms"] for r in known)
            at_peak = sum(r["macs"] / (r["peak_gmacs"] * args.threads * 1e6) for r in known)
            out["pct_peak_mac_weighted"] = sum(r["macs"] * r["pct_peak"] for r in known) / kmacs
            out["pct_peak_time"] = 100.0 * at_peak / kms if kms else None
        return out

    def pct(x):
        return "%.1f%%" % x if x is not None else "n/a"

    total = summary(shown)
    conv3 = summary([r for r in rows if r["dense3x3"]])
    dw = summary([r for r in rows if r["shape"].startswith("dw ")])
    head = {"bench": "kernels", "model": os.path.basename(model), "cpu": name, "flags": flags,
            "threads": args.threads, "runs": None if args.profile else args.runs, "peak_gmacs": peak, "ghz": ghz}
    if args.json:
        print(json.dumps(head))
        for r in shown:
            print(json.dumps(dict(r, ms=round(r["ms"], 6), gmacs=r["gmacs"] and round(r["gmacs"], 3),
                                  pct_peak=r["pct_peak"] and round(r["pct_peak"], 2),
                                  pct_best=r["pct_best"] and round(r["pct_best"], 2))))
        print(json.dumps({"summary": "total", **rounded(total), "other_ms": round(other_ms, 6)}))
        print(json.dumps({"summary": "3x3 convs", **rounded(conv3)}))
        print(json.dumps({"summary": "depthwise convs", **rounded(dw)}))
        return 0
    print("kernels: %s on %s [%s], %d thread(s), %s" % (
        os.path.basename(model), name, " ".join(flags) or "no int8 SIMD flags", args.threads,
        "profile " + os.path.basename(args.profile) if args.profile else
        "median of %d runs of 1 + %d" % (args.runs, args.bench)))
    print("peak, one core (G MAC/s): %s%s" % ("  ".join("%s %.1f" % kv for kv in peak.items()),
                                              "  (clock ~%.2f GHz)" % ghz if ghz else ""))
    table = [("kernel", "shape", "MACs", "ms", "G MAC/s", "sequence", "% peak", "% best")]
    for r in shown:
        table.append((r["kernel"], r["shape"], fmt_macs(r["macs"]), "%.4f" % r["ms"],
                      "%.2f" % r["gmacs"] if r["gmacs"] is not None else "?",
                      r["sequence"] + ("" if r["sequence"] == r["peak_sequence"] else " (vs generic)"),
                      "%.1f" % r["pct_peak"] if r["pct_peak"] is not None else "n/a",
                      "%.1f" % r["pct_best"] if r["pct_best"] is not None else "n/a"))
    width = [max(len(row[c]) for row in table) for c in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(width[c]) if c in (0, 1, 5) else cell.rjust(width[c])
                        for c, cell in enumerate(row)).rstrip())
    if total:
        print("total: %s, %s, %.4f ms, %.2f G MAC/s, %s of peak (MAC-weighted), "
              "at-peak time / time %s; other kernels: %d, %.4f ms" % (
                  layers(total["layers"]), fmt_macs(total["macs"]), total["ms"], total["gmacs"],
                  pct(total["pct_peak_mac_weighted"]), pct(total["pct_peak_time"]), other_n, other_ms))
    if conv3:
        print("3x3 convs: %s of peak (MAC-weighted, %s, %s, %.2f G MAC/s; at-peak time / time %s)" % (
            pct(conv3["pct_peak_mac_weighted"]), layers(conv3["layers"]), fmt_macs(conv3["macs"]),
            conv3["gmacs"], pct(conv3["pct_peak_time"])))
    else:
        print("3x3 convs: none")
    if dw:
        print("depthwise convs: %s of peak (MAC-weighted, %s, %s, %.2f G MAC/s)" % (
            pct(dw["pct_peak_mac_weighted"]), layers(dw["layers"]), fmt_macs(dw["macs"]), dw["gmacs"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
