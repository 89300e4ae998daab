/* Common-subexpression elimination.
 * Precondition: ops are in a valid evaluation order (the IR invariant). Effect: an op with the
 * same kind, operands, attributes and result types as an earlier op (for Constants: the same type
 * and bytes) is replaced by that op's results and erased. Ops whose results are graph outputs
 * stay, so output names never change. Exact: ONNX ops are pure functions of their operands. */
#ifndef QCC_PASSES_CSE_H
#define QCC_PASSES_CSE_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_cse;

#endif
