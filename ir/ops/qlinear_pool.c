/* com.microsoft QLinearGlobalAveragePool, QLinearAveragePool and QLinearConcat, computed as
 * ONNX Runtime's x86 CPU kernels do (docs/ort-arithmetic.md sections 5 and 7). */
#include "ir/ops/op_util.h"
#include "ir/ops/requant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SPATIAL = QCC_MAX_RANK - 2 };
#define GEOM_LIMIT ((int64_t)INT32_MAX)

static bool is_8bit_elem(qcc_elem e) { return e == QCC_U8 || e == QCC_I8; }

static qcc_qrange elem_qrange(qcc_elem e) {
  return e == QCC_I8 ? qcc_qrange_i8() : qcc_qrange_u8();
}

static int32_t load_q(const qcc_tensor *t, int64_t i) {
  return t->elem == QCC_U8 ? ((const uint8_t *)t->data)[i] : ((const int8_t *)t->data)[i];
}

static void store_q(qcc_tensor *t, int64_t i, int32_t v) {
  if (t->elem == QCC_U8)
    ((uint8_t *)t->data)[i] = (uint8_t)v;
  else
    ((int8_t *)t->data)[i] = (int8_t)v;
}

static qcc_status require_operands(qcc_infer_ctx *ctx, const uint32_t *idx, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!qcc_has_operand(ctx->op, idx[i]))
      return qcc_infer_error(ctx, "operand %u is required", idx[i]);
  return QCC_OK;
}

static qcc_status infer_qparam(qcc_infer_ctx *ctx, uint32_t scale, uint32_t zp, qcc_elem want) {
  qcc_type s = qcc_operand_type(ctx, scale);
  if (!qcc_elem_is_float(s.elem) || s.rank > 1)
    return qcc_infer_error(ctx, "operand %u (a scale) must be an f32 scalar", scale);
  if (qcc_has_operand(ctx->op, zp)) {
    qcc_type z = qcc_operand_type(ctx, zp);
    if (z.elem != want || z.rank > 1)
      return qcc_infer_error(ctx, "operand %u (a zero point) must be a %s scalar", zp,
                             qcc_elem_name(want));
  }
  return QCC_OK;
}

typedef struct qparam {
  float scale;
  int32_t zp;
} qparam;

static qcc_status read_qparam(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                              uint32_t scale, uint32_t zp, qcc_elem elem, qparam *out) {
  if (!qcc_has_operand(op, scale))
    return qcc_eval_error(ctx, "operand %u (a scale) is required", scale);
  const qcc_tensor *s = in[scale], *z = qcc_has_operand(op, zp) ? in[zp] : NULL;
  if (!qcc_elem_is_float(s->elem) || s->numel != 1)
    return qcc_eval_error(ctx, "operand %u must be a float scalar", scale);
  if (z && (z->elem != elem || z->numel != 1))
    return qcc_eval_error(ctx, "operand %u must be a %s scalar", zp, qcc_elem_name(elem));
  out->scale = (float)qcc_tensor_get_f64(s, 0);
  out->zp = z ? load_q(z, 0) : 0;
  return QCC_OK;
}

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

/* ---- QLinearGlobalAveragePool: X, x_scale, x_zero_point, y_scale, y_zero_point ----------------- */

static qcc_status global_pool_infer(qcc_infer_ctx *ctx) {
  static const uint32_t required[] = {0, 1, 3};
  qcc_status st = require_operands(ctx, required, sizeof required / sizeof required[0]);
  if (st != QCC_OK)
    return st;
  qcc_type x = qcc_operand_type(ctx, 0);
  if (!is_8bit_elem(x.elem))
    return qcc_infer_error(ctx, "X must be u8 or i8, not %s", qcc_elem_name(x.elem));
  if ((st = infer_qparam(ctx, 1, 2, x.elem)) != QCC_OK ||
      (st = infer_qparam(ctx, 3, 4, x.elem)) != QCC_OK)
    return st;
  if (x.rank < 0)
    return qcc_infer_set(ctx, 0, x.elem, QCC_RANK_UNKNOWN, NULL);
  if (x.rank < 3)
    return qcc_infer_error(ctx, "X must have rank >= 3, not %d", (int)x.rank);
  bool cl = qcc_op_attr_int(ctx->op, "channels_last", 0) != 0;
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

static qcc_status global_pool_eval(qcc_eval_ctx *ctx, const qcc_op *op,
                                   const qcc_tensor *const *in, qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  if (!is_8bit_elem(x->elem) || x->rank < 3)
    return qcc_eval_error(ctx, "X must be a u8 or i8 tensor of rank >= 3");
  qparam px, py;
  qcc_status st;
  if ((st = read_qparam(ctx, op, in, 1, 2, x->elem, &px)) != QCC_OK ||
      (st = read_qparam(ctx, op, in, 3, 4, x->elem, &py)) != QCC_OK)
    return st;
  pool_layout l;
  layout_of(x->dims, x->rank, qcc_op_attr_int(op, "channels_last", 0) != 0, &l);
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
  qcc_qrange r = elem_qrange(x->elem);
  for (int64_t n = 0; n < l.n; ++n)
    for (int64_t c = 0; c < l.c; ++c) {
      uint32_t sum = (uint32_t)bias;
      for (int64_t s = 0; s < image; ++s)
        sum += (uint32_t)load_q(x, l.channels_last ? (n * image + s) * l.c + c
                                                   : (n * l.c + c) * image + s);
      store_q(out[0], n * l.c + c, qcc_requantize((int32_t)sum, scale, py.zp, r));
    }
  return QCC_OK;
}

/* ---- QLinearAveragePool: X, x_scale, x_zero_point, y_scale, y_zero_point ---------------------- */

typedef struct pool_geom {
  int32_t nsp;
  bool ceil_mode, count_include_pad;
  int auto_pad; /* 0 NOTSET, 1 VALID, 2 SAME_UPPER, 3 SAME_LOWER */
  int64_t kernel[MAX_SPATIAL], stride[MAX_SPATIAL], pads[2 * MAX_SPATIAL];
  char err[200];
} pool_geom;

static bool read_ints(const qcc_op *op, const char *name, int32_t want, int64_t dflt, int64_t min,
                      int64_t *out, pool_geom *g) {
  const int64_t *v;
  uint32_t n = qcc_op_attr_ints(op, name, &v);
  if (n == 0) {
    for (int32_t i = 0; i < want; ++i)
      out[i] = dflt;
    return true;
  }
  if ((int32_t)n != want) {
    snprintf(g->err, sizeof g->err, "attribute '%s' has %u values, expected %d", name, n,
             (int)want);
    return false;
  }
  for (int32_t i = 0; i < want; ++i) {
    if (v[i] < min || v[i] > GEOM_LIMIT) {
      snprintf(g->err, sizeof g->err, "attribute '%s' value %lld is out of range", name,
               (long long)v[i]);
      return false;
    }
    out[i] = v[i];
  }
  return true;
}

static bool pool_geom_read(const qcc_op *op, int32_t nsp, pool_geom *g) {
  g->err[0] = 0;
  g->nsp = nsp;
  if (nsp < 1 || nsp > MAX_SPATIAL) {
    snprintf(g->err, sizeof g->err, "X must have rank 3 to %d", QCC_MAX_RANK);
    return false;
  }
  g->ceil_mode = qcc_op_attr_int(op, "ceil_mode", 0) != 0;
  g->count_include_pad = qcc_op_attr_int(op, "count_include_pad", 0) != 0;
  const char *ap = qcc_op_attr_string(op, "auto_pad", "NOTSET");
  static const char *const names[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"};
  g->auto_pad = -1;
  for (int i = 0; i < 4; ++i)
    if (strcmp(ap, names[i]) == 0)
      g->auto_pad = i;
  if (g->auto_pad < 0) {
    snprintf(g->err, sizeof g->err,
             "attribute 'auto_pad' must be NOTSET, VALID, SAME_UPPER or SAME_LOWER");
    return false;
  }
  const int64_t *ks;
  if (qcc_op_attr_ints(op, "kernel_shape", &ks) == 0) {
    snprintf(g->err, sizeof g->err, "attribute 'kernel_shape' is required");
    return false;
  }
  return read_ints(op, "kernel_shape", nsp, 1, 1, g->kernel, g) &&
         read_ints(op, "strides", nsp, 1, 1, g->stride, g) &&
         read_ints(op, "pads", 2 * nsp, 0, 0, g->pads, g);
}

/* Output size and pads of spatial dim i for input size `in`. */
static bool pool_geom_out(pool_geom *g, int32_t i, int64_t in, int64_t *out, int64_t *pb,
                          int64_t *pe) {
  if (in > GEOM_LIMIT * 4) {
    snprintf(g->err, sizeof g->err, "spatial input size is too large");
    return false;
  }
  int64_t k = g->kernel[i], s = g->stride[i];
  *pb = *pe = 0;
  if (g->auto_pad == 2 || g->auto_pad == 3) {
    int64_t o = (in + s - 1) / s;
    int64_t total = (o - 1) * s + k - in;
    if (total < 0)
      total = 0;
    *pb = g->auto_pad == 2 ? total / 2 : total - total / 2;
    *pe = total - *pb;
    *out = o;
    return true;
  }
  if (g->auto_pad == 0) {
    *pb = g->pads[i];
    *pe = g->pads[i + g->nsp];
  }
  int64_t span = in + *pb + *pe - k;
  if (span < 0) {
    snprintf(g->err, sizeof g->err,
             "spatial dim %d: input size %lld with padding is smaller than the kernel %lld",
             (int)i, (long long)in, (long long)k);
    return false;
  }
  int64_t o = (g->ceil_mode && g->auto_pad == 0 ? (span + s - 1) / s : span / s) + 1;
  /* The last window must start inside the input or its leading padding. */
  if (g->ceil_mode && g->auto_pad == 0 && (o - 1) * s >= in + *pb)
    --o;
  *out = o;
  return true;
}

static qcc_status avg_pool_infer(qcc_infer_ctx *ctx) {
  static const uint32_t required[] = {0, 1, 3};
  qcc_status st = require_operands(ctx, required, sizeof required / sizeof required[0]);
  if (st != QCC_OK)
    return st;
  qcc_type x = qcc_operand_type(ctx, 0);
  if (!is_8bit_elem(x.elem))
    return qcc_infer_error(ctx, "X must be u8 or i8, not %s", qcc_elem_name(x.elem));
  if ((st = infer_qparam(ctx, 1, 2, x.elem)) != QCC_OK ||
      (st = infer_qparam(ctx, 3, 4, x.elem)) != QCC_OK)
    return st;
  if (x.rank < 0)
    return qcc_infer_set(ctx, 0, x.elem, QCC_RANK_UNKNOWN, NULL);
  pool_geom g;
  if (!pool_geom_read(ctx->op, x.rank - 2, &g))
    return qcc_infer_error(ctx, "%s", g.err);
  bool cl = qcc_op_attr_int(ctx->op, "channels_last", 0) != 0;
  qcc_dim dims[QCC_MAX_RANK];
  memcpy(dims, x.dims, (size_t)x.rank * sizeof(qcc_dim));
  for (int32_t i = 0; i < g.nsp; ++i) {
    int32_t d = cl ? 1 + i : 2 + i;
    if (x.dims[d].size < 0) {
      dims[d] = (qcc_dim){.size = -1};
      continue;
    }
    int64_t o, pb, pe;
    if (!pool_geom_out(&g, i, x.dims[d].size, &o, &pb, &pe))
      return qcc_infer_error(ctx, "%s", g.err);
    dims[d] = (qcc_dim){.size = o};
  }
  return qcc_infer_set(ctx, 0, x.elem, x.rank, dims);
}

static qcc_status avg_pool_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  if (!is_8bit_elem(x->elem) || x->rank < 3)
    return qcc_eval_error(ctx, "X must be a u8 or i8 tensor of rank >= 3");
  qparam px, py;
  qcc_status st;
  if ((st = read_qparam(ctx, op, in, 1, 2, x->elem, &px)) != QCC_OK ||
      (st = read_qparam(ctx, op, in, 3, 4, x->elem, &py)) != QCC_OK)
    return st;
  pool_layout l;
  layout_of(x->dims, x->rank, qcc_op_attr_int(op, "channels_last", 0) != 0, &l);
  pool_geom g;
  if (!pool_geom_read(op, l.nsp, &g))
    return qcc_eval_error(ctx, "%s", g.err);
  int64_t osp[MAX_SPATIAL], pb[MAX_SPATIAL], pe[MAX_SPATIAL], dims[QCC_MAX_RANK];
  bool global = true; /* kernel covers the whole image without padding */
  int64_t image = 1, kernel_size = 1, out_image = 1;
  for (int32_t i = 0; i < l.nsp; ++i) {
    if (!pool_geom_out(&g, i, l.sp[i], &osp[i], &pb[i], &pe[i]))
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
  qcc_qrange r = elem_qrange(x->elem);
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
    if (g.count_include_pad)
      count = kernel_size;
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t c = 0; c < l.c; ++c) {
        int64_t base = l.channels_last ? n * image * l.c + c : (n * l.c + c) * image;
        int64_t oi = l.channels_last ? (n * out_image + p) * l.c + c : (n * l.c + c) * out_image + p;
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
            sum += (uint32_t)load_q(x, base + (l.channels_last ? s * l.c : s));
          store_q(out[0], oi, qcc_requantize((int32_t)sum, gscale, py.zp, r));
          continue;
        }
        float sum = 0.0f; /* dequantized values summed in window order */
        while (!empty) {
          int64_t off = base;
          for (int32_t i = 0; i < l.nsp; ++i)
            off += w[i] * sstride[i];
          sum += qcc_dequantize_value(load_q(x, off), px.zp, px.scale);
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
        store_q(out[0], oi, v == v ? (int32_t)v : r.lo);
      }
    qcc_index_next(opos, osp, l.nsp);
  }
  return QCC_OK;
}

/* ---- QLinearConcat: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) triples ------------ */

static qcc_status concat_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  if (op->num_operands < 5 || (op->num_operands - 2) % 3 != 0)
    return qcc_infer_error(ctx, "expected Y_scale, Y_zero_point and (X, X_scale, X_zero_point) "
                                "triples, got %u operands",
                           op->num_operands);
  for (uint32_t i = 0; i < op->num_operands; ++i)
    if (i != 1 && !qcc_has_operand(op, i))
      return qcc_infer_error(ctx, "operand %u is required", i);
  qcc_type x0 = qcc_operand_type(ctx, 2);
  qcc_elem e = x0.elem;
  if (!is_8bit_elem(e))
    return qcc_infer_error(ctx, "inputs must be u8 or i8, not %s", qcc_elem_name(e));
  qcc_status st = infer_qparam(ctx, 0, 1, e);
  if (st != QCC_OK)
    return st;
  int32_t rank = QCC_RANK_UNKNOWN;
  uint32_t inputs = (op->num_operands - 2) / 3;
  for (uint32_t k = 0; k < inputs; ++k) {
    qcc_type t = qcc_operand_type(ctx, 2 + 3 * k);
    if (t.elem != e)
      return qcc_infer_error(ctx, "input %u is %s, not %s like input 0", k, qcc_elem_name(t.elem),
                             qcc_elem_name(e));
    if ((st = infer_qparam(ctx, 3 + 3 * k, 4 + 3 * k, e)) != QCC_OK)
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
  if ((st = qcc_infer_axis(ctx, qcc_op_attr_int(op, "axis", 0), rank, &axis)) != QCC_OK)
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
  if (!is_8bit_elem(e))
    return qcc_eval_error(ctx, "inputs must be u8 or i8 tensors");
  qparam py;
  qcc_status st = read_qparam(ctx, op, in, 0, 1, e, &py);
  if (st != QCC_OK)
    return st;
  int32_t rank = x0->rank;
  int64_t axis = qcc_op_attr_int(op, "axis", 0);
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
  qcc_qrange r = elem_qrange(e);
  int64_t col = 0; /* running offset along the axis */
  uint8_t *dst = out[0]->data;
  for (uint32_t k = 0; k < inputs; ++k) {
    const qcc_tensor *t = in[2 + 3 * k];
    qparam px;
    if ((st = read_qparam(ctx, op, in, 3 + 3 * k, 4 + 3 * k, e, &px)) != QCC_OK)
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

static const qcc_op_def global_pool_def = {
    .name = "QLinearGlobalAveragePool",
    .domain = "com.microsoft",
    .min_operands = 1, /* the shape rule names the missing required operand */
    .max_operands = 5,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS({"channels_last", QCC_ATTR_INT, false}),
    .infer = global_pool_infer,
    .eval = global_pool_eval,
};

static const qcc_op_def avg_pool_def = {
    .name = "QLinearAveragePool",
    .domain = "com.microsoft",
    .min_operands = 1,
    .max_operands = 5,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS({"auto_pad", QCC_ATTR_STRING, false}, {"ceil_mode", QCC_ATTR_INT, false},
                       {"channels_last", QCC_ATTR_INT, false},
                       {"count_include_pad", QCC_ATTR_INT, false},
                       {"kernel_shape", QCC_ATTR_INTS, true}, {"pads", QCC_ATTR_INTS, false},
                       {"strides", QCC_ATTR_INTS, false}),
    .infer = avg_pool_infer,
    .eval = avg_pool_eval,
};

static const qcc_op_def concat_def = {
    .name = "QLinearConcat",
    .domain = "com.microsoft",
    .min_operands = 1,
    .max_operands = QCC_VARIADIC,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS({"axis", QCC_ATTR_INT, true}),
    .infer = concat_infer,
    .eval = concat_eval,
};

const qcc_op_def *const qcc_ops_qlinear_pool[] = {&global_pool_def, &avg_pool_def, &concat_def,
                                                  NULL};
