/* Conv (grouped, dilated, strided, padded; 1-D to 3-D spatial) and BatchNormalization in
 * inference mode. */
#include "ir/ops/op_util.h"

#include <stdio.h>
#include <string.h>

enum { MAX_SPATIAL = 3 };
/* Upper bound on kernel/stride/dilation/pad values so window arithmetic stays far from int64
 * overflow whatever the input dims are. */
#define WINDOW_ATTR_MAX ((int64_t)1 << 31)
#define WINDOW_DIM_MAX ((int64_t)1 << 60)
/* Bound on output elements x window taps so hostile attributes cannot make an eval run for
 * hours; real models stay orders of magnitude below it. */
#define WINDOW_WORK_MAX ((int64_t)1 << 40)

typedef enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID } auto_pad_mode;

/* Sliding-window geometry shared by the shape rule and the evaluator. kernel[d] < 0 when the
 * kernel size is not known statically. pads holds all begins, then all ends. */
typedef struct window {
  int32_t nsp;
  auto_pad_mode auto_pad;
  int64_t kernel[MAX_SPATIAL], stride[MAX_SPATIAL], dilation[MAX_SPATIAL];
  int64_t pads[2 * MAX_SPATIAL];
} window;

/* Reads auto_pad/strides/dilations/pads/kernel_shape for `nsp` spatial dims. `kernel` gives
 * the sizes implied by the weights (entries < 0 unknown); kernel_shape must agree with it.
 * On error writes a message to `err` and returns false. */
static bool window_read(const qcc_op *op, int32_t nsp, const int64_t *kernel, window *w, char *err,
                        size_t errlen) {
  memset(w, 0, sizeof *w);
  w->nsp = nsp;
  const char *ap = qcc_op_attr_string(op, "auto_pad", "NOTSET");
  if (strcmp(ap, "NOTSET") == 0)
    w->auto_pad = PAD_NOTSET;
  else if (strcmp(ap, "SAME_UPPER") == 0)
    w->auto_pad = PAD_SAME_UPPER;
  else if (strcmp(ap, "SAME_LOWER") == 0)
    w->auto_pad = PAD_SAME_LOWER;
  else if (strcmp(ap, "VALID") == 0)
    w->auto_pad = PAD_VALID;
  else {
    snprintf(err, errlen, "unknown auto_pad '%s'", ap);
    return false;
  }
  const int64_t *ks, *st, *dl, *pd;
  uint32_t nk = qcc_op_attr_ints(op, "kernel_shape", &ks);
  uint32_t ns = qcc_op_attr_ints(op, "strides", &st);
  uint32_t nd = qcc_op_attr_ints(op, "dilations", &dl);
  uint32_t np = qcc_op_attr_ints(op, "pads", &pd);
  if ((nk && nk != (uint32_t)nsp) || (ns && ns != (uint32_t)nsp) || (nd && nd != (uint32_t)nsp) ||
      (np && np != 2 * (uint32_t)nsp)) {
    snprintf(err, errlen,
             "kernel_shape/strides/dilations need %d values and pads %d for %d spatial dims",
             (int)nsp, 2 * (int)nsp, (int)nsp);
    return false;
  }
  for (int32_t d = 0; d < nsp; ++d) {
    w->kernel[d] = kernel ? kernel[d] : -1;
    if (nk) {
      if (w->kernel[d] >= 0 && w->kernel[d] != ks[d]) {
        snprintf(err, errlen, "kernel_shape[%d] = %lld disagrees with the weights (%lld)", (int)d,
                 (long long)ks[d], (long long)w->kernel[d]);
        return false;
      }
      w->kernel[d] = ks[d];
    }
    w->stride[d] = ns ? st[d] : 1;
    w->dilation[d] = nd ? dl[d] : 1;
    w->pads[d] = np ? pd[d] : 0;
    w->pads[nsp + d] = np ? pd[nsp + d] : 0;
    if ((w->kernel[d] >= 0 && (w->kernel[d] < 1 || w->kernel[d] > WINDOW_ATTR_MAX)) ||
        (nk && (ks[d] < 1 || ks[d] > WINDOW_ATTR_MAX)) || w->stride[d] < 1 ||
        w->stride[d] > WINDOW_ATTR_MAX || w->dilation[d] < 1 || w->dilation[d] > WINDOW_ATTR_MAX) {
      snprintf(err, errlen, "kernel_shape, strides and dilations must be in [1, 2^31]");
      return false;
    }
    if (w->pads[d] < 0 || w->pads[d] > WINDOW_ATTR_MAX || w->pads[nsp + d] < 0 ||
        w->pads[nsp + d] > WINDOW_ATTR_MAX) {
      snprintf(err, errlen, "pads must be in [0, 2^31]");
      return false;
    }
  }
  return true;
}

/* Output size and effective pads of spatial dim d for input size `in` (all known). Returns
 * false when the window does not fit. */
static bool window_out(const window *w, int32_t d, int64_t in, bool ceil_mode, int64_t *out,
                       int64_t *pad_begin, int64_t *pad_end) {
  if (in < 0 || in > WINDOW_DIM_MAX)
    return false;
  int64_t ek = (w->kernel[d] - 1) * w->dilation[d] + 1;
  int64_t s = w->stride[d];
  int64_t pb = 0, pe = 0;
  if (w->auto_pad == PAD_SAME_UPPER || w->auto_pad == PAD_SAME_LOWER) {
    int64_t o = (in + s - 1) / s;
    int64_t total = o > 0 ? (o - 1) * s + ek - in : 0;
    if (total < 0)
      total = 0;
    /* SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning. */
    pb = w->auto_pad == PAD_SAME_UPPER ? total / 2 : total - total / 2;
    *out = o;
    *pad_begin = pb;
    *pad_end = total - pb;
    return true;
  }
  if (w->auto_pad == PAD_NOTSET) {
    pb = w->pads[d];
    pe = w->pads[w->nsp + d];
  }
  int64_t span = in + pb + pe - ek;
  if (span < 0)
    return false;
  int64_t o = ceil_mode ? (span + s - 1) / s + 1 : span / s + 1;
  /* In ceil mode the last window must still start inside the input or the leading pad. */
  if (ceil_mode && (o - 1) * s >= in + pb)
    --o;
  *out = o;
  *pad_begin = pb;
  *pad_end = pe;
  return true;
}

/* Product of `n` non-negative sizes; false on overflow or when it exceeds `limit`. */
static bool product_within(const int64_t *v, int32_t n, int64_t limit, int64_t *out) {
  int64_t p = 1;
  for (int32_t i = 0; i < n; ++i) {
    if (v[i] < 0 || (v[i] != 0 && p > limit / v[i]))
      return false;
    p *= v[i];
  }
  *out = p;
  return true;
}

/* Range [lo, hi) of output positions o with 0 <= o * stride + off < in. */
static void valid_range(int64_t in, int64_t out, int64_t stride, int64_t off, int64_t *lo,
                        int64_t *hi) {
  int64_t l = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int64_t h = in - 1 - off < 0 ? 0 : (in - 1 - off) / stride + 1;
  if (l > out)
    l = out;
  if (h > out)
    h = out;
  if (h < l)
    h = l;
  *lo = l;
  *hi = h;
}

/* ---- Conv ---- */

static qcc_status conv_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  for (uint32_t i = 0; i < 3; ++i) {
    if (!qcc_has_operand(op, i))
      continue;
    qcc_status st = qcc_infer_expect_elem(ctx, i, QCC_F32);
    if (st != QCC_OK)
      return st;
  }
  qcc_type x = qcc_operand_type(ctx, 0), wt = qcc_operand_type(ctx, 1);
  int64_t group = qcc_op_attr_int(op, "group", 1);
  if (group < 1)
    return qcc_infer_error(ctx, "group must be >= 1, not %lld", (long long)group);
  const int64_t *ks;
  uint32_t nk = qcc_op_attr_ints(op, "kernel_shape", &ks);
  int32_t rank = x.rank >= 0 ? x.rank : wt.rank >= 0 ? wt.rank : nk ? (int32_t)nk + 2 : -1;
  if ((x.rank >= 0 && x.rank != rank) || (wt.rank >= 0 && wt.rank != rank))
    return qcc_infer_error(ctx, "input and weights must have the same rank");
  if (rank < 0)
    return qcc_infer_set(ctx, 0, QCC_F32, QCC_RANK_UNKNOWN, NULL);
  if (rank < 3 || rank > MAX_SPATIAL + 2)
    return qcc_infer_error(ctx, "only 1-D to 3-D convolutions are supported (input rank %d)",
                           (int)rank);
  int32_t nsp = rank - 2;
  int64_t kernel[MAX_SPATIAL];
  for (int32_t d = 0; d < nsp; ++d)
    kernel[d] = wt.rank >= 0 ? wt.dims[2 + d].size : -1;
  window w;
  char err[200];
  if (!window_read(op, nsp, kernel, &w, err, sizeof err))
    return qcc_infer_error(ctx, "%s", err);

  qcc_dim unknown = {.size = -1};
  qcc_dim m = wt.rank >= 0 ? wt.dims[0] : unknown;
  if (x.rank >= 0 && wt.rank >= 0 && x.dims[1].size >= 0 && wt.dims[1].size >= 0 &&
      (x.dims[1].size % group != 0 || x.dims[1].size / group != wt.dims[1].size))
    return qcc_infer_error(ctx, "input has %lld channels but weights expect %lld x group %lld",
                           (long long)x.dims[1].size, (long long)wt.dims[1].size, (long long)group);
  if (m.size >= 0 && m.size % group != 0)
    return qcc_infer_error(ctx, "%lld output channels are not divisible by group %lld",
                           (long long)m.size, (long long)group);
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
    if (in < 0 || w.kernel[d] < 0)
      continue;
    int64_t out, pb, pe;
    if (!window_out(&w, d, in, false, &out, &pb, &pe))
      return qcc_infer_error(ctx, "kernel does not fit spatial dimension %d (size %lld)", (int)d,
                             (long long)in);
    dims[2 + d] = (qcc_dim){.size = out};
  }
  return qcc_infer_set(ctx, 0, QCC_F32, rank, dims);
}

static qcc_status conv_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                            qcc_tensor **out) {
  const qcc_tensor *x = in[0], *wt = in[1];
  const qcc_tensor *b = op->num_operands > 2 ? in[2] : NULL;
  if (x->elem != QCC_F32 || wt->elem != QCC_F32 || (b && b->elem != QCC_F32))
    return qcc_eval_error(ctx, "operands must be f32");
  if (x->rank < 3 || x->rank > MAX_SPATIAL + 2 || wt->rank != x->rank)
    return qcc_eval_error(ctx, "input and weights must have the same rank in [3, %d]",
                          MAX_SPATIAL + 2);
  int32_t nsp = x->rank - 2;
  window w;
  char err[200];
  if (!window_read(op, nsp, wt->dims + 2, &w, err, sizeof err))
    return qcc_eval_error(ctx, "%s", err);
  int64_t group = qcc_op_attr_int(op, "group", 1);
  int64_t n_batch = x->dims[0], c_in = x->dims[1], m = wt->dims[0], cg = wt->dims[1];
  if (group < 1 || m % group != 0 || c_in % group != 0 || c_in / group != cg)
    return qcc_eval_error(ctx, "channels (input %lld, weights %lld x %lld) do not match group %lld",
                          (long long)c_in, (long long)m, (long long)cg, (long long)group);
  if (b && (b->rank != 1 || b->dims[0] != m))
    return qcc_eval_error(ctx, "bias must be 1-D with %lld elements", (long long)m);

  /* Normalize to 3 spatial dims (leading ones of size 1) so one loop nest serves all. */
  int64_t ind[MAX_SPATIAL], kd[MAX_SPATIAL], outd[MAX_SPATIAL], st[MAX_SPATIAL], dl[MAX_SPATIAL],
      pb[MAX_SPATIAL];
  int64_t ydims[MAX_SPATIAL + 2] = {n_batch, m}, pe;
  int32_t shift = MAX_SPATIAL - nsp;
  for (int32_t d = 0; d < MAX_SPATIAL; ++d) {
    ind[d] = kd[d] = outd[d] = st[d] = dl[d] = 1;
    pb[d] = 0;
  }
  for (int32_t d = 0; d < nsp; ++d) {
    int32_t e = d + shift;
    ind[e] = x->dims[2 + d];
    kd[e] = w.kernel[d];
    st[e] = w.stride[d];
    dl[e] = w.dilation[d];
    if (!window_out(&w, d, ind[e], false, &outd[e], &pb[e], &pe))
      return qcc_eval_error(ctx, "kernel does not fit spatial dimension %d (size %lld)", (int)d,
                            (long long)ind[e]);
    ydims[2 + d] = outd[e];
  }
  qcc_tensor *y = qcc_eval_alloc(ctx, QCC_F32, x->rank, ydims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  if (y->numel == 0)
    return QCC_OK;

  /* Sizes of empty operands are unconstrained, so even their products may overflow. */
  int64_t in_plane, out_plane, k_plane, taps, work;
  if (!product_within(ind, MAX_SPATIAL, INT64_MAX, &in_plane) ||
      !product_within(outd, MAX_SPATIAL, INT64_MAX, &out_plane) ||
      !product_within(kd, MAX_SPATIAL, WINDOW_WORK_MAX, &k_plane) ||
      !product_within((const int64_t[]){cg, k_plane}, 2, WINDOW_WORK_MAX, &taps) ||
      !product_within((const int64_t[]){taps, y->numel}, 2, WINDOW_WORK_MAX, &work))
    return qcc_eval_error(ctx, "convolution is too large for the reference interpreter");
  const float *xs = x->data, *ws = wt->data, *bs = b ? b->data : NULL;
  float *ys = y->data;
  int64_t mg = m / group;
  for (int64_t n = 0; n < n_batch; ++n) {
    for (int64_t oc = 0; oc < m; ++oc) {
      int64_t g = oc / mg;
      float *yp = ys + (n * m + oc) * out_plane;
      float bias = bs ? bs[oc] : 0.0f;
      for (int64_t i = 0; i < out_plane; ++i)
        yp[i] = bias;
      for (int64_t icg = 0; icg < cg; ++icg) {
        const float *xp = xs + (n * c_in + g * cg + icg) * in_plane;
        const float *wp = ws + (oc * cg + icg) * k_plane;
        for (int64_t k0 = 0; k0 < kd[0]; ++k0) {
          int64_t off0 = k0 * dl[0] - pb[0], lo0, hi0;
          valid_range(ind[0], outd[0], st[0], off0, &lo0, &hi0);
          for (int64_t k1 = 0; k1 < kd[1]; ++k1) {
            int64_t off1 = k1 * dl[1] - pb[1], lo1, hi1;
            valid_range(ind[1], outd[1], st[1], off1, &lo1, &hi1);
            for (int64_t k2 = 0; k2 < kd[2]; ++k2) {
              int64_t off2 = k2 * dl[2] - pb[2], lo2, hi2;
              valid_range(ind[2], outd[2], st[2], off2, &lo2, &hi2);
              float wv = wp[(k0 * kd[1] + k1) * kd[2] + k2];
              for (int64_t o0 = lo0; o0 < hi0; ++o0) {
                int64_t i0 = o0 * st[0] + off0;
                for (int64_t o1 = lo1; o1 < hi1; ++o1) {
                  int64_t i1 = o1 * st[1] + off1;
                  const float *xr = xp + (i0 * ind[1] + i1) * ind[2];
                  float *yr = yp + (o0 * outd[1] + o1) * outd[2];
                  for (int64_t o2 = lo2; o2 < hi2; ++o2)
                    yr[o2] += wv * xr[o2 * st[2] + off2];
                }
              }
            }
          }
        }
      }
    }
  }
  return QCC_OK;
}

static const qcc_op_def conv_def = {
    .name = "Conv",
    .domain = "",
    .min_operands = 2,
    .max_operands = 3,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS({"auto_pad", QCC_ATTR_STRING, false}, {"dilations", QCC_ATTR_INTS, false},
                       {"group", QCC_ATTR_INT, false}, {"kernel_shape", QCC_ATTR_INTS, false},
                       {"pads", QCC_ATTR_INTS, false}, {"strides", QCC_ATTR_INTS, false}),
    .infer = conv_infer,
    .eval = conv_eval,
};

/* ---- BatchNormalization (inference mode) ----
 * y = (x - mean) / sqrt(var + epsilon) * scale + B, per channel (dim 1). */

static qcc_status batchnorm_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  if (qcc_op_attr_int(op, "training_mode", 0) != 0)
    return qcc_infer_error(ctx, "training mode is not supported (training_mode must be 0)");
  if (qcc_op_attr_int(op, "spatial", 1) != 1)
    return qcc_infer_error(ctx, "spatial = 0 (opset < 9 per-activation statistics) is not "
                                "supported");
  if (op->num_results != 1)
    return qcc_infer_error(ctx, "only the inference-mode result Y is supported; running "
                                "mean/variance results (training mode) are not");
  for (uint32_t i = 0; i < 5; ++i) {
    qcc_status st = qcc_infer_expect_elem(ctx, i, QCC_F32);
    if (st != QCC_OK)
      return st;
  }
  qcc_type x = qcc_operand_type(ctx, 0);
  if (x.rank >= 0 && x.rank < 2)
    return qcc_infer_error(ctx, "input must have rank >= 2 (N x C x ...)");
  int64_t c = x.rank >= 2 ? x.dims[1].size : -1;
  static const char *const names[] = {"", "scale", "B", "mean", "var"};
  for (uint32_t i = 1; i < 5; ++i) {
    qcc_type p = qcc_operand_type(ctx, i);
    if (p.rank >= 0 && p.rank != 1)
      return qcc_infer_error(ctx, "%s must be 1-D", names[i]);
    if (p.rank == 1 && p.dims[0].size >= 0 && c >= 0 && p.dims[0].size != c)
      return qcc_infer_error(ctx, "%s has %lld elements for %lld channels", names[i],
                             (long long)p.dims[0].size, (long long)c);
  }
  return qcc_infer_same_as_operand0(ctx);
}

static qcc_status batchnorm_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                 qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  if (qcc_op_attr_int(op, "training_mode", 0) != 0 || op->num_results != 1)
    return qcc_eval_error(ctx, "training mode is not supported");
  if (x->rank < 2)
    return qcc_eval_error(ctx, "input must have rank >= 2 (N x C x ...)");
  int64_t c = x->dims[1];
  for (uint32_t i = 0; i < 5; ++i)
    if (in[i]->elem != QCC_F32 || (i > 0 && (in[i]->rank != 1 || in[i]->dims[0] != c)))
      return qcc_eval_error(ctx, "operands must be f32, with 1-D parameters of %lld elements",
                            (long long)c);
  float eps = qcc_op_attr_float(op, "epsilon", 1e-5f);
  qcc_tensor *y = qcc_eval_alloc(ctx, QCC_F32, x->rank, x->dims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  if (x->numel == 0)
    return QCC_OK;
  const float *xs = x->data, *scale = in[1]->data, *bias = in[2]->data, *mean = in[3]->data,
              *var = in[4]->data;
  float *ys = y->data;
  int64_t inner = x->numel / (x->dims[0] * c);
  for (int64_t n = 0; n < x->dims[0]; ++n)
    for (int64_t ch = 0; ch < c; ++ch) {
      float inv = 1.0f / sqrtf(var[ch] + eps);
      int64_t base = (n * c + ch) * inner;
      for (int64_t i = 0; i < inner; ++i)
        ys[base + i] = (xs[base + i] - mean[ch]) * inv * scale[ch] + bias[ch];
    }
  return QCC_OK;
}

static const qcc_op_def batchnorm_def = {
    .name = "BatchNormalization",
    .domain = "",
    .min_operands = 5,
    .max_operands = 5,
    .min_results = 1,
    .max_results = 5, /* accepted so the shape rule can reject training outputs clearly */
    .attrs = QCC_ATTRS({"epsilon", QCC_ATTR_FLOAT, false}, {"momentum", QCC_ATTR_FLOAT, false},
                       {"training_mode", QCC_ATTR_INT, false}, {"spatial", QCC_ATTR_INT, false}),
    .infer = batchnorm_infer,
    .eval = batchnorm_eval,
};

const qcc_op_def *const qcc_ops_conv[] = {&conv_def, &batchnorm_def, NULL};
