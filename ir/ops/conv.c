/* Conv (grouped, dilated, strided, padded; 1-D to 3-D spatial) and BatchNormalization in
 * inference mode, on f32 (f16 widened to f32 and the result rounded back). */
#include <string.h>

#include "ir/ops/op_util.h"
#include "ir/ops/window.h"

/* The loop nest below is written for up to 3 spatial dims. */
enum { MAX_SPATIAL = 3 };

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
  qcc_elem elem;
  qcc_status st = qcc_infer_float_elems(ctx, 3, &elem);
  if (st != QCC_OK)
    return st;
  qcc_type x = qcc_operand_type(ctx, 0), wt = qcc_operand_type(ctx, 1);
  int64_t group;
  char err[200];
  if (!qcc_conv_group_read(op, &qcc_window_rules_float, &group, err))
    return qcc_infer_error(ctx, "%s", err);
  const int64_t *ks;
  uint32_t nk = qcc_op_attr_ints(op, "kernel_shape", &ks);
  int32_t rank = x.rank >= 0 ? x.rank : wt.rank >= 0 ? wt.rank : nk ? (int32_t)nk + 2 : -1;
  if ((x.rank >= 0 && x.rank != rank) || (wt.rank >= 0 && wt.rank != rank))
    return qcc_infer_error(ctx, "input and weights must have the same rank");
  if (rank < 0)
    return qcc_infer_set(ctx, 0, elem, QCC_RANK_UNKNOWN, NULL);
  if (rank < 3 || rank > MAX_SPATIAL + 2)
    return qcc_infer_error(ctx, "only 1-D to 3-D convolutions are supported (input rank %d)",
                           (int)rank);
  int32_t nsp = rank - 2;
  int64_t kernel[MAX_SPATIAL];
  for (int32_t d = 0; d < nsp; ++d)
    kernel[d] = wt.rank >= 0 ? wt.dims[2 + d].size : -1;
  qcc_conv_geom g;
  if (!qcc_conv_geom_read(&g, op, &qcc_window_rules_float, nsp, kernel))
    return qcc_infer_error(ctx, "%s", g.w.err);

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
  if (!qcc_window_infer_dims(&g.w, &qcc_window_rules_float, x.rank >= 0 ? x.dims + 2 : NULL, false,
                             dims + 2))
    return qcc_infer_error(ctx, "%s", g.w.err);
  return qcc_infer_set(ctx, 0, elem, rank, dims);
}

static qcc_status conv_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                            qcc_tensor **out) {
  const qcc_tensor *x = in[0], *wt = in[1];
  const qcc_tensor *b = op->num_operands > 2 ? in[2] : NULL;
  qcc_elem elem;
  qcc_status st0 = qcc_eval_float_elems(ctx, op, in, 3, &elem);
  if (st0 != QCC_OK)
    return st0;
  if (elem == QCC_F16)
    return qcc_eval_f16_via_f32(ctx, op, in, out, conv_eval);
  if (x->rank < 3 || x->rank > MAX_SPATIAL + 2 || wt->rank != x->rank)
    return qcc_eval_error(ctx, "input and weights must have the same rank in [3, %d]",
                          MAX_SPATIAL + 2);
  int32_t nsp = x->rank - 2;
  qcc_conv_geom geom;
  if (!qcc_conv_geom_read(&geom, op, &qcc_window_rules_float, nsp, wt->dims + 2))
    return qcc_eval_error(ctx, "%s", geom.w.err);
  int64_t group = geom.group;
  int64_t n_batch = x->dims[0], c_in = x->dims[1], m = wt->dims[0], cg = wt->dims[1];
  if (m % group != 0 || c_in % group != 0 || c_in / group != cg)
    return qcc_eval_error(ctx, "channels (input %lld, weights %lld x %lld) do not match group %lld",
                          (long long)c_in, (long long)m, (long long)cg, (long long)group);
  if (b && (b->rank != 1 || b->dims[0] != m))
    return qcc_eval_error(ctx, "bias must be 1-D with %lld elements", (long long)m);

  qcc_window3 n3;
  int64_t ydims[MAX_SPATIAL + 2] = {n_batch, m};
  if (!qcc_window_expand3(&geom.w, &qcc_window_rules_float, x->dims + 2, false, &n3, ydims + 2))
    return qcc_eval_error(ctx, "%s", geom.w.err);
  const int64_t *ind = n3.in, *kd = n3.kernel, *outd = n3.out, *st = n3.stride, *dl = n3.dilation,
                *pb = n3.pad_begin;
  qcc_tensor *y = qcc_eval_alloc(ctx, QCC_F32, x->rank, ydims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  if (y->numel == 0)
    return QCC_OK;

  /* Sizes of empty operands are unconstrained, so even their products may overflow. */
  int64_t in_plane, out_plane, k_plane, taps, work;
  if (!qcc_product_within(ind, MAX_SPATIAL, INT64_MAX, &in_plane) ||
      !qcc_product_within(outd, MAX_SPATIAL, INT64_MAX, &out_plane) ||
      !qcc_product_within(kd, MAX_SPATIAL, QCC_WINDOW_WORK_MAX, &k_plane) ||
      !qcc_product_within((const int64_t[]){cg, k_plane}, 2, QCC_WINDOW_WORK_MAX, &taps) ||
      !qcc_product_within((const int64_t[]){taps, y->numel}, 2, QCC_WINDOW_WORK_MAX, &work))
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

const qcc_op_def qcc_op_def_Conv = {
    .kind = QCC_OP_Conv,
    QCC_OP_NAMES(Conv),
    .min_operands = 2,
    .max_operands = 3,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_CONV_ATTRS,
    .infer = conv_infer,
    .eval = conv_eval,
};

/* ---- FusedConv (ONNX Runtime's com.microsoft contrib op) ----
 * Inputs X, W, B?, Z?; y = act(Conv(X, W, B) + Z): Conv's f32 sum (the eval above), then + Z
 * (same shape as the result) in f32, then the activation ("Relu": x < 0 ? 0 : x, as Relu's
 * eval; absent or "": none). Each step rounds as the unfused ops do, so passes/
 * fuse_conv_activation.c's rewrite is exact. f32 only. */

static bool fused_act_ok(const qcc_op *op) {
  const char *a = qcc_op_attr_string(op, "activation");
  return a[0] == 0 || strcmp(a, "Relu") == 0;
}

static qcc_status fused_conv_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  if (!fused_act_ok(op))
    return qcc_infer_error(ctx, "activation '%s' is not supported (Relu or none)",
                           qcc_op_attr_string(op, "activation"));
  qcc_status st = conv_infer(ctx);
  if (st != QCC_OK)
    return st;
  qcc_type y = ctx->results[0];
  if (y.elem != QCC_F32)
    return qcc_infer_error(ctx, "only f32 is supported");
  if (!qcc_has_operand(op, 3))
    return QCC_OK;
  qcc_type z = qcc_operand_type(ctx, 3);
  if (z.elem != QCC_F32)
    return qcc_infer_error(ctx, "Z must be f32");
  if (z.rank >= 0 && y.rank >= 0) {
    if (z.rank != y.rank)
      return qcc_infer_error(ctx, "Z must have the result's shape");
    for (int32_t d = 0; d < y.rank; ++d)
      if (z.dims[d].size >= 0 && y.dims[d].size >= 0 && z.dims[d].size != y.dims[d].size)
        return qcc_infer_error(ctx, "Z must have the result's shape");
  }
  return QCC_OK;
}

static qcc_status fused_conv_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                  qcc_tensor **out) {
  qcc_status st = conv_eval(ctx, op, in, out);
  if (st != QCC_OK)
    return st;
  qcc_tensor *y = out[0];
  const qcc_tensor *z = op->num_operands > 3 ? in[3] : NULL;
  if (y->elem != QCC_F32 || (z && z->elem != QCC_F32))
    return qcc_eval_error(ctx, "only f32 is supported");
  if (z && (z->rank != y->rank || memcmp(z->dims, y->dims, (size_t)y->rank * sizeof *y->dims)))
    return qcc_eval_error(ctx, "Z must have the result's shape");
  float *ys = y->data;
  const float *zs = z ? z->data : NULL;
  bool relu = strcmp(qcc_op_attr_string(op, "activation"), "Relu") == 0;
  for (int64_t i = 0; i < y->numel; ++i) {
    float v = zs ? ys[i] + zs[i] : ys[i];
    ys[i] = relu && v < 0.0f ? 0.0f : v;
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_FusedConv = {
    .kind = QCC_OP_FusedConv,
    QCC_OP_NAMES(FusedConv),
    .min_operands = 2,
    .max_operands = 4,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_CONV_ATTR_ENTRIES, QCC_ATTR_S("activation", ""),
                       QCC_ATTR_OPT("activation_params", QCC_ATTR_FLOATS)),
    .infer = fused_conv_infer,
    .eval = fused_conv_eval,
};

/* ---- BatchNormalization (inference mode) ----
 * y = (x - mean) / sqrt(var + epsilon) * scale + B, per channel (dim 1). */

static qcc_status batchnorm_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  if (qcc_op_attr_int(op, "training_mode") != 0)
    return qcc_infer_error(ctx, "training mode is not supported (training_mode must be 0)");
  if (qcc_op_attr_int(op, "spatial") != 1)
    return qcc_infer_error(ctx, "spatial = 0 (opset < 9 per-activation statistics) is not "
                                "supported");
  if (op->num_results != 1)
    return qcc_infer_error(ctx, "only the inference-mode result Y is supported; running "
                                "mean/variance results (training mode) are not");
  /* Since opset 15 the scale/bias pair and the mean/variance pair may each have their own
   * float type; Y has X's. */
  for (uint32_t i = 0; i < 5; ++i) {
    qcc_elem e = qcc_operand_type(ctx, i).elem;
    if (!qcc_elem_is_float(e))
      return qcc_infer_error(ctx, "operand %u must be f32 or f16, not %s", i, qcc_elem_name(e));
  }
  if (qcc_operand_type(ctx, 1).elem != qcc_operand_type(ctx, 2).elem ||
      qcc_operand_type(ctx, 3).elem != qcc_operand_type(ctx, 4).elem)
    return qcc_infer_error(ctx, "scale and B, and mean and var, must have the same element type");
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
  if (qcc_op_attr_int(op, "training_mode") != 0 || op->num_results != 1)
    return qcc_eval_error(ctx, "training mode is not supported");
  if (x->rank < 2)
    return qcc_eval_error(ctx, "input must have rank >= 2 (N x C x ...)");
  int64_t c = x->dims[1];
  if (qcc_eval_has_f16(op, in))
    return qcc_eval_f16_via_f32(ctx, op, in, out, batchnorm_eval);
  for (uint32_t i = 0; i < 5; ++i)
    if (in[i]->elem != QCC_F32 || (i > 0 && (in[i]->rank != 1 || in[i]->dims[0] != c)))
      return qcc_eval_error(ctx, "operands must be f32, with 1-D parameters of %lld elements",
                            (long long)c);
  float eps = qcc_op_attr_float(op, "epsilon");
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

const qcc_op_def qcc_op_def_BatchNormalization = {
    .kind = QCC_OP_BatchNormalization,
    QCC_OP_NAMES(BatchNormalization),
    .min_operands = 5,
    .max_operands = 5,
    .min_results = 1,
    .max_results = 5, /* accepted so the shape rule can reject training outputs clearly */
    .attrs = QCC_ATTRS(QCC_ATTR_F("epsilon", 1e-5f), QCC_ATTR_F("momentum", 0.9f),
                       QCC_ATTR_I("training_mode", 0), QCC_ATTR_I("spatial", 1)),
    .infer = batchnorm_infer,
    .eval = batchnorm_eval,
};
