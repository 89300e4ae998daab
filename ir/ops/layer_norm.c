/* LayerNormalization (opset 17): each row X[i0, .., i(axis-1), :, ..] is normalized over the dims
 * from `axis` on, then scaled and shifted by Scale and B (broadcast unidirectionally to X).
 *
 * The arithmetic is the ONNX function body in float32 (stash_type 1, the only one supported),
 * each step rounded to f32 like the ops it names, with qcc's ReduceMean (a double sum rounded
 * once):
 *   Mean = ReduceMean(X), D = X - Mean, Var = ReduceMean(D * D),
 *   InvStdDev = 1 / sqrt(Var + epsilon), Y = D * InvStdDev * Scale + B.
 * Mean and InvStdDev, the optional results, have X's shape with the normalized dims set to 1 and
 * are f32. f16 X, Scale and B compute the same way in f32 and Y is rounded to f16 once, like
 * ONNX Runtime's f16 kernel (the function body would round after the scaling and again after
 * the shift). ONNX Runtime computes the variance as E[x^2] - E[x]^2 in float and divides by the
 * standard deviation, so its results differ in the last bits (docs/accuracy.md). */
#include "ir/ops/op_util.h"

static qcc_status layer_norm_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  qcc_elem elem;
  qcc_status st = qcc_infer_float_elems(ctx, 3, &elem);
  if (st != QCC_OK)
    return st;
  int64_t stash = qcc_op_attr_int(op, "stash_type");
  if (stash != 1)
    return qcc_infer_error(ctx, "stash_type %lld is not supported (only 1, float32)",
                           (long long)stash);
  qcc_type x = qcc_operand_type(ctx, 0);
  if (x.rank < 0) {
    for (uint32_t r = 0; r < op->num_results; ++r)
      if ((st = qcc_infer_set(ctx, r, r ? QCC_F32 : elem, QCC_RANK_UNKNOWN, NULL)) != QCC_OK)
        return st;
    return QCC_OK;
  }
  if (x.rank == 0)
    return qcc_infer_error(ctx, "X must have rank >= 1");
  int32_t axis;
  if ((st = qcc_infer_axis(ctx, qcc_op_attr_int(op, "axis"), x.rank, &axis)) != QCC_OK)
    return st;
  static const char *const names[] = {"", "Scale", "B"};
  for (uint32_t i = 1; i < 3; ++i) {
    if (!qcc_has_operand(op, i))
      continue;
    qcc_type p = qcc_operand_type(ctx, i);
    if (p.rank < 0)
      continue;
    if (p.rank > x.rank)
      return qcc_infer_error(ctx, "%s has rank %d, more than X's %d", names[i], (int)p.rank,
                             (int)x.rank);
    for (int32_t d = 0; d < p.rank; ++d) {
      qcc_dim pd = p.dims[d], xd = x.dims[x.rank - p.rank + d];
      if (pd.size >= 0 && pd.size != 1 && xd.size >= 0 && pd.size != xd.size)
        return qcc_infer_error(ctx, "%s (dimension %d: %lld) cannot be broadcast to X (%lld)",
                               names[i], (int)d, (long long)pd.size, (long long)xd.size);
    }
  }
  if ((st = qcc_infer_same_as_operand0(ctx)) != QCC_OK)
    return st;
  qcc_dim dims[QCC_MAX_RANK];
  for (int32_t d = 0; d < x.rank; ++d)
    dims[d] = d < axis ? x.dims[d] : (qcc_dim){.size = 1};
  for (uint32_t r = 1; r < op->num_results; ++r)
    if ((st = qcc_infer_set(ctx, r, QCC_F32, x.rank, dims)) != QCC_OK)
      return st;
  return QCC_OK;
}

/* `p` (rank <= x's) broadcast to x: the offset into p of flat element i of x. */
static int64_t param_offset(const qcc_tensor *p, const qcc_tensor *x, int64_t i) {
  int64_t off = 0, stride = 1;
  for (int32_t d = x->rank - 1; d >= 0 && d >= x->rank - p->rank; --d) {
    int64_t xi = i % x->dims[d];
    i /= x->dims[d];
    int64_t pd = p->dims[d - (x->rank - p->rank)];
    off += (pd == 1 ? 0 : xi) * stride;
    stride *= pd;
  }
  return off;
}

static qcc_status layer_norm_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                  qcc_tensor **out) {
  qcc_elem elem;
  qcc_status st = qcc_eval_float_elems(ctx, op, in, 3, &elem);
  if (st != QCC_OK)
    return st;
  if (elem == QCC_F16)
    return qcc_eval_f16_via_f32(ctx, op, in, out, layer_norm_eval);
  const qcc_tensor *x = in[0], *scale = in[1];
  const qcc_tensor *bias = op->num_operands > 2 ? in[2] : NULL;
  if (x->rank == 0)
    return qcc_eval_error(ctx, "X must have rank >= 1");
  int64_t axis = qcc_op_attr_int(op, "axis");
  if (axis < -(int64_t)x->rank || axis >= x->rank)
    return qcc_eval_error(ctx, "axis %lld is out of range for rank %d", (long long)axis,
                          (int)x->rank);
  if (axis < 0)
    axis += x->rank;
  const qcc_tensor *params[2] = {scale, bias};
  for (int k = 0; k < 2; ++k) {
    const qcc_tensor *p = params[k];
    if (!p)
      continue;
    bool ok = p->rank <= x->rank;
    for (int32_t d = 0; ok && d < p->rank; ++d) {
      int64_t pd = p->dims[d], xd = x->dims[x->rank - p->rank + d];
      ok = pd == 1 || pd == xd;
    }
    if (!ok)
      return qcc_eval_error(ctx, "%s cannot be broadcast to X", k ? "B" : "Scale");
  }
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, QCC_F32, x->rank, x->dims);
  if (!y)
    return QCC_ERR_INPUT;
  int64_t sdims[QCC_MAX_RANK];
  for (int32_t d = 0; d < x->rank; ++d)
    sdims[d] = d < axis ? x->dims[d] : 1;
  for (uint32_t r = 1; r < op->num_results; ++r)
    if (!(out[r] = qcc_eval_alloc(ctx, QCC_F32, x->rank, sdims)))
      return QCC_ERR_INPUT;
  if (x->numel == 0)
    return QCC_OK;
  int64_t rows = 1;
  for (int32_t d = 0; d < axis; ++d)
    rows *= x->dims[d];
  int64_t n = x->numel / rows;
  const float *xs = x->data, *ss = scale->data, *bs = bias ? bias->data : NULL;
  float *ys = y->data;
  float *mean_out = op->num_results > 1 ? out[1]->data : NULL;
  float *inv_out = op->num_results > 2 ? out[2]->data : NULL;
  float eps = qcc_op_attr_float(op, "epsilon");
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = xs + r * n;
    float *yr = ys + r * n;
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j)
      sum += (double)xr[j];
    float mean = (float)(sum / (double)n);
    double sq = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      float dv = xr[j] - mean;
      sq += (double)(dv * dv);
    }
    float var = (float)(sq / (double)n);
    float inv = 1.0f / sqrtf(var + eps);
    for (int64_t j = 0; j < n; ++j) {
      int64_t i = r * n + j;
      float v = (xr[j] - mean) * inv * ss[param_offset(scale, x, i)];
      yr[j] = bs ? v + bs[param_offset(bias, x, i)] : v;
    }
    if (mean_out)
      mean_out[r] = mean;
    if (inv_out)
      inv_out[r] = inv;
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_LayerNormalization = {
    .kind = QCC_OP_LayerNormalization,
    QCC_OP_NAMES(LayerNormalization),
    .min_operands = 2,
    .max_operands = 3,
    .min_results = 1,
    .max_results = 3,
    .attrs = QCC_ATTRS(QCC_ATTR_I("axis", -1), QCC_ATTR_F("epsilon", 1e-5f),
                       QCC_ATTR_I("stash_type", 1)),
    .infer = layer_norm_infer,
    .eval = layer_norm_eval,
};
