/* Helpers of the quantized op families (QLinear*, *Integer, QGemm): 8-bit element access and
 * the checks of their data, scale and zero-point operands. */
#ifndef QCC_IR_OPS_QOPERAND_H
#define QCC_IR_OPS_QOPERAND_H

#include "ir/interp.h"
#include "ir/op_registry.h"
#include "ir/ops/requant.h"

static inline bool qcc_is_8bit(qcc_elem e) { return e == QCC_U8 || e == QCC_I8; }

/* Integer range of a u8 or i8 element type. */
static inline qcc_qrange qcc_elem_qrange(qcc_elem e) {
  return e == QCC_I8 ? qcc_qrange_i8() : qcc_qrange_u8();
}

/* Element i of a u8 or i8 tensor. */
static inline int32_t qcc_load_q(const qcc_tensor *t, int64_t i) {
  return t->elem == QCC_U8 ? ((const uint8_t *)t->data)[i] : ((const int8_t *)t->data)[i];
}

/* Stores v (already in range) as element i of a u8 or i8 tensor. */
static inline void qcc_store_q(qcc_tensor *t, int64_t i, int32_t v) {
  if (t->elem == QCC_U8)
    ((uint8_t *)t->data)[i] = (uint8_t)v;
  else
    ((int8_t *)t->data)[i] = (int8_t)v;
}

/* ---- shape rules: each reports the first violation ---- */

/* Every operand idx[0..n) must be present. */
qcc_status qcc_infer_require_operands(qcc_infer_ctx *ctx, const uint32_t *idx, size_t n);
/* Operand i (named `what`) must be u8 or i8. */
qcc_status qcc_infer_expect_8bit(qcc_infer_ctx *ctx, uint32_t i, const char *what);
/* The convolution family's result: operand xi's image convolved with weight operand wi under
 * the op's window attributes, element type `out` (ir/ops/qlinear_conv.c). */
qcc_status qcc_infer_conv_shape(qcc_infer_ctx *ctx, uint32_t xi, uint32_t wi, qcc_elem out);
/* Operand i (named `what`) must be a float tensor. */
qcc_status qcc_infer_expect_float(qcc_infer_ctx *ctx, uint32_t i, const char *what);
/* Optional zero point i (named `what`) must have the element type of operand `like`. */
qcc_status qcc_infer_expect_zero_point(qcc_infer_ctx *ctx, uint32_t i, uint32_t like,
                                       const char *what);
/* Optional operand i (named `what`) must be a scalar or 1-D tensor. */
qcc_status qcc_infer_expect_vector(qcc_infer_ctx *ctx, uint32_t i, const char *what);
/* Per-tensor quantized operand: data operand `data` (UINT32_MAX: none) of element type `want`,
 * a float scalar scale and an optional zero point of type `want`. */
qcc_status qcc_infer_quantized(qcc_infer_ctx *ctx, uint32_t data, uint32_t scale, uint32_t zp,
                               qcc_elem want);

/* Operands of QLinearConv and QLinearMatMul: x, x_scale, x_zero_point, w, w_scale,
 * w_zero_point, y_scale, y_zero_point, named names[0..8) in messages. x, x_scale, w, w_scale and
 * y_scale are required. With `vector_params` the scales and zero points must also be scalars or
 * 1-D. *out gets the result type: y_zero_point's, or u8 without it. */
qcc_status qcc_infer_qlinear_operands(qcc_infer_ctx *ctx, const char *const names[8],
                                      bool vector_params, qcc_elem *out);

/* ---- evaluation ---- */

/* Per-tensor quantization parameters of one operand. */
typedef struct qcc_scalar_qparam {
  float scale;
  int32_t zp; /* 0 when the zero point is absent */
} qcc_scalar_qparam;

/* Reads operands `scale` (required, a float scalar) and `zp` (optional, an `elem` scalar). */
qcc_status qcc_read_scalar_qparam(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                  uint32_t scale, uint32_t zp, qcc_elem elem,
                                  qcc_scalar_qparam *out);

#endif
