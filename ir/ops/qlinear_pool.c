/* com.microsoft QLinearGlobalAveragePool, QLinearAveragePool and QLinearConcat, computed as
 * ONNX Runtime's x86 CPU kernels do (docs/ort-arithmetic.md sections 5 and 7). */
#include "ir/ops/op_util.h"
#include "ir/ops/qoperand.h"
#include "ir/ops/requant.h"
#include "ir/ops/window.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_SPATIAL = QCC_WINDOW_MAX_SPATIAL };

/* Layout of a pooled tensor: N, C and spatial dims, NCHW or channels-last. */
typedef struct pool_layout {
  bool channels_last;
  int32_t nsp;
  int64_t n, c, sp[MAX_SPATIAL];
} pool_layout;

static void layout_of(const int64_t *dims, int32_t rank, bool channels_last, pool_layout *l) {
  l->channels_last = channels_last;
  l->nsp = rank - 2;
  l->n = dims[0];
  l->c = channels_last ? dims[rank - 1] : dims[1];
  for (int32_t i = 0; i < l->nsp; ++i)
    l->sp[i] = dims[channels_last ? 1 + i : 2 + i];
}

/* Dims of a tensor with layout `l` but spatial sizes `sp`. */
static void layout_dims(const pool_layout *l, const int64_t *sp, int64_t *dims) {
  dims[0] = l->n;
  dims[l->channels_last ? l->nsp + 1 : 1] = l->c;
  for (int32_t i = 0; i < l->nsp; ++i)
    dims[l->channels_last ? 1 + i : 2 + i] = sp[i];
}

/* Pool operands: X (u8 or i8), x_scale, x_zero_point, y_scale, y_zero_point. */
static qcc_status infer_pool_operands(qcc_infer_ctx *ctx) {
  static const uint32_t required[] = {0, 1, 3};
  qcc_status st = qcc_infer_require_operands(ctx, required, sizeof required / sizeof required[0]);
  if (st != QCC_OK)
    return st;
  qcc_type x = qcc_operand_type(ctx, 0);
  if (!qcc_is_8bit(x.elem))
    return qcc_infer_error(ctx, "X must be u8 or i8, not %s", qcc_elem_name(x.elem));
  if ((st = qcc_infer_quantized(ctx, UINT32_MAX, 1, 2, x.elem)) != QCC_OK ||
      (st = qcc_infer_quantized(ctx, UINT32_MAX, 3, 4, x.elem)) != QCC_OK)
    return st;
  return QCC_OK;
}

/* ---- QLinearGlobalAveragePool: X, x_scale, x_zero_point, y_scale, y_zero_point -----------------
 */

static qcc_status global_pool_infer(qcc_infer_ctx *ctx) {
  qcc_status st = infer_pool_operands(ctx);
  if (st != QCC_OK)
    return st;
  qcc_type x = qcc_operand_type(ctx, 0);
  if (x.rank < 0)
    return qcc_infer_set(ctx, 0, x.elem, QCC_RANK_UNKNOWN, NULL);
  if (x.rank < 3)
    return qcc_infer_error(ctx, "X must have rank >= 3, not %d", (int)x.rank);
  bool cl = qcc_op_attr_int(ctx->op, "channels_last") != 0;
  qcc_dim dims[QCC_MAX_RANK];
  for (int32_t d = 0; d < x.rank; ++d) {
    bool spatial = cl ? (d >= 1 && d < x.rank - 1) : d >= 2;
    dims[d] = spatial ? (qcc_dim){.size = 1} : x.dims[d];
  }
  return qcc_infer_set(ctx, 0, x.elem, x.rank, dims);
}

/* Integer average of `count` values summing (minus zero points) to `acc`: ONNX Runtime's
 * global-average requantization with scale x_scale / (y_scale * count). */
static float global_avg_scale(float x_scale, float y_scale, int64_t count) {
  float denom = y_scale * (float)count;
  return x_scale / denom;
}

static qcc_status global_pool_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                   qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  if (!qcc_is_8bit(x->elem) || x->rank < 3)
    return qcc_eval_error(ctx, "X must be a u8 or i8 tensor of rank >= 3");
  qcc_scalar_qparam px, py;
  qcc_status st;
  if ((st = qcc_read_scalar_qparam(ctx, op, in, 1, 2, x->elem, &px)) != QCC_OK ||
      (st = qcc_read_scalar_qparam(ctx, op, in, 3, 4, x->elem, &py)) != QCC_OK)
    return st;
  pool_layout l;
  layout_of(x->dims, x->rank, qcc_op_attr_int(op, "channels_last") != 0, &l);
  int64_t ones[MAX_SPATIAL], dims[QCC_MAX_RANK], image = 1;
  for (int32_t i = 0; i < l.nsp; ++i) {
    ones[i] = 1;
    image *= l.sp[i];
  }
  layout_dims(&l, ones, dims);
  out[0] = qcc_eval_alloc(ctx, x->elem, x->rank, dims);
  if (!out[0])
    return QCC_ERR_INPUT;
  float scale = global_avg_scale(px.scale, py.scale, image);
  int32_t bias = (int32_t)((uint32_t)(-px.zp) * (uint32_t)image);
  qcc_qrange r = qcc_elem_qrange(x->elem);
  for (int64_t n = 0; n < l.n; ++n)
    for (int64_t c = 0; c < l.c; ++c) {
      uint32_t sum = (uint32_t)bias;
      for (int64_t s = 0; s < image; ++s)
        sum += (uint32_t)qcc_load_q(x, l.channels_last ? (n * image + s) * l.c + c
                                                       : (n * l.c + c) * image + s);
      qcc_store_q(out[0], n * l.c + c, qcc_requantize((int32_t)sum, scale, py.zp, r));
    }
  return QCC_OK;
}

/* ---- QLinearAveragePool: X, x_scale, x_zero_point, y_scale, y_zero_point ----------------------
 */

/* ONNX Runtime applies ceil_mode only with explicit pads (auto_pad NOTSET), not with VALID. */
static bool pool_ceil_mode(const qcc_op *op, const qcc_window *w) {
  return qcc_op_attr_int(op, "ceil_mode") != 0 && w->auto_pad == QCC_AUTO_PAD_NOTSET;
}

static qcc_status avg_pool_infer(qcc_infer_ctx *ctx) {
  qcc_status st = infer_pool_operands(ctx);
  if (st != QCC_OK)
    return st;
  qcc_type x = qcc_operand_type(ctx, 0);
  if (x.rank < 0)
    return qcc_infer_set(ctx, 0, x.elem, QCC_RANK_UNKNOWN, NULL);
  qcc_window g;
  if (!qcc_window_read(&g, ctx->op, &qcc_window_rules_qpool, x.rank - 2, NULL))
    return qcc_infer_error(ctx, "%s", g.err);
  bool ceil_mode = pool_ceil_mode(ctx->op, &g);
  bool cl = qcc_op_attr_int(ctx->op, "channels_last") != 0;
  qcc_dim dims[QCC_MAX_RANK];
  memcpy(dims, x.dims, (size_t)x.rank * sizeof(qcc_dim));
  for (int32_t i = 0; i < g.nsp; ++i) {
    int32_t d = cl ? 1 + i : 2 + i;
    if (x.dims[d].size < 0) {
      dims[d] = (qcc_dim){.size = -1};
      continue;
    }
    int64_t o, pb, pe;
    if (!qcc_window_out(&g, &qcc_window_rules_qpool, i, x.dims[d].size, ceil_mode, &o, &pb, &pe))
      return qcc_infer_error(ctx, "%s", g.err);
    dims[d] = (qcc_dim){.size = o};
  }
  return qcc_infer_set(ctx, 0, x.elem, x.rank, dims);
}

static qcc_status avg_pool_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  if (!qcc_is_8bit(x->elem) || x->rank < 3)
    return qcc_eval_error(ctx, "X must be a u8 or i8 tensor of rank >= 3");
  qcc_scalar_qparam px, py;
  qcc_status st;
  if ((st = qcc_read_scalar_qparam(ctx, op, in, 1, 2, x->elem, &px)) != QCC_OK ||
      (st = qcc_read_scalar_qparam(ctx, op, in, 3, 4, x->elem, &py)) != QCC_OK)
    return st;
  pool_layout l;
  layout_of(x->dims, x->rank, qcc_op_attr_int(op, "channels_last") != 0, &l);
  qcc_window g;
  if (!qcc_window_read(&g, op, &qcc_window_rules_qpool, l.nsp, NULL))
    return qcc_eval_error(ctx, "%s", g.err);
  bool ceil_mode = pool_ceil_mode(op, &g);
  bool count_include_pad = qcc_op_attr_int(op, "count_include_pad") != 0;
  int64_t osp[MAX_SPATIAL], pb[MAX_SPATIAL], pe[MAX_SPATIAL], dims[QCC_MAX_RANK];
  bool global = true; /* kernel covers the whole image without padding */
  int64_t image = 1, kernel_size = 1, out_image = 1;
  for (int32_t i = 0; i < l.nsp; ++i) {
    if (!qcc_window_out(&g, &qcc_window_rules_qpool, i, l.sp[i], ceil_mode, &osp[i], &pb[i],
                        &pe[i]))
      return qcc_eval_error(ctx, "%s", g.err);
    global = global && g.kernel[i] == l.sp[i] && pb[i] == 0 && pe[i] == 0;
    image *= l.sp[i];
    kernel_size *= g.kernel[i];
    out_image *= osp[i];
  }
  layout_dims(&l, osp, dims);
  out[0] = qcc_eval_alloc(ctx, x->elem, x->rank, dims);
  if (!out[0])
    return QCC_ERR_INPUT;
  qcc_qrange r = qcc_elem_qrange(x->elem);
  /* Element strides of the spatial dims and the channel dim in the input. */
  int64_t sstride[MAX_SPATIAL];
  for (int32_t i = l.nsp - 1; i >= 0; --i)
    sstride[i] = i == l.nsp - 1 ? (l.channels_last ? l.c : 1) : sstride[i + 1] * l.sp[i + 1];
  float gscale = global_avg_scale(px.scale, py.scale, image);
  int64_t opos[MAX_SPATIAL] = {0};
  for (int64_t p = 0; p < out_image; ++p) {
    int64_t start[MAX_SPATIAL], end[MAX_SPATIAL], count = 1;
    for (int32_t i = 0; i < l.nsp; ++i) {
      start[i] = opos[i] * g.stride[i] - pb[i];
      end[i] = start[i] + g.kernel[i] < l.sp[i] ? start[i] + g.kernel[i] : l.sp[i];
      start[i] = start[i] > 0 ? start[i] : 0;
      count *= end[i] > start[i] ? end[i] - start[i] : 0;
    }
    if (count_include_pad)
      count = kernel_size;
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t c = 0; c < l.c; ++c) {
        int64_t base = l.channels_last ? n * image * l.c + c : (n * l.c + c) * image;
        int64_t oi =
            l.channels_last ? (n * out_image + p) * l.c + c : (n * l.c + c) * out_image + p;
        int64_t w[MAX_SPATIAL];
        bool empty = false;
        for (int32_t i = 0; i < l.nsp; ++i) {
          w[i] = start[i];
          empty = empty || start[i] >= end[i];
        }
        if (global) {
          /* ONNX Runtime hands this case to its integer global-average kernel. */
          uint32_t sum = (uint32_t)(-px.zp) * (uint32_t)image;
          for (int64_t s = 0; s < image; ++s)
            sum += (uint32_t)qcc_load_q(x, base + (l.channels_last ? s * l.c : s));
          qcc_store_q(out[0], oi, qcc_requantize((int32_t)sum, gscale, py.zp, r));
          continue;
        }
        float sum = 0.0f; /* dequantized values summed in window order */
        while (!empty) {
          int64_t off = base;
          for (int32_t i = 0; i < l.nsp; ++i)
            off += w[i] * sstride[i];
          sum += qcc_dequantize_value(qcc_load_q(x, off), px.zp, px.scale);
          int32_t i = l.nsp - 1;
          while (i >= 0 && ++w[i] >= end[i]) {
            w[i] = start[i];
            --i;
          }
          if (i < 0)
            break;
        }
        float avg = sum / (float)count;
        float v = avg / py.scale + (float)py.zp; /* zero point added before rounding */
        v = nearbyintf(v);
        v = v < (float)r.lo ? (float)r.lo : v; /* NaN stays and maps below */
        v = v > (float)r.hi ? (float)r.hi : v;
        qcc_store_q(out[0], oi, v == v ? (int32_t)v : r.lo);
      }
    qcc_index_next(opos, osp, l.nsp);
  }
  return QCC_OK;
}

/* ---- QLinearConcat: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) triples ------------
 */

static qcc_status concat_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  if (op->num_operands < 5 || (op->num_operands - 2) % 3 != 0)
    return qcc_infer_error(ctx,
                           "expected Y_scale, Y_zero_point and (X, X_scale, X_zero_point) "
                           "triples, got %u operands",
                           op->num_operands);
  for (uint32_t i = 0; i < op->num_operands; ++i)
    if (i != 1 && !qcc_has_operand(op, i))
      return qcc_infer_error(ctx, "operand %u is required", i);
  qcc_type x0 = qcc_operand_type(ctx, 2);
  qcc_elem e = x0.elem;
  if (!qcc_is_8bit(e))
    return qcc_infer_error(ctx, "inputs must be u8 or i8, not %s", qcc_elem_name(e));
  qcc_status st = qcc_infer_quantized(ctx, UINT32_MAX, 0, 1, e);
  if (st != QCC_OK)
    return st;
  int32_t rank = QCC_RANK_UNKNOWN;
  uint32_t inputs = (op->num_operands - 2) / 3;
  for (uint32_t k = 0; k < inputs; ++k) {
    qcc_type t = qcc_operand_type(ctx, 2 + 3 * k);
    if (t.elem != e)
      return qcc_infer_error(ctx, "input %u is %s, not %s like input 0", k, qcc_elem_name(t.elem),
                             qcc_elem_name(e));
    if ((st = qcc_infer_quantized(ctx, UINT32_MAX, 3 + 3 * k, 4 + 3 * k, e)) != QCC_OK)
      return st;
    if (t.rank >= 0) {
      if (rank >= 0 && t.rank != rank)
        return qcc_infer_error(ctx, "inputs have different ranks (%d and %d)", (int)rank,
                               (int)t.rank);
      rank = t.rank;
    }
  }
  if (rank < 0)
    return qcc_infer_set(ctx, 0, e, QCC_RANK_UNKNOWN, NULL);
  int32_t axis;
  if ((st = qcc_infer_axis(ctx, qcc_op_attr_int(op, "axis"), rank, &axis)) != QCC_OK)
    return st;
  qcc_dim dims[QCC_MAX_RANK];
  for (int32_t d = 0; d < rank; ++d)
    dims[d] = (qcc_dim){.size = -1};
  int64_t total = 0;
  bool total_known = true;
  for (uint32_t k = 0; k < inputs; ++k) {
    qcc_type t = qcc_operand_type(ctx, 2 + 3 * k);
    if (t.rank < 0) {
      total_known = false;
      continue;
    }
    for (int32_t d = 0; d < rank; ++d) {
      if (d == axis) {
        if (t.dims[d].size < 0 || total > INT64_MAX / 2 - t.dims[d].size)
          total_known = false;
        else
          total += t.dims[d].size;
        continue;
      }
      if (t.dims[d].size >= 0 && dims[d].size >= 0 && t.dims[d].size != dims[d].size)
        return qcc_infer_error(ctx, "input %u has size %lld in dimension %d, expected %lld", k,
                               (long long)t.dims[d].size, (int)d, (long long)dims[d].size);
      if (dims[d].size < 0 && !dims[d].sym)
        dims[d] = t.dims[d];
    }
  }
  dims[axis] = total_known ? (qcc_dim){.size = total} : (qcc_dim){.size = -1};
  return qcc_infer_set(ctx, 0, e, rank, dims);
}

static qcc_status concat_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                              qcc_tensor **out) {
  if (op->num_operands < 5 || (op->num_operands - 2) % 3 != 0)
    return qcc_eval_error(ctx, "wrong number of operands");
  uint32_t inputs = (op->num_operands - 2) / 3;
  for (uint32_t i = 0; i < op->num_operands; ++i)
    if (i != 1 && !qcc_has_operand(op, i))
      return qcc_eval_error(ctx, "operand %u is required", i);
  const qcc_tensor *x0 = in[2];
  qcc_elem e = x0->elem;
  if (!qcc_is_8bit(e))
    return qcc_eval_error(ctx, "inputs must be u8 or i8 tensors");
  qcc_scalar_qparam py;
  qcc_status st = qcc_read_scalar_qparam(ctx, op, in, 0, 1, e, &py);
  if (st != QCC_OK)
    return st;
  int32_t rank = x0->rank;
  int64_t axis = qcc_op_attr_int(op, "axis");
  if (axis < -(int64_t)rank || axis >= rank)
    return qcc_eval_error(ctx, "axis %lld is out of range for rank %d", (long long)axis, (int)rank);
  if (axis < 0)
    axis += rank;
  int64_t dims[QCC_MAX_RANK];
  memcpy(dims, x0->dims, (size_t)rank * sizeof(int64_t));
  dims[axis] = 0;
  for (uint32_t k = 0; k < inputs; ++k) {
    const qcc_tensor *t = in[2 + 3 * k];
    if (t->elem != e || t->rank != rank)
      return qcc_eval_error(ctx, "input %u does not match input 0 in type or rank", k);
    for (int32_t d = 0; d < rank; ++d)
      if (d != axis && t->dims[d] != x0->dims[d])
        return qcc_eval_error(ctx, "input %u has size %lld in dimension %d, expected %lld", k,
                              (long long)t->dims[d], (int)d, (long long)x0->dims[d]);
    if (dims[axis] > INT64_MAX / 2 - t->dims[axis])
      return qcc_eval_error(ctx, "result is too large");
    dims[axis] += t->dims[axis];
  }
  out[0] = qcc_eval_alloc(ctx, e, rank, dims);
  if (!out[0])
    return QCC_ERR_INPUT;
  int64_t outer = 1, inner = 1;
  for (int32_t d = 0; d < axis; ++d)
    outer *= dims[d];
  for (int32_t d = (int32_t)axis + 1; d < rank; ++d)
    inner *= dims[d];
  qcc_qrange r = qcc_elem_qrange(e);
  int64_t col = 0; /* running offset along the axis */
  uint8_t *dst = out[0]->data;
  for (uint32_t k = 0; k < inputs; ++k) {
    const qcc_tensor *t = in[2 + 3 * k];
    qcc_scalar_qparam px;
    if ((st = qcc_read_scalar_qparam(ctx, op, in, 3 + 3 * k, 4 + 3 * k, e, &px)) != QCC_OK)
      return st;
    /* Same parameters: a copy. Otherwise a table dequantizing then quantizing every byte. */
    uint8_t table[256];
    bool same = px.scale == py.scale && px.zp == py.zp;
    for (int i = 0; i < 256; ++i) {
      int32_t q = e == QCC_U8 ? i : (int32_t)(int8_t)(uint8_t)i;
      table[i] = same ? (uint8_t)i
                      : (uint8_t)qcc_quantize_value(qcc_dequantize_value(q, px.zp, px.scale),
                                                    py.scale, py.zp, r);
    }
    int64_t block = t->dims[axis] * inner;
    const uint8_t *src = t->data;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < block; ++i)
        dst[o * dims[axis] * inner + col * inner + i] = table[src[o * block + i]];
    col += t->dims[axis];
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_QLinearGlobalAveragePool = {
    .kind = QCC_OP_QLinearGlobalAveragePool,
    QCC_OP_NAMES(QLinearGlobalAveragePool),
    .min_operands = 1, /* the shape rule names the missing required operand */
    .max_operands = 5,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_I("channels_last", 0)),
    .infer = global_pool_infer,
    .eval = global_pool_eval,
};

const qcc_op_def qcc_op_def_QLinearAveragePool = {
    .kind = QCC_OP_QLinearAveragePool,
    QCC_OP_NAMES(QLinearAveragePool),
    .min_operands = 1,
    .max_operands = 5,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_S("auto_pad", "NOTSET"), QCC_ATTR_I("ceil_mode", 0),
                       QCC_ATTR_I("channels_last", 0), QCC_ATTR_I("count_include_pad", 0),
                       QCC_ATTR_REQ("kernel_shape", QCC_ATTR_INTS),
                       QCC_ATTR_OPT("pads", QCC_ATTR_INTS), QCC_ATTR_OPT("strides", QCC_ATTR_INTS)),
    .infer = avg_pool_infer,
    .eval = avg_pool_eval,
};

const qcc_op_def qcc_op_def_QLinearConcat = {
    .kind = QCC_OP_QLinearConcat,
    QCC_OP_NAMES(QLinearConcat),
    .min_operands = 1,
    .max_operands = QCC_VARIADIC,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_REQ("axis", QCC_ATTR_INT)),
    .infer = concat_infer,
    .eval = concat_eval,
};
