/* Quantized ConvTranspose into a QLinearConv-shaped Conv and integer data movement (sub-pixel
 * decomposition).
 * Precondition: constants folded, quantize-bias run. Rule: `Q(ConvTranspose(DQ(x), DQ(w)
 * [, DQ(b)]))`, optionally with a Relu or a Clip (constant bounds) between the ConvTranspose and
 * the Q, 1-D to 3-D, with a per-tensor x and Q, constant 8-bit weights (per tensor, or per axis 1
 * of [C_in, C_out / group, k...]), an int32 bias (or none) and static input channels and spatial
 * sizes. A transposed convolution with stride s, kernel k and dilation d is, per output phase r
 * in [0, s) of every spatial dim, a stride-1 correlation of the un-stuffed input with the taps
 * w[r + j s] (kernel J = ceil(((k - 1) d + 1) / s), taps reversed, those past the dilated kernel
 * or between its dilated taps zero), padded by J - 1 at the beginning. All phases become one
 * `Conv(DQ(x), DQ(w'), DQ(b'))` with C_out * prod(s) output channels ordered (co, phase...) (so
 * each group's channels stay together), weights w' rearranged at compile time (zero taps hold the
 * channel's zero point), per-channel scales, zero points and the bias replicated per phase, then
 * `Q` (the ConvTranspose's Q parameters; the Relu/Clip moves before it), and on the integers
 * `Reshape [N, C_out, s..., L...]`, `Transpose` to [N, C_out, L_1, s_1, L_2, s_2, ...],
 * `Reshape [N, C_out, L_1 s_1, ...]` and a `Slice` that crops the leading padding and keeps the
 * output extent (output_padding, output_shape, auto_pad included), each left out when it does
 * nothing. The integer accumulator is exactly the zero-stuffed convolution's, so qdq-fusion's
 * QLinearConv requantizes the same sum; ONNX Runtime (DQ, float ConvTranspose, Q) rounds a float
 * sum and may differ by one step near a rounding tie (docs/accuracy.md). */
#ifndef QCC_PASSES_FOLD_CONV_TRANSPOSE_H
#define QCC_PASSES_FOLD_CONV_TRANSPOSE_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_fold_conv_transpose;

#endif
