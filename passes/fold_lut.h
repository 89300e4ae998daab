/* Lookup-table folding of elementwise activations.
 * Precondition: constants folded (the Q/DQ parameters, Clip bounds and the constant operands of
 * the arithmetic are Constant ops). Effect: `QuantizeLinear(f(DequantizeLinear(x)))`, with
 * constant per-tensor parameters on both, x u8 or i8, and f a set R of float elementwise ops
 * (the activations, Clip with constant bounds, Add/Sub/Mul/Div whose other operand is a scalar
 * constant or also in R) whose only non-constant leaf is that one DQ and whose values are used
 * only inside R or by the Q, becomes one ai.qcc QLinearLookup of x. Its 256-entry table is the
 * chain DQ -> R -> Q evaluated with the interpreter's own op semantics on every code, so the
 * result is bit-identical to the unfolded graph. The ops of R are left for dce. */
#ifndef QCC_PASSES_FOLD_LUT_H
#define QCC_PASSES_FOLD_LUT_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_fold_lut;

#endif
