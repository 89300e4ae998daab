/* QuantizeLinear and DequantizeLinear (opset 10-19): per tensor or per axis; DynamicQuantizeLinear
 * (opset 11): uint8 with parameters computed from the input at run time. */
#include "ir/ops/op_util.h"
#include "ir/ops/requant.h"
#include "ir/verifier.h"

#include <string.h>

static qcc_qrange elem_qrange(qcc_elem e) {
  return e == QCC_I8 ? qcc_qrange_i8() : qcc_qrange_u8();
}

/* Checks scale/zero-point operands (indices 1 and 2) against the data operand 0 and the
 * axis attribute: a scale is a scalar or 1-D; more than one element means per axis. */
static qcc_status infer_qparams(qcc_infer_ctx *ctx, qcc_type x) {
  qcc_type s = qcc_operand_type(ctx, 1);
  if (!qcc_elem_is_float(s.elem))
    return qcc_infer_error(ctx, "scale must be f32, not %s", qcc_elem_name(s.elem));
  if (s.rank > 1)
    return qcc_infer_error(ctx, "scale must be a scalar or 1-D tensor, not rank %d", (int)s.rank);
  if (qcc_has_operand(ctx->op, 2)) {
    qcc_type z = qcc_operand_type(ctx, 2);
    if (z.rank > 1)
      return qcc_infer_error(ctx, "zero point must be a scalar or 1-D tensor, not rank %d",
                             (int)z.rank);
    if (s.rank >= 0 && z.rank >= 0 && s.rank != z.rank)
      return qcc_infer_error(ctx, "scale and zero point must have the same shape");
    if (s.rank == 1 && z.rank == 1 && s.dims[0].size >= 0 && z.dims[0].size >= 0 &&
        s.dims[0].size != z.dims[0].size)
      return qcc_infer_error(ctx, "scale has %lld elements but zero point has %lld",
                             (long long)s.dims[0].size, (long long)z.dims[0].size);
  }
  if (s.rank == 1 && s.dims[0].size != 1 && x.rank >= 0) {
    int32_t axis;
    qcc_status st = qcc_infer_axis(ctx, qcc_op_attr_int(ctx->op, "axis"), x.rank, &axis);
    if (st != QCC_OK)
      return st;
    if (s.dims[0].size >= 0 && x.dims[axis].size >= 0 && s.dims[0].size != x.dims[axis].size)
      return qcc_infer_error(ctx, "per-axis scale has %lld elements but axis %d has %lld",
                             (long long)s.dims[0].size, (int)axis, (long long)x.dims[axis].size);
  }
  return QCC_OK;
}

/* A quantized type on the integer side of a Q or DQ must state exactly the parameters that the
 * op's constant scale and zero point apply: the annotation is what later passes trust. */
static qcc_status check_annotation(qcc_infer_ctx *ctx, qcc_type t) {
  const qcc_quant *q = t.quant;
  const qcc_const *s = qcc_value_const(qcc_op_operand(ctx->op, 1));
  const qcc_value *zv = qcc_op_operand(ctx->op, 2);
  const qcc_const *z = qcc_value_const(zv);
  int64_t n;
  if (!q || !s || (zv && !z) || s->type.elem != QCC_F32 || !qcc_type_numel(s->type, &n))
    return QCC_OK; /* nothing to compare before the parameters are constants */
  /* An invalid annotation is the verifier's to report, with its own message. */
  qcc_diag *quiet = qcc_diag_create(NULL);
  bool valid = quiet && qcc_verify_quant(t, (qcc_loc){0}, quiet) == QCC_OK;
  qcc_diag_destroy(quiet);
  if (!valid)
    return QCC_OK;
  if ((uint64_t)n != q->count)
    return qcc_infer_error(ctx, "the quantized type has %u scales but the scale operand has %lld",
                           q->count, (long long)n);
  if (n > 1 && t.rank > 0) {
    int64_t axis = qcc_op_attr_int(ctx->op, "axis");
    if (axis < 0)
      axis += t.rank;
    if (axis != q->axis)
      return qcc_infer_error(ctx,
                             "the quantized type is per axis %d but the op quantizes axis %lld",
                             (int)q->axis, (long long)axis);
  }
  qcc_tensor zt = {
      .elem = z ? z->type.elem : QCC_I32, .numel = n, .data = z ? (void *)z->data : NULL};
  for (int64_t i = 0; i < n; ++i) {
    float scale;
    memcpy(&scale, (const char *)s->data + 4 * i, 4);
    int64_t zp = z ? qcc_tensor_get_i64(&zt, i) : 0;
    if (memcmp(&scale, &q->scales[i], sizeof scale) != 0 || zp != q->zero_points[i]) {
      char want[32], have[32];
      qcc_format_float(scale, want);
      qcc_format_float(q->scales[i], have);
      return qcc_infer_error(ctx,
                             "the quantized type says scale %s and zero point %d (index %lld) but "
                             "the operands give scale %s and zero point %lld",
                             have, (int)q->zero_points[i], (long long)i, want, (long long)zp);
    }
  }
  return QCC_OK;
}

static qcc_status quantize_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  if (!qcc_elem_is_float(x.elem))
    return qcc_infer_error(ctx, "input must be f32, not %s", qcc_elem_name(x.elem));
  qcc_elem out = QCC_U8;
  if (qcc_has_operand(ctx->op, 2)) {
    out = qcc_operand_type(ctx, 2).elem;
    if (out != QCC_U8 && out != QCC_I8)
      return qcc_infer_error(ctx, "zero point must be u8 or i8, not %s", qcc_elem_name(out));
  }
  qcc_status st = infer_qparams(ctx, x);
  if (st == QCC_OK)
    st = check_annotation(ctx, ctx->op->results[0]->type);
  if (st != QCC_OK)
    return st;
  return qcc_infer_set(ctx, 0, out, x.rank, x.dims);
}

/* Reads a float tensor element, whatever its float storage. */
static inline float load_f32(const qcc_tensor *t, int64_t i) {
  return t->elem == QCC_F32 ? ((const float *)t->data)[i] : (float)qcc_tensor_get_f64(t, i);
}

static qcc_status check_scale_zp(qcc_eval_ctx *ctx, const qcc_tensor *s, const qcc_tensor *z) {
  if (!qcc_elem_is_float(s->elem))
    return qcc_eval_error(ctx, "scale must be a float tensor");
  if (z && !qcc_elem_is_int(z->elem))
    return qcc_eval_error(ctx, "zero point must be an integer tensor");
  return QCC_OK;
}

static qcc_status quantize_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                qcc_tensor **out) {
  const qcc_tensor *x = in[0], *zp = qcc_has_operand(op, 2) ? in[2] : NULL;
  if (!qcc_elem_is_float(x->elem))
    return qcc_eval_error(ctx, "input must be a float tensor");
  qcc_status st = check_scale_zp(ctx, in[1], zp);
  if (st != QCC_OK)
    return st;
  qcc_elem oe = zp ? zp->elem : QCC_U8;
  if (oe != QCC_U8 && oe != QCC_I8)
    return qcc_eval_error(ctx, "zero point must be u8 or i8");
  qcc_qparams q;
  st = qcc_qparams_read(ctx, x, in[1], zp, qcc_op_attr_int(op, "axis"), &q);
  if (st != QCC_OK)
    return st;
  out[0] = qcc_eval_alloc(ctx, oe, x->rank, x->dims);
  if (!out[0])
    return QCC_ERR_INPUT;
  qcc_qrange r = elem_qrange(oe);
  int64_t inner = 1;
  for (int32_t d = q.axis + 1; q.axis >= 0 && d < x->rank; ++d)
    inner *= x->dims[d];
  for (int64_t i = 0; i < x->numel; ++i) {
    int64_t c = q.axis < 0 ? 0 : (i / inner) % q.channels;
    int32_t v = qcc_quantize_value(load_f32(x, i), qcc_qparams_scale(&q, c),
                                   qcc_qparams_zero_point(&q, c), r);
    if (oe == QCC_U8)
      ((uint8_t *)out[0]->data)[i] = (uint8_t)v;
    else
      ((int8_t *)out[0]->data)[i] = (int8_t)v;
  }
  return QCC_OK;
}

static qcc_status dequantize_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  if (x.elem != QCC_U8 && x.elem != QCC_I8 && x.elem != QCC_I32)
    return qcc_infer_error(ctx, "input must be u8, i8 or i32, not %s", qcc_elem_name(x.elem));
  if (qcc_has_operand(ctx->op, 2) && qcc_operand_type(ctx, 2).elem != x.elem)
    return qcc_infer_error(ctx, "zero point must be %s like the input, not %s",
                           qcc_elem_name(x.elem), qcc_elem_name(qcc_operand_type(ctx, 2).elem));
  qcc_status st = infer_qparams(ctx, x);
  if (st == QCC_OK)
    st = check_annotation(ctx, x);
  if (st != QCC_OK)
    return st;
  return qcc_infer_set(ctx, 0, QCC_F32, x.rank, x.dims);
}

static qcc_status dequantize_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                  qcc_tensor **out) {
  const qcc_tensor *x = in[0], *zp = qcc_has_operand(op, 2) ? in[2] : NULL;
  if (x->elem != QCC_U8 && x->elem != QCC_I8 && x->elem != QCC_I32)
    return qcc_eval_error(ctx, "input must be u8, i8 or i32");
  qcc_status st = check_scale_zp(ctx, in[1], zp);
  if (st != QCC_OK)
    return st;
  qcc_qparams q;
  st = qcc_qparams_read(ctx, x, in[1], zp, qcc_op_attr_int(op, "axis"), &q);
  if (st != QCC_OK)
    return st;
  out[0] = qcc_eval_alloc(ctx, QCC_F32, x->rank, x->dims);
  if (!out[0])
    return QCC_ERR_INPUT;
  float *y = out[0]->data;
  int64_t inner = 1;
  for (int32_t d = q.axis + 1; q.axis >= 0 && d < x->rank; ++d)
    inner *= x->dims[d];
  for (int64_t i = 0; i < x->numel; ++i) {
    int64_t c = q.axis < 0 ? 0 : (i / inner) % q.channels;
    y[i] = qcc_dequantize_value((int32_t)qcc_tensor_get_i64(x, i), qcc_qparams_zero_point(&q, c),
                                qcc_qparams_scale(&q, c));
  }
  return QCC_OK;
}

/* `saturate` (opset 19) only affects float8 outputs, which qcc does not have. */
const qcc_op_def qcc_op_def_QuantizeLinear = {
    .kind = QCC_OP_QuantizeLinear,
    QCC_OP_NAMES(QuantizeLinear),
    .min_operands = 2,
    .max_operands = 3,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_I("axis", 1), QCC_ATTR_I("saturate", 1)),
    .infer = quantize_infer,
    .eval = quantize_eval,
};

const qcc_op_def qcc_op_def_DequantizeLinear = {
    .kind = QCC_OP_DequantizeLinear,
    QCC_OP_NAMES(DequantizeLinear),
    .min_operands = 2,
    .max_operands = 3,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_I("axis", 1)),
    .infer = dequantize_infer,
    .eval = dequantize_eval,
};

/* ---- DynamicQuantizeLinear ----
 * Parameters from the data (qcc_dynamic_qparams_u8, ONNX Runtime's arithmetic), then
 * QuantizeLinear with them. */

static qcc_status dynamic_quantize_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  if (x.elem != QCC_F32)
    return qcc_infer_error(ctx, "input must be f32, not %s", qcc_elem_name(x.elem));
  qcc_status st = qcc_infer_set(ctx, 0, QCC_U8, x.rank, x.dims);
  if (st == QCC_OK)
    st = qcc_infer_set(ctx, 1, QCC_F32, 0, NULL);
  if (st == QCC_OK)
    st = qcc_infer_set(ctx, 2, QCC_U8, 0, NULL);
  return st;
}

static qcc_status dynamic_quantize_eval(qcc_eval_ctx *ctx, const qcc_op *op,
                                        const qcc_tensor *const *in, qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  if (x->elem != QCC_F32)
    return qcc_eval_error(ctx, "input must be f32");
  const float *xs = x->data;
  float scale;
  int32_t zp;
  qcc_dynamic_qparams_u8(xs, x->numel, &scale, &zp);
  out[0] = qcc_eval_alloc(ctx, QCC_U8, x->rank, x->dims);
  out[1] = qcc_eval_alloc(ctx, QCC_F32, 0, NULL);
  out[2] = qcc_eval_alloc(ctx, QCC_U8, 0, NULL);
  if (!out[0] || !out[1] || !out[2])
    return QCC_ERR_INPUT;
  uint8_t *y = out[0]->data;
  for (int64_t i = 0; i < x->numel; ++i)
    y[i] = (uint8_t)qcc_quantize_value(xs[i], scale, zp, qcc_qrange_u8());
  *(float *)out[1]->data = scale;
  *(uint8_t *)out[2]->data = (uint8_t)zp;
  (void)op;
  return QCC_OK;
}

const qcc_op_def qcc_op_def_DynamicQuantizeLinear = {
    .kind = QCC_OP_DynamicQuantizeLinear,
    QCC_OP_NAMES(DynamicQuantizeLinear),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 3,
    .max_results = 3,
    .attrs = QCC_NO_ATTRS,
    .infer = dynamic_quantize_infer,
    .eval = dynamic_quantize_eval,
};
