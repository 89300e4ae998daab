/* Shape-only data movement: Flatten, Reshape, Squeeze and Unsqueeze. The data is copied
 * unchanged, so every element type is supported. */
#include "ir/ops/layout_util.h"

#include <string.h>

/* ---- Flatten ---------------------------------------------------------------------------- */

static qcc_status flatten_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  int64_t axis = qcc_op_attr_int(ctx->op, "axis");
  if (x.rank < 0)
    return qcc_infer_unknown_dims(ctx, 0, x.elem, 2);
  if (axis < -(int64_t)x.rank || axis > x.rank)
    return qcc_infer_error(ctx, "axis %lld is out of range for rank %d", (long long)axis,
                           (int)x.rank);
  int32_t a = (int32_t)(axis < 0 ? axis + x.rank : axis);
  qcc_dim dims[2] = {qcc_dim_product(x.dims, 0, a), qcc_dim_product(x.dims, a, x.rank)};
  return qcc_infer_set(ctx, 0, x.elem, 2, dims);
}

static qcc_status flatten_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                               qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  int64_t axis = qcc_op_attr_int(op, "axis");
  if (axis < -(int64_t)x->rank || axis > x->rank)
    return qcc_eval_error(ctx, "axis %lld is out of range for rank %d", (long long)axis,
                          (int)x->rank);
  int32_t a = (int32_t)(axis < 0 ? axis + x->rank : axis);
  int64_t dims[2];
  if (!qcc_numel_range(x->dims, 0, a, &dims[0]) || !qcc_numel_range(x->dims, a, x->rank, &dims[1]))
    return qcc_eval_error(ctx, "flattened size overflows");
  out[0] = qcc_copy_with_shape(ctx, x, 2, dims);
  return out[0] ? QCC_OK : QCC_ERR_INPUT;
}

const qcc_op_def qcc_op_def_Flatten = {
    .kind = QCC_OP_Flatten,
    QCC_OP_NAMES(Flatten),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_I("axis", 1)),
    .infer = flatten_infer,
    .eval = flatten_eval,
};

/* ---- Reshape ---------------------------------------------------------------------------- */

/* When exactly one dim of x is symbolic and the others are static: that dim, and the product of
 * the others in *rest. */
static bool one_symbolic_dim(qcc_type x, qcc_dim *sym, int64_t *rest) {
  int64_t sizes[QCC_MAX_RANK];
  int32_t n = 0, at = -1;
  for (int32_t d = 0; d < x.rank; ++d) {
    if (x.dims[d].size >= 0)
      sizes[n++] = x.dims[d].size;
    else if (at >= 0 || !x.dims[d].sym)
      return false;
    else
      at = d;
  }
  if (at < 0 || !qcc_shape_numel(sizes, n, rest))
    return false;
  *sym = x.dims[at];
  return true;
}

static qcc_status reshape_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  bool allowzero = qcc_op_attr_int(ctx->op, "allowzero") != 0;
  qcc_status st = qcc_infer_expect_index(ctx, 1, "shape");
  if (st != QCC_OK)
    return st;
  const int64_t *shape;
  int64_t n;
  if (!qcc_infer_const_ints(ctx, 1, &shape, &n))
    return qcc_infer_unknown_dims(ctx, 0, x.elem, qcc_operand_length(ctx, 1));
  if (n > QCC_MAX_RANK)
    return qcc_infer_error(ctx, "target rank %lld exceeds the supported maximum %d", (long long)n,
                           QCC_MAX_RANK);
  qcc_dim dims[QCC_MAX_RANK];
  int32_t infer_at = -1;
  bool has_zero = false;
  for (int64_t i = 0; i < n; ++i) {
    if (shape[i] == -1) {
      if (infer_at >= 0)
        return qcc_infer_error(ctx, "shape has more than one -1");
      infer_at = (int32_t)i;
      dims[i] = qcc_unknown_dim;
    } else if (shape[i] < -1) {
      return qcc_infer_error(ctx, "shape entry %lld is negative", (long long)shape[i]);
    } else if (shape[i] == 0 && !allowzero) {
      if (x.rank >= 0 && i >= x.rank)
        return qcc_infer_error(ctx, "shape entry %lld is 0 but the input has rank %d", (long long)i,
                               (int)x.rank);
      dims[i] = x.rank >= 0 ? x.dims[i] : qcc_unknown_dim;
    } else {
      has_zero |= shape[i] == 0;
      dims[i] = (qcc_dim){.size = shape[i]};
    }
  }
  if (has_zero && infer_at >= 0)
    return qcc_infer_error(ctx, "shape has both 0 and -1 with allowzero=1");
  qcc_dim total = x.rank >= 0 ? qcc_dim_product(x.dims, 0, x.rank) : qcc_unknown_dim;
  if (infer_at >= 0 && total.size >= 0) {
    qcc_dim rest = qcc_dim_product(dims, 0, infer_at);
    qcc_dim rest2 = qcc_dim_product(dims, infer_at + 1, (int32_t)n);
    if (rest.size >= 0 && rest2.size >= 0) {
      if (rest2.size != 0 && rest.size > INT64_MAX / rest2.size)
        return qcc_infer_error(ctx, "shape product overflows");
      int64_t known = rest.size * rest2.size;
      if (known == 0 ? total.size != 0 : total.size % known != 0)
        return qcc_infer_error(ctx, "cannot reshape %lld elements with the given shape",
                               (long long)total.size);
      dims[infer_at] = (qcc_dim){.size = known == 0 ? 0 : total.size / known};
    }
  } else if (infer_at >= 0 && x.rank >= 0) {
    /* [N, 32, 1, 1] -> [-1, 32] is [N, 32]: the -1 takes the symbolic dim when the given
     * entries account for exactly the input's static dims. */
    qcc_dim sym, known = qcc_dim_product(dims, 0, infer_at),
                 known2 = qcc_dim_product(dims, infer_at + 1, (int32_t)n);
    int64_t rest;
    if (known.size > 0 && known2.size > 0 && one_symbolic_dim(x, &sym, &rest) &&
        known.size <= rest / known2.size && known.size * known2.size == rest)
      dims[infer_at] = sym;
  } else if (infer_at < 0 && total.size >= 0) {
    qcc_dim out = qcc_dim_product(dims, 0, (int32_t)n);
    if (out.size >= 0 && out.size != total.size)
      return qcc_infer_error(ctx, "cannot reshape %lld elements into %lld", (long long)total.size,
                             (long long)out.size);
  }
  return qcc_infer_set(ctx, 0, x.elem, (int32_t)n, dims);
}

static qcc_status reshape_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                               qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  bool allowzero = qcc_op_attr_int(op, "allowzero") != 0;
  int64_t dims[QCC_MAX_RANK], n;
  qcc_status st = qcc_eval_read_ints(ctx, in[1], "shape", QCC_MAX_RANK, dims, &n);
  if (st != QCC_OK)
    return st;
  int64_t infer_at = -1, known = 1;
  bool has_zero = false;
  for (int64_t i = 0; i < n; ++i) {
    if (dims[i] == -1) {
      if (infer_at >= 0)
        return qcc_eval_error(ctx, "shape has more than one -1");
      infer_at = i;
      continue;
    }
    if (dims[i] < -1)
      return qcc_eval_error(ctx, "shape entry %lld is negative", (long long)dims[i]);
    if (dims[i] == 0 && !allowzero) {
      if (i >= x->rank)
        return qcc_eval_error(ctx, "shape entry %lld is 0 but the input has rank %d", (long long)i,
                              (int)x->rank);
      dims[i] = x->dims[i];
    }
    has_zero |= dims[i] == 0;
    if (dims[i] != 0 && known > INT64_MAX / dims[i])
      return qcc_eval_error(ctx, "shape product overflows");
    known *= dims[i];
  }
  if (infer_at >= 0) {
    if (known == 0) {
      if (has_zero && allowzero)
        return qcc_eval_error(ctx, "shape has both 0 and -1 with allowzero=1");
      if (x->numel != 0)
        return qcc_eval_error(ctx, "cannot infer the -1 dimension with a zero-sized shape");
      dims[infer_at] = 0;
    } else {
      if (x->numel % known != 0)
        return qcc_eval_error(ctx, "cannot reshape %lld elements with the given shape",
                              (long long)x->numel);
      dims[infer_at] = x->numel / known;
    }
  } else if (known != x->numel) {
    return qcc_eval_error(ctx, "cannot reshape %lld elements into %lld", (long long)x->numel,
                          (long long)known);
  }
  out[0] = qcc_copy_with_shape(ctx, x, (int32_t)n, dims);
  return out[0] ? QCC_OK : QCC_ERR_INPUT;
}

const qcc_op_def qcc_op_def_Reshape = {
    .kind = QCC_OP_Reshape,
    QCC_OP_NAMES(Reshape),
    .min_operands = 2,
    .max_operands = 2,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_I("allowzero", 0)),
    .infer = reshape_infer,
    .eval = reshape_eval,
};

/* ---- Squeeze / Unsqueeze ---------------------------------------------------------------- */

/* Axes from the attribute (opset < 13) or a constant operand 1. *known is false when the
 * operand exists but is not constant; *present is false when no axes are given at all. */
static qcc_status infer_axes(qcc_infer_ctx *ctx, const int64_t **axes, int64_t *n, bool *present,
                             bool *known) {
  *known = true;
  *present = true;
  if (qcc_op_attr(ctx->op, "axes")) {
    *n = qcc_op_attr_ints(ctx->op, "axes", axes);
    return QCC_OK;
  }
  if (!qcc_has_operand(ctx->op, 1)) {
    *present = false;
    *n = 0;
    return QCC_OK;
  }
  qcc_status st = qcc_infer_expect_index(ctx, 1, "axes");
  if (st != QCC_OK)
    return st;
  if (!qcc_infer_const_ints(ctx, 1, axes, n)) {
    *known = false;
    *n = qcc_operand_length(ctx, 1);
  }
  return QCC_OK;
}

static qcc_status eval_axes(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                            int64_t *axes, int64_t *n, bool *present) {
  const int64_t *attr;
  *present = true;
  if (qcc_op_attr(op, "axes")) {
    uint32_t na = qcc_op_attr_ints(op, "axes", &attr);
    if (na > QCC_MAX_RANK)
      return qcc_eval_error(ctx, "too many axes");
    memcpy(axes, attr, na * sizeof(int64_t));
    *n = na;
    return QCC_OK;
  }
  if (op->num_operands < 2 || !in[1]) {
    *present = false;
    *n = 0;
    return QCC_OK;
  }
  return qcc_eval_read_ints(ctx, in[1], "axes", QCC_MAX_RANK, axes, n);
}

/* Marks normalized axes in `mask`; false on out-of-range or repeated axes. */
static bool axes_mask(const int64_t *axes, int64_t n, int32_t rank, bool *mask) {
  for (int32_t d = 0; d < rank; ++d)
    mask[d] = false;
  for (int64_t i = 0; i < n; ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank || mask[a])
      return false;
    mask[a] = true;
  }
  return true;
}

static qcc_status squeeze_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  const int64_t *axes;
  int64_t n;
  bool present, known;
  qcc_status st = infer_axes(ctx, &axes, &n, &present, &known);
  if (st != QCC_OK)
    return st;
  if (x.rank < 0)
    return qcc_infer_unknown_dims(ctx, 0, x.elem, -1);
  if (!known)
    return qcc_infer_unknown_dims(ctx, 0, x.elem, n >= 0 && n <= x.rank ? x.rank - n : -1);
  bool mask[QCC_MAX_RANK];
  qcc_dim dims[QCC_MAX_RANK];
  int32_t r = 0;
  if (!present) {
    for (int32_t d = 0; d < x.rank; ++d) {
      if (x.dims[d].size < 0)
        return qcc_infer_unknown_dims(ctx, 0, x.elem, -1); /* may or may not be 1 */
      if (x.dims[d].size != 1)
        dims[r++] = x.dims[d];
    }
    return qcc_infer_set(ctx, 0, x.elem, r, dims);
  }
  if (!axes_mask(axes, n, x.rank, mask))
    return qcc_infer_error(ctx, "axes are out of range or repeated for rank %d", (int)x.rank);
  for (int32_t d = 0; d < x.rank; ++d) {
    if (!mask[d])
      dims[r++] = x.dims[d];
    else if (x.dims[d].size >= 0 && x.dims[d].size != 1)
      return qcc_infer_error(ctx, "cannot squeeze dimension %d of size %lld", (int)d,
                             (long long)x.dims[d].size);
  }
  return qcc_infer_set(ctx, 0, x.elem, r, dims);
}

static qcc_status squeeze_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                               qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  int64_t axes[QCC_MAX_RANK], n, dims[QCC_MAX_RANK];
  bool present, mask[QCC_MAX_RANK];
  qcc_status st = eval_axes(ctx, op, in, axes, &n, &present);
  if (st != QCC_OK)
    return st;
  if (present && !axes_mask(axes, n, x->rank, mask))
    return qcc_eval_error(ctx, "axes are out of range or repeated for rank %d", (int)x->rank);
  int32_t r = 0;
  for (int32_t d = 0; d < x->rank; ++d) {
    bool squeeze = present ? mask[d] : x->dims[d] == 1;
    if (squeeze && x->dims[d] != 1)
      return qcc_eval_error(ctx, "cannot squeeze dimension %d of size %lld", (int)d,
                            (long long)x->dims[d]);
    if (!squeeze)
      dims[r++] = x->dims[d];
  }
  out[0] = qcc_copy_with_shape(ctx, x, r, dims);
  return out[0] ? QCC_OK : QCC_ERR_INPUT;
}

const qcc_op_def qcc_op_def_Squeeze = {
    .kind = QCC_OP_Squeeze,
    QCC_OP_NAMES(Squeeze),
    .min_operands = 1,
    .max_operands = 2,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_OPT("axes", QCC_ATTR_INTS)),
    .infer = squeeze_infer,
    .eval = squeeze_eval,
};

static qcc_status unsqueeze_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  const int64_t *axes;
  int64_t n;
  bool present, known;
  qcc_status st = infer_axes(ctx, &axes, &n, &present, &known);
  if (st != QCC_OK)
    return st;
  if (!present)
    return qcc_infer_error(ctx, "axes are required");
  if (x.rank < 0 || !known)
    return qcc_infer_unknown_dims(ctx, 0, x.elem, x.rank < 0 || n < 0 ? -1 : x.rank + n);
  if (x.rank + n > QCC_MAX_RANK)
    return qcc_infer_error(ctx, "result rank %lld exceeds the supported maximum %d",
                           (long long)(x.rank + n), QCC_MAX_RANK);
  int32_t r = (int32_t)(x.rank + n);
  bool mask[QCC_MAX_RANK];
  if (!axes_mask(axes, n, r, mask))
    return qcc_infer_error(ctx, "axes are out of range or repeated for rank %d", (int)r);
  qcc_dim dims[QCC_MAX_RANK];
  for (int32_t d = 0, k = 0; d < r; ++d)
    dims[d] = mask[d] ? (qcc_dim){.size = 1} : x.dims[k++];
  return qcc_infer_set(ctx, 0, x.elem, r, dims);
}

static qcc_status unsqueeze_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                 qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  int64_t axes[QCC_MAX_RANK], n, dims[QCC_MAX_RANK];
  bool present, mask[QCC_MAX_RANK];
  qcc_status st = eval_axes(ctx, op, in, axes, &n, &present);
  if (st != QCC_OK)
    return st;
  if (!present)
    return qcc_eval_error(ctx, "axes are required");
  if (x->rank + n > QCC_MAX_RANK)
    return qcc_eval_error(ctx, "result rank exceeds the supported maximum %d", QCC_MAX_RANK);
  int32_t r = (int32_t)(x->rank + n);
  if (!axes_mask(axes, n, r, mask))
    return qcc_eval_error(ctx, "axes are out of range or repeated for rank %d", (int)r);
  for (int32_t d = 0, k = 0; d < r; ++d)
    dims[d] = mask[d] ? 1 : x->dims[k++];
  out[0] = qcc_copy_with_shape(ctx, x, r, dims);
  return out[0] ? QCC_OK : QCC_ERR_INPUT;
}

const qcc_op_def qcc_op_def_Unsqueeze = {
    .kind = QCC_OP_Unsqueeze,
    QCC_OP_NAMES(Unsqueeze),
    .min_operands = 1,
    .max_operands = 2,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_OPT("axes", QCC_ATTR_INTS)),
    .infer = unsqueeze_infer,
    .eval = unsqueeze_eval,
};
