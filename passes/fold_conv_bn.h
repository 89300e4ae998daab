/* Conv + BatchNormalization folding.
 * Precondition: constants folded (weights, BN parameters and weight Q/DQ operands constant).
 * Effect: `BatchNormalization(Conv(x, W, b))`, where the Conv result has no other use and is not
 * a graph output, becomes one Conv. With m[c] = scale[c] / sqrt(var[c] + eps):
 *  - float weights: W'[c] = W[c] * m[c];
 *  - weights `DequantizeLinear(Wq, s, 0)` (per-channel along axis 0 or per-tensor, zero point 0:
 *    the TensorRT idiom): the multiplier goes into the scales, s'[c] = s[c] * |m[c]|, and where
 *    m[c] < 0 the channel's integers are negated, so scales stay positive and the integer weights
 *    are those of the model; a channel with m[c] < 0 that holds -128 (whose negation does not
 *    fit int8), or with m[c] == 0, keeps the pair unfolded;
 *  - bias: b'[c] = (b[c] - mean[c]) * m[c] + B[c] (b = 0 when the Conv had none).
 * The multipliers are computed in double and rounded once to float32; the folded Conv equals the
 * pair up to float32 rounding of the products (a quantized result moves by one step only where it
 * sits on a rounding boundary). */
#ifndef QCC_PASSES_FOLD_CONV_BN_H
#define QCC_PASSES_FOLD_CONV_BN_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_fold_conv_bn;

#endif
