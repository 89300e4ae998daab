/* Q/DQ propagation across data movement, as TensorRT does it.
 * Precondition: constants folded. Effect, repeated until nothing moves:
 *  - backward: a QuantizeLinear with constant per-tensor parameters whose input is the only use of
 *    a data-movement op's result moves above that op, which then runs on the integers:
 *    Q(M(x)) = M(Q(x)). M is MaxPool (max commutes with the monotone quantizer), Reshape,
 *    Flatten, Transpose, Squeeze, Unsqueeze or Slice (they only move elements);
 *  - backward across Concat, onto every input (the concat then joins integers with equal
 *    parameters), and across Pad, whose padding value becomes its code under the quantizer;
 *  - forward: a per-tensor DequantizeLinear whose result is used only by such an op moves below
 *    it: M(DQ(x)) = DQ(M(x)).
 * Both are exact, element for element. Per-axis Q/DQ stay where they are (moving one across a
 * reshape or transpose would move its axis). More ops then sit between a DQ and a Q and fold. */
#ifndef QCC_PASSES_PROPAGATE_QDQ_H
#define QCC_PASSES_PROPAGATE_QDQ_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_propagate_qdq;

#endif
