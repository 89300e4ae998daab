/* The integer convolution shared by QLinearConv and QLinearConvFused: its parameters read once at
 * compile time (qcc_conv_params), then one of three kernels: the packed NHWC micro-kernel of
 * conv_packed.c (group 1, the target's int8 dot-product sequence), the depthwise NHWC kernel of
 * conv_depthwise.c (channels in vectors), or the generic loop nest of qlinear_conv.c (anything
 * else). Each accumulates in int32, requantizes to the conv's output and applies an optional
 * epilogue in registers (the fused residual add and clamp of codegen/lower/qlinear_fused.c). */
#ifndef QCC_CODEGEN_LOWER_QLINEAR_CONV_H
#define QCC_CODEGEN_LOWER_QLINEAR_CONV_H

#include "codegen/lower/lower.h"
#include "ir/ops/window.h"

/* What follows the requantized conv value (an i32 code of the conv's output type, a scalar or a
 * vector of consecutive output channels) before the store. `idx` is the logical index of the
 * (first) output element; `mask` (NULL: every lane) the lanes that exist. NULL apply: store it. */
typedef struct qcc_conv_epilogue {
  LLVMValueRef (*apply)(qcc_lower_ctx *L, const struct qcc_conv_epilogue *e, LLVMValueRef y,
                        LLVMValueRef *idx, LLVMValueRef mask);
  void *user;
  bool lanes_contiguous;        /* what apply reads has contiguous channels: vectors are fine */
  const qcc_cg_tensor *operand; /* the tensor apply reads at idx (NULL: none) */
} qcc_conv_epilogue;

enum { QCC_CONV_MAX_SP = QCC_WINDOW_MAX_SPATIAL };

/* Everything the kernels need, in host memory (qcc_conv_params_free releases the arrays). */
typedef struct qcc_conv_params {
  qcc_cg_tensor x, y;
  int32_t nsp;
  int64_t m_out, cg, group, mg, ksz;
  int64_t kernel[QCC_CONV_MAX_SP], stride[QCC_CONV_MAX_SP], dil[QCC_CONV_MAX_SP],
      pad[QCC_CONV_MAX_SP], in[QCC_CONV_MAX_SP], out[QCC_CONV_MAX_SP];
  int64_t tap_stride[QCC_CONV_MAX_SP]; /* linear tap index = sum k_d * tap_stride[d] */
  bool always_inside[QCC_CONV_MAX_SP]; /* no window of dim d reaches the padding */
  int32_t x_zp, y_zp;
  qcc_qrange r;
  int16_t *w;   /* w - w_zp[m] as [m][tap][c] */
  bool w_fits8; /* every such value is in [-128, 127] */
  float *mult;  /* per output channel: (x_scale * w_scale[m]) / y_scale */
  int32_t *bias;
  const char *what; /* "gemm" for a QGemm run as a 1x1 conv (kernel names), else NULL */
  bool float_out;   /* QGemm without y_scale: y = float(acc + bias) * mult, stored as f32 */
} qcc_conv_params;

qcc_status qcc_conv_params_read(qcc_lower_ctx *L, qcc_conv_params *p);
void qcc_conv_params_free(qcc_conv_params *p);

/* The kernels. The packed and depthwise ones return QCC_OK with *done false (nothing emitted)
 * when the conv is not theirs. */
qcc_status qcc_lower_conv_packed(qcc_lower_ctx *L, const qcc_conv_params *p,
                                 const qcc_conv_epilogue *epi, bool *done);
qcc_status qcc_lower_conv_depthwise(qcc_lower_ctx *L, const qcc_conv_params *p,
                                    const qcc_conv_epilogue *epi, bool *done);

/* Lowers operands 0..8 of L->op (QLinearConv's) with the epilogue (may be NULL). */
qcc_status qcc_lower_conv_nest(qcc_lower_ctx *L, const qcc_conv_epilogue *epilogue);

#endif
