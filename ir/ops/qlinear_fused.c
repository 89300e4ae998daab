/* qcc's fused integer ops (domain ai.qcc), made by the fuse-epilogue pass. Each is defined as
 * the composition of the ops it replaces, evaluated with their own arithmetic, so fusing is
 * exact; the code generator computes the composition in a kernel's epilogue, in registers.
 *
 * QLinearConvFused: QLinearConv, then optionally QLinearAdd of its result with a residual
 * tensor, then optionally an integer clamp (a fused Relu/Clip).
 *   operands  0..8   QLinearConv's: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias
 *                    (y_* quantize the conv's own result, as the unfused QLinearConv did)
 *             9..11  the residual R, R_scale, R_zp     } all five present (a residual add)
 *             12, 13 the sum's scale and zero point  } or all five absent
 *             14, 15 optional clamp bounds (scalars of the result type)
 *   attribute conv_operand: 0 when the conv result was QLinearAdd's A, 1 when it was B (the
 *             float operation order of QLinearAdd depends on it).
 * Every zero point is present (the pass makes absent ones explicit): the conv's and the add's
 * evaluations below read the fused op's operand list.
 *
 * DynamicQuantizeConv: ONNX Runtime's dynamic quantization of a conv, DynamicQuantizeLinear(X)
 * -> ConvInteger(x_q, W, x_zp, w_zp) -> Cast<float> -> Mul(x_scale * w_scale) -> Add(bias), as
 * one op whose input scale is computed at run time (the conv counterpart of com.microsoft
 * DynamicQuantizeMatMul).
 *   operands  X (f32), W (8-bit), w_scale (f32 scalar), w_zp (optional scalar of W's type),
 *             bias (optional f32, one value per output channel, any shape holding M values)
 *   attributes the conv window (as Conv). */
#include "ir/ops/op_util.h"
#include "ir/ops/qoperand.h"
#include "ir/ops/window.h"

#include <string.h>

enum {
  FUSED_CONV_OPERANDS = 9,
  FUSED_R = 9,
  FUSED_R_SCALE = 10,
  FUSED_R_ZP = 11,
  FUSED_Y_SCALE = 12,
  FUSED_Y_ZP = 13,
  FUSED_MIN = 14,
  FUSED_MAX = 15,
};

static bool same_dims(qcc_type a, qcc_type b) {
  if (a.rank < 0 || b.rank < 0)
    return true;
  if (a.rank != b.rank)
    return false;
  for (int32_t d = 0; d < a.rank; ++d)
    if (a.dims[d].size >= 0 && b.dims[d].size >= 0 && a.dims[d].size != b.dims[d].size)
      return false;
  return true;
}

static bool has_residual(const qcc_op *op) { return qcc_has_operand(op, FUSED_R); }

static qcc_status conv_fused_infer(qcc_infer_ctx *ctx) {
  static const uint32_t required[] = {2, 5, 7};
  static const uint32_t add_operands[] = {FUSED_R, FUSED_R_SCALE, FUSED_R_ZP, FUSED_Y_SCALE,
                                          FUSED_Y_ZP};
  qcc_status st = qcc_infer_require_operands(ctx, required, sizeof required / sizeof required[0]);
  if (st != QCC_OK || (st = qcc_op_get(QCC_OP_QLinearConv)->infer(ctx)) != QCC_OK)
    return st;
  qcc_type conv = ctx->results[0];
  qcc_elem e = conv.elem;
  if (has_residual(ctx->op)) {
    if ((st = qcc_infer_require_operands(ctx, add_operands, 5)) != QCC_OK ||
        (st = qcc_infer_quantized(ctx, FUSED_R, FUSED_R_SCALE, FUSED_R_ZP, e)) != QCC_OK ||
        (st = qcc_infer_quantized(ctx, UINT32_MAX, FUSED_Y_SCALE, FUSED_Y_ZP, e)) != QCC_OK)
      return st;
    if (!same_dims(conv, qcc_operand_type(ctx, FUSED_R)))
      return qcc_infer_error(ctx, "the residual must have the convolution's shape");
  } else {
    for (uint32_t i = 1; i < 5; ++i)
      if (qcc_has_operand(ctx->op, add_operands[i]))
        return qcc_infer_error(ctx, "operand %u needs the residual (operand 9)", add_operands[i]);
  }
  for (uint32_t i = FUSED_MIN; i <= FUSED_MAX; ++i) {
    if (!qcc_has_operand(ctx->op, i))
      continue;
    qcc_type b = qcc_operand_type(ctx, i);
    if (b.elem != e || b.rank > 1)
      return qcc_infer_error(ctx, "clamp bounds must be %s scalars", qcc_elem_name(e));
  }
  int64_t side = qcc_op_attr_int(ctx->op, "conv_operand");
  if (side != 0 && side != 1)
    return qcc_infer_error(ctx, "conv_operand must be 0 or 1, not %lld", (long long)side);
  return QCC_OK;
}

/* QLinearAdd of the conv result and the residual, in the add's original operand order. */
static qcc_status add_residual(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                               const qcc_tensor *conv, qcc_tensor **sum) {
  /* QLinearAdd's operands: A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp. */
  const qcc_tensor *conv_side[3] = {conv, in[6], in[7]};
  const qcc_tensor *res_side[3] = {in[FUSED_R], in[FUSED_R_SCALE], in[FUSED_R_ZP]};
  bool conv_first = qcc_op_attr_int(op, "conv_operand") == 0;
  const qcc_tensor *const *a = conv_first ? conv_side : res_side;
  const qcc_tensor *const *b = conv_first ? res_side : conv_side;
  const qcc_tensor *add_in[8] = {a[0],          a[1], a[2], b[0], b[1], b[2], in[FUSED_Y_SCALE],
                                 in[FUSED_Y_ZP]};
  return qcc_op_get(QCC_OP_QLinearAdd)->eval(ctx, op, add_in, sum);
}

static qcc_status conv_fused_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                  qcc_tensor **out) {
  qcc_tensor *y = NULL;
  qcc_status st = qcc_op_get(QCC_OP_QLinearConv)->eval(ctx, op, in, &y);
  if (st != QCC_OK)
    return st;
  if (has_residual(op)) {
    qcc_tensor *sum = NULL;
    st = add_residual(ctx, op, in, y, &sum);
    qcc_tensor_free(y);
    if (st != QCC_OK)
      return st;
    y = sum;
  }
  qcc_qrange r = qcc_elem_qrange(y->elem);
  int32_t lo = qcc_has_operand(op, FUSED_MIN) ? qcc_load_q(in[FUSED_MIN], 0) : r.lo;
  int32_t hi = qcc_has_operand(op, FUSED_MAX) ? qcc_load_q(in[FUSED_MAX], 0) : r.hi;
  for (int64_t i = 0; i < y->numel; ++i) {
    int32_t v = qcc_load_q(y, i);
    qcc_store_q(y, i, v < lo ? lo : v > hi ? hi : v);
  }
  out[0] = y;
  return QCC_OK;
}

static qcc_status dynamic_conv_infer(qcc_infer_ctx *ctx) {
  static const uint32_t required[] = {0, 1, 2};
  qcc_status st = qcc_infer_require_operands(ctx, required, 3);
  if (st != QCC_OK)
    return st;
  if (qcc_operand_type(ctx, 0).elem != QCC_F32)
    return qcc_infer_error(ctx, "X must be f32");
  if ((st = qcc_infer_expect_8bit(ctx, 1, "W")) != QCC_OK)
    return st;
  qcc_type s = qcc_operand_type(ctx, 2);
  if (s.elem != QCC_F32 || s.rank > 1)
    return qcc_infer_error(ctx, "w_scale must be an f32 scalar");
  if (qcc_has_operand(ctx->op, 3)) {
    qcc_type z = qcc_operand_type(ctx, 3);
    if (z.elem != qcc_operand_type(ctx, 1).elem || z.rank > 1)
      return qcc_infer_error(ctx, "w_zero_point must be a scalar of W's type");
  }
  if (qcc_has_operand(ctx->op, 4) && qcc_operand_type(ctx, 4).elem != QCC_F32)
    return qcc_infer_error(ctx, "bias must be f32");
  return qcc_infer_conv_shape(ctx, 0, 1, QCC_F32);
}

static qcc_status dynamic_conv_eval(qcc_eval_ctx *ctx, const qcc_op *op,
                                    const qcc_tensor *const *in, qcc_tensor **out) {
  qcc_tensor *q[3] = {0}, *acc = NULL;
  qcc_status st = qcc_op_get(QCC_OP_DynamicQuantizeLinear)->eval(ctx, op, in, q);
  const qcc_tensor *w = in[1], *bias = qcc_has_operand(op, 4) ? in[4] : NULL;
  /* ConvInteger's operands: x_q, W, x_zp (present: operand 2 of this op is), w_zp (when
   * operand 3 of this op is). */
  const qcc_tensor *conv_in[4] = {q[0], w, q[2], qcc_has_operand(op, 3) ? in[3] : NULL};
  if (st == QCC_OK)
    st = qcc_op_get(QCC_OP_ConvInteger)->eval(ctx, op, conv_in, &acc);
  int64_t m_out = w->rank > 0 ? w->dims[0] : 0;
  if (st == QCC_OK && (in[2]->numel != 1 || in[2]->elem != QCC_F32 ||
                       (bias && (bias->elem != QCC_F32 || bias->numel != m_out))))
    st = qcc_eval_error(ctx, "w_scale must be one f32 and bias %lld f32 values", (long long)m_out);
  if (st == QCC_OK && !(out[0] = qcc_eval_alloc(ctx, QCC_F32, acc->rank, acc->dims)))
    st = QCC_ERR_INPUT;
  if (st == QCC_OK) {
    /* Mul(Cast(acc), Mul(x_scale, w_scale)) then Add(bias): float32, in that order. */
    float mult = *(const float *)q[1]->data * *(const float *)in[2]->data;
    int64_t per_channel = 1;
    for (int32_t d = 2; d < acc->rank; ++d)
      per_channel *= acc->dims[d];
    const int32_t *a = acc->data;
    float *y = out[0]->data;
    for (int64_t i = 0; i < acc->numel; ++i) {
      float v = (float)a[i] * mult;
      y[i] = bias ? v + ((const float *)bias->data)[(i / per_channel) % m_out] : v;
    }
  }
  for (int i = 0; i < 3; ++i)
    qcc_tensor_free(q[i]);
  qcc_tensor_free(acc);
  return st;
}

const qcc_op_def qcc_op_def_DynamicQuantizeConv = {
    .kind = QCC_OP_DynamicQuantizeConv,
    QCC_OP_NAMES(DynamicQuantizeConv),
    .min_operands = 1, /* the shape rule names the missing required operand */
    .max_operands = 5,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_CONV_ATTRS,
    .infer = dynamic_conv_infer,
    .eval = dynamic_conv_eval,
};

const qcc_op_def qcc_op_def_QLinearConvFused = {
    .kind = QCC_OP_QLinearConvFused,
    QCC_OP_NAMES(QLinearConvFused),
    .min_operands = 1, /* the shape rule names the missing required operand */
    .max_operands = 16,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_CONV_ATTR_ENTRIES, QCC_ATTR_I("conv_operand", 0)),
    .infer = conv_fused_infer,
    .eval = conv_fused_eval,
};
