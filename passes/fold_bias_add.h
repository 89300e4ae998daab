/* Bias adds into their matrix product.
 * Precondition: constants folded. Rule: `Add(MatMul(A, B), c)` with A and B of rank 2, and
 * `Add(Gemm(A, B), c)` for a Gemm without C, where the product is used only by the Add and c is a
 * constant f32 of shape [N] or [1, N] (one value per output column), become one
 * `Gemm(A, B, c)` (alpha 1, beta 1; a Gemm keeps its alpha and transposes). quantize-bias can then
 * give the Gemm an int32 bias and qdq-fusion a QGemm, as exporters that write Linear as MatMul +
 * Add expect. Not bit-exact in float: the interpreter's Gemm accumulates in double where MatMul
 * accumulates in float32 (as ONNX Runtime's do), so a float result moves by float rounding and a
 * quantized one by at most one step where it sits on a rounding boundary. */
#ifndef QCC_PASSES_FOLD_BIAS_ADD_H
#define QCC_PASSES_FOLD_BIAS_ADD_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_fold_bias_add;

#endif
