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

#endif
