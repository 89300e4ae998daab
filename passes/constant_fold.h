/* Constant folding: evaluates ops whose operands are all constants with their reference
 * semantics and replaces them by Constant ops; removes Identity and Casts to
 * the operand's own element type. Mirrors ONNX Runtime's
 * level-1 ConstantFolding and EliminateIdentity, which run before its QDQ fusion: zero points
 * that exporters spell as Constant -> Clip -> Cast chains become plain constants. DQ is never
 * folded, so weights stay quantized integers for the fusion that follows. */
#ifndef QCC_PASSES_CONSTANT_FOLD_H
#define QCC_PASSES_CONSTANT_FOLD_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_constant_fold;

/* Folds one op as the pass does (all operands constant, not a DQ, results up to 1 MiB, an
 * evaluation that fails leaves the op alone); true when it was replaced by Constants, which
 * keep its result names. For passes that make new constants and fold what they feed. */
bool qcc_constant_fold_op(qcc_graph *g, qcc_op *op);

#endif
