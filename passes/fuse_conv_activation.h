/* Float conv fusion: a float Conv with its Relu and/or residual Add as ONNX Runtime's contrib
 * op FusedConv (com.microsoft; ir/ops/conv.c). Rules: Conv -> Relu, Conv -> Add(conv, Z) and
 * Conv -> Add(conv, Z) -> Relu become FusedConv(X, W, B, Z) {activation = "Relu" or none}, when
 * each intermediate result has one use and is no graph output, the conv is the Add's first
 * operand and Z has the result's static shape (no broadcast). f32 only; a conv reading a
 * DequantizeLinear or whose last op feeds a QuantizeLinear is left to qdq-fusion. FusedConv
 * is defined as the composition with each op's own rounding, so the rewrite is exact (bit for
 * bit); an Add(Z, conv) is left alone (x86 keeps the first operand's NaN payload). */
#ifndef QCC_PASSES_FUSE_CONV_ACTIVATION_H
#define QCC_PASSES_FUSE_CONV_ACTIVATION_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_fuse_conv_activation;

#endif
