#!/usr/bin/python3
"""Counts, independently of qcc, the conv weight pairs of a QDQ ONNX model that AVX2's
`vpmaddubsw` cannot saturate with u8 activations in [0, 255]: for consecutive elements (2j, 2j+1)
of each output channel's reduction (kernel taps outer, input channels inner, a last odd element
paired with zero), the positive weights of a pair sum to <= 128 and the negative ones to <= 128.
Weights are the int8 tensors (initializers or Constant nodes) that a DequantizeLinear feeding a
Conv's weight input reads. Prints `pair-bound-ref: S of P conv pairs (x.xx%); layers entirely
within: W of L`.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    m = onnx.load(sys.argv[1])
    g = m.graph
    tensors = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    tensors[n.output[0]] = numpy_helper.to_array(a.t)
    producer = {o: n for n in g.node for o in n.output}
    pairs = safe = layers = whole = 0
    for n in g.node:
        if n.op_type != "Conv":
            continue
        dq = producer.get(n.input[1])
        if dq is None or dq.op_type != "DequantizeLinear" or dq.input[0] not in tensors:
            continue
        w = tensors[dq.input[0]]
        if w.dtype != np.int8:
            continue
        m_out = w.shape[0]
        # [M, C, taps...] -> [M, taps, C] -> rows of the reduction, channels innermost
        red = np.moveaxis(w.reshape(m_out, w.shape[1], -1), 1, 2).reshape(m_out, -1).astype(np.int64)
        if red.shape[1] % 2:
            red = np.concatenate([red, np.zeros((m_out, 1), np.int64)], axis=1)
        a, b = red[:, 0::2], red[:, 1::2]
        pos = np.maximum(a, 0) + np.maximum(b, 0)
        neg = np.maximum(-a, 0) + np.maximum(-b, 0)
        ok = (255 * pos <= 32767) & (255 * neg <= 32768)
        pairs += ok.size
        safe += int(ok.sum())
        layers += 1
        whole += bool(ok.all())
    print("pair-bound-ref: %d of %d conv pairs (%.2f%%); layers entirely within: %d of %d"
          % (safe, pairs, 100.0 * safe / pairs if pairs else 100.0, whole, layers))


if __name__ == "__main__":
    main()
