/* Pooling: MaxPool, AveragePool (1-D to 3-D spatial windows), GlobalAveragePool,
 * GlobalMaxPool, and ReduceMean. MaxPool also runs on i8/u8 tensors because quantized models
 * pool their stored values directly. */
#include "ir/ops/op_util.h"
#include "ir/ops/window.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The loop nest below is written for up to 3 spatial dims. */
enum { MAX_SPATIAL = 3 };

/* ---- MaxPool / AveragePool ---- */

static bool is_max_pool(const qcc_op *op) { return qcc_op_is(op, QCC_OP_MaxPool); }

static bool pool_elem_supported(const qcc_op *op, qcc_elem e) {
  return e == QCC_F32 || (is_max_pool(op) && (e == QCC_I8 || e == QCC_U8));
}

static qcc_status pool_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  qcc_type x = qcc_operand_type(ctx, 0);
  if (!pool_elem_supported(op, x.elem))
    return qcc_infer_error(ctx, "element type %s is not supported", qcc_elem_name(x.elem));
  if (is_max_pool(op)) {
    if ((uint64_t)qcc_op_attr_int(op, "storage_order") > 1)
      return qcc_infer_error(ctx, "storage_order must be 0 (row major) or 1 (column major)");
  } else if ((uint64_t)qcc_op_attr_int(op, "count_include_pad") > 1) {
    return qcc_infer_error(ctx, "count_include_pad must be 0 or 1");
  }
  int64_t ceil_mode = qcc_op_attr_int(op, "ceil_mode");
  if (ceil_mode != 0 && ceil_mode != 1)
    return qcc_infer_error(ctx, "ceil_mode must be 0 or 1");
  const int64_t *ks;
  uint32_t nk = qcc_op_attr_ints(op, "kernel_shape", &ks);
  if (nk < 1 || nk > MAX_SPATIAL)
    return qcc_infer_error(ctx,
                           "only 1-D to 3-D pooling is supported (kernel_shape has %u "
                           "values)",
                           nk);
  int32_t rank = (int32_t)nk + 2;
  if (x.rank >= 0 && x.rank != rank)
    return qcc_infer_error(ctx, "input rank %d does not match the %u-D kernel", (int)x.rank, nk);
  qcc_window w;
  if (!qcc_window_read(&w, op, &qcc_window_rules_float, (int32_t)nk, NULL))
    return qcc_infer_error(ctx, "%s", w.err);
  qcc_dim dims[MAX_SPATIAL + 2];
  for (int32_t d = 0; d < 2; ++d)
    dims[d] = x.rank >= 0 ? x.dims[d] : (qcc_dim){.size = -1};
  if (!qcc_window_infer_dims(&w, &qcc_window_rules_float, x.rank >= 0 ? x.dims + 2 : NULL,
                             ceil_mode != 0, dims + 2))
    return qcc_infer_error(ctx, "%s", w.err);
  qcc_status st = qcc_infer_set(ctx, 0, x.elem, rank, dims);
  if (st == QCC_OK && op->num_results > 1) /* MaxPool's Indices: flat offsets into X */
    st = qcc_infer_set(ctx, 1, QCC_I64, rank, dims);
  return st;
}

static float load_f(const void *p, qcc_elem e, int64_t i) {
  switch (e) {
  case QCC_I8: return (float)((const int8_t *)p)[i];
  case QCC_U8: return (float)((const uint8_t *)p)[i];
  default: return ((const float *)p)[i];
  }
}

static void store_f(void *p, qcc_elem e, int64_t i, float v) {
  switch (e) {
  case QCC_I8: ((int8_t *)p)[i] = (int8_t)v; break; /* exact: v is one of the inputs */
  case QCC_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
  default: ((float *)p)[i] = v; break;
  }
}

static qcc_status pool_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                            qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  bool is_max = is_max_pool(op);
  if (!pool_elem_supported(op, x->elem))
    return qcc_eval_error(ctx, "element type %s is not supported", qcc_elem_name(x->elem));
  const int64_t *ks;
  uint32_t nk = qcc_op_attr_ints(op, "kernel_shape", &ks);
  if (nk < 1 || nk > MAX_SPATIAL || x->rank != (int32_t)nk + 2)
    return qcc_eval_error(ctx, "input rank %d does not match the %u-D kernel", (int)x->rank, nk);
  int32_t nsp = (int32_t)nk;
  qcc_window w;
  if (!qcc_window_read(&w, op, &qcc_window_rules_float, nsp, NULL))
    return qcc_eval_error(ctx, "%s", w.err);
  bool ceil_mode = qcc_op_attr_int(op, "ceil_mode") != 0;
  bool include_pad = !is_max && qcc_op_attr_int(op, "count_include_pad") != 0;

  qcc_window3 n3;
  int64_t ydims[MAX_SPATIAL + 2] = {x->dims[0], x->dims[1]};
  if (!qcc_window_expand3(&w, &qcc_window_rules_float, x->dims + 2, ceil_mode, &n3, ydims + 2))
    return qcc_eval_error(ctx, "%s", w.err);
  const int64_t *ind = n3.in, *kd = n3.kernel, *outd = n3.out, *st = n3.stride, *dl = n3.dilation,
                *pb = n3.pad_begin, *pe = n3.pad_end;
  qcc_tensor *y = qcc_eval_alloc(ctx, x->elem, x->rank, ydims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  int64_t *indices = NULL;
  bool col_major = is_max && qcc_op_attr_int(op, "storage_order") == 1;
  if (op->num_results > 1) {
    if (!(out[1] = qcc_eval_alloc(ctx, QCC_I64, y->rank, y->dims)))
      return QCC_ERR_INPUT;
    indices = out[1]->data;
  }
  if (y->numel == 0)
    return QCC_OK;

  /* Sizes of empty inputs are unconstrained, so even their products may overflow. */
  int64_t in_plane, out_plane, taps, work, planes = x->dims[0] * x->dims[1];
  if (!qcc_product_within(ind, MAX_SPATIAL, INT64_MAX, &in_plane) ||
      !qcc_product_within(outd, MAX_SPATIAL, INT64_MAX, &out_plane) ||
      !qcc_product_within(kd, MAX_SPATIAL, QCC_WINDOW_WORK_MAX, &taps) ||
      !qcc_product_within((const int64_t[]){taps, y->numel}, 2, QCC_WINDOW_WORK_MAX, &work))
    return qcc_eval_error(ctx, "pooling window is too large for the reference interpreter");
  float lowest = x->elem == QCC_I8 ? -128.0f : x->elem == QCC_U8 ? 0.0f : -FLT_MAX;
  for (int64_t p = 0; p < planes; ++p) {
    int64_t xb = p * in_plane, yb = p * out_plane;
    int64_t o[MAX_SPATIAL] = {0};
    for (int64_t oi = 0; oi < out_plane; ++oi) {
      float best = lowest;
      int64_t best_at = -1;
      double sum = 0.0;
      int64_t count = 0, padded_count = 1;
      int64_t start[MAX_SPATIAL];
      for (int32_t d = 0; d < MAX_SPATIAL; ++d) {
        start[d] = o[d] * st[d] - pb[d];
        /* Taps inside the padded extent [-pb, in + pe) count when count_include_pad = 1. */
        int64_t c = 0;
        for (int64_t k = 0; k < kd[d]; ++k) {
          int64_t i = start[d] + k * dl[d];
          c += i >= -pb[d] && i < ind[d] + pe[d];
        }
        padded_count *= c;
      }
      for (int64_t k0 = 0; k0 < kd[0]; ++k0) {
        int64_t i0 = start[0] + k0 * dl[0];
        if (i0 < 0 || i0 >= ind[0])
          continue;
        for (int64_t k1 = 0; k1 < kd[1]; ++k1) {
          int64_t i1 = start[1] + k1 * dl[1];
          if (i1 < 0 || i1 >= ind[1])
            continue;
          int64_t row = xb + (i0 * ind[1] + i1) * ind[2];
          for (int64_t k2 = 0; k2 < kd[2]; ++k2) {
            int64_t i2 = start[2] + k2 * dl[2];
            if (i2 < 0 || i2 >= ind[2])
              continue;
            float v = load_f(x->data, x->elem, row + i2);
            if (v > best || best_at < 0) {
              best = v;
              /* Indices are flat offsets into X in the requested storage order. */
              best_at = col_major ? xb + i0 + ind[0] * (i1 + ind[1] * i2) : row + i2;
            }
            sum += (double)v;
            ++count;
          }
        }
      }
      if (indices)
        indices[yb + oi] = best_at;
      if (is_max)
        store_f(y->data, y->elem, yb + oi, best);
      else
        ((float *)y->data)[yb + oi] = (float)(sum / (double)(include_pad ? padded_count : count));
      qcc_index_next(o, outd, MAX_SPATIAL);
    }
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_MaxPool = {
    .kind = QCC_OP_MaxPool,
    QCC_OP_NAMES(MaxPool),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 2, /* Y and the optional Indices */
    .attrs =
        QCC_ATTRS(QCC_ATTR_S("auto_pad", "NOTSET"), QCC_ATTR_I("ceil_mode", 0),
                  QCC_ATTR_OPT("dilations", QCC_ATTR_INTS),
                  QCC_ATTR_REQ("kernel_shape", QCC_ATTR_INTS), QCC_ATTR_OPT("pads", QCC_ATTR_INTS),
                  QCC_ATTR_I("storage_order", 0), QCC_ATTR_OPT("strides", QCC_ATTR_INTS)),
    .infer = pool_infer,
    .eval = pool_eval,
};

const qcc_op_def qcc_op_def_AveragePool = {
    .kind = QCC_OP_AveragePool,
    QCC_OP_NAMES(AveragePool),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_S("auto_pad", "NOTSET"), QCC_ATTR_I("ceil_mode", 0),
                       QCC_ATTR_I("count_include_pad", 0), QCC_ATTR_OPT("dilations", QCC_ATTR_INTS),
                       QCC_ATTR_REQ("kernel_shape", QCC_ATTR_INTS),
                       QCC_ATTR_OPT("pads", QCC_ATTR_INTS), QCC_ATTR_OPT("strides", QCC_ATTR_INTS)),
    .infer = pool_infer,
    .eval = pool_eval,
};

/* ---- GlobalAveragePool / GlobalMaxPool: reduce every spatial dim to 1 ---- */

static bool is_global_max(const qcc_op *op) { return qcc_op_is(op, QCC_OP_GlobalMaxPool); }

static qcc_status global_pool_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  bool ints_ok = is_global_max(ctx->op);
  if (x.elem != QCC_F32 && !(ints_ok && (x.elem == QCC_I8 || x.elem == QCC_U8)))
    return qcc_infer_error(ctx, "element type %s is not supported", qcc_elem_name(x.elem));
  if (x.rank < 0)
    return qcc_infer_set(ctx, 0, x.elem, QCC_RANK_UNKNOWN, NULL);
  if (x.rank < 2)
    return qcc_infer_error(ctx, "input must have rank >= 2 (N x C x ...)");
  qcc_dim dims[QCC_MAX_RANK];
  for (int32_t d = 0; d < x.rank; ++d)
    dims[d] = d < 2 ? x.dims[d] : (qcc_dim){.size = 1};
  return qcc_infer_set(ctx, 0, x.elem, x.rank, dims);
}

static qcc_status global_pool_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                   qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  bool is_max = is_global_max(op);
  if (x->elem != QCC_F32 && !(is_max && (x->elem == QCC_I8 || x->elem == QCC_U8)))
    return qcc_eval_error(ctx, "element type %s is not supported", qcc_elem_name(x->elem));
  if (x->rank < 2)
    return qcc_eval_error(ctx, "input must have rank >= 2 (N x C x ...)");
  int64_t dims[QCC_MAX_RANK];
  for (int32_t d = 0; d < x->rank; ++d)
    dims[d] = d < 2 ? x->dims[d] : 1;
  qcc_tensor *y = qcc_eval_alloc(ctx, x->elem, x->rank, dims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  if (y->numel == 0)
    return QCC_OK;
  int64_t plane = x->numel / y->numel;
  for (int64_t p = 0; p < y->numel; ++p) {
    if (is_max) {
      float best = x->elem == QCC_I8 ? -128.0f : x->elem == QCC_U8 ? 0.0f : -FLT_MAX;
      for (int64_t i = 0; i < plane; ++i) {
        float v = load_f(x->data, x->elem, p * plane + i);
        if (v > best)
          best = v;
      }
      store_f(y->data, y->elem, p, best);
    } else {
      const float *xs = (const float *)x->data + p * plane;
      double sum = 0.0;
      for (int64_t i = 0; i < plane; ++i)
        sum += (double)xs[i];
      ((float *)y->data)[p] = (float)(sum / (double)plane);
    }
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_GlobalAveragePool = {
    .kind = QCC_OP_GlobalAveragePool,
    QCC_OP_NAMES(GlobalAveragePool),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = global_pool_infer,
    .eval = global_pool_eval,
};

const qcc_op_def qcc_op_def_GlobalMaxPool = {
    .kind = QCC_OP_GlobalMaxPool,
    QCC_OP_NAMES(GlobalMaxPool),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = global_pool_infer,
    .eval = global_pool_eval,
};

/* ---- ReduceMean ----
 * Axes come from the `axes` attribute (opset < 18) or the optional second operand (opset 18).
 * Empty axes reduce everything unless noop_with_empty_axes = 1, which makes it an identity. */

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

static qcc_status reduce_mean_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  qcc_status st = qcc_infer_expect_elem(ctx, 0, QCC_F32);
  if (st != QCC_OK)
    return st;
  qcc_type x = qcc_operand_type(ctx, 0);
  bool keepdims = qcc_op_attr_int(op, "keepdims") != 0;
  bool noop = qcc_op_attr_int(op, "noop_with_empty_axes") != 0;
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
        return qcc_infer_set(ctx, 0, QCC_F32, QCC_RANK_UNKNOWN, NULL);
      qcc_dim dims[QCC_MAX_RANK];
      for (int32_t d = 0; d < x.rank; ++d)
        dims[d] = (qcc_dim){.size = -1};
      return qcc_infer_set(ctx, 0, QCC_F32, x.rank, dims);
    }
  } else {
    uint32_t n = qcc_op_attr_ints(op, "axes", &axes);
    n_axes = n;
  }
  if (n_axes == 0 && noop)
    return qcc_infer_same_as_operand0(ctx);
  if (x.rank < 0)
    return qcc_infer_set(ctx, 0, QCC_F32, QCC_RANK_UNKNOWN, NULL);
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
  return qcc_infer_set(ctx, 0, QCC_F32, rank, dims);
}

static qcc_status reduce_mean_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                   qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  const qcc_tensor *at = op->num_operands > 1 ? in[1] : NULL;
  if (x->elem != QCC_F32)
    return qcc_eval_error(ctx, "element type %s is not supported", qcc_elem_name(x->elem));
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
  if (n_axes == 0 && noop) {
    qcc_tensor *y = qcc_eval_alloc(ctx, x->elem, x->rank, x->dims);
    if (!y)
      return QCC_ERR_INPUT;
    out[0] = y;
    memcpy(y->data, x->data, (size_t)x->numel * sizeof(float));
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
  qcc_tensor *y = qcc_eval_alloc(ctx, QCC_F32, yrank, ydims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  if (y->numel == 0)
    return QCC_OK;
  /* Elements averaged per output; 0 (so NaN results, like numpy) when a reduced dim is 0. */
  int64_t count = x->numel / y->numel;
  double *acc = calloc((size_t)y->numel, sizeof(double));
  if (!acc)
    return qcc_eval_error(ctx, "out of memory");
  /* Output strides over the input's dims; reduced dims contribute nothing. */
  int64_t ost[QCC_MAX_RANK], s = 1;
  for (int32_t d = x->rank - 1; d >= 0; --d) {
    ost[d] = mask[d] ? 0 : s;
    s *= kept[d];
  }
  if (x->numel > 0) {
    const float *xs = x->data;
    int64_t idx[QCC_MAX_RANK] = {0};
    for (int64_t i = 0; i < x->numel; ++i) {
      int64_t o = 0;
      for (int32_t d = 0; d < x->rank; ++d)
        o += idx[d] * ost[d];
      acc[o] += (double)xs[i];
      qcc_index_next(idx, x->dims, x->rank);
    }
  }
  float *ys = y->data;
  for (int64_t i = 0; i < y->numel; ++i)
    ys[i] = (float)(acc[i] / (double)count); /* 0 / 0 is NaN, like numpy's mean of nothing */
  free(acc);
  return QCC_OK;
}

const qcc_op_def qcc_op_def_ReduceMean = {
    .kind = QCC_OP_ReduceMean,
    QCC_OP_NAMES(ReduceMean),
    .min_operands = 1,
    .max_operands = 2,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_OPT("axes", QCC_ATTR_INTS), QCC_ATTR_I("keepdims", 1),
                       QCC_ATTR_I("noop_with_empty_axes", 0)),
    .infer = reduce_mean_infer,
    .eval = reduce_mean_eval,
};
