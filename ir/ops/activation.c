/* Elementwise activations (Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh, Exp,
 * Erf, Gelu) and Softmax. Float ops compute on f32 (f16 tensors are widened to f32 and each
 * result rounded back, qcc_eval_f16_via_f32); Relu and Clip also accept integer tensors, which
 * quantized models apply directly to their stored values. exp comes from libm (expf), never
 * from a CPU-dependent approximation, erf and tanh from qcc's own qcc_erff and qcc_tanhf
 * (ir/ops/fmath.h), whose bits no C library or CPU changes. */
#include "ir/ops/fmath.h"
#include "ir/ops/op_util.h"

#include <float.h>
#include <string.h>

typedef enum {
  ACT_RELU,
  ACT_LEAKY_RELU,
  ACT_SIGMOID,
  ACT_HARD_SIGMOID,
  ACT_HARD_SWISH,
  ACT_TANH,
  ACT_EXP,
  ACT_ERF,
  ACT_GELU,
} act_kind;

static act_kind kind_of(const qcc_op *op) {
  switch (op->def->kind) {
  case QCC_OP_LeakyRelu: return ACT_LEAKY_RELU;
  case QCC_OP_Sigmoid: return ACT_SIGMOID;
  case QCC_OP_HardSigmoid: return ACT_HARD_SIGMOID;
  case QCC_OP_HardSwish: return ACT_HARD_SWISH;
  case QCC_OP_Tanh: return ACT_TANH;
  case QCC_OP_Exp: return ACT_EXP;
  case QCC_OP_Erf: return ACT_ERF;
  case QCC_OP_Gelu: return ACT_GELU;
  default: return ACT_RELU;
  }
}

static bool is_int_elem(qcc_elem e) {
  return e == QCC_I8 || e == QCC_U8 || e == QCC_I32 || e == QCC_I64;
}

static qcc_status float_unary_infer(qcc_infer_ctx *ctx) {
  qcc_elem e;
  qcc_status st = qcc_infer_float_elems(ctx, 1, &e);
  if (st != QCC_OK)
    return st;
  return qcc_infer_same_as_operand0(ctx);
}

static qcc_status relu_infer(qcc_infer_ctx *ctx) {
  qcc_elem e = qcc_operand_type(ctx, 0).elem;
  if (!qcc_elem_is_float(e) && !is_int_elem(e))
    return qcc_infer_error(ctx, "element type %s is not supported", qcc_elem_name(e));
  return qcc_infer_same_as_operand0(ctx);
}

/* Gelu (opset 20) with ONNX Runtime's operation order (its CPU kernel, gelu.cc), qcc_erff and
 * qcc_tanhf in place of MLAS's erf and tanh approximations:
 * "none" is 0.5x * (1 + erf(x * (1/sqrt 2))),
 * "tanh" is 0.5x * (1 + tanh(x * (C * x * x + B))) with B = sqrt(2/pi), C = 0.044715 * sqrt(2/pi).
 */
static bool gelu_tanh(const qcc_op *op) {
  return strcmp(qcc_op_attr_string(op, "approximate"), "tanh") == 0;
}

static float gelu(float x, bool approx_tanh) {
  const float b = 0.7978845608028654f, c = 0.035677408136300125f;
  const float sqrt1_2 = 0.70710678118654752f;
  float t = approx_tanh ? qcc_tanhf(x * (c * x * x + b)) : qcc_erff(x * sqrt1_2);
  return 0.5f * x * (t + 1.0f);
}

static qcc_status gelu_infer(qcc_infer_ctx *ctx) {
  const char *a = qcc_op_attr_string(ctx->op, "approximate");
  if (strcmp(a, "none") != 0 && strcmp(a, "tanh") != 0)
    return qcc_infer_error(ctx, "approximate must be \"none\" or \"tanh\", not \"%s\"", a);
  return float_unary_infer(ctx);
}

static float sigmoid(float x) {
  /* Split by sign so exp never overflows. */
  if (x >= 0.0f)
    return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

static qcc_status unary_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                             qcc_tensor **out) {
  if (qcc_eval_has_f16(op, in))
    return qcc_eval_f16_via_f32(ctx, op, in, out, unary_eval);
  const qcc_tensor *x = in[0];
  act_kind k = kind_of(op);
  bool int_ok = k == ACT_RELU && is_int_elem(x->elem);
  if (x->elem != QCC_F32 && !int_ok)
    return qcc_eval_error(ctx, "element type %s is not supported", qcc_elem_name(x->elem));
  qcc_tensor *y = qcc_eval_alloc(ctx, x->elem, x->rank, x->dims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  int64_t n = x->numel;
  if (int_ok) {
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = qcc_tensor_get_i64(x, i);
      qcc_tensor_set_i64(y, i, v < 0 ? 0 : v);
    }
    return QCC_OK;
  }
  const float *xs = x->data;
  float *ys = y->data;
  float alpha, beta;
  switch (k) {
  case ACT_RELU:
    for (int64_t i = 0; i < n; ++i)
      ys[i] = xs[i] < 0.0f ? 0.0f : xs[i];
    break;
  case ACT_LEAKY_RELU:
    alpha = qcc_op_attr_float(op, "alpha");
    for (int64_t i = 0; i < n; ++i)
      ys[i] = xs[i] < 0.0f ? alpha * xs[i] : xs[i];
    break;
  case ACT_SIGMOID:
    for (int64_t i = 0; i < n; ++i)
      ys[i] = sigmoid(xs[i]);
    break;
  case ACT_HARD_SIGMOID:
    alpha = qcc_op_attr_float(op, "alpha");
    beta = qcc_op_attr_float(op, "beta");
    for (int64_t i = 0; i < n; ++i)
      ys[i] = fmaxf(0.0f, fminf(1.0f, alpha * xs[i] + beta));
    break;
  case ACT_HARD_SWISH:
    /* x * HardSigmoid(x) with alpha = 1/6, beta = 0.5 */
    for (int64_t i = 0; i < n; ++i)
      ys[i] = xs[i] * fmaxf(0.0f, fminf(1.0f, xs[i] / 6.0f + 0.5f));
    break;
  case ACT_TANH:
    for (int64_t i = 0; i < n; ++i)
      ys[i] = qcc_tanhf(xs[i]);
    break;
  case ACT_EXP:
    for (int64_t i = 0; i < n; ++i)
      ys[i] = expf(xs[i]);
    break;
  case ACT_ERF:
    for (int64_t i = 0; i < n; ++i)
      ys[i] = qcc_erff(xs[i]);
    break;
  case ACT_GELU: {
    bool approx_tanh = gelu_tanh(op);
    for (int64_t i = 0; i < n; ++i)
      ys[i] = gelu(xs[i], approx_tanh);
    break;
  }
  }
  return QCC_OK;
}

#define UNARY_DEF(k, infer_fn, attr_table)                                                         \
  const qcc_op_def qcc_op_def_##k = {                                                              \
      .kind = QCC_OP_##k,                                                                          \
      QCC_OP_NAMES(k),                                                                             \
      .min_operands = 1,                                                                           \
      .max_operands = 1,                                                                           \
      .min_results = 1,                                                                            \
      .max_results = 1,                                                                            \
      .attrs = attr_table,                                                                         \
      .infer = infer_fn,                                                                           \
      .eval = unary_eval,                                                                          \
  }

UNARY_DEF(Relu, relu_infer, QCC_NO_ATTRS);
UNARY_DEF(LeakyRelu, float_unary_infer, QCC_ATTRS(QCC_ATTR_F("alpha", 0.01f)));
UNARY_DEF(Sigmoid, float_unary_infer, QCC_NO_ATTRS);
UNARY_DEF(HardSigmoid, float_unary_infer,
          QCC_ATTRS(QCC_ATTR_F("alpha", 0.2f), QCC_ATTR_F("beta", 0.5f)));
UNARY_DEF(HardSwish, float_unary_infer, QCC_NO_ATTRS);
UNARY_DEF(Tanh, float_unary_infer, QCC_NO_ATTRS);
UNARY_DEF(Exp, float_unary_infer, QCC_NO_ATTRS);
UNARY_DEF(Erf, float_unary_infer, QCC_NO_ATTRS);
UNARY_DEF(Gelu, gelu_infer, QCC_ATTRS(QCC_ATTR_S("approximate", "none")));

/* ---- Clip: bounds from operands 1/2 (opset 11+) or attributes min/max (opset 6) ---- */

static qcc_status clip_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  if (!qcc_elem_is_float(x.elem) && !is_int_elem(x.elem))
    return qcc_infer_error(ctx, "element type %s is not supported", qcc_elem_name(x.elem));
  for (uint32_t i = 1; i < 3; ++i) {
    if (!qcc_has_operand(ctx->op, i))
      continue;
    qcc_type b = qcc_operand_type(ctx, i);
    if (b.elem != x.elem)
      return qcc_infer_error(ctx, "bound operand %u must be %s like the input, not %s", i,
                             qcc_elem_name(x.elem), qcc_elem_name(b.elem));
    int64_t n;
    if (b.rank > 1 || (qcc_type_numel(b, &n) && n != 1))
      return qcc_infer_error(ctx, "bound operand %u must be a scalar", i);
  }
  return qcc_infer_same_as_operand0(ctx);
}

static qcc_status clip_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                            qcc_tensor **out) {
  if (qcc_eval_has_f16(op, in))
    return qcc_eval_f16_via_f32(ctx, op, in, out, clip_eval);
  const qcc_tensor *x = in[0];
  const qcc_tensor *lo_t = op->num_operands > 1 ? in[1] : NULL;
  const qcc_tensor *hi_t = op->num_operands > 2 ? in[2] : NULL;
  if (x->elem != QCC_F32 && !is_int_elem(x->elem))
    return qcc_eval_error(ctx, "element type %s is not supported", qcc_elem_name(x->elem));
  if ((lo_t && (lo_t->numel != 1 || lo_t->elem != x->elem)) ||
      (hi_t && (hi_t->numel != 1 || hi_t->elem != x->elem)))
    return qcc_eval_error(ctx, "bounds must be one-element tensors of the input's type");
  qcc_tensor *y = qcc_eval_alloc(ctx, x->elem, x->rank, x->dims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  const qcc_attr *lo_a = qcc_op_attr(op, "min"), *hi_a = qcc_op_attr(op, "max");
  if (x->elem == QCC_F32) {
    float lo = lo_t ? ((const float *)lo_t->data)[0] : qcc_op_attr_float(op, "min");
    float hi = hi_t ? ((const float *)hi_t->data)[0] : qcc_op_attr_float(op, "max");
    const float *xs = x->data;
    float *ys = y->data;
    /* Comparisons (not fminf/fmaxf) so NaN inputs stay NaN; min > max yields max. */
    for (int64_t i = 0; i < x->numel; ++i) {
      float v = xs[i];
      if (v < lo)
        v = lo;
      if (v > hi)
        v = hi;
      ys[i] = v;
    }
    return QCC_OK;
  }
  int64_t lo, hi;
  qcc_elem_int_range(x->elem, &lo, &hi);
  /* Float attribute bounds on an integer tensor: clamp them into the type's range first. */
  if (lo_t)
    lo = qcc_tensor_get_i64(lo_t, 0);
  else if (lo_a) {
    double f = ceil((double)qcc_op_attr_float(op, "min"));
    if (f > (double)lo)
      lo = f > (double)hi ? hi : (int64_t)f;
  }
  if (hi_t)
    hi = qcc_tensor_get_i64(hi_t, 0);
  else if (hi_a) {
    double f = floor((double)qcc_op_attr_float(op, "max"));
    if (f < (double)hi)
      hi = f < (double)lo ? lo : (int64_t)f;
  }
  for (int64_t i = 0; i < x->numel; ++i) {
    int64_t v = qcc_tensor_get_i64(x, i);
    if (v < lo)
      v = lo;
    if (v > hi)
      v = hi;
    qcc_tensor_set_i64(y, i, v);
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Clip = {
    .kind = QCC_OP_Clip,
    QCC_OP_NAMES(Clip),
    .min_operands = 1,
    .max_operands = 3,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_F("min", -FLT_MAX), QCC_ATTR_F("max", FLT_MAX)),
    .infer = clip_infer,
    .eval = clip_eval,
};

/* ---- Softmax ----
 * Opset 13: normalizes along `axis` (default -1). Opset < 13 flattened the input to 2-D at
 * `axis` (default 1) and normalized each row; the ONNX loader marks such nodes with the
 * qcc-private attribute coerce_2d = 1. */

static int64_t softmax_axis(const qcc_op *op) {
  /* The registry default is opset 13's; before, an absent axis meant 1. */
  if (qcc_op_attr_int(op, "coerce_2d") != 0 && !qcc_op_attr(op, "axis"))
    return 1;
  return qcc_op_attr_int(op, "axis");
}

static qcc_status softmax_infer(qcc_infer_ctx *ctx) {
  qcc_elem e;
  qcc_status st = qcc_infer_float_elems(ctx, 1, &e);
  if (st != QCC_OK)
    return st;
  int64_t coerce = qcc_op_attr_int(ctx->op, "coerce_2d");
  if (coerce != 0 && coerce != 1)
    return qcc_infer_error(ctx, "coerce_2d must be 0 or 1");
  qcc_type x = qcc_operand_type(ctx, 0);
  if (x.rank >= 0) {
    int32_t axis;
    st = qcc_infer_axis(ctx, softmax_axis(ctx->op), x.rank, &axis);
    if (st != QCC_OK)
      return st;
  }
  return qcc_infer_same_as_operand0(ctx);
}

static qcc_status softmax_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                               qcc_tensor **out) {
  if (qcc_eval_has_f16(op, in))
    return qcc_eval_f16_via_f32(ctx, op, in, out, softmax_eval);
  const qcc_tensor *x = in[0];
  if (x->elem != QCC_F32)
    return qcc_eval_error(ctx, "element type %s is not supported", qcc_elem_name(x->elem));
  int64_t axis = softmax_axis(op);
  if (axis < -(int64_t)x->rank || axis >= x->rank)
    return qcc_eval_error(ctx, "axis %lld is out of range for rank %d", (long long)axis,
                          (int)x->rank);
  if (axis < 0)
    axis += x->rank;
  bool coerce = qcc_op_attr_int(op, "coerce_2d") != 0;
  qcc_tensor *y = qcc_eval_alloc(ctx, x->elem, x->rank, x->dims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  if (x->numel == 0) /* (dims of empty tensors may overflow when multiplied) */
    return QCC_OK;
  int64_t outer = 1, len = 1, inner = 1;
  for (int32_t d = 0; d < x->rank; ++d) {
    if (d < axis)
      outer *= x->dims[d];
    else if (d == axis || coerce)
      len *= x->dims[d];
    else
      inner *= x->dims[d];
  }
  const float *xs = x->data;
  float *ys = y->data;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const float *xr = xs + o * len * inner + i;
      float *yr = ys + o * len * inner + i;
      float mx = -INFINITY;
      for (int64_t j = 0; j < len; ++j)
        if (xr[j * inner] > mx)
          mx = xr[j * inner];
      double sum = 0.0;
      for (int64_t j = 0; j < len; ++j) {
        double e = exp((double)xr[j * inner] - (double)mx);
        yr[j * inner] = (float)e;
        sum += e;
      }
      for (int64_t j = 0; j < len; ++j)
        yr[j * inner] = (float)((double)yr[j * inner] / sum);
    }
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Softmax = {
    .kind = QCC_OP_Softmax,
    QCC_OP_NAMES(Softmax),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_I("axis", -1), QCC_ATTR_I("coerce_2d", 0)),
    .infer = softmax_infer,
    .eval = softmax_eval,
};
