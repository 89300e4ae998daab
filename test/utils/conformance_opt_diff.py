#!/usr/bin/python3
"""-O0 against -O2 over the ONNX backend node tests.

  conformance_opt_diff.py --qcc QCC [-j N] [--filter REGEX]

Runs every in-scope conformance test (the selection of onnx_conformance.py) through
`qcc run -O0` (every node with its ONNX semantics) and `qcc run -O2 --verify-each` on each of the
test's own test_data_set_* inputs and compares the two outputs, element by element:

- a float or integer output must be bit-identical (NaNs compared by their bits);
- a quantized output, an int8/uint8 tensor or the float result of a DequantizeLinear with a
  constant per-tensor scale, may differ by at most one step of its quantizer (1 in the integers,
  the scale in float); the number of differing elements is reported.

A test is EXACT when every output of every data set is bit-identical, STEP when some quantized
element moved by one step, and FAIL on anything beyond that, on a run that fails at one level
but not the other, or on a run that fails at both. The last line counts each; the line before
it says how many graphs -O2 rewrote at all, by pass (from its --stats counters), since a test
-O2 leaves alone is trivially exact. Run with /usr/bin/python3 (numpy and onnx).
"""
import argparse
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_conformance as conf  # noqa: E402

def constant_values(graph):
    """Initializers and Constant-node values by name."""
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value" and a.HasField("t"):
                    values[node.output[0]] = numpy_helper.to_array(a.t)
    return values


def output_steps(model):
    """Per graph output: its quantizer's step when it is quantized, else None. An int8/uint8
    output steps by 1; the output of a DequantizeLinear with a constant one-element scale steps
    by that scale."""
    g = model.graph
    consts = constant_values(g)
    producer = {o: n for n in g.node for o in n.output}
    steps = {}
    for vi in g.output:
        step = None
        elem = vi.type.tensor_type.elem_type
        if elem in (conf.TP.INT8, conf.TP.UINT8):
            step = 1.0
        else:
            node = producer.get(vi.name)
            if node is not None and node.op_type == "DequantizeLinear" and len(node.input) > 1:
                scale = consts.get(node.input[1])
                if scale is not None and scale.size == 1:
                    step = float(scale.reshape(-1)[0])
        steps[vi.name] = step
    return steps


# --stats counters that count something left alone rather than a rewrite.
NOT_REWRITES = {"BatchNormalization kept"}
COUNTER = re.compile(r"^stats: ([a-z0-9-]+): (.+): (\d+)$")


def rewriting_passes(stats):
    """The passes whose --stats counters say they rewrote something."""
    passes = set()
    for line in stats.splitlines():
        m = COUNTER.match(line)
        if m and m.group(2) not in NOT_REWRITES and int(m.group(3)) > 0:
            passes.add(m.group(1))
    return passes


def run_level(qcc, model_path, inputs, out_dir, level, timeout):
    """Runs `qcc run` at one level (-O2 with --verify-each and --stats); returns (stderr, None)
    or (None, error)."""
    cmd = [qcc, "run", model_path, level]
    if level != "-O0":
        cmd += ["--verify-each", "--stats"]
    for name, path in inputs:
        cmd += ["--input", "%s=%s" % (name, path)]
    cmd += ["--output-dir", out_dir]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timed out after %ss" % timeout
    if proc.returncode != 0:
        return None, "exit %d: %s" % (proc.returncode,
                                      conf.first_line(proc.stderr.decode("utf-8", "replace")))
    return proc.stderr.decode("utf-8", "replace"), None


def compare_output(name, a, b, step):
    """Returns (differing elements, error or None) for -O0 output a and -O2 output b."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return 0, "%s: -O0 gives %s %s, -O2 %s %s" % (name, a.dtype, list(a.shape), b.dtype,
                                                     list(b.shape))
    if a.dtype.kind == "f":  # by the bits, so NaNs and signed zeros count
        bits = np.dtype("i%d" % a.dtype.itemsize)
        differ = np.ascontiguousarray(a).view(bits) != np.ascontiguousarray(b).view(bits)
    else:
        differ = a != b
    count = int(np.count_nonzero(differ))
    if count == 0:
        return 0, None
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    worst = float(np.max(np.abs(a64 - b64)[differ]))
    if step is None:
        return count, "%s: %d of %d elements differ (max |diff| %g) in an output that is not " \
                      "quantized" % (name, count, a.size, worst)
    # One step, with room for the float rounding of the dequantized value.
    if not np.isfinite(worst) or worst > step * (1 + 1e-6):
        return count, "%s: %d of %d elements differ, max %g steps" % (name, count, a.size,
                                                                      worst / step)
    return count, None


def run_test(qcc, test_dir, model, timeout):
    """Returns (status, differing elements, message, passes that rewrote the graph at -O2);
    status is EXACT, STEP or FAIL."""
    status, differing, msg, passes = compare_test(qcc, test_dir, model, timeout)
    if passes:
        msg += "; -O2 rewrote with %s" % ", ".join(sorted(passes))
    return status, differing, msg, passes


def compare_test(qcc, test_dir, model, timeout):
    g = model.graph
    initializers = {i.name for i in g.initializer}
    input_names = [vi.name for vi in g.input if vi.name not in initializers]
    steps = output_steps(model)
    data_sets = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))
    if not data_sets:
        return "FAIL", 0, "no test_data_set_* directories", set()
    model_path = os.path.join(test_dir, "model.onnx")
    differing = elements = 0
    passes = set()
    for ds in data_sets:
        files = sorted(glob.glob(os.path.join(ds, "input_*.pb")),
                       key=lambda p: int(re.search(r"input_(\d+)", p).group(1)))
        if len(files) != len(input_names):
            return "FAIL", differing, "%s: %d input files for %d graph inputs" % (
                os.path.basename(ds), len(files), len(input_names)), passes
        inputs = list(zip(input_names, files))
        with tempfile.TemporaryDirectory(prefix="qcc-optdiff-") as tmp:
            dirs, stats, errors = {}, {}, {}
            for level in ("-O0", "-O2"):
                dirs[level] = os.path.join(tmp, level[1:])
                stats[level], errors[level] = run_level(qcc, model_path, inputs, dirs[level], level,
                                                        timeout)
            if errors["-O0"] or errors["-O2"]:
                which = " and ".join(l for l in ("-O0", "-O2") if errors[l])
                return "FAIL", differing, "%s: fails at %s: %s" % (
                    os.path.basename(ds), which, errors["-O0"] or errors["-O2"]), passes
            passes |= rewriting_passes(stats["-O2"])
            for vi in g.output:
                outs = []
                for level in ("-O0", "-O2"):
                    path = os.path.join(dirs[level], conf.sanitize(vi.name) + ".npy")
                    if not os.path.isfile(path):
                        return "FAIL", differing, "%s: %s wrote no %s" % (
                            os.path.basename(ds), level, vi.name), passes
                    outs.append(np.load(path, allow_pickle=False))
                count, err = compare_output(vi.name, outs[0], outs[1], steps[vi.name])
                differing += count
                elements += outs[0].size
                if err:
                    return "FAIL", differing, "%s: %s" % (os.path.basename(ds), err), passes
    if differing:
        return "STEP", differing, "%d of %d output elements one step apart" % (
            differing, elements), passes
    return "EXACT", 0, "%d output elements bit-identical" % elements, passes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qcc", required=True, help="path of the qcc driver")
    ap.add_argument("--data-dir", default=conf.DEFAULT_DATA, help="ONNX node test directory")
    ap.add_argument("--filter", help="only tests whose name matches this regex")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="tests run at once")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per qcc run")
    args = ap.parse_args()
    if not os.path.isdir(args.data_dir):
        print("error: no ONNX test data at %s" % args.data_dir, file=sys.stderr)
        return 2
    selected = conf.select_tests(args.data_dir, args.filter)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda t: run_test(args.qcc, t[1], t[2], args.timeout),
                                selected))
    counts = {"EXACT": 0, "STEP": 0, "FAIL": 0}
    total_differing = rewritten = 0
    by_pass = {}
    for (name, _, _), (status, differing, msg, passes) in zip(selected, results):
        counts[status] += 1
        total_differing += differing if status != "FAIL" else 0
        rewritten += bool(passes)
        for p in passes:
            by_pass[p] = by_pass.get(p, 0) + 1
        print("%s %s: %s" % (status, name, msg))
    print("o0-o2 differential: -O2 rewrote %d of the %d graphs (%s)" % (
        rewritten, len(selected), ", ".join("%s %d" % kv for kv in sorted(by_pass.items()))))
    print("o0-o2 differential: %d tests, %d exact, %d within one step (%d elements differ), "
          "%d failed" % (len(selected), counts["EXACT"], counts["STEP"], total_differing,
                         counts["FAIL"]))
    sys.stdout.flush()
    return 1 if counts["FAIL"] or not selected else 0


if __name__ == "__main__":
    sys.exit(main())
