/* Elementwise math: Pow (with multidirectional broadcasting), Sqrt and Reciprocal.
 *
 * Floats compute on f32 (f16 tensors are widened to f32 and each result rounded back,
 * qcc_eval_f16_via_f32) in ONNX Runtime's operation order, so the results are its bits:
 *   Sqrt(x) = sqrtf(x) and Reciprocal(x) = 1.0f / x, both correctly rounded;
 *   Pow(x, y) with a one-element exponent 2 or 3 is x * x or x * x * x (two roundings for 3);
 *   otherwise powf(x, y) from libm for a float exponent, and (float)pow((double)x, (double)y)
 *   for an integer one (C++'s std::pow(float, int) promotes to double).
 * Integer bases (i32, i64) raise exactly with two's-complement wraparound for integer exponents
 * >= 0; a negative integer exponent gives 1 / x^|y| truncated toward zero (0 when x is 0). With
 * a float exponent an integer base takes pow() in double, truncated toward zero and saturated. */
#include "ir/ops/op_util.h"

/* ---- Sqrt, Reciprocal ---- */

static qcc_status unary_infer(qcc_infer_ctx *ctx) {
  qcc_elem e;
  qcc_status st = qcc_infer_float_elems(ctx, 1, &e);
  if (st != QCC_OK)
    return st;
  return qcc_infer_same_as_operand0(ctx);
}

static qcc_status unary_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                             qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  if (x->elem == QCC_F16)
    return qcc_eval_f16_via_f32(ctx, op, in, out, unary_eval);
  if (x->elem != QCC_F32)
    return qcc_eval_error(ctx, "element type %s is not supported", qcc_elem_name(x->elem));
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, QCC_F32, x->rank, x->dims);
  if (!y)
    return QCC_ERR_INPUT;
  const float *xs = x->data;
  float *ys = y->data;
  bool is_sqrt = qcc_op_is(op, QCC_OP_Sqrt);
  for (int64_t i = 0; i < x->numel; ++i)
    ys[i] = is_sqrt ? sqrtf(xs[i]) : 1.0f / xs[i];
  return QCC_OK;
}

#define UNARY_DEF(k)                                                                               \
  const qcc_op_def qcc_op_def_##k = {                                                              \
      .kind = QCC_OP_##k,                                                                          \
      QCC_OP_NAMES(k),                                                                             \
      .min_operands = 1,                                                                           \
      .max_operands = 1,                                                                           \
      .min_results = 1,                                                                            \
      .max_results = 1,                                                                            \
      .attrs = QCC_NO_ATTRS,                                                                       \
      .infer = unary_infer,                                                                        \
      .eval = unary_eval,                                                                          \
  }

UNARY_DEF(Sqrt);
UNARY_DEF(Reciprocal);

/* ---- Pow ---- */

static bool pow_base_supported(qcc_elem e) {
  return qcc_elem_is_float(e) || e == QCC_I32 || e == QCC_I64;
}

static bool pow_exponent_supported(qcc_elem e) {
  return qcc_elem_is_float(e) || e == QCC_I8 || e == QCC_U8 || e == QCC_I32 || e == QCC_I64;
}

static qcc_status pow_infer(qcc_infer_ctx *ctx) {
  qcc_type t[2] = {qcc_operand_type(ctx, 0), qcc_operand_type(ctx, 1)};
  if (!pow_base_supported(t[0].elem))
    return qcc_infer_error(ctx, "base element type %s is not supported", qcc_elem_name(t[0].elem));
  if (!pow_exponent_supported(t[1].elem))
    return qcc_infer_error(ctx, "exponent element type %s is not supported",
                           qcc_elem_name(t[1].elem));
  qcc_dim dims[QCC_MAX_RANK];
  int32_t rank;
  qcc_status st = qcc_infer_broadcast(ctx, t, 2, dims, &rank);
  if (st != QCC_OK)
    return st;
  return qcc_infer_set(ctx, 0, t[0].elem, rank, rank > 0 ? dims : NULL);
}

/* x^n for n >= 0 by squaring, wrapping around in 64 bits. */
static int64_t ipow(int64_t x, int64_t n) {
  uint64_t r = 1, b = (uint64_t)x;
  for (uint64_t e = (uint64_t)n; e; e >>= 1) {
    if (e & 1)
      r *= b;
    b *= b;
  }
  return (int64_t)r;
}

static int64_t int_pow(int64_t x, int64_t n) {
  if (n >= 0)
    return ipow(x, n);
  /* 1 / x^|n| toward zero: only |x| = 1 gives a non-zero quotient. */
  if (x == 1)
    return 1;
  if (x == -1)
    return (n % 2 == 0) ? 1 : -1;
  return 0;
}

static qcc_status pow_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                           qcc_tensor **out) {
  const qcc_tensor *x = in[0], *e = in[1];
  if (!pow_base_supported(x->elem) || !pow_exponent_supported(e->elem))
    return qcc_eval_error(ctx, "unsupported operand element types %s and %s",
                          qcc_elem_name(x->elem), qcc_elem_name(e->elem));
  if (qcc_eval_has_f16(op, in))
    return qcc_eval_f16_via_f32(ctx, op, in, out, pow_eval);
  int32_t rank;
  int64_t dims[QCC_MAX_RANK];
  if (!qcc_broadcast_shape(x, e, &rank, dims))
    return qcc_eval_error(ctx, "operand shapes cannot be broadcast");
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, x->elem, rank, dims);
  if (!y)
    return QCC_ERR_INPUT;
  if (y->numel == 0)
    return QCC_OK;
  bool float_base = x->elem == QCC_F32, float_exp = e->elem == QCC_F32;
  /* ONNX Runtime's special cases: a one-element exponent of 2 or 3 multiplies. */
  double e0 = e->numel == 1 ? qcc_tensor_get_f64(e, 0) : 0.0;
  int power = float_base && e->numel == 1 && (e0 == 2.0 || e0 == 3.0) ? (int)e0 : 0;
  int64_t idx[QCC_MAX_RANK] = {0};
  for (int64_t i = 0; i < y->numel; ++i) {
    int64_t ox = qcc_broadcast_offset(x, rank, idx), oe = qcc_broadcast_offset(e, rank, idx);
    if (float_base) {
      float xv = ((const float *)x->data)[ox], r;
      if (power == 2)
        r = xv * xv;
      else if (power == 3)
        r = xv * xv * xv;
      else if (float_exp)
        r = powf(xv, ((const float *)e->data)[oe]);
      else
        r = (float)pow((double)xv, (double)qcc_tensor_get_i64(e, oe));
      ((float *)y->data)[i] = r;
    } else if (float_exp) {
      int64_t lo, hi;
      qcc_elem_int_range(x->elem, &lo, &hi);
      double r = trunc(pow((double)qcc_tensor_get_i64(x, ox), qcc_tensor_get_f64(e, oe)));
      qcc_tensor_set_i64(y, i,
                         !(r == r)         ? 0
                         : r <= (double)lo ? lo
                         : r >= (double)hi ? hi
                                           : (int64_t)r);
    } else {
      /* Narrowing to i32 keeps the low bits of the 64-bit power. */
      qcc_tensor_set_i64(y, i, int_pow(qcc_tensor_get_i64(x, ox), qcc_tensor_get_i64(e, oe)));
    }
    if (rank > 0)
      qcc_index_next(idx, dims, rank);
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Pow = {
    .kind = QCC_OP_Pow,
    QCC_OP_NAMES(Pow),
    .min_operands = 2,
    .max_operands = 2,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = pow_infer,
    .eval = pow_eval,
};
