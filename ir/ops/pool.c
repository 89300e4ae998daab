/* Pooling: MaxPool, AveragePool (1-D to 3-D spatial windows), GlobalAveragePool and
 * GlobalMaxPool, on f32 (f16 widened to f32 and rounded back). MaxPool and GlobalMaxPool also run
 * on i8/u8 tensors because quantized models pool their stored values directly. */
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
  return qcc_elem_is_float(e) || (is_max_pool(op) && (e == QCC_I8 || e == QCC_U8));
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
  if (x->elem == QCC_F16)
    return qcc_eval_f16_via_f32(ctx, op, in, out, pool_eval);
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
  if (!qcc_elem_is_float(x.elem) && !(ints_ok && (x.elem == QCC_I8 || x.elem == QCC_U8)))
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
  if (x->elem == QCC_F16)
    return qcc_eval_f16_via_f32(ctx, op, in, out, global_pool_eval);
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
