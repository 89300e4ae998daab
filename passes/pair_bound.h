/* The int16 pair bound of AVX2's `vpmaddubsw`.
 * `vpmaddubsw` multiplies u8 activations by s8 weights and adds adjacent products into a
 * saturating int16: a1*w1 + a2*w2 must stay in [-32768, 32767] or the result changes (ONNX
 * Runtime's x86 kernels on machines without VNNI). qcc knows the weights at compile time, so it
 * proves, per pair of weights in packing order, that no activation can saturate it: with
 * activation codes in [lo, hi] (0..255 unless a clamp before the op narrows it),
 * hi*pos - lo*neg <= 32767 and lo*pos - hi*neg >= -32768, where pos and neg are the sums of the
 * pair's positive and negative weights (for [0, 255]: pos <= 128 and neg <= 128).
 * Packing order: the reduction index of a conv runs over its kernel taps with the input channels
 * of a group innermost (NHWC), of a matmul over K; pairs are its consecutive elements (2j,
 * 2j + 1), a last odd element paired with zero. The code generator uses the analysis to keep
 * the fast instruction where it is exact and to correct or avoid it elsewhere. */
#ifndef QCC_PASSES_PAIR_BOUND_H
#define QCC_PASSES_PAIR_BOUND_H

#include "ir/graph.h"

typedef struct qcc_pair_bound {
  uint64_t pairs, safe;   /* weight pairs, and those that cannot saturate */
  int32_t act_lo, act_hi; /* the activation code range used */
} qcc_pair_bound;

/* The analysis of one integer conv or matmul (QLinearConv, QLinearConvFused, ConvInteger,
 * QLinearMatMul, QGemm, MatMulInteger) with constant 8-bit weights and u8 activations; false for
 * any other op. */
bool qcc_pair_bound_of(const qcc_op *op, qcc_pair_bound *out);

#endif
