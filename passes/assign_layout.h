/* Layout assignment.
 * Precondition: a verified graph, Q/DQ already folded into integer ops (the pass runs last in
 * -O2, before the final dce). Effect: every rank-4 value gets a physical layout (ir/layout.h):
 * NHWC where integer image kernels (QLinearConv, ConvInteger, the QLinear pools, integer
 * MaxPool, Pad and Resize, channel concats) produce or consume it, row-major where an op reads
 * logical order (float ops, Reshape, Flatten, Transpose, Gather, Slice, ...). Elementwise ops
 * (the QLinear elementwise ops, integer Clip/Relu/Cast, Q/DQ) take any layout, the same for
 * their operands and result. Graph inputs keep their layout and graph outputs are row-major
 * (the caller's buffers). Wherever a consumer needs another layout than its operand has, a
 * Relayout is inserted, one per value and layout, shared by all consumers that need it; a rank-4
 * value with C == 1 or H == W == 1 is the same bytes in both layouts and is never converted.
 * Exact by construction: types and semantics are logical, and Relayout is the identity on them.
 * Counters: Relayout ops inserted, rank-4 values per layout; --stats remarks name each
 * conversion. */
#ifndef QCC_PASSES_ASSIGN_LAYOUT_H
#define QCC_PASSES_ASSIGN_LAYOUT_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_assign_layout;

#endif
