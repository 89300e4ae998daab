/* Cast, Shape and ConstantOfShape: element conversion and the ops that turn shapes into
 * tensors and back. */
#include "ir/ops/layout_util.h"

#include <string.h>

/* ---- Cast ------------------------------------------------------------------------------- */

/* ONNX TensorProto.DataType numbers of the element types qcc supports. */
static bool elem_from_onnx(int64_t dt, qcc_elem *out) {
  switch (dt) {
  case 1: *out = QCC_F32; return true;
  case 2: *out = QCC_U8; return true;
  case 3: *out = QCC_I8; return true;
  case 6: *out = QCC_I32; return true;
  case 7: *out = QCC_I64; return true;
  case 9: *out = QCC_BOOL; return true;
  case 10: *out = QCC_F16; return true;
  default: return false;
  }
}

static qcc_status cast_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  qcc_elem to;
  int64_t dt = qcc_op_attr_int(ctx->op, "to");
  if (!elem_from_onnx(dt, &to))
    return qcc_infer_error(ctx, "unsupported target data type %lld", (long long)dt);
  return qcc_infer_set(ctx, 0, to, x.rank, x.dims);
}

static qcc_status cast_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                            qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  qcc_elem to;
  if (!elem_from_onnx(qcc_op_attr_int(op, "to"), &to))
    return qcc_eval_error(ctx, "unsupported target data type");
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, to, x->rank, x->dims);
  if (!y)
    return QCC_ERR_INPUT;
  bool from_float = qcc_elem_is_float(x->elem);
  int64_t lo, hi;
  qcc_elem_int_range(to, &lo, &hi);
  for (int64_t i = 0; i < x->numel; ++i) {
    if (qcc_elem_is_float(to) || to == QCC_BOOL) {
      qcc_tensor_set_f64(y, i, qcc_tensor_get_f64(x, i));
    } else if (from_float) {
      /* Out-of-range conversions are undefined in ONNX: truncate toward zero, NaN -> 0 and
       * clamp to the target range instead of invoking C undefined behaviour. */
      double v = qcc_tensor_get_f64(x, i);
      int64_t q;
      if (!(v == v))
        q = 0;
      else if (v <= (double)lo)
        q = lo;
      else if (v >= (double)hi)
        q = hi;
      else
        q = (int64_t)v;
      qcc_tensor_set_i64(y, i, q);
    } else {
      /* Integer narrowing wraps modulo 2^bits like numpy's astype. */
      qcc_tensor_set_i64(y, i, qcc_tensor_get_i64(x, i));
    }
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Cast = {
    .kind = QCC_OP_Cast,
    QCC_OP_NAMES(Cast),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_REQ("to", QCC_ATTR_INT), QCC_ATTR_I("saturate", 1)),
    .infer = cast_infer,
    .eval = cast_eval,
};

/* ---- Shape ------------------------------------------------------------------------------ */

void qcc_shape_op_range(const qcc_op *op, int32_t rank, int64_t *start, int64_t *end) {
  int64_t s = qcc_op_attr_int(op, "start"),
          e = qcc_op_attr(op, "end") ? qcc_op_attr_int(op, "end") : rank;
  if (s < 0)
    s += rank;
  if (e < 0)
    e += rank;
  s = s < 0 ? 0 : s > rank ? rank : s;
  e = e < 0 ? 0 : e > rank ? rank : e;
  *start = s;
  *end = e < s ? s : e;
}

static qcc_status shape_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  if (x.rank < 0)
    return qcc_infer_unknown_dims(ctx, 0, QCC_I64, 1);
  int64_t s, e;
  qcc_shape_op_range(ctx->op, x.rank, &s, &e);
  int64_t len = e - s;
  return qcc_infer_set_static(ctx, 0, QCC_I64, 1, &len);
}

static qcc_status shape_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                             qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  int64_t s, e;
  qcc_shape_op_range(op, x->rank, &s, &e);
  int64_t len = e - s;
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, QCC_I64, 1, &len);
  if (!y)
    return QCC_ERR_INPUT;
  for (int64_t i = 0; i < len; ++i)
    ((int64_t *)y->data)[i] = x->dims[s + i];
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Shape = {
    .kind = QCC_OP_Shape,
    QCC_OP_NAMES(Shape),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_I("start", 0), QCC_ATTR_OPT("end", QCC_ATTR_INT)),
    .infer = shape_infer,
    .eval = shape_eval,
};

/* ---- ConstantOfShape -------------------------------------------------------------------- */

static qcc_status cos_value(const qcc_op *op, qcc_elem *elem, const void **bytes) {
  const qcc_attr *a = qcc_op_attr(op, "value");
  static const float zero = 0.0f;
  if (!a || a->kind != QCC_ATTR_TENSOR || !a->tensor) {
    *elem = QCC_F32;
    *bytes = &zero;
    return QCC_OK;
  }
  const qcc_const *k = a->tensor;
  int64_t n;
  if (!qcc_type_numel(k->type, &n) || n != 1 || k->nbytes < qcc_elem_size(k->type.elem))
    return QCC_ERR_INPUT;
  *elem = k->type.elem;
  *bytes = k->data;
  return QCC_OK;
}

static qcc_status cos_infer(qcc_infer_ctx *ctx) {
  qcc_elem elem;
  const void *bytes;
  if (cos_value(ctx->op, &elem, &bytes) != QCC_OK)
    return qcc_infer_error(ctx, "value must be a one-element tensor");
  qcc_status st = qcc_infer_expect_index(ctx, 0, "shape");
  if (st != QCC_OK)
    return st;
  const int64_t *shape;
  int64_t n;
  if (!qcc_infer_const_ints(ctx, 0, &shape, &n))
    return qcc_infer_unknown_dims(ctx, 0, elem, qcc_operand_length(ctx, 0));
  if (n > QCC_MAX_RANK)
    return qcc_infer_error(ctx, "rank %lld exceeds the supported maximum %d", (long long)n,
                           QCC_MAX_RANK);
  for (int64_t i = 0; i < n; ++i)
    if (shape[i] < 0)
      return qcc_infer_error(ctx, "shape entry %lld is negative", (long long)shape[i]);
  return qcc_infer_set_static(ctx, 0, elem, (int32_t)n, shape);
}

static qcc_status cos_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                           qcc_tensor **out) {
  qcc_elem elem;
  const void *bytes;
  if (cos_value(op, &elem, &bytes) != QCC_OK)
    return qcc_eval_error(ctx, "value must be a one-element tensor");
  int64_t dims[QCC_MAX_RANK], n;
  qcc_status st = qcc_eval_read_ints(ctx, in[0], "shape", QCC_MAX_RANK, dims, &n);
  if (st != QCC_OK)
    return st;
  for (int64_t i = 0; i < n; ++i)
    if (dims[i] < 0)
      return qcc_eval_error(ctx, "shape entry %lld is negative", (long long)dims[i]);
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, elem, (int32_t)n, dims);
  if (!y)
    return QCC_ERR_INPUT;
  size_t es = qcc_elem_size(elem);
  for (int64_t i = 0; i < y->numel; ++i)
    memcpy((char *)y->data + (size_t)i * es, bytes, es);
  return QCC_OK;
}

const qcc_op_def qcc_op_def_ConstantOfShape = {
    .kind = QCC_OP_ConstantOfShape,
    QCC_OP_NAMES(ConstantOfShape),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_OPT("value", QCC_ATTR_TENSOR)),
    .infer = cos_infer,
    .eval = cos_eval,
};
