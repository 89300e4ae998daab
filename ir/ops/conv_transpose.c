/* ConvTranspose (the gradient of Conv with respect to its input: grouped, strided, dilated,
 * padded, 1-D to 3-D spatial), on f32 (f16 widened to f32 and the result rounded back).
 *
 * X is [N, C, D...], W is [C, M / group, k...], B is [M]; input position i and kernel tap t
 * reach output position o = i * stride + t * dilation - pad_begin. Per spatial dim, with
 * full = stride * (in - 1) + output_padding + (k - 1) * dilation + 1:
 *   - output_shape given (nsp values, or N, C and the nsp values): out is that, and the total
 *     padding full - out is split as below;
 *   - auto_pad SAME_UPPER / SAME_LOWER: out = in * stride, split as below;
 *   - VALID: out = full; NOTSET: out = full - pad_begin - pad_end.
 * A total padding is split equally, an odd one with the extra at the end for SAME_UPPER and at
 * the beginning otherwise, as the ONNX specification says. A negative total (out larger than
 * full, by less than a stride: the positions a next input would reach) pads nothing at the
 * beginning, so the extra positions, which hold the bias, come at the end; an output_shape
 * a stride or more beyond full is an error. Both as ONNX Runtime 1.30 does.
 *
 * The sum for each output element runs, like ONNX Runtime's GEMM + col2im, over kernel taps in
 * row-major order, each tap's input channels summed first; the bias is added last. */
#include "ir/ops/conv_transpose.h"

#include "ir/ops/op_util.h"
#include "ir/ops/window.h"

#include <stdio.h>

enum { MAX_SPATIAL = 3 };

typedef qcc_tconv_geom tgeom;

/* Reads the attributes for `nsp` spatial dims; `kernel` holds the weight's spatial sizes (< 0
 * unknown). False with g->w.err on a bad attribute. */
bool qcc_tconv_geom_read(tgeom *g, const qcc_op *op, int32_t nsp, const int64_t *kernel) {
  if (!qcc_conv_group_read(op, &qcc_window_rules_float, &g->group, g->w.err))
    return false;
  if (!qcc_window_read(&g->w, op, &qcc_window_rules_float, nsp, kernel))
    return false;
  const int64_t *v;
  uint32_t n = qcc_op_attr_ints(op, "output_padding", &v);
  if (n != 0 && n != (uint32_t)nsp) {
    snprintf(g->w.err, sizeof g->w.err, "attribute 'output_padding' has %u values, expected %d", n,
             (int)nsp);
    return false;
  }
  for (uint32_t i = 0; i < n; ++i)
    if (v[i] < 0 || v[i] > qcc_window_rules_float.attr_max) {
      snprintf(g->w.err, sizeof g->w.err, "attribute 'output_padding' value %lld is out of range",
               (long long)v[i]);
      return false;
    }
  n = qcc_op_attr_ints(op, "output_shape", &v);
  if (n != 0 && n != (uint32_t)nsp && n != (uint32_t)nsp + 2) {
    snprintf(g->w.err, sizeof g->w.err,
             "attribute 'output_shape' has %u values, expected %d (or %d with N and C)", n,
             (int)nsp, (int)nsp + 2);
    return false;
  }
  for (uint32_t i = 0; i < n; ++i)
    if (v[i] < 1 || v[i] > qcc_window_rules_float.in_max) {
      snprintf(g->w.err, sizeof g->w.err, "attribute 'output_shape' value %lld is out of range",
               (long long)v[i]);
      return false;
    }
  return true;
}

/* Output size and leading pad of spatial dim d for input size `in` (kernel known). */
bool qcc_tconv_geom_dim(tgeom *g, const qcc_op *op, int32_t d, int64_t in) {
  qcc_window *w = &g->w;
  if (in < 1 || in > qcc_window_rules_float.in_max) {
    snprintf(w->err, sizeof w->err, "spatial dim %d: input size %lld is out of range", (int)d,
             (long long)in);
    return false;
  }
  const int64_t *op_pad, *shape;
  uint32_t n_op = qcc_op_attr_ints(op, "output_padding", &op_pad);
  uint32_t n_shape = qcc_op_attr_ints(op, "output_shape", &shape);
  /* stride * (in - 1) is kept below 2^60; the other terms are below 2^62 (window.h limits). */
  if (in - 1 > qcc_window_rules_float.in_max / w->stride[d]) {
    snprintf(w->err, sizeof w->err, "spatial dim %d: the output size overflows", (int)d);
    return false;
  }
  int64_t full =
      w->stride[d] * (in - 1) + (n_op ? op_pad[d] : 0) + (w->kernel[d] - 1) * w->dilation[d] + 1;
  int64_t out, pb;
  bool upper = w->auto_pad == QCC_AUTO_PAD_SAME_UPPER;
  bool same = upper || w->auto_pad == QCC_AUTO_PAD_SAME_LOWER;
  if (n_shape || same) {
    out = n_shape ? shape[n_shape == (uint32_t)w->nsp ? d : d + 2] : in * w->stride[d];
    int64_t total = full - out;
    if (n_shape && total <= -w->stride[d]) {
      snprintf(w->err, sizeof w->err,
               "spatial dim %d: output_shape %lld is a stride or more beyond the %lld positions "
               "%lld inputs reach",
               (int)d, (long long)out, (long long)full, (long long)in);
      return false;
    }
    pb = total < 0 ? 0 : upper ? total / 2 : total - total / 2;
  } else if (w->auto_pad == QCC_AUTO_PAD_VALID) {
    out = full;
    pb = 0;
  } else {
    pb = w->pads[d];
    out = full - pb - w->pads[w->nsp + d];
  }
  if (out < 1) {
    snprintf(w->err, sizeof w->err, "spatial dim %d: the output size %lld is not positive", (int)d,
             (long long)out);
    return false;
  }
  g->out[d] = out;
  g->pad_begin[d] = pb;
  return true;
}

static qcc_status conv_transpose_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  qcc_elem elem;
  qcc_status st = qcc_infer_float_elems(ctx, 3, &elem);
  if (st != QCC_OK)
    return st;
  qcc_type x = qcc_operand_type(ctx, 0), wt = qcc_operand_type(ctx, 1);
  const int64_t *ks;
  uint32_t nk = qcc_op_attr_ints(op, "kernel_shape", &ks);
  int32_t rank = x.rank >= 0 ? x.rank : wt.rank >= 0 ? wt.rank : nk ? (int32_t)nk + 2 : -1;
  if ((x.rank >= 0 && x.rank != rank) || (wt.rank >= 0 && wt.rank != rank))
    return qcc_infer_error(ctx, "input and weights must have the same rank");
  if (rank < 0)
    return qcc_infer_set(ctx, 0, elem, QCC_RANK_UNKNOWN, NULL);
  if (rank < 3 || rank > MAX_SPATIAL + 2)
    return qcc_infer_error(ctx,
                           "only 1-D to 3-D transposed convolutions are supported (input "
                           "rank %d)",
                           (int)rank);
  int32_t nsp = rank - 2;
  int64_t kernel[MAX_SPATIAL];
  for (int32_t d = 0; d < nsp; ++d)
    kernel[d] = wt.rank >= 0 ? wt.dims[2 + d].size : -1;
  tgeom g;
  if (!qcc_tconv_geom_read(&g, op, nsp, kernel))
    return qcc_infer_error(ctx, "%s", g.w.err);
  qcc_dim unknown = {.size = -1};
  qcc_dim c = x.rank >= 0 ? x.dims[1] : unknown, wc = wt.rank >= 0 ? wt.dims[0] : unknown;
  if (c.size >= 0 && wc.size >= 0 && c.size != wc.size)
    return qcc_infer_error(ctx, "input has %lld channels but the weights %lld", (long long)c.size,
                           (long long)wc.size);
  int64_t cin = c.size >= 0 ? c.size : wc.size;
  if (cin >= 0 && cin % g.group != 0)
    return qcc_infer_error(ctx, "%lld input channels are not divisible by group %lld",
                           (long long)cin, (long long)g.group);
  qcc_dim m = unknown;
  if (wt.rank >= 0 && wt.dims[1].size >= 0) {
    if (wt.dims[1].size > INT64_MAX / g.group)
      return qcc_infer_error(ctx, "the output channel count overflows");
    m.size = wt.dims[1].size * g.group;
  }
  if (qcc_has_operand(op, 2)) {
    qcc_type b = qcc_operand_type(ctx, 2);
    if (b.rank >= 0 && b.rank != 1)
      return qcc_infer_error(ctx, "bias must be 1-D");
    if (b.rank == 1 && b.dims[0].size >= 0 && m.size >= 0 && b.dims[0].size != m.size)
      return qcc_infer_error(ctx, "bias has %lld elements for %lld output channels",
                             (long long)b.dims[0].size, (long long)m.size);
  }
  qcc_dim dims[MAX_SPATIAL + 2];
  dims[0] = x.rank >= 0 ? x.dims[0] : unknown;
  dims[1] = m;
  for (int32_t d = 0; d < nsp; ++d) {
    dims[2 + d] = unknown;
    int64_t in = x.rank >= 0 ? x.dims[2 + d].size : -1;
    if (in >= 0 && g.w.kernel[d] >= 0) {
      if (!qcc_tconv_geom_dim(&g, op, d, in))
        return qcc_infer_error(ctx, "%s", g.w.err);
      dims[2 + d].size = g.out[d];
    }
  }
  return qcc_infer_set(ctx, 0, elem, rank, dims);
}

/* Input positions [lo, hi) that tap t of a dim reaches inside the output. */
static void tap_range(int64_t in, int64_t out, int64_t stride, int64_t off, int64_t *lo,
                      int64_t *hi) {
  /* o = i * stride + off must lie in [0, out). */
  int64_t l = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int64_t h = out - 1 - off < 0 ? 0 : (out - 1 - off) / stride + 1;
  if (h > in)
    h = in;
  if (l > h)
    l = h;
  *lo = l;
  *hi = h;
}

static qcc_status conv_transpose_eval(qcc_eval_ctx *ctx, const qcc_op *op,
                                      const qcc_tensor *const *in, qcc_tensor **out) {
  const qcc_tensor *x = in[0], *wt = in[1];
  const qcc_tensor *b = op->num_operands > 2 ? in[2] : NULL;
  qcc_elem elem;
  qcc_status st = qcc_eval_float_elems(ctx, op, in, 3, &elem);
  if (st != QCC_OK)
    return st;
  if (elem == QCC_F16)
    return qcc_eval_f16_via_f32(ctx, op, in, out, conv_transpose_eval);
  if (x->rank < 3 || x->rank > MAX_SPATIAL + 2 || wt->rank != x->rank)
    return qcc_eval_error(ctx, "input and weights must have the same rank in [3, %d]",
                          MAX_SPATIAL + 2);
  int32_t nsp = x->rank - 2;
  tgeom g;
  if (!qcc_tconv_geom_read(&g, op, nsp, wt->dims + 2))
    return qcc_eval_error(ctx, "%s", g.w.err);
  int64_t n_batch = x->dims[0], c_in = x->dims[1], mg = wt->dims[1], group = g.group;
  if (wt->dims[0] != c_in || c_in % group != 0)
    return qcc_eval_error(ctx, "channels (input %lld, weights %lld) do not match group %lld",
                          (long long)c_in, (long long)wt->dims[0], (long long)group);
  if (mg > INT64_MAX / group)
    return qcc_eval_error(ctx, "the output channel count overflows");
  int64_t m = mg * group, cg = c_in / group;
  if (b && (b->rank != 1 || b->dims[0] != m))
    return qcc_eval_error(ctx, "bias must be 1-D with %lld elements", (long long)m);
  /* Spatial dims right-aligned to 3, the leading ones of size 1. */
  int64_t ind[3] = {1, 1, 1}, kd[3] = {1, 1, 1}, outd[3] = {1, 1, 1}, sd[3] = {1, 1, 1},
          dl[3] = {1, 1, 1}, pb[3] = {0, 0, 0};
  int64_t ydims[MAX_SPATIAL + 2] = {n_batch, m};
  int32_t shift = 3 - nsp;
  for (int32_t d = 0; d < nsp; ++d) {
    if (!qcc_tconv_geom_dim(&g, op, d, x->dims[2 + d]))
      return qcc_eval_error(ctx, "%s", g.w.err);
    ind[d + shift] = x->dims[2 + d];
    kd[d + shift] = g.w.kernel[d];
    outd[d + shift] = ydims[2 + d] = g.out[d];
    sd[d + shift] = g.w.stride[d];
    dl[d + shift] = g.w.dilation[d];
    pb[d + shift] = g.pad_begin[d];
  }
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, QCC_F32, x->rank, ydims);
  if (!y)
    return QCC_ERR_INPUT;
  if (y->numel == 0)
    return QCC_OK;
  int64_t in_plane, out_plane, k_plane, taps, work;
  if (!qcc_product_within(ind, 3, INT64_MAX, &in_plane) ||
      !qcc_product_within(outd, 3, INT64_MAX, &out_plane) ||
      !qcc_product_within(kd, 3, QCC_WINDOW_WORK_MAX, &k_plane) ||
      !qcc_product_within((const int64_t[]){cg, k_plane, in_plane}, 3, QCC_WINDOW_WORK_MAX,
                          &taps) ||
      !qcc_product_within((const int64_t[]){taps, n_batch, m}, 3, QCC_WINDOW_WORK_MAX, &work))
    return qcc_eval_error(ctx, "transposed convolution is too large for the reference "
                               "interpreter");
  const float *xs = x->data, *ws = wt->data, *bs = b ? b->data : NULL;
  float *ys = y->data; /* zero-filled */
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t oc = 0; oc < m; ++oc) {
      int64_t grp = oc / mg, j = oc % mg;
      float *yp = ys + (n * m + oc) * out_plane;
      const float *xg = xs + (n * c_in + grp * cg) * in_plane;
      /* Weight of input channel c (within the group), this output channel, tap k. */
      const float *wg = ws + (grp * cg * mg + j) * k_plane;
      for (int64_t k0 = 0; k0 < kd[0]; ++k0) {
        int64_t off0 = k0 * dl[0] - pb[0], lo0, hi0;
        tap_range(ind[0], outd[0], sd[0], off0, &lo0, &hi0);
        for (int64_t k1 = 0; k1 < kd[1]; ++k1) {
          int64_t off1 = k1 * dl[1] - pb[1], lo1, hi1;
          tap_range(ind[1], outd[1], sd[1], off1, &lo1, &hi1);
          for (int64_t k2 = 0; k2 < kd[2]; ++k2) {
            int64_t off2 = k2 * dl[2] - pb[2], lo2, hi2;
            tap_range(ind[2], outd[2], sd[2], off2, &lo2, &hi2);
            int64_t kk = (k0 * kd[1] + k1) * kd[2] + k2;
            for (int64_t i0 = lo0; i0 < hi0; ++i0)
              for (int64_t i1 = lo1; i1 < hi1; ++i1)
                for (int64_t i2 = lo2; i2 < hi2; ++i2) {
                  int64_t ii = (i0 * ind[1] + i1) * ind[2] + i2;
                  float acc = 0.0f;
                  for (int64_t c = 0; c < cg; ++c)
                    acc += wg[c * mg * k_plane + kk] * xg[c * in_plane + ii];
                  int64_t o = ((i0 * sd[0] + off0) * outd[1] + (i1 * sd[1] + off1)) * outd[2] +
                              (i2 * sd[2] + off2);
                  yp[o] += acc;
                }
          }
        }
      }
      if (bs)
        for (int64_t i = 0; i < out_plane; ++i)
          yp[i] += bs[oc];
    }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_ConvTranspose = {
    .kind = QCC_OP_ConvTranspose,
    QCC_OP_NAMES(ConvTranspose),
    .min_operands = 2,
    .max_operands = 3,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_CONV_ATTR_ENTRIES, QCC_ATTR_OPT("output_padding", QCC_ATTR_INTS),
                       QCC_ATTR_OPT("output_shape", QCC_ATTR_INTS)),
    .infer = conv_transpose_infer,
    .eval = conv_transpose_eval,
};
