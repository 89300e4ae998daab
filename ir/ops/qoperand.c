#include "ir/ops/qoperand.h"

#include "ir/ops/op_util.h"

qcc_status qcc_infer_require_operands(qcc_infer_ctx *ctx, const uint32_t *idx, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!qcc_has_operand(ctx->op, idx[i]))
      return qcc_infer_error(ctx, "operand %u is required", idx[i]);
  return QCC_OK;
}

qcc_status qcc_infer_expect_8bit(qcc_infer_ctx *ctx, uint32_t i, const char *what) {
  qcc_elem e = qcc_operand_type(ctx, i).elem;
  if (!qcc_is_8bit(e))
    return qcc_infer_error(ctx, "%s must be u8 or i8, not %s", what, qcc_elem_name(e));
  return QCC_OK;
}

qcc_status qcc_infer_expect_float(qcc_infer_ctx *ctx, uint32_t i, const char *what) {
  qcc_elem e = qcc_operand_type(ctx, i).elem;
  if (!qcc_elem_is_float(e))
    return qcc_infer_error(ctx, "%s must be f32, not %s", what, qcc_elem_name(e));
  return QCC_OK;
}

qcc_status qcc_infer_expect_zero_point(qcc_infer_ctx *ctx, uint32_t i, uint32_t like,
                                       const char *what) {
  if (!qcc_has_operand(ctx->op, i))
    return QCC_OK;
  qcc_elem e = qcc_operand_type(ctx, i).elem, want = qcc_operand_type(ctx, like).elem;
  if (e != want)
    return qcc_infer_error(ctx, "%s must be %s, not %s", what, qcc_elem_name(want),
                           qcc_elem_name(e));
  return QCC_OK;
}

qcc_status qcc_infer_expect_vector(qcc_infer_ctx *ctx, uint32_t i, const char *what) {
  if (qcc_has_operand(ctx->op, i) && qcc_operand_type(ctx, i).rank > 1)
    return qcc_infer_error(ctx, "%s must be a scalar or 1-D tensor", what);
  return QCC_OK;
}

qcc_status qcc_infer_quantized(qcc_infer_ctx *ctx, uint32_t data, uint32_t scale, uint32_t zp,
                               qcc_elem want) {
  if (data != UINT32_MAX) {
    qcc_elem e = qcc_operand_type(ctx, data).elem;
    if (e != want)
      return qcc_infer_error(ctx, "operand %u must be %s, not %s", data, qcc_elem_name(want),
                             qcc_elem_name(e));
  }
  qcc_type s = qcc_operand_type(ctx, scale);
  if (!qcc_elem_is_float(s.elem))
    return qcc_infer_error(ctx, "operand %u (a scale) must be f32, not %s", scale,
                           qcc_elem_name(s.elem));
  if (s.rank > 1)
    return qcc_infer_error(ctx, "operand %u (a scale) must be a scalar", scale);
  if (qcc_has_operand(ctx->op, zp)) {
    qcc_type z = qcc_operand_type(ctx, zp);
    if (z.elem != want)
      return qcc_infer_error(ctx, "operand %u (a zero point) must be %s, not %s", zp,
                             qcc_elem_name(want), qcc_elem_name(z.elem));
    if (z.rank > 1)
      return qcc_infer_error(ctx, "operand %u (a zero point) must be a scalar", zp);
  }
  return QCC_OK;
}

static qcc_status expect_param(qcc_infer_ctx *ctx, uint32_t i, uint32_t like, const char *what,
                               bool vector) {
  qcc_status st = like == UINT32_MAX ? qcc_infer_expect_float(ctx, i, what)
                                     : qcc_infer_expect_zero_point(ctx, i, like, what);
  if (st == QCC_OK && vector)
    st = qcc_infer_expect_vector(ctx, i, what);
  return st;
}

qcc_status qcc_infer_qlinear_operands(qcc_infer_ctx *ctx, const char *const names[8],
                                      bool vector_params, qcc_elem *out) {
  static const uint32_t required[] = {0, 1, 3, 4, 6};
  qcc_status st;
  if ((st = qcc_infer_require_operands(ctx, required, sizeof required / sizeof required[0])) !=
          QCC_OK ||
      (st = qcc_infer_expect_8bit(ctx, 0, names[0])) != QCC_OK ||
      (st = qcc_infer_expect_8bit(ctx, 3, names[3])) != QCC_OK ||
      (st = expect_param(ctx, 1, UINT32_MAX, names[1], vector_params)) != QCC_OK ||
      (st = expect_param(ctx, 4, UINT32_MAX, names[4], vector_params)) != QCC_OK ||
      (st = expect_param(ctx, 6, UINT32_MAX, names[6], vector_params)) != QCC_OK ||
      (st = expect_param(ctx, 2, 0, names[2], vector_params)) != QCC_OK ||
      (st = expect_param(ctx, 5, 3, names[5], vector_params)) != QCC_OK)
    return st;
  *out = QCC_U8;
  if (qcc_has_operand(ctx->op, 7)) {
    if ((st = qcc_infer_expect_8bit(ctx, 7, names[7])) != QCC_OK)
      return st;
    *out = qcc_operand_type(ctx, 7).elem;
  }
  return QCC_OK;
}

qcc_status qcc_read_scalar_qparam(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                  uint32_t scale, uint32_t zp, qcc_elem elem,
                                  qcc_scalar_qparam *out) {
  if (!qcc_has_operand(op, scale))
    return qcc_eval_error(ctx, "operand %u (a scale) is required", scale);
  const qcc_tensor *s = in[scale], *z = qcc_has_operand(op, zp) ? in[zp] : NULL;
  if (!qcc_elem_is_float(s->elem) || s->numel != 1)
    return qcc_eval_error(ctx, "operand %u must be a float scalar", scale);
  if (z && (z->elem != elem || z->numel != 1))
    return qcc_eval_error(ctx, "operand %u must be a %s scalar", zp, qcc_elem_name(elem));
  out->scale = (float)qcc_tensor_get_f64(s, 0);
  out->zp = z ? qcc_load_q(z, 0) : 0;
  return QCC_OK;
}
