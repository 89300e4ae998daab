/* The integer convolution loop nest shared by QLinearConv and QLinearConvFused: accumulation
 * in int32, requantization to the conv's output, then an optional epilogue in registers (the
 * fused residual add and clamp of codegen/lower/qlinear_fused.c). */
#ifndef QCC_CODEGEN_LOWER_QLINEAR_CONV_H
#define QCC_CODEGEN_LOWER_QLINEAR_CONV_H

#include "codegen/lower/lower.h"

/* What follows the requantized conv value (an i32 code of the conv's output type) before the
 * store. `idx` is the logical index of the output element. NULL: store it as is. */
typedef struct qcc_conv_epilogue {
  LLVMValueRef (*apply)(qcc_lower_ctx *L, const struct qcc_conv_epilogue *e, LLVMValueRef y,
                        LLVMValueRef *idx);
  void *user;
} qcc_conv_epilogue;

/* Lowers operands 0..8 of L->op (QLinearConv's) with the epilogue (may be NULL). */
qcc_status qcc_lower_conv_nest(qcc_lower_ctx *L, const qcc_conv_epilogue *epilogue);

#endif
