/* Shape specialization.
 * Precondition: a verified graph; most useful after --dim bound the symbolic dims and constants
 * were folded. Effect, in one sweep in op order:
 * - a Shape op (with or without start/end) whose queried dims are all static becomes a constant
 *   i64 vector, and a Gather of a Shape's result with constant indices (axis 0) that pick only
 *   static dims becomes a constant, even when other dims of the Shape's operand are dynamic;
 * - the ops fed by those constants fold with constant-fold's rules as soon as all their operands
 *   are constant (so torch.onnx's `Shape -> Gather -> Unsqueeze -> Concat -> Reshape` chains for
 *   flatten/view fold to one constant shape; a ConstantOfShape over 1 MiB keeps its now constant
 *   shape operand);
 * - a Reshape with a constant shape whose result is statically known gets that shape spelled out
 *   (no 0 or -1 entries), and goes when the result has its input's shape (unless it is a graph
 *   output);
 * - every result type is re-inferred as the sweep reaches it, so `?` dims become static where
 *   the shape rule can now say so.
 * Exact: every rewrite replaces a value by the one it has on every run. A Shape of a dynamic dim
 * stays. Each rewrite is a --stats remark. */
#ifndef QCC_PASSES_SPECIALIZE_SHAPES_H
#define QCC_PASSES_SPECIALIZE_SHAPES_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_specialize_shapes;

#endif
