/* Data-movement ops: Flatten, Reshape, Transpose, Concat, Split, Squeeze, Unsqueeze, Pad,
 * Cast, Shape, ConstantOfShape. They work on raw element bytes, so every element type is
 * supported without per-type code (Cast excepted). */
#include "ir/ops/op_util.h"

#include <string.h>

static const qcc_dim unknown_dim = {.size = -1, .sym = NULL};

/* Product of dims [begin, end): unknown when any is not static or the product overflows. */
static qcc_dim dim_product(const qcc_dim *dims, int32_t begin, int32_t end) {
  int64_t sizes[QCC_MAX_RANK], n;
  for (int32_t d = begin; d < end; ++d) {
    if (dims[d].size < 0)
      return unknown_dim;
    sizes[d - begin] = dims[d].size;
  }
  if (!qcc_shape_numel(sizes, end - begin, &n))
    return unknown_dim;
  return (qcc_dim){.size = n};
}

/* Product of dims [begin, end). Only bounded by the tensor's numel when that is non-zero
 * (an empty tensor may have huge other dims), hence the overflow check. */
static bool numel_range(const int64_t *dims, int32_t begin, int32_t end, int64_t *n) {
  return qcc_shape_numel(dims + begin, end - begin, n);
}

/* Result i: given rank with every dim unknown (unranked when rank < 0). */
static qcc_status infer_unknown_dims(qcc_infer_ctx *ctx, uint32_t i, qcc_elem elem, int64_t rank) {
  qcc_dim dims[QCC_MAX_RANK];
  if (rank < 0) {
    ctx->results[i] = qcc_type_unranked(elem);
    return QCC_OK;
  }
  if (rank > QCC_MAX_RANK)
    return qcc_infer_error(ctx, "result rank %lld exceeds the supported maximum %d",
                           (long long)rank, QCC_MAX_RANK);
  for (int64_t d = 0; d < rank; ++d)
    dims[d] = unknown_dim;
  return qcc_infer_set(ctx, i, elem, (int32_t)rank, dims);
}

/* Static length of a 1-D operand (e.g. a shape or axes vector), or -1. */
static int64_t operand_length(const qcc_infer_ctx *ctx, uint32_t i) {
  qcc_type t = qcc_operand_type(ctx, i);
  if (t.rank == 0)
    return 1;
  if (t.rank == 1 && t.dims[0].size >= 0)
    return t.dims[0].size;
  return -1;
}

static qcc_status expect_index_elem(qcc_infer_ctx *ctx, uint32_t i, const char *what) {
  qcc_elem e = qcc_operand_type(ctx, i).elem;
  if (e != QCC_I64 && e != QCC_I32)
    return qcc_infer_error(ctx, "%s must be i64, not %s", what, qcc_elem_name(e));
  return QCC_OK;
}

/* Runtime integer vector (0-D or 1-D) into `out` (at most `cap` entries). */
static qcc_status read_ints(qcc_eval_ctx *ctx, const qcc_tensor *t, const char *what, int64_t cap,
                            int64_t *out, int64_t *count) {
  if (t->rank > 1)
    return qcc_eval_error(ctx, "%s must be a 1-D tensor", what);
  if (!qcc_elem_is_int(t->elem))
    return qcc_eval_error(ctx, "%s must be an integer tensor", what);
  if (t->numel > cap)
    return qcc_eval_error(ctx, "%s has %lld entries, more than the supported %lld", what,
                          (long long)t->numel, (long long)cap);
  for (int64_t i = 0; i < t->numel; ++i)
    out[i] = qcc_tensor_get_i64(t, i);
  *count = t->numel;
  return QCC_OK;
}

static qcc_tensor *copy_with_shape(qcc_eval_ctx *ctx, const qcc_tensor *x, int32_t rank,
                                   const int64_t *dims) {
  qcc_tensor *t = qcc_eval_alloc(ctx, x->elem, rank, dims);
  if (t)
    memcpy(t->data, x->data, (size_t)x->numel * qcc_elem_size(x->elem));
  return t;
}

/* ---- Flatten ---------------------------------------------------------------------------- */

static qcc_status flatten_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  int64_t axis = qcc_op_attr_int(ctx->op, "axis");
  if (x.rank < 0)
    return infer_unknown_dims(ctx, 0, x.elem, 2);
  if (axis < -(int64_t)x.rank || axis > x.rank)
    return qcc_infer_error(ctx, "axis %lld is out of range for rank %d", (long long)axis,
                           (int)x.rank);
  int32_t a = (int32_t)(axis < 0 ? axis + x.rank : axis);
  qcc_dim dims[2] = {dim_product(x.dims, 0, a), dim_product(x.dims, a, x.rank)};
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
  if (!numel_range(x->dims, 0, a, &dims[0]) || !numel_range(x->dims, a, x->rank, &dims[1]))
    return qcc_eval_error(ctx, "flattened size overflows");
  out[0] = copy_with_shape(ctx, x, 2, dims);
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

static qcc_status reshape_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  bool allowzero = qcc_op_attr_int(ctx->op, "allowzero") != 0;
  qcc_status st = expect_index_elem(ctx, 1, "shape");
  if (st != QCC_OK)
    return st;
  const int64_t *shape;
  int64_t n;
  if (!qcc_infer_const_ints(ctx, 1, &shape, &n))
    return infer_unknown_dims(ctx, 0, x.elem, operand_length(ctx, 1));
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
      dims[i] = unknown_dim;
    } else if (shape[i] < -1) {
      return qcc_infer_error(ctx, "shape entry %lld is negative", (long long)shape[i]);
    } else if (shape[i] == 0 && !allowzero) {
      if (x.rank >= 0 && i >= x.rank)
        return qcc_infer_error(ctx, "shape entry %lld is 0 but the input has rank %d", (long long)i,
                               (int)x.rank);
      dims[i] = x.rank >= 0 ? x.dims[i] : unknown_dim;
    } else {
      has_zero |= shape[i] == 0;
      dims[i] = (qcc_dim){.size = shape[i]};
    }
  }
  if (has_zero && infer_at >= 0)
    return qcc_infer_error(ctx, "shape has both 0 and -1 with allowzero=1");
  qcc_dim total = x.rank >= 0 ? dim_product(x.dims, 0, x.rank) : unknown_dim;
  if (infer_at >= 0 && total.size >= 0) {
    qcc_dim rest = dim_product(dims, 0, infer_at);
    qcc_dim rest2 = dim_product(dims, infer_at + 1, (int32_t)n);
    if (rest.size >= 0 && rest2.size >= 0) {
      if (rest2.size != 0 && rest.size > INT64_MAX / rest2.size)
        return qcc_infer_error(ctx, "shape product overflows");
      int64_t known = rest.size * rest2.size;
      if (known == 0 ? total.size != 0 : total.size % known != 0)
        return qcc_infer_error(ctx, "cannot reshape %lld elements with the given shape",
                               (long long)total.size);
      dims[infer_at] = (qcc_dim){.size = known == 0 ? 0 : total.size / known};
    }
  } else if (infer_at < 0 && total.size >= 0) {
    qcc_dim out = dim_product(dims, 0, (int32_t)n);
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
  qcc_status st = read_ints(ctx, in[1], "shape", QCC_MAX_RANK, dims, &n);
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
  out[0] = copy_with_shape(ctx, x, (int32_t)n, dims);
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

/* ---- Transpose -------------------------------------------------------------------------- */

/* The permutation: the attribute, or the reversal of `rank` dims. */
static bool transpose_perm(const qcc_op *op, int32_t rank, int32_t *perm, int32_t *n) {
  const int64_t *p;
  uint32_t np = qcc_op_attr_ints(op, "perm", &p);
  if (!qcc_op_attr(op, "perm")) {
    if (rank < 0)
      return false;
    for (int32_t i = 0; i < rank; ++i)
      perm[i] = rank - 1 - i;
    *n = rank;
    return true;
  }
  if (np > QCC_MAX_RANK || (rank >= 0 && (int32_t)np != rank))
    return false;
  bool seen[QCC_MAX_RANK] = {false};
  for (uint32_t i = 0; i < np; ++i) {
    if (p[i] < 0 || p[i] >= (int64_t)np || seen[p[i]])
      return false;
    seen[p[i]] = true;
    perm[i] = (int32_t)p[i];
  }
  *n = (int32_t)np;
  return true;
}

static qcc_status transpose_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  int32_t perm[QCC_MAX_RANK], n;
  if (x.rank < 0 && !qcc_op_attr(ctx->op, "perm"))
    return infer_unknown_dims(ctx, 0, x.elem, -1);
  if (!transpose_perm(ctx->op, x.rank, perm, &n))
    return qcc_infer_error(ctx, "perm is not a permutation of the input's %d dims", (int)x.rank);
  if (x.rank < 0)
    return infer_unknown_dims(ctx, 0, x.elem, n);
  qcc_dim dims[QCC_MAX_RANK];
  for (int32_t i = 0; i < n; ++i)
    dims[i] = x.dims[perm[i]];
  return qcc_infer_set(ctx, 0, x.elem, n, dims);
}

static qcc_status transpose_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                 qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  int32_t perm[QCC_MAX_RANK], n;
  if (!transpose_perm(op, x->rank, perm, &n))
    return qcc_eval_error(ctx, "perm is not a permutation of the input's %d dims", (int)x->rank);
  int64_t dims[QCC_MAX_RANK], in_strides[QCC_MAX_RANK], strides[QCC_MAX_RANK];
  for (int32_t i = 0; i < n; ++i)
    dims[i] = x->dims[perm[i]];
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, x->elem, n, dims);
  if (!y)
    return QCC_ERR_INPUT;
  if (y->numel == 0)
    return QCC_OK;
  int64_t s = 1;
  for (int32_t d = x->rank - 1; d >= 0; --d) {
    in_strides[d] = s;
    s *= x->dims[d];
  }
  for (int32_t i = 0; i < n; ++i)
    strides[i] = in_strides[perm[i]];
  size_t es = qcc_elem_size(x->elem);
  int64_t idx[QCC_MAX_RANK] = {0}, o = 0;
  do {
    int64_t off = 0;
    for (int32_t i = 0; i < n; ++i)
      off += idx[i] * strides[i];
    memcpy((char *)y->data + (size_t)o++ * es, (const char *)x->data + (size_t)off * es, es);
  } while (qcc_index_next(idx, dims, n));
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Transpose = {
    .kind = QCC_OP_Transpose,
    QCC_OP_NAMES(Transpose),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_OPT("perm", QCC_ATTR_INTS)),
    .infer = transpose_infer,
    .eval = transpose_eval,
};

/* ---- Concat ----------------------------------------------------------------------------- */

static qcc_status concat_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  int64_t axis = qcc_op_attr_int(op, "axis");
  qcc_elem elem = qcc_operand_type(ctx, 0).elem;
  int32_t rank = -1;
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    if (!qcc_has_operand(op, i))
      return qcc_infer_error(ctx, "operand %u is missing", i);
    qcc_type t = qcc_operand_type(ctx, i);
    if (t.elem != elem)
      return qcc_infer_error(ctx, "operand %u is %s but operand 0 is %s", i, qcc_elem_name(t.elem),
                             qcc_elem_name(elem));
    if (t.rank >= 0) {
      if (rank >= 0 && t.rank != rank)
        return qcc_infer_error(ctx, "operands have different ranks (%d and %d)", (int)rank,
                               (int)t.rank);
      rank = t.rank;
    }
  }
  if (rank < 0)
    return infer_unknown_dims(ctx, 0, elem, -1);
  int32_t a;
  qcc_status st = qcc_infer_axis(ctx, axis, rank, &a);
  if (st != QCC_OK)
    return st;
  qcc_dim dims[QCC_MAX_RANK];
  for (int32_t d = 0; d < rank; ++d)
    dims[d] = d == a ? (qcc_dim){.size = 0} : unknown_dim;
  bool first = true;
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    qcc_type t = qcc_operand_type(ctx, i);
    if (t.rank < 0) {
      dims[a] = unknown_dim;
      continue;
    }
    for (int32_t d = 0; d < rank; ++d) {
      qcc_dim x = t.dims[d];
      if (d == a) {
        if (x.size < 0 || dims[a].size < 0 || dims[a].size > INT64_MAX - x.size)
          dims[a] = unknown_dim;
        else
          dims[a].size += x.size;
      } else if (first || (dims[d].size < 0 && x.size >= 0)) {
        dims[d] = x;
      } else if (x.size >= 0 && dims[d].size >= 0 && x.size != dims[d].size) {
        return qcc_infer_error(ctx, "operand %u has size %lld in dimension %d, expected %lld", i,
                               (long long)x.size, (int)d, (long long)dims[d].size);
      }
    }
    first = false;
  }
  return qcc_infer_set(ctx, 0, elem, rank, dims);
}

static qcc_status concat_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                              qcc_tensor **out) {
  const qcc_tensor *x0 = in[0];
  int64_t axis = qcc_op_attr_int(op, "axis");
  int32_t rank = x0->rank;
  if (axis < -(int64_t)rank || axis >= rank)
    return qcc_eval_error(ctx, "axis %lld is out of range for rank %d", (long long)axis, (int)rank);
  int32_t a = (int32_t)(axis < 0 ? axis + rank : axis);
  int64_t dims[QCC_MAX_RANK];
  memcpy(dims, x0->dims, sizeof dims);
  dims[a] = 0;
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    const qcc_tensor *t = in[i];
    if (!t || t->rank != rank || t->elem != x0->elem)
      return qcc_eval_error(ctx, "operand %u does not match operand 0's type and rank", i);
    for (int32_t d = 0; d < rank; ++d)
      if (d != a && t->dims[d] != x0->dims[d])
        return qcc_eval_error(ctx, "operand %u has size %lld in dimension %d, expected %lld", i,
                              (long long)t->dims[d], (int)d, (long long)x0->dims[d]);
    if (t->dims[a] > INT64_MAX - dims[a])
      return qcc_eval_error(ctx, "concatenated size overflows");
    dims[a] += t->dims[a];
  }
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, x0->elem, rank, dims);
  if (!y)
    return QCC_ERR_INPUT;
  if (y->numel == 0)
    return QCC_OK;
  /* Non-empty result: every product below is bounded by its numel. */
  size_t es = qcc_elem_size(x0->elem);
  int64_t outer, part;
  numel_range(dims, 0, a, &outer);
  char *dst = y->data;
  for (int64_t o = 0; o < outer; ++o) {
    for (uint32_t i = 0; i < op->num_operands; ++i) {
      numel_range(in[i]->dims, a, rank, &part);
      size_t chunk = (size_t)part * es;
      memcpy(dst, (const char *)in[i]->data + (size_t)o * chunk, chunk);
      dst += chunk;
    }
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Concat = {
    .kind = QCC_OP_Concat,
    QCC_OP_NAMES(Concat),
    .min_operands = 1,
    .max_operands = QCC_VARIADIC,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_REQ("axis", QCC_ATTR_INT)),
    .infer = concat_infer,
    .eval = concat_eval,
};

/* ---- Split ------------------------------------------------------------------------------ */

/* Sizes of the parts along an axis of length `len` when no explicit split is given:
 * equal parts, or (num_outputs, opset 18) ceil-sized parts with a smaller last one. */
static bool split_equal(int64_t len, uint32_t parts, bool uneven_ok, int64_t *sizes) {
  if (len % parts != 0 && !uneven_ok)
    return false;
  int64_t each = len / parts + (len % parts != 0);
  int64_t left = len;
  for (uint32_t i = 0; i < parts; ++i) {
    sizes[i] = each < left ? each : left;
    left -= sizes[i];
  }
  return true;
}

static qcc_status split_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  qcc_type x = qcc_operand_type(ctx, 0);
  uint32_t parts = op->num_results;
  int64_t num_outputs = qcc_op_attr(op, "num_outputs") ? qcc_op_attr_int(op, "num_outputs") : -1;
  if (num_outputs >= 0 && num_outputs != parts)
    return qcc_infer_error(ctx, "num_outputs is %lld but the op has %u results",
                           (long long)num_outputs, parts);
  if (x.rank < 0) {
    for (uint32_t i = 0; i < parts; ++i)
      infer_unknown_dims(ctx, i, x.elem, -1);
    return QCC_OK;
  }
  int32_t a;
  qcc_status st = qcc_infer_axis(ctx, qcc_op_attr_int(op, "axis"), x.rank, &a);
  if (st != QCC_OK)
    return st;
  const int64_t *split = NULL;
  int64_t nsplit = 0;
  bool known = true;
  if (qcc_op_attr(op, "split")) {
    nsplit = qcc_op_attr_ints(op, "split", &split);
  } else if (qcc_has_operand(op, 1)) {
    if ((st = expect_index_elem(ctx, 1, "split")) != QCC_OK)
      return st;
    known = qcc_infer_const_ints(ctx, 1, &split, &nsplit);
  }
  int64_t *sizes = qcc_arena_alloc_array(ctx->arena, parts, sizeof(int64_t));
  if (!sizes)
    return QCC_ERR_NOMEM;
  if (split && known) {
    if (nsplit != parts)
      return qcc_infer_error(ctx, "split has %lld entries but the op has %u results",
                             (long long)nsplit, parts);
    int64_t sum = 0;
    for (uint32_t i = 0; i < parts; ++i) {
      if (split[i] < 0 || split[i] > INT64_MAX - sum)
        return qcc_infer_error(ctx, "split entry %lld is invalid", (long long)split[i]);
      sizes[i] = split[i];
      sum += split[i];
    }
    if (x.dims[a].size >= 0 && sum != x.dims[a].size)
      return qcc_infer_error(ctx, "split sums to %lld but the axis has %lld", (long long)sum,
                             (long long)x.dims[a].size);
  } else if (known && x.dims[a].size >= 0) {
    if (!split_equal(x.dims[a].size, parts, num_outputs >= 0, sizes))
      return qcc_infer_error(ctx, "axis of length %lld cannot be split into %u equal parts",
                             (long long)x.dims[a].size, parts);
  } else {
    known = false;
  }
  qcc_dim dims[QCC_MAX_RANK];
  memcpy(dims, x.dims, (size_t)x.rank * sizeof(qcc_dim));
  for (uint32_t i = 0; i < parts; ++i) {
    dims[a] = known ? (qcc_dim){.size = sizes[i]} : unknown_dim;
    if ((st = qcc_infer_set(ctx, i, x.elem, x.rank, dims)) != QCC_OK)
      return st;
  }
  return QCC_OK;
}

static qcc_status split_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                             qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  uint32_t parts = op->num_results;
  int64_t axis = qcc_op_attr_int(op, "axis");
  if (axis < -(int64_t)x->rank || axis >= x->rank)
    return qcc_eval_error(ctx, "axis %lld is out of range for rank %d", (long long)axis,
                          (int)x->rank);
  int32_t a = (int32_t)(axis < 0 ? axis + x->rank : axis);
  int64_t sizes[64];
  if (parts > 64)
    return qcc_eval_error(ctx, "too many results");
  const int64_t *split_attr;
  uint32_t nattr = qcc_op_attr_ints(op, "split", &split_attr);
  int64_t nsplit = -1;
  if (qcc_op_attr(op, "split")) {
    if (nattr > 64)
      return qcc_eval_error(ctx, "split has too many entries");
    memcpy(sizes, split_attr, nattr * sizeof(int64_t));
    nsplit = nattr;
  } else if (op->num_operands > 1 && in[1]) {
    qcc_status st = read_ints(ctx, in[1], "split", 64, sizes, &nsplit);
    if (st != QCC_OK)
      return st;
  }
  if (nsplit >= 0) {
    if (nsplit != parts)
      return qcc_eval_error(ctx, "split has %lld entries but the op has %u results",
                            (long long)nsplit, parts);
    int64_t sum = 0;
    for (uint32_t i = 0; i < parts; ++i) {
      if (sizes[i] < 0 || sizes[i] > x->dims[a])
        return qcc_eval_error(ctx, "split entry %lld is invalid", (long long)sizes[i]);
      sum += sizes[i];
    }
    if (sum != x->dims[a])
      return qcc_eval_error(ctx, "split sums to %lld but the axis has %lld", (long long)sum,
                            (long long)x->dims[a]);
  } else if (!split_equal(x->dims[a], parts, qcc_op_attr(op, "num_outputs") != NULL, sizes)) {
    return qcc_eval_error(ctx, "axis of length %lld cannot be split into %u equal parts",
                          (long long)x->dims[a], parts);
  }
  size_t es = qcc_elem_size(x->elem);
  int64_t outer = 0, inner = 0, start = 0;
  if (x->numel > 0) { /* else nothing is copied and the products may overflow */
    numel_range(x->dims, 0, a, &outer);
    numel_range(x->dims, a + 1, x->rank, &inner);
  }
  for (uint32_t i = 0; i < parts; ++i) {
    int64_t dims[QCC_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[a] = sizes[i];
    qcc_tensor *y = out[i] = qcc_eval_alloc(ctx, x->elem, x->rank, dims);
    if (!y)
      return QCC_ERR_INPUT;
    size_t chunk = (size_t)(sizes[i] * inner) * es;
    for (int64_t o = 0; o < outer; ++o)
      memcpy((char *)y->data + (size_t)o * chunk,
             (const char *)x->data + ((size_t)(o * x->dims[a] + start) * (size_t)inner) * es,
             chunk);
    start += sizes[i];
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Split = {
    .kind = QCC_OP_Split,
    QCC_OP_NAMES(Split),
    .min_operands = 1,
    .max_operands = 2,
    .min_results = 1,
    .max_results = QCC_VARIADIC,
    .attrs = QCC_ATTRS(QCC_ATTR_I("axis", 0), QCC_ATTR_OPT("split", QCC_ATTR_INTS),
                       QCC_ATTR_OPT("num_outputs", QCC_ATTR_INT)),
    .infer = split_infer,
    .eval = split_eval,
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
  qcc_status st = expect_index_elem(ctx, 1, "axes");
  if (st != QCC_OK)
    return st;
  if (!qcc_infer_const_ints(ctx, 1, axes, n)) {
    *known = false;
    *n = operand_length(ctx, 1);
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
  return read_ints(ctx, in[1], "axes", QCC_MAX_RANK, axes, n);
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
    return infer_unknown_dims(ctx, 0, x.elem, -1);
  if (!known)
    return infer_unknown_dims(ctx, 0, x.elem, n >= 0 && n <= x.rank ? x.rank - n : -1);
  bool mask[QCC_MAX_RANK];
  qcc_dim dims[QCC_MAX_RANK];
  int32_t r = 0;
  if (!present) {
    for (int32_t d = 0; d < x.rank; ++d) {
      if (x.dims[d].size < 0)
        return infer_unknown_dims(ctx, 0, x.elem, -1); /* may or may not be 1 */
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
  out[0] = copy_with_shape(ctx, x, r, dims);
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
    return infer_unknown_dims(ctx, 0, x.elem, x.rank < 0 || n < 0 ? -1 : x.rank + n);
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
  out[0] = copy_with_shape(ctx, x, r, dims);
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

/* ---- Pad -------------------------------------------------------------------------------- */

typedef enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

static bool parse_pad_mode(const char *s, pad_mode *m) {
  static const char *const names[] = {"constant", "reflect", "edge", "wrap"};
  for (int i = 0; i < 4; ++i)
    if (strcmp(s, names[i]) == 0) {
      *m = (pad_mode)i;
      return true;
    }
  return false;
}

static qcc_status pad_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  qcc_type x = qcc_operand_type(ctx, 0);
  pad_mode mode;
  if (!parse_pad_mode(qcc_op_attr_string(op, "mode"), &mode))
    return qcc_infer_error(ctx, "unknown mode '%s'", qcc_op_attr_string(op, "mode"));
  if (qcc_has_operand(op, 2) && qcc_operand_type(ctx, 2).elem != x.elem)
    return qcc_infer_error(ctx, "constant_value must be %s", qcc_elem_name(x.elem));
  if (x.rank < 0)
    return infer_unknown_dims(ctx, 0, x.elem, -1);
  const int64_t *pads = NULL, *axes = NULL;
  int64_t npads = 0, naxes = x.rank;
  bool known = true;
  qcc_status st;
  if (qcc_op_attr(op, "pads")) {
    npads = qcc_op_attr_ints(op, "pads", &pads);
  } else if (qcc_has_operand(op, 1)) {
    if ((st = expect_index_elem(ctx, 1, "pads")) != QCC_OK)
      return st;
    known = qcc_infer_const_ints(ctx, 1, &pads, &npads);
  } else {
    return qcc_infer_error(ctx, "pads are required");
  }
  if (qcc_has_operand(op, 3)) {
    if ((st = expect_index_elem(ctx, 3, "axes")) != QCC_OK)
      return st;
    known = known && qcc_infer_const_ints(ctx, 3, &axes, &naxes);
  }
  if (!known)
    return infer_unknown_dims(ctx, 0, x.elem, x.rank);
  if (npads != 2 * naxes)
    return qcc_infer_error(ctx, "pads has %lld entries, expected %lld", (long long)npads,
                           (long long)(2 * naxes));
  qcc_dim dims[QCC_MAX_RANK];
  memcpy(dims, x.dims, (size_t)x.rank * sizeof(qcc_dim));
  bool seen[QCC_MAX_RANK] = {false};
  for (int64_t i = 0; i < naxes; ++i) {
    int64_t a = axes ? axes[i] : i;
    if (a < 0)
      a += x.rank;
    if (a < 0 || a >= x.rank || seen[a])
      return qcc_infer_error(ctx, "axes are out of range or repeated for rank %d", (int)x.rank);
    seen[a] = true;
    int64_t b = pads[i], e = pads[i + naxes];
    if (b < -((int64_t)1 << 40) || b > ((int64_t)1 << 40) || e < -((int64_t)1 << 40) ||
        e > ((int64_t)1 << 40))
      return qcc_infer_error(ctx, "pad amount is out of range");
    if (dims[a].size >= ((int64_t)1 << 61)) {
      dims[a] = unknown_dim; /* too large to adjust safely; the eval checks the real size */
    } else if (dims[a].size >= 0) {
      int64_t s = dims[a].size + b + e;
      if (s < 0)
        return qcc_infer_error(ctx, "negative pads remove more than dimension %lld has",
                               (long long)a);
      dims[a] = (qcc_dim){.size = s};
    } else if (b != 0 || e != 0) {
      dims[a] = unknown_dim;
    }
  }
  return qcc_infer_set(ctx, 0, x.elem, x.rank, dims);
}

/* Maps an out-of-range coordinate into [0, n) for the non-constant modes. */
static int64_t pad_source_index(pad_mode mode, int64_t i, int64_t n) {
  switch (mode) {
  case PAD_EDGE: return i < 0 ? 0 : i >= n ? n - 1 : i;
  case PAD_WRAP: {
    int64_t r = i % n;
    return r < 0 ? r + n : r;
  }
  case PAD_REFLECT: {
    if (n == 1)
      return 0;
    int64_t period = 2 * (n - 1), r = i % period;
    if (r < 0)
      r += period;
    return r < n ? r : period - r;
  }
  default: return i;
  }
}

static qcc_status pad_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                           qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  int32_t rank = x->rank;
  pad_mode mode;
  if (!parse_pad_mode(qcc_op_attr_string(op, "mode"), &mode))
    return qcc_eval_error(ctx, "unknown mode");
  int64_t pads[2 * QCC_MAX_RANK], npads, axes[QCC_MAX_RANK], naxes = rank;
  qcc_status st;
  const int64_t *attr;
  if (qcc_op_attr(op, "pads")) {
    uint32_t na = qcc_op_attr_ints(op, "pads", &attr);
    if (na > 2 * QCC_MAX_RANK)
      return qcc_eval_error(ctx, "pads has too many entries");
    memcpy(pads, attr, na * sizeof(int64_t));
    npads = na;
  } else if (op->num_operands > 1 && in[1]) {
    if ((st = read_ints(ctx, in[1], "pads", 2 * QCC_MAX_RANK, pads, &npads)) != QCC_OK)
      return st;
  } else {
    return qcc_eval_error(ctx, "pads are required");
  }
  if (op->num_operands > 3 && in[3]) {
    if ((st = read_ints(ctx, in[3], "axes", QCC_MAX_RANK, axes, &naxes)) != QCC_OK)
      return st;
  } else {
    for (int32_t d = 0; d < rank; ++d)
      axes[d] = d;
  }
  if (npads != 2 * naxes)
    return qcc_eval_error(ctx, "pads has %lld entries, expected %lld", (long long)npads,
                          (long long)(2 * naxes));
  int64_t begin[QCC_MAX_RANK] = {0}, dims[QCC_MAX_RANK];
  memcpy(dims, x->dims, sizeof dims);
  bool seen[QCC_MAX_RANK] = {false};
  for (int64_t i = 0; i < naxes; ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank || seen[a])
      return qcc_eval_error(ctx, "axes are out of range or repeated for rank %d", (int)rank);
    seen[a] = true;
    int64_t b = pads[i], e = pads[i + naxes], lim = (int64_t)1 << 40;
    if (b < -lim || b > lim || e < -lim || e > lim || x->dims[a] > lim || x->dims[a] + b + e < 0)
      return qcc_eval_error(ctx, "pads are out of range for dimension %lld", (long long)a);
    begin[a] = b;
    dims[a] = x->dims[a] + b + e;
  }
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, x->elem, rank, dims);
  if (!y)
    return QCC_ERR_INPUT;
  if (y->numel == 0)
    return QCC_OK;
  size_t es = qcc_elem_size(x->elem);
  /* The fill value in the element type's bytes. */
  unsigned char fill[8] = {0};
  if (mode == PAD_CONSTANT) {
    const qcc_tensor *cv = op->num_operands > 2 ? in[2] : NULL;
    if (cv && cv->numel > 0) {
      if (cv->elem != x->elem)
        return qcc_eval_error(ctx, "constant_value must be %s", qcc_elem_name(x->elem));
      memcpy(fill, cv->data, es);
    } else if (qcc_op_attr(op, "value")) {
      int64_t one = 1;
      qcc_tensor *tmp = qcc_eval_alloc(ctx, x->elem, 1, &one);
      if (!tmp)
        return QCC_ERR_INPUT;
      qcc_tensor_set_f64(tmp, 0, qcc_op_attr_float(op, "value"));
      memcpy(fill, tmp->data, es);
      qcc_tensor_free(tmp);
    }
  } else {
    for (int32_t d = 0; d < rank; ++d)
      if (x->dims[d] == 0 && dims[d] > 0)
        return qcc_eval_error(ctx, "cannot pad an empty dimension in this mode");
  }
  if (x->numel == 0) { /* constant mode: everything is fill */
    for (int64_t i = 0; i < y->numel; ++i)
      memcpy((char *)y->data + (size_t)i * es, fill, es);
    return QCC_OK;
  }
  int64_t strides[QCC_MAX_RANK], s = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    strides[d] = s;
    s *= x->dims[d];
  }
  int64_t idx[QCC_MAX_RANK] = {0}, o = 0;
  do {
    int64_t off = 0;
    bool outside = false;
    for (int32_t d = 0; d < rank; ++d) {
      int64_t i = idx[d] - begin[d];
      if (i < 0 || i >= x->dims[d]) {
        if (mode == PAD_CONSTANT) {
          outside = true;
          break;
        }
        i = pad_source_index(mode, i, x->dims[d]);
      }
      off += i * strides[d];
    }
    void *dst = (char *)y->data + (size_t)o++ * es;
    memcpy(dst, outside ? (const void *)fill : (const char *)x->data + (size_t)off * es, es);
  } while (qcc_index_next(idx, dims, rank));
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Pad = {
    .kind = QCC_OP_Pad,
    QCC_OP_NAMES(Pad),
    .min_operands = 1,
    .max_operands = 4,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_S("mode", "constant"), QCC_ATTR_OPT("pads", QCC_ATTR_INTS),
                       QCC_ATTR_F("value", 0.0f)),
    .infer = pad_infer,
    .eval = pad_eval,
};

/* ---- Cast ------------------------------------------------------------------------------- */

/* ONNX TensorProto.DataType numbers of the element types qcc supports. */
static bool elem_from_onnx(int64_t dt, qcc_elem *out) {
  switch (dt) {
  case 1: *out = QCC_F32; return true;
  case 2: *out = QCC_U8; return true;
  case 3: *out = QCC_I8; return true;
  case 6: *out = QCC_I32; return true;
  case 7: *out = QCC_I64; return true;
  case 9: *out = QCC_BOOL; return true;
  case 10: *out = QCC_F16; return true;
  default: return false;
  }
}

static qcc_status cast_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  qcc_elem to;
  int64_t dt = qcc_op_attr_int(ctx->op, "to");
  if (!elem_from_onnx(dt, &to))
    return qcc_infer_error(ctx, "unsupported target data type %lld", (long long)dt);
  return qcc_infer_set(ctx, 0, to, x.rank, x.dims);
}

static qcc_status cast_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                            qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  qcc_elem to;
  if (!elem_from_onnx(qcc_op_attr_int(op, "to"), &to))
    return qcc_eval_error(ctx, "unsupported target data type");
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, to, x->rank, x->dims);
  if (!y)
    return QCC_ERR_INPUT;
  bool from_float = qcc_elem_is_float(x->elem);
  int64_t lo, hi;
  qcc_elem_int_range(to, &lo, &hi);
  for (int64_t i = 0; i < x->numel; ++i) {
    if (qcc_elem_is_float(to) || to == QCC_BOOL) {
      qcc_tensor_set_f64(y, i, qcc_tensor_get_f64(x, i));
    } else if (from_float) {
      /* Out-of-range conversions are undefined in ONNX: truncate toward zero, NaN -> 0 and
       * clamp to the target range instead of invoking C undefined behaviour. */
      double v = qcc_tensor_get_f64(x, i);
      int64_t q;
      if (!(v == v))
        q = 0;
      else if (v <= (double)lo)
        q = lo;
      else if (v >= (double)hi)
        q = hi;
      else
        q = (int64_t)v;
      qcc_tensor_set_i64(y, i, q);
    } else {
      /* Integer narrowing wraps modulo 2^bits like numpy's astype. */
      qcc_tensor_set_i64(y, i, qcc_tensor_get_i64(x, i));
    }
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Cast = {
    .kind = QCC_OP_Cast,
    QCC_OP_NAMES(Cast),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_REQ("to", QCC_ATTR_INT), QCC_ATTR_I("saturate", 1)),
    .infer = cast_infer,
    .eval = cast_eval,
};

/* ---- Shape ------------------------------------------------------------------------------ */

static void shape_range(const qcc_op *op, int32_t rank, int64_t *start, int64_t *end) {
  int64_t s = qcc_op_attr_int(op, "start"),
          e = qcc_op_attr(op, "end") ? qcc_op_attr_int(op, "end") : rank;
  if (s < 0)
    s += rank;
  if (e < 0)
    e += rank;
  s = s < 0 ? 0 : s > rank ? rank : s;
  e = e < 0 ? 0 : e > rank ? rank : e;
  *start = s;
  *end = e < s ? s : e;
}

static qcc_status shape_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  if (x.rank < 0)
    return infer_unknown_dims(ctx, 0, QCC_I64, 1);
  int64_t s, e;
  shape_range(ctx->op, x.rank, &s, &e);
  int64_t len = e - s;
  return qcc_infer_set_static(ctx, 0, QCC_I64, 1, &len);
}

static qcc_status shape_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                             qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  int64_t s, e;
  shape_range(op, x->rank, &s, &e);
  int64_t len = e - s;
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, QCC_I64, 1, &len);
  if (!y)
    return QCC_ERR_INPUT;
  for (int64_t i = 0; i < len; ++i)
    ((int64_t *)y->data)[i] = x->dims[s + i];
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Shape = {
    .kind = QCC_OP_Shape,
    QCC_OP_NAMES(Shape),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_I("start", 0), QCC_ATTR_OPT("end", QCC_ATTR_INT)),
    .infer = shape_infer,
    .eval = shape_eval,
};

/* ---- ConstantOfShape -------------------------------------------------------------------- */

static qcc_status cos_value(const qcc_op *op, qcc_elem *elem, const void **bytes) {
  const qcc_attr *a = qcc_op_attr(op, "value");
  static const float zero = 0.0f;
  if (!a || a->kind != QCC_ATTR_TENSOR || !a->tensor) {
    *elem = QCC_F32;
    *bytes = &zero;
    return QCC_OK;
  }
  const qcc_const *k = a->tensor;
  int64_t n;
  if (!qcc_type_numel(k->type, &n) || n != 1 || k->nbytes < qcc_elem_size(k->type.elem))
    return QCC_ERR_INPUT;
  *elem = k->type.elem;
  *bytes = k->data;
  return QCC_OK;
}

static qcc_status cos_infer(qcc_infer_ctx *ctx) {
  qcc_elem elem;
  const void *bytes;
  if (cos_value(ctx->op, &elem, &bytes) != QCC_OK)
    return qcc_infer_error(ctx, "value must be a one-element tensor");
  qcc_status st = expect_index_elem(ctx, 0, "shape");
  if (st != QCC_OK)
    return st;
  const int64_t *shape;
  int64_t n;
  if (!qcc_infer_const_ints(ctx, 0, &shape, &n))
    return infer_unknown_dims(ctx, 0, elem, operand_length(ctx, 0));
  if (n > QCC_MAX_RANK)
    return qcc_infer_error(ctx, "rank %lld exceeds the supported maximum %d", (long long)n,
                           QCC_MAX_RANK);
  for (int64_t i = 0; i < n; ++i)
    if (shape[i] < 0)
      return qcc_infer_error(ctx, "shape entry %lld is negative", (long long)shape[i]);
  return qcc_infer_set_static(ctx, 0, elem, (int32_t)n, shape);
}

static qcc_status cos_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                           qcc_tensor **out) {
  qcc_elem elem;
  const void *bytes;
  if (cos_value(op, &elem, &bytes) != QCC_OK)
    return qcc_eval_error(ctx, "value must be a one-element tensor");
  int64_t dims[QCC_MAX_RANK], n;
  qcc_status st = read_ints(ctx, in[0], "shape", QCC_MAX_RANK, dims, &n);
  if (st != QCC_OK)
    return st;
  for (int64_t i = 0; i < n; ++i)
    if (dims[i] < 0)
      return qcc_eval_error(ctx, "shape entry %lld is negative", (long long)dims[i]);
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, elem, (int32_t)n, dims);
  if (!y)
    return QCC_ERR_INPUT;
  size_t es = qcc_elem_size(elem);
  for (int64_t i = 0; i < y->numel; ++i)
    memcpy((char *)y->data + (size_t)i * es, bytes, es);
  return QCC_OK;
}

const qcc_op_def qcc_op_def_ConstantOfShape = {
    .kind = QCC_OP_ConstantOfShape,
    QCC_OP_NAMES(ConstantOfShape),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_OPT("value", QCC_ATTR_TENSOR)),
    .infer = cos_infer,
    .eval = cos_eval,
};
