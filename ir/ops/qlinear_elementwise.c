/* com.microsoft QLinearAdd, QLinearMul (numpy broadcasting), QLinearSigmoid and
 * QLinearLeakyRelu (256-entry lookup tables), computed exactly as ONNX Runtime's x86 CPU
 * kernels do (docs/ort-arithmetic.md sections 4 and 6). */
#include "ir/ops/op_util.h"
#include "ir/ops/qlinear_binary.h"
#include "ir/ops/qoperand.h"
#include "ir/ops/requant.h"

#include <string.h>

/* ---- shape rules ----------------------------------------------------------------------------- */

/* QLinearAdd/QLinearMul operands: A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp. */
static qcc_status qlinear_binary_infer(qcc_infer_ctx *ctx) {
  static const uint32_t required[] = {0, 1, 3, 4, 6};
  qcc_status st = qcc_infer_require_operands(ctx, required, sizeof required / sizeof required[0]);
  if (st != QCC_OK)
    return st;
  qcc_elem e = qcc_operand_type(ctx, 0).elem;
  if (!qcc_is_8bit(e))
    return qcc_infer_error(ctx, "A must be u8 or i8, not %s", qcc_elem_name(e));
  if ((st = qcc_infer_quantized(ctx, 0, 1, 2, e)) != QCC_OK ||
      (st = qcc_infer_quantized(ctx, 3, 4, 5, e)) != QCC_OK ||
      (st = qcc_infer_quantized(ctx, UINT32_MAX, 6, 7, e)) != QCC_OK)
    return st;
  qcc_type types[2] = {qcc_operand_type(ctx, 0), qcc_operand_type(ctx, 3)};
  qcc_dim dims[QCC_MAX_RANK];
  int32_t rank;
  if ((st = qcc_infer_broadcast(ctx, types, 2, dims, &rank)) != QCC_OK)
    return st;
  return qcc_infer_set(ctx, 0, e, rank, dims);
}

/* QLinearSigmoid/QLinearLeakyRelu operands: X, X_scale, X_zp, Y_scale, Y_zp. */
static qcc_status qlinear_unary_infer(qcc_infer_ctx *ctx) {
  static const uint32_t required[] = {0, 1, 3};
  qcc_status st = qcc_infer_require_operands(ctx, required, sizeof required / sizeof required[0]);
  if (st != QCC_OK)
    return st;
  qcc_elem e = qcc_operand_type(ctx, 0).elem;
  if (!qcc_is_8bit(e))
    return qcc_infer_error(ctx, "X must be u8 or i8, not %s", qcc_elem_name(e));
  if ((st = qcc_infer_quantized(ctx, 0, 1, 2, e)) != QCC_OK ||
      (st = qcc_infer_quantized(ctx, UINT32_MAX, 3, 4, e)) != QCC_OK)
    return st;
  return qcc_infer_same_as_operand0(ctx);
}

/* ---- evaluation helpers ---------------------------------------------------------------------- */

/* QLinearAdd/QLinearMul evaluation state: operands, their parameters and the result. */
typedef struct binary_job {
  const qcc_tensor *a, *b;
  qcc_scalar_qparam pa, pb, py;
  qcc_tensor *y;
  int32_t rank;
  int64_t dims[QCC_MAX_RANK];
} binary_job;

/* Checks the operands, reads their parameters and allocates the broadcast result. */
static qcc_status binary_setup(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                               binary_job *j) {
  if (!qcc_has_operand(op, 1) || !qcc_has_operand(op, 3) || !qcc_has_operand(op, 4) ||
      !qcc_has_operand(op, 6))
    return qcc_eval_error(ctx, "A_scale, B, B_scale and C_scale are required");
  qcc_elem e = in[0]->elem;
  qcc_status st;
  if ((st = qcc_read_scalar_qparam(ctx, op, in, 1, 2, e, &j->pa)) != QCC_OK ||
      (st = qcc_read_scalar_qparam(ctx, op, in, 4, 5, e, &j->pb)) != QCC_OK ||
      (st = qcc_read_scalar_qparam(ctx, op, in, 6, 7, e, &j->py)) != QCC_OK)
    return st;
  j->a = in[0];
  j->b = in[3];
  if (!qcc_is_8bit(j->a->elem) || j->b->elem != j->a->elem)
    return qcc_eval_error(ctx, "A and B must both be u8 or both i8 tensors");
  if (!qcc_broadcast_shape(j->a, j->b, &j->rank, j->dims))
    return qcc_eval_error(ctx, "A and B shapes cannot be broadcast");
  j->y = qcc_eval_alloc(ctx, j->a->elem, j->rank, j->dims);
  return j->y ? QCC_OK : QCC_ERR_INPUT;
}

static qcc_status qlinear_add_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                   qcc_tensor **out) {
  binary_job j;
  qcc_status st = binary_setup(ctx, op, in, &j);
  if (st != QCC_OK)
    return st;
  qcc_elem e = j.a->elem;
  float ra = j.pa.scale / j.py.scale, rb = j.pb.scale / j.py.scale;
  qcc_bcast_mode mode = qcc_ort_broadcast_mode(j.a->rank, j.a->dims, j.b->rank, j.b->dims);
  float fixed = qcc_qadd_fixed(mode, ra, j.pa.zp, rb, j.pb.zp, j.py.zp);
  qcc_qrange r = qcc_elem_qrange(e);
  int64_t idx[QCC_MAX_RANK] = {0};
  for (int64_t i = 0; i < j.y->numel; ++i) {
    float a = (float)qcc_load_q(j.a, qcc_broadcast_offset(j.a, j.rank, idx));
    float b = (float)qcc_load_q(j.b, qcc_broadcast_offset(j.b, j.rank, idx));
    /* A scalar: the kernel runs with A and B swapped. */
    float v = mode == QCC_BCAST_A_SCALAR ? fmaf(b, rb, fmaf(a, ra, fixed))
                                         : fmaf(a, ra, fmaf(b, rb, fixed));
    qcc_store_q(j.y, i, qcc_saturate_q(qcc_cvt_f32_i32(v), r));
    qcc_index_next(idx, j.dims, j.rank);
  }
  out[0] = j.y;
  return QCC_OK;
}

static qcc_status qlinear_mul_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                   qcc_tensor **out) {
  binary_job j;
  qcc_status st = binary_setup(ctx, op, in, &j);
  if (st != QCC_OK)
    return st;
  qcc_elem e = j.a->elem;
  float ab = j.pa.scale * j.pb.scale;
  float ratio = ab / j.py.scale;
  qcc_qrange r = qcc_elem_qrange(e);
  int64_t idx[QCC_MAX_RANK] = {0};
  for (int64_t i = 0; i < j.y->numel; ++i) {
    int32_t a = qcc_load_q(j.a, qcc_broadcast_offset(j.a, j.rank, idx)) - j.pa.zp;
    int32_t b = qcc_load_q(j.b, qcc_broadcast_offset(j.b, j.rank, idx)) - j.pb.zp;
    float prod = (float)(a * b) * ratio; /* the zero point is added in float, then rounded */
    float v = prod + (float)j.py.zp;
    qcc_store_q(j.y, i, qcc_saturate_q(qcc_cvt_f32_i32(v), r));
    qcc_index_next(idx, j.dims, j.rank);
  }
  out[0] = j.y;
  return QCC_OK;
}

/* ---- lookup-table activations ---------------------------------------------------------------- */

/* MLAS's logistic on FMA3 machines: a rational approximation on [-18, 18] evaluated with
 * fused multiply-adds, clamped below at 0. */
static float mlas_logistic(float x) {
  const float a9 = 4.37031012579801e-11f, a7 = 1.15627324459942e-07f, a5 = 6.08574864600143e-05f,
              a3 = 8.51377133304701e-03f, a1 = 2.48287947061529e-01f;
  const float b10 = 6.10247389755681e-13f, b8 = 5.76102136993427e-09f, b6 = 6.29106785017040e-06f,
              b4 = 1.70198817374094e-03f, b2 = 1.16817656904453e-01f, b0 = 9.93151921023180e-01f;
  x = x < -18.0f ? -18.0f : x;
  x = x > 18.0f ? 18.0f : x;
  float x2 = x * x;
  float p = fmaf(x2, a9, a7);
  p = fmaf(x2, p, a5);
  p = fmaf(x2, p, a3);
  p = fmaf(x2, p, a1);
  p = x * p;
  float q = fmaf(x2, b10, b8);
  q = fmaf(x2, q, b6);
  q = fmaf(x2, q, b4);
  q = fmaf(x2, q, b2);
  q = fmaf(x2, q, b0);
  float y = p / q + 0.5f;
  return y > 0.0f ? y : 0.0f;
}

typedef enum { LUT_SIGMOID, LUT_LEAKY_RELU } lut_fn;

static qcc_status lookup_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                              qcc_tensor **out, lut_fn fn) {
  if (!qcc_has_operand(op, 1) || !qcc_has_operand(op, 3))
    return qcc_eval_error(ctx, "X_scale and Y_scale are required");
  const qcc_tensor *x = in[0];
  if (!qcc_is_8bit(x->elem))
    return qcc_eval_error(ctx, "X must be a u8 or i8 tensor");
  qcc_scalar_qparam px, py;
  qcc_status st;
  if ((st = qcc_read_scalar_qparam(ctx, op, in, 1, 2, x->elem, &px)) != QCC_OK ||
      (st = qcc_read_scalar_qparam(ctx, op, in, 3, 4, x->elem, &py)) != QCC_OK)
    return st;
  float alpha = fn == LUT_LEAKY_RELU ? qcc_op_attr_float(op, "alpha") : 0.0f;
  qcc_qrange r = qcc_elem_qrange(x->elem);
  /* Indexed by the raw byte, as the kernel does for both signednesses. */
  uint8_t table[256];
  for (int i = 0; i < 256; ++i) {
    int32_t q = x->elem == QCC_U8 ? i : (int32_t)(int8_t)(uint8_t)i;
    float v = qcc_dequantize_value(q, px.zp, px.scale);
    v = fn == LUT_SIGMOID ? mlas_logistic(v) : (v >= 0.0f ? v : alpha * v);
    table[i] = (uint8_t)qcc_quantize_value(v, py.scale, py.zp, r);
  }
  out[0] = qcc_eval_alloc(ctx, x->elem, x->rank, x->dims);
  if (!out[0])
    return QCC_ERR_INPUT;
  const uint8_t *src = x->data;
  uint8_t *dst = out[0]->data;
  for (int64_t i = 0; i < x->numel; ++i)
    dst[i] = table[src[i]];
  return QCC_OK;
}

static qcc_status qlinear_sigmoid_eval(qcc_eval_ctx *ctx, const qcc_op *op,
                                       const qcc_tensor *const *in, qcc_tensor **out) {
  return lookup_eval(ctx, op, in, out, LUT_SIGMOID);
}

static qcc_status qlinear_leaky_relu_eval(qcc_eval_ctx *ctx, const qcc_op *op,
                                          const qcc_tensor *const *in, qcc_tensor **out) {
  return lookup_eval(ctx, op, in, out, LUT_LEAKY_RELU);
}

const qcc_op_def qcc_op_def_QLinearAdd = {
    .kind = QCC_OP_QLinearAdd,
    QCC_OP_NAMES(QLinearAdd),
    .min_operands = 1, /* the shape rule names the missing required operand */
    .max_operands = 8,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = qlinear_binary_infer,
    .eval = qlinear_add_eval,
};

const qcc_op_def qcc_op_def_QLinearMul = {
    .kind = QCC_OP_QLinearMul,
    QCC_OP_NAMES(QLinearMul),
    .min_operands = 1,
    .max_operands = 8,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = qlinear_binary_infer,
    .eval = qlinear_mul_eval,
};

const qcc_op_def qcc_op_def_QLinearSigmoid = {
    .kind = QCC_OP_QLinearSigmoid,
    QCC_OP_NAMES(QLinearSigmoid),
    .min_operands = 1,
    .max_operands = 5,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = qlinear_unary_infer,
    .eval = qlinear_sigmoid_eval,
};

const qcc_op_def qcc_op_def_QLinearLeakyRelu = {
    .kind = QCC_OP_QLinearLeakyRelu,
    QCC_OP_NAMES(QLinearLeakyRelu),
    .min_operands = 1,
    .max_operands = 5,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_F("alpha", 0.01f)),
    .infer = qlinear_unary_infer,
    .eval = qlinear_leaky_relu_eval,
};
