/* Reductions over a set of axes: ReduceMean, ReduceSum and ReduceMax.
 *
 * The axes come from the `axes` attribute (ReduceSum before opset 13, the others before opset
 * 18) or from the optional second operand (a 1-D i64 tensor). Empty axes reduce every dim,
 * unless noop_with_empty_axes = 1, which makes the op an identity; keepdims (default 1) keeps
 * each reduced dim with size 1.
 *
 * Sums and means of floats accumulate in double in row-major order and round once to f32 (f16
 * inputs are widened to f32 and the result rounded back, qcc_eval_f16_via_f32); a maximum is
 * exact and NaN propagates. Over an empty set Sum gives 0, Mean NaN (0 / 0, like numpy) and Max
 * -inf for floats or the element type's minimum for integers. Integer sums wrap around in two's
 * complement like numpy. */
#include "ir/ops/op_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { RED_MEAN, RED_SUM, RED_MAX } reduce_kind;

static reduce_kind kind_of(const qcc_op *op) {
  switch (op->def->kind) {
  case QCC_OP_ReduceSum: return RED_SUM;
  case QCC_OP_ReduceMax: return RED_MAX;
  default: return RED_MEAN;
  }
}

static bool reduce_elem_supported(reduce_kind k, qcc_elem e) {
  if (qcc_elem_is_float(e))
    return true;
  switch (k) {
  case RED_SUM: return e == QCC_I32 || e == QCC_I64;
  case RED_MAX: return e == QCC_I8 || e == QCC_U8 || e == QCC_I32 || e == QCC_I64;
  default: return false;
  }
}

/* Marks the reduced dims in `mask`; false (with `err`) on a bad or repeated axis. */
static bool reduce_mask(const int64_t *axes, int64_t n, int32_t rank, bool *mask, char *err,
                        size_t errlen) {
  for (int32_t d = 0; d < rank; ++d)
    mask[d] = false;
  for (int64_t i = 0; i < n; ++i) {
    int64_t a = axes[i];
    if (a < -(int64_t)rank || a >= rank) {
      snprintf(err, errlen, "axis %lld is out of range for rank %d", (long long)a, (int)rank);
      return false;
    }
    if (a < 0)
      a += rank;
    if (mask[a]) {
      snprintf(err, errlen, "axis %lld is repeated", (long long)axes[i]);
      return false;
    }
    mask[a] = true;
  }
  return true;
}

static qcc_status reduce_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  qcc_type x = qcc_operand_type(ctx, 0);
  if (!reduce_elem_supported(kind_of(op), x.elem))
    return qcc_infer_error(ctx, "element type %s is not supported", qcc_elem_name(x.elem));
  int64_t keep = qcc_op_attr_int(op, "keepdims"),
          noop_attr = qcc_op_attr_int(op, "noop_with_empty_axes");
  if ((keep != 0 && keep != 1) || (noop_attr != 0 && noop_attr != 1))
    return qcc_infer_error(ctx, "keepdims and noop_with_empty_axes must be 0 or 1");
  bool keepdims = keep != 0, noop = noop_attr != 0;
  const int64_t *axes = NULL;
  int64_t n_axes = 0;
  if (qcc_has_operand(op, 1)) {
    qcc_type at = qcc_operand_type(ctx, 1);
    if (at.elem != QCC_I64)
      return qcc_infer_error(ctx, "axes operand must be i64");
    if (at.rank >= 0 && at.rank != 1)
      return qcc_infer_error(ctx, "axes operand must be 1-D");
    if (qcc_op_attr(op, "axes"))
      return qcc_infer_error(ctx, "axes given both as attribute and operand");
    if (!qcc_infer_const_ints(ctx, 1, &axes, &n_axes)) {
      /* Axes only known at run time: keepdims keeps the rank, dims unknown. */
      if (!keepdims || x.rank < 0)
        return qcc_infer_set(ctx, 0, x.elem, QCC_RANK_UNKNOWN, NULL);
      qcc_dim dims[QCC_MAX_RANK];
      for (int32_t d = 0; d < x.rank; ++d)
        dims[d] = (qcc_dim){.size = -1};
      return qcc_infer_set(ctx, 0, x.elem, x.rank, dims);
    }
  } else {
    n_axes = qcc_op_attr_ints(op, "axes", &axes);
  }
  if (n_axes == 0 && noop)
    return qcc_infer_same_as_operand0(ctx);
  if (x.rank < 0)
    return qcc_infer_set(ctx, 0, x.elem, QCC_RANK_UNKNOWN, NULL);
  bool mask[QCC_MAX_RANK];
  char err[160];
  if (!reduce_mask(axes, n_axes, x.rank, mask, err, sizeof err))
    return qcc_infer_error(ctx, "%s", err);
  qcc_dim dims[QCC_MAX_RANK];
  int32_t rank = 0;
  for (int32_t d = 0; d < x.rank; ++d) {
    bool reduced = n_axes == 0 || mask[d];
    if (!reduced)
      dims[rank++] = x.dims[d];
    else if (keepdims)
      dims[rank++] = (qcc_dim){.size = 1};
  }
  return qcc_infer_set(ctx, 0, x.elem, rank, dims);
}

/* Folds element `v` into accumulator `acc` (floats as double); a NaN maximum stays NaN. */
static void fold_float(reduce_kind k, double *acc, double v) {
  if (k != RED_MAX)
    *acc += v;
  else if (v != v)
    *acc = v;
  else if (v > *acc)
    *acc = v;
}

static qcc_status reduce_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                              qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  const qcc_tensor *at = op->num_operands > 1 ? in[1] : NULL;
  reduce_kind k = kind_of(op);
  if (!reduce_elem_supported(k, x->elem))
    return qcc_eval_error(ctx, "element type %s is not supported", qcc_elem_name(x->elem));
  if (x->elem == QCC_F16)
    return qcc_eval_f16_via_f32(ctx, op, in, out, reduce_eval);
  bool keepdims = qcc_op_attr_int(op, "keepdims") != 0;
  bool noop = qcc_op_attr_int(op, "noop_with_empty_axes") != 0;
  int64_t axes_buf[QCC_MAX_RANK];
  const int64_t *axes;
  int64_t n_axes;
  if (at) {
    if (at->elem != QCC_I64 || at->rank > 1)
      return qcc_eval_error(ctx, "axes operand must be a 1-D i64 tensor");
    if (at->numel > x->rank)
      return qcc_eval_error(ctx, "%lld axes for rank %d", (long long)at->numel, (int)x->rank);
    n_axes = at->numel;
    memcpy(axes_buf, at->data, (size_t)n_axes * sizeof(int64_t));
    axes = axes_buf;
  } else {
    n_axes = qcc_op_attr_ints(op, "axes", &axes);
  }
  size_t es = qcc_elem_size(x->elem);
  if (n_axes == 0 && noop) {
    qcc_tensor *y = qcc_eval_alloc(ctx, x->elem, x->rank, x->dims);
    if (!y)
      return QCC_ERR_INPUT;
    out[0] = y;
    memcpy(y->data, x->data, (size_t)x->numel * es);
    return QCC_OK;
  }
  bool mask[QCC_MAX_RANK];
  char err[160];
  if (!reduce_mask(axes, n_axes, x->rank, mask, err, sizeof err))
    return qcc_eval_error(ctx, "%s", err);
  int64_t ydims[QCC_MAX_RANK], kept[QCC_MAX_RANK];
  int32_t yrank = 0;
  for (int32_t d = 0; d < x->rank; ++d) {
    bool reduced = n_axes == 0 || mask[d];
    mask[d] = reduced;
    kept[d] = reduced ? 1 : x->dims[d];
    if (!reduced || keepdims)
      ydims[yrank++] = kept[d];
  }
  qcc_tensor *y = qcc_eval_alloc(ctx, x->elem, yrank, ydims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  if (y->numel == 0)
    return QCC_OK;
  /* Elements folded into each output; 0 when a reduced dim is 0. */
  int64_t count = x->numel / y->numel;
  bool is_float = x->elem == QCC_F32;
  double *facc = is_float ? malloc((size_t)y->numel * sizeof(double)) : NULL;
  int64_t *iacc = is_float ? NULL : malloc((size_t)y->numel * sizeof(int64_t));
  if (!facc && !iacc)
    return qcc_eval_error(ctx, "out of memory");
  int64_t lo, hi;
  qcc_elem_int_range(x->elem, &lo, &hi);
  for (int64_t i = 0; i < y->numel; ++i) {
    if (is_float)
      facc[i] = k == RED_MAX ? -INFINITY : 0.0;
    else
      iacc[i] = k == RED_MAX ? lo : 0;
  }
  /* Output strides over the input's dims; reduced dims contribute nothing. */
  int64_t ost[QCC_MAX_RANK], s = 1;
  for (int32_t d = x->rank - 1; d >= 0; --d) {
    ost[d] = mask[d] ? 0 : s;
    s *= kept[d];
  }
  int64_t idx[QCC_MAX_RANK] = {0};
  for (int64_t i = 0; i < x->numel; ++i) {
    int64_t o = 0;
    for (int32_t d = 0; d < x->rank; ++d)
      o += idx[d] * ost[d];
    if (is_float) {
      fold_float(k, &facc[o], (double)((const float *)x->data)[i]);
    } else {
      int64_t v = qcc_tensor_get_i64(x, i);
      if (k == RED_SUM)
        iacc[o] = (int64_t)((uint64_t)iacc[o] + (uint64_t)v);
      else if (v > iacc[o])
        iacc[o] = v;
    }
    qcc_index_next(idx, x->dims, x->rank);
  }
  for (int64_t i = 0; i < y->numel; ++i) {
    if (!is_float)
      qcc_tensor_set_i64(y, i, iacc[i]); /* narrowing keeps the low bits */
    else if (k == RED_MEAN)
      ((float *)y->data)[i] = (float)(facc[i] / (double)count); /* 0 / 0 is NaN */
    else
      ((float *)y->data)[i] = (float)facc[i];
  }
  free(facc);
  free(iacc);
  return QCC_OK;
}

#define REDUCE_DEF(k)                                                                              \
  const qcc_op_def qcc_op_def_##k = {                                                              \
      .kind = QCC_OP_##k,                                                                          \
      QCC_OP_NAMES(k),                                                                             \
      .min_operands = 1,                                                                           \
      .max_operands = 2,                                                                           \
      .min_results = 1,                                                                            \
      .max_results = 1,                                                                            \
      .attrs = QCC_ATTRS(QCC_ATTR_OPT("axes", QCC_ATTR_INTS), QCC_ATTR_I("keepdims", 1),           \
                         QCC_ATTR_I("noop_with_empty_axes", 0)),                                   \
      .infer = reduce_infer,                                                                       \
      .eval = reduce_eval,                                                                         \
  }

REDUCE_DEF(ReduceMean);
REDUCE_DEF(ReduceSum);
REDUCE_DEF(ReduceMax);
