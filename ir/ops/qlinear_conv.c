/* QLinearConv and ConvInteger: N-d grouped, strided, dilated, padded convolution of 8-bit
 * operands accumulated exactly in int32; QLinearConv then requantizes per output channel
 * like ONNX Runtime (float multiplier (x_scale * w_scale[m]) / y_scale, see requant.h). */
#include "ir/ops/op_util.h"
#include "ir/ops/qoperand.h"
#include "ir/ops/requant.h"
#include "ir/ops/window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SPATIAL = QCC_WINDOW_MAX_SPATIAL };

/* Output size and leading pad of spatial dim i for input size `in` (both known). */
static bool conv_geom_out(qcc_conv_geom *g, int32_t i, int64_t in, int64_t *out,
                          int64_t *pad_begin) {
  int64_t pad_end;
  return qcc_window_out(&g->w, &qcc_window_rules_qconv, i, in, false, out, pad_begin, &pad_end);
}

/* Optional zero point i: same element type as operand `like`, scalar or 1-D. */
static qcc_status expect_zero_point(qcc_infer_ctx *ctx, uint32_t i, uint32_t like,
                                    const char *what) {
  qcc_status st = qcc_infer_expect_zero_point(ctx, i, like, what);
  return st != QCC_OK ? st : qcc_infer_expect_vector(ctx, i, what);
}

/* Shape rule shared by both ops: x and w at the given operand indices. */
qcc_status qcc_infer_conv_shape(qcc_infer_ctx *ctx, uint32_t xi, uint32_t wi, qcc_elem out) {
  qcc_type x = qcc_operand_type(ctx, xi), w = qcc_operand_type(ctx, wi);
  int32_t rank = x.rank >= 0 ? x.rank : w.rank;
  if (rank < 0)
    return qcc_infer_set(ctx, 0, out, QCC_RANK_UNKNOWN, NULL);
  if (x.rank >= 0 && w.rank >= 0 && x.rank != w.rank)
    return qcc_infer_error(ctx, "input has rank %d but weight has rank %d", (int)x.rank,
                           (int)w.rank);
  if (rank < 3 || rank > QCC_MAX_RANK)
    return qcc_infer_error(ctx, "input must have rank 3 to %d, not %d", QCC_MAX_RANK, (int)rank);
  int32_t nsp = rank - 2;
  int64_t wk[MAX_SPATIAL];
  for (int32_t i = 0; i < nsp; ++i)
    wk[i] = w.rank >= 0 ? w.dims[2 + i].size : -1;
  qcc_conv_geom g;
  if (!qcc_conv_geom_read(&g, ctx->op, &qcc_window_rules_qconv, nsp, wk))
    return qcc_infer_error(ctx, "%s", g.w.err);
  qcc_dim m = w.rank >= 0 ? w.dims[0] : (qcc_dim){.size = -1};
  if (m.size >= 0 && m.size % g.group != 0)
    return qcc_infer_error(ctx, "weight has %lld output channels, not a multiple of group %d",
                           (long long)m.size, (int)g.group);
  if (x.rank >= 0 && w.rank >= 0 && x.dims[1].size >= 0 && w.dims[1].size >= 0 &&
      x.dims[1].size != w.dims[1].size * g.group)
    return qcc_infer_error(ctx, "input has %lld channels but weight expects %lld x group %d",
                           (long long)x.dims[1].size, (long long)w.dims[1].size, (int)g.group);
  qcc_dim dims[QCC_MAX_RANK];
  dims[0] = x.rank >= 0 ? x.dims[0] : (qcc_dim){.size = -1};
  dims[1] = m;
  if (!qcc_window_infer_dims(&g.w, &qcc_window_rules_qconv, x.rank >= 0 ? x.dims + 2 : NULL, false,
                             dims + 2))
    return qcc_infer_error(ctx, "%s", g.w.err);
  return qcc_infer_set(ctx, 0, out, rank, dims);
}

static qcc_status conv_integer_infer(qcc_infer_ctx *ctx) {
  qcc_status st;
  if ((st = qcc_infer_expect_8bit(ctx, 0, "input")) != QCC_OK ||
      (st = qcc_infer_expect_8bit(ctx, 1, "weight")) != QCC_OK ||
      (st = expect_zero_point(ctx, 2, 0, "x_zero_point")) != QCC_OK ||
      (st = expect_zero_point(ctx, 3, 1, "w_zero_point")) != QCC_OK)
    return st;
  return qcc_infer_conv_shape(ctx, 0, 1, QCC_I32);
}

/* QLinearConv operands: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale,
 * y_zero_point, B. Zero points may be omitted (0; u8 output). */
static qcc_status qlinear_conv_infer(qcc_infer_ctx *ctx) {
  static const char *const names[8] = {"input",   "x_scale",      "x_zero_point", "weight",
                                       "w_scale", "w_zero_point", "y_scale",      "y_zero_point"};
  qcc_elem out;
  qcc_status st = qcc_infer_qlinear_operands(ctx, names, true, &out);
  if (st != QCC_OK)
    return st;
  if (qcc_has_operand(ctx->op, 8)) {
    qcc_type b = qcc_operand_type(ctx, 8);
    if (b.elem != QCC_I32)
      return qcc_infer_error(ctx, "bias must be i32, not %s", qcc_elem_name(b.elem));
    if (b.rank >= 0 && b.rank != 1)
      return qcc_infer_error(ctx, "bias must be 1-D");
  }
  return qcc_infer_conv_shape(ctx, 0, 3, out);
}

/* ---- evaluation ---------------------------------------------------------------------------- */

/* Reads a zero-point tensor with 1 or `channels` values into zp[0..channels). */
static qcc_status read_zero_points(qcc_eval_ctx *ctx, const qcc_tensor *t, const qcc_tensor *like,
                                   int64_t channels, int32_t *zp, const char *what) {
  if (!t) {
    for (int64_t i = 0; i < channels; ++i)
      zp[i] = 0;
    return QCC_OK;
  }
  if (t->elem != like->elem)
    return qcc_eval_error(ctx, "%s must have the element type of its operand", what);
  if (t->rank > 1 || (t->numel != 1 && t->numel != channels))
    return qcc_eval_error(ctx, "%s must have 1 or %lld values, not %lld", what, (long long)channels,
                          (long long)t->numel);
  for (int64_t i = 0; i < channels; ++i)
    zp[i] = (int32_t)qcc_tensor_get_i64(t, t->numel == 1 ? 0 : i);
  return QCC_OK;
}

static qcc_status read_scales(qcc_eval_ctx *ctx, const qcc_tensor *t, int64_t channels, float *s,
                              const char *what) {
  if (!qcc_elem_is_float(t->elem))
    return qcc_eval_error(ctx, "%s must be a float tensor", what);
  if (t->rank > 1 || (t->numel != 1 && t->numel != channels))
    return qcc_eval_error(ctx, "%s must have 1 or %lld values, not %lld", what, (long long)channels,
                          (long long)t->numel);
  for (int64_t i = 0; i < channels; ++i)
    s[i] = (float)qcc_tensor_get_f64(t, t->numel == 1 ? 0 : i);
  return QCC_OK;
}

/* Computes the int32 accumulators of conv(x - x_zp, w - w_zp[m]) into a fresh I32 tensor. */
static qcc_status conv_accumulate(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *x,
                                  const qcc_tensor *w, const qcc_tensor *x_zp_t,
                                  const qcc_tensor *w_zp_t, qcc_tensor **acc_out) {
  if (!qcc_is_8bit(x->elem) || !qcc_is_8bit(w->elem))
    return qcc_eval_error(ctx, "input and weight must be u8 or i8 tensors");
  if (x->rank < 3 || x->rank != w->rank)
    return qcc_eval_error(ctx, "input (rank %d) and weight (rank %d) must have the same rank >= 3",
                          (int)x->rank, (int)w->rank);
  int32_t nsp = x->rank - 2;
  qcc_conv_geom g;
  if (!qcc_conv_geom_read(&g, op, &qcc_window_rules_qconv, nsp, w->dims + 2))
    return qcc_eval_error(ctx, "%s", g.w.err);
  int64_t n_batch = x->dims[0], c_in = x->dims[1], m_out = w->dims[0], cg = w->dims[1];
  if (m_out % g.group != 0 || c_in != cg * g.group)
    return qcc_eval_error(ctx, "input has %lld channels and weight %lld x %lld, group %d",
                          (long long)c_in, (long long)m_out, (long long)cg, (int)g.group);
  int64_t out_dims[QCC_MAX_RANK], pad_begin[MAX_SPATIAL];
  out_dims[0] = n_batch;
  out_dims[1] = m_out;
  for (int32_t i = 0; i < nsp; ++i)
    if (!conv_geom_out(&g, i, x->dims[2 + i], &out_dims[2 + i], &pad_begin[i]))
      return qcc_eval_error(ctx, "%s", g.w.err);

  int32_t x_zp = 0;
  qcc_status st;
  if (x_zp_t) {
    if (x_zp_t->numel != 1 || x_zp_t->rank > 1)
      return qcc_eval_error(ctx, "x_zero_point must be a scalar");
    if ((st = read_zero_points(ctx, x_zp_t, x, 1, &x_zp, "x_zero_point")) != QCC_OK)
      return st;
  }
  qcc_tensor *acc = qcc_eval_alloc(ctx, QCC_I32, x->rank, out_dims);
  if (!acc)
    return QCC_ERR_INPUT;
  int64_t in_sp = 1, out_sp = 1, ksz = 1;
  for (int32_t i = 0; i < nsp; ++i) {
    in_sp *= x->dims[2 + i];
    out_sp *= out_dims[2 + i];
    ksz *= w->dims[2 + i];
  }
  int32_t *w_zp = malloc((size_t)(m_out ? m_out : 1) * sizeof(int32_t));
  int32_t *xv = malloc((size_t)(x->numel ? x->numel : 1) * sizeof(int32_t));
  int32_t *wv = malloc((size_t)(w->numel ? w->numel : 1) * sizeof(int32_t));
  int64_t *koff = malloc((size_t)(ksz ? ksz : 1) * sizeof(int64_t));
  st = QCC_OK;
  if (!w_zp || !xv || !wv || !koff) {
    st = qcc_eval_error(ctx, "out of memory");
    goto done;
  }
  if ((st = read_zero_points(ctx, w_zp_t, w, m_out, w_zp, "w_zero_point")) != QCC_OK)
    goto done;
  for (int64_t i = 0; i < x->numel; ++i)
    xv[i] = (int32_t)qcc_tensor_get_i64(x, i) - x_zp;
  for (int64_t i = 0; i < w->numel; ++i)
    wv[i] = (int32_t)qcc_tensor_get_i64(w, i) - w_zp[i / (cg * ksz)];

  int32_t *y = acc->data;
  int64_t m_per_group = m_out / g.group;
  int64_t opos[MAX_SPATIAL] = {0};
  for (int64_t p = 0; p < out_sp; ++p) {
    /* Input offset of every kernel tap at this output position (-1 inside the padding). */
    int64_t kpos[MAX_SPATIAL] = {0};
    for (int64_t k = 0; k < ksz; ++k) {
      int64_t off = 0;
      for (int32_t d = 0; d < nsp && off >= 0; ++d) {
        int64_t ip = opos[d] * g.w.stride[d] - pad_begin[d] + kpos[d] * g.w.dilation[d];
        off = (ip < 0 || ip >= x->dims[2 + d]) ? -1 : off * x->dims[2 + d] + ip;
      }
      koff[k] = off;
      qcc_index_next(kpos, w->dims + 2, nsp);
    }
    for (int64_t n = 0; n < n_batch; ++n)
      for (int64_t m = 0; m < m_out; ++m) {
        int64_t grp = m / m_per_group;
        uint32_t sum = 0; /* wraps like the kernels' int32 accumulators */
        for (int64_t c = 0; c < cg; ++c) {
          const int32_t *xs = xv + (n * c_in + grp * cg + c) * in_sp;
          const int32_t *ws = wv + (m * cg + c) * ksz;
          for (int64_t k = 0; k < ksz; ++k)
            if (koff[k] >= 0)
              sum += (uint32_t)(xs[koff[k]] * ws[k]);
        }
        y[(n * m_out + m) * out_sp + p] = (int32_t)sum;
      }
    qcc_index_next(opos, out_dims + 2, nsp);
  }
done:
  free(w_zp);
  free(xv);
  free(wv);
  free(koff);
  if (st != QCC_OK)
    qcc_tensor_free(acc);
  else
    *acc_out = acc;
  return st;
}

static qcc_status conv_integer_eval(qcc_eval_ctx *ctx, const qcc_op *op,
                                    const qcc_tensor *const *in, qcc_tensor **out) {
  return conv_accumulate(ctx, op, in[0], in[1], qcc_has_operand(op, 2) ? in[2] : NULL,
                         qcc_has_operand(op, 3) ? in[3] : NULL, &out[0]);
}

static qcc_status qlinear_conv_eval(qcc_eval_ctx *ctx, const qcc_op *op,
                                    const qcc_tensor *const *in, qcc_tensor **out) {
  if (!qcc_has_operand(op, 1) || !qcc_has_operand(op, 3) || !qcc_has_operand(op, 4) ||
      !qcc_has_operand(op, 6))
    return qcc_eval_error(ctx, "x_scale, w, w_scale and y_scale are required");
  const qcc_tensor *x = in[0], *w = in[3], *y_zp_t = qcc_has_operand(op, 7) ? in[7] : NULL;
  const qcc_tensor *bias = qcc_has_operand(op, 8) ? in[8] : NULL;
  if (!qcc_is_8bit(x->elem) || !qcc_is_8bit(w->elem))
    return qcc_eval_error(ctx, "input and weight must be u8 or i8 tensors");
  if (y_zp_t && (!qcc_is_8bit(y_zp_t->elem) || y_zp_t->numel != 1))
    return qcc_eval_error(ctx, "y_zero_point must be a u8 or i8 scalar");
  if (w->rank < 1)
    return qcc_eval_error(ctx, "weight must have rank >= 3");
  int64_t m_out = w->dims[0];
  if (bias && (bias->elem != QCC_I32 || bias->rank != 1 || bias->numel != m_out))
    return qcc_eval_error(ctx, "bias must be an i32 tensor of %lld values", (long long)m_out);
  float x_scale, y_scale;
  qcc_status st;
  if ((st = read_scales(ctx, in[1], 1, &x_scale, "x_scale")) != QCC_OK ||
      (st = read_scales(ctx, in[6], 1, &y_scale, "y_scale")) != QCC_OK)
    return st;
  qcc_tensor *acc = NULL;
  st = conv_accumulate(ctx, op, x, w, qcc_has_operand(op, 2) ? in[2] : NULL,
                       qcc_has_operand(op, 5) ? in[5] : NULL, &acc);
  if (st != QCC_OK)
    return st;
  float *mult = malloc((size_t)(m_out ? m_out : 1) * sizeof(float));
  if (!mult) {
    qcc_tensor_free(acc);
    return qcc_eval_error(ctx, "out of memory");
  }
  if ((st = read_scales(ctx, in[4], m_out, mult, "w_scale")) != QCC_OK)
    goto done;
  for (int64_t m = 0; m < m_out; ++m)
    mult[m] = qcc_requant_multiplier(x_scale, mult[m], y_scale);
  qcc_elem oe = y_zp_t ? y_zp_t->elem : QCC_U8;
  int32_t y_zp = y_zp_t ? (int32_t)qcc_tensor_get_i64(y_zp_t, 0) : 0;
  qcc_qrange r = qcc_elem_qrange(oe);
  out[0] = qcc_eval_alloc(ctx, oe, acc->rank, acc->dims);
  if (!out[0]) {
    st = QCC_ERR_INPUT;
    goto done;
  }
  int64_t per_channel = 1; /* output positions per (n, m) */
  for (int32_t d = 2; d < acc->rank; ++d)
    per_channel *= acc->dims[d];
  const int32_t *a = acc->data;
  const int32_t *b = bias ? bias->data : NULL;
  for (int64_t i = 0; i < acc->numel; ++i) {
    int64_t m = (i / per_channel) % m_out;
    int32_t v = b ? qcc_add_wrap_i32(a[i], b[m]) : a[i];
    qcc_store_q(out[0], i, qcc_requantize(v, mult[m], y_zp, r));
  }
done:
  free(mult);
  qcc_tensor_free(acc);
  return st;
}

const qcc_op_def qcc_op_def_QLinearConv = {
    .kind = QCC_OP_QLinearConv,
    QCC_OP_NAMES(QLinearConv),
    .min_operands = 1, /* the shape rule names the missing required
                            operand */
    .max_operands = 9,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_CONV_ATTRS,
    .infer = qlinear_conv_infer,
    .eval = qlinear_conv_eval,
};

const qcc_op_def qcc_op_def_ConvInteger = {
    .kind = QCC_OP_ConvInteger,
    QCC_OP_NAMES(ConvInteger),
    .min_operands = 2,
    .max_operands = 4,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_CONV_ATTRS,
    .infer = conv_integer_infer,
    .eval = conv_integer_eval,
};
