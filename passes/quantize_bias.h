/* Float Conv and Gemm biases to int32.
 * Precondition: constants folded (fold-conv-bn leaves float biases on convs whose input and
 * weights come through DequantizeLinear). Effect: `Conv(DQ(x), DQ(w), b)` or
 * `Gemm(DQ(x), DQ(w), b)` (alpha = beta = 1, no transA, 1-D b) with a constant float bias, a
 * constant per-tensor input scale s_x and constant weight scales s_w (per tensor or per output
 * channel) gets the bias `DequantizeLinear(round(b / s), s)` with s[c] = f32(s_x * s_w[c])
 * and round half to even, as ONNX Runtime's quantizer writes it, so qdq-fusion can form a
 * QLinearConv or QGemm. A bias whose quantized value leaves int32 keeps the Conv as it was.
 * Within one output step: the bias moves by at most s[c] / 2, i.e. by M[c] / 2 output steps
 * with M[c] = s[c] / s_y, which is below one step whenever M[c] < 2 (always, for a conv whose
 * accumulator unit is finer than its output step). */
#ifndef QCC_PASSES_QUANTIZE_BIAS_H
#define QCC_PASSES_QUANTIZE_BIAS_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_quantize_bias;

#endif
