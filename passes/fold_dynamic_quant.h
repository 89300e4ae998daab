/* ONNX Runtime's dynamic-quantization idiom, folded.
 * Precondition: constants folded. Effect: the chain `quantize_dynamic` writes for a MatMul,
 *   (x_q, x_scale, x_zp) = DynamicQuantizeLinear(x)
 *   Add(Mul(Cast<float>(MatMulInteger(x_q, B, x_zp, b_zp)), Mul(x_scale, b_scale)), bias)
 * (B, b_scale, b_zp and bias constants; each link used only by the next; the Add optional, and
 * folded only for a 1-D bias), becomes one com.microsoft DynamicQuantizeMatMul(x, B, b_scale,
 * b_zp, bias): an integer matmul whose input scale is computed at run time. Exact: the op
 * performs the chain's float32 operations in the same order. The ConvInteger form has no such op
 * and stays as written. */
#ifndef QCC_PASSES_FOLD_DYNAMIC_QUANT_H
#define QCC_PASSES_FOLD_DYNAMIC_QUANT_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_fold_dynamic_quant;

#endif
