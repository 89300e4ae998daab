/* Indexing ops: Slice and Gather (element-type generic byte copies). */
#include "ir/ops/layout_util.h"

#include <string.h>

static qcc_status expect_index_operand(qcc_infer_ctx *ctx, uint32_t i, const char *what) {
  qcc_type t = qcc_operand_type(ctx, i);
  if (t.elem != QCC_I64 && t.elem != QCC_I32)
    return qcc_infer_error(ctx, "%s must be i32 or i64, not %s", what, qcc_elem_name(t.elem));
  if (t.rank > 1)
    return qcc_infer_error(ctx, "%s must be 1-D", what);
  return QCC_OK;
}

/* ---- Slice ------------------------------------------------------------------------------ */

/* One sliced axis after clamping: first index, step and element count. */
typedef struct slice_axis {
  int64_t start, step, count;
} slice_axis;

/* ONNX clamping rules: negative indices count from the end; starts clamp to [0, dim] for
 * positive steps and [0, dim-1] for negative ones, ends to [0, dim] / [-1, dim-1]. */
static slice_axis slice_clamp(int64_t start, int64_t end, int64_t step, int64_t dim) {
  if (dim == 0)
    return (slice_axis){.start = 0, .step = step, .count = 0};
  if (start < 0)
    start += dim; /* cannot overflow: dim >= 0 */
  if (end < 0)
    end += dim;
  int64_t count;
  if (step > 0) {
    start = start < 0 ? 0 : start > dim ? dim : start;
    end = end < 0 ? 0 : end > dim ? dim : end;
    count = end > start ? (end - start - 1) / step + 1 : 0;
  } else {
    start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
    end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
    /* -step may overflow for INT64_MIN: such a step takes one element at most. */
    int64_t mag = step == INT64_MIN ? INT64_MAX : -step;
    count = start > end ? (start - end - 1) / mag + 1 : 0;
  }
  return (slice_axis){.start = start, .step = step, .count = count};
}

typedef struct slice_args {
  const int64_t *starts, *ends, *axes, *steps;
  int64_t n, naxes, nsteps;
} slice_args;

/* Validates axes/steps against the data rank; fills `per_axis` flags (which axes are
 * sliced, and by which entry). */
static const char *slice_check(const slice_args *a, int32_t rank, int64_t *entry_of_axis) {
  for (int32_t d = 0; d < rank; ++d)
    entry_of_axis[d] = -1;
  if (a->axes && a->naxes != a->n)
    return "axes must have as many entries as starts";
  if (a->steps && a->nsteps != a->n)
    return "steps must have as many entries as starts";
  if (!a->axes && a->n > rank)
    return "starts has more entries than the data has dims";
  for (int64_t i = 0; i < a->n; ++i) {
    int64_t ax = a->axes ? a->axes[i] : i;
    if (ax < 0)
      ax += rank;
    if (ax < 0 || ax >= rank)
      return "axis is out of range";
    if (entry_of_axis[ax] >= 0)
      return "axes are repeated";
    entry_of_axis[ax] = i;
    if (a->steps && a->steps[i] == 0)
      return "steps must not be 0";
  }
  return NULL;
}

/* The legacy (opset < 10) form carries starts/ends/axes as attributes. */
static bool slice_uses_attrs(const qcc_op *op) { return qcc_op_attr(op, "starts") != NULL; }

static qcc_status slice_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  qcc_type x = qcc_operand_type(ctx, 0);
  slice_args a = {0};
  bool known = true;
  qcc_status st;
  if (slice_uses_attrs(op)) {
    a.n = qcc_op_attr_ints(op, "starts", &a.starts);
    if (qcc_op_attr_ints(op, "ends", &a.ends) != a.n)
      return qcc_infer_error(ctx, "starts and ends must have the same length");
    if (qcc_op_attr(op, "axes"))
      a.naxes = qcc_op_attr_ints(op, "axes", &a.axes);
  } else {
    if (op->num_operands < 3)
      return qcc_infer_error(ctx, "starts and ends operands are required");
    const char *names[] = {"starts", "ends", "axes", "steps"};
    for (uint32_t i = 1; i < 5; ++i)
      if (qcc_has_operand(op, i) && (st = expect_index_operand(ctx, i, names[i - 1])) != QCC_OK)
        return st;
    int64_t nends = 0;
    known = qcc_infer_const_ints(ctx, 1, &a.starts, &a.n) &&
            qcc_infer_const_ints(ctx, 2, &a.ends, &nends);
    if (known && nends != a.n)
      return qcc_infer_error(ctx, "starts and ends must have the same length");
    if (qcc_has_operand(op, 3))
      known = known && qcc_infer_const_ints(ctx, 3, &a.axes, &a.naxes);
    if (qcc_has_operand(op, 4))
      known = known && qcc_infer_const_ints(ctx, 4, &a.steps, &a.nsteps);
  }
  if (x.rank < 0)
    return qcc_infer_unknown_dims(ctx, 0, x.elem, -1);
  if (!known) {
    /* Without constant axes any dim may be sliced; with them only those. */
    const int64_t *axes;
    int64_t naxes;
    if (qcc_has_operand(op, 3) && qcc_infer_const_ints(ctx, 3, &axes, &naxes)) {
      qcc_dim dims[QCC_MAX_RANK];
      memcpy(dims, x.dims, (size_t)x.rank * sizeof(qcc_dim));
      for (int64_t i = 0; i < naxes; ++i) {
        int64_t ax = axes[i] < 0 ? axes[i] + x.rank : axes[i];
        if (ax < 0 || ax >= x.rank)
          return qcc_infer_error(ctx, "axis %lld is out of range for rank %d", (long long)axes[i],
                                 (int)x.rank);
        dims[ax] = qcc_unknown_dim;
      }
      return qcc_infer_set(ctx, 0, x.elem, x.rank, dims);
    }
    return qcc_infer_unknown_dims(ctx, 0, x.elem, x.rank);
  }
  int64_t entry[QCC_MAX_RANK];
  const char *err = slice_check(&a, x.rank, entry);
  if (err)
    return qcc_infer_error(ctx, "%s", err);
  qcc_dim dims[QCC_MAX_RANK];
  for (int32_t d = 0; d < x.rank; ++d) {
    int64_t i = entry[d];
    if (i < 0 || x.dims[d].size < 0) {
      dims[d] = i < 0 ? x.dims[d] : qcc_unknown_dim;
      continue;
    }
    slice_axis s = slice_clamp(a.starts[i], a.ends[i], a.steps ? a.steps[i] : 1, x.dims[d].size);
    dims[d] = (qcc_dim){.size = s.count};
  }
  return qcc_infer_set(ctx, 0, x.elem, x.rank, dims);
}

static qcc_status slice_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                             qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  int32_t rank = x->rank;
  enum { CAP = QCC_MAX_RANK };
  int64_t buf[4][CAP], counts[4] = {0, 0, 0, 0};
  slice_args a = {0};
  if (slice_uses_attrs(op)) {
    a.n = qcc_op_attr_ints(op, "starts", &a.starts);
    if (qcc_op_attr_ints(op, "ends", &a.ends) != a.n)
      return qcc_eval_error(ctx, "starts and ends must have the same length");
    if (qcc_op_attr(op, "axes"))
      a.naxes = qcc_op_attr_ints(op, "axes", &a.axes);
  } else {
    const char *names[] = {"starts", "ends", "axes", "steps"};
    for (uint32_t i = 1; i < 5; ++i) {
      const qcc_tensor *t = i < op->num_operands ? in[i] : NULL;
      if (!t)
        continue;
      if (t->rank > 1 || !qcc_elem_is_int(t->elem))
        return qcc_eval_error(ctx, "%s must be a 1-D integer tensor", names[i - 1]);
      if (t->numel > CAP)
        return qcc_eval_error(ctx, "%s has too many entries", names[i - 1]);
      for (int64_t j = 0; j < t->numel; ++j)
        buf[i - 1][j] = qcc_tensor_get_i64(t, j);
      counts[i - 1] = t->numel;
    }
    if (counts[0] != counts[1])
      return qcc_eval_error(ctx, "starts and ends must have the same length");
    a.starts = buf[0];
    a.ends = buf[1];
    a.n = counts[0];
    if (op->num_operands > 3 && in[3]) {
      a.axes = buf[2];
      a.naxes = counts[2];
    }
    if (op->num_operands > 4 && in[4]) {
      a.steps = buf[3];
      a.nsteps = counts[3];
    }
  }
  int64_t entry[QCC_MAX_RANK];
  const char *err = slice_check(&a, rank, entry);
  if (err)
    return qcc_eval_error(ctx, "%s", err);
  slice_axis ax[QCC_MAX_RANK];
  int64_t dims[QCC_MAX_RANK], strides[QCC_MAX_RANK], s = 1;
  for (int32_t d = 0; d < rank; ++d) {
    int64_t i = entry[d];
    ax[d] = i < 0 ? (slice_axis){.start = 0, .step = 1, .count = x->dims[d]}
                  : slice_clamp(a.starts[i], a.ends[i], a.steps ? a.steps[i] : 1, x->dims[d]);
    dims[d] = ax[d].count;
  }
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, x->elem, rank, dims);
  if (!y)
    return QCC_ERR_INPUT;
  if (y->numel == 0)
    return QCC_OK;
  /* A non-empty result implies a non-empty input, so the strides cannot overflow. */
  for (int32_t d = rank - 1; d >= 0; --d) {
    strides[d] = s;
    s *= x->dims[d];
  }
  size_t es = qcc_elem_size(x->elem);
  int64_t idx[QCC_MAX_RANK] = {0}, o = 0;
  do {
    int64_t off = 0;
    for (int32_t d = 0; d < rank; ++d)
      off += (ax[d].start + idx[d] * ax[d].step) * strides[d]; /* stays inside [0, dim) */
    memcpy((char *)y->data + (size_t)o++ * es, (const char *)x->data + (size_t)off * es, es);
  } while (qcc_index_next(idx, dims, rank));
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Slice = {
    .kind = QCC_OP_Slice,
    QCC_OP_NAMES(Slice),
    .min_operands = 1,
    .max_operands = 5,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_OPT("starts", QCC_ATTR_INTS), QCC_ATTR_OPT("ends", QCC_ATTR_INTS),
                       QCC_ATTR_OPT("axes", QCC_ATTR_INTS)),
    .infer = slice_infer,
    .eval = slice_eval,
};

/* ---- Gather ----------------------------------------------------------------------------- */

static qcc_status gather_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0), idx = qcc_operand_type(ctx, 1);
  if (idx.elem != QCC_I64 && idx.elem != QCC_I32)
    return qcc_infer_error(ctx, "indices must be i32 or i64, not %s", qcc_elem_name(idx.elem));
  if (x.rank == 0)
    return qcc_infer_error(ctx, "data must have rank >= 1");
  if (x.rank < 0 || idx.rank < 0)
    return qcc_infer_unknown_dims(ctx, 0, x.elem, -1);
  int32_t a;
  qcc_status st = qcc_infer_axis(ctx, qcc_op_attr_int(ctx->op, "axis"), x.rank, &a);
  if (st != QCC_OK)
    return st;
  int32_t r = x.rank + idx.rank - 1;
  if (r > QCC_MAX_RANK)
    return qcc_infer_error(ctx, "result rank %d exceeds the supported maximum %d", (int)r,
                           QCC_MAX_RANK);
  qcc_dim dims[QCC_MAX_RANK];
  int32_t k = 0;
  for (int32_t d = 0; d < a; ++d)
    dims[k++] = x.dims[d];
  for (int32_t d = 0; d < idx.rank; ++d)
    dims[k++] = idx.dims[d];
  for (int32_t d = a + 1; d < x.rank; ++d)
    dims[k++] = x.dims[d];
  return qcc_infer_set(ctx, 0, x.elem, r, dims);
}

static qcc_status gather_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                              qcc_tensor **out) {
  const qcc_tensor *x = in[0], *ind = in[1];
  int64_t axis = qcc_op_attr_int(op, "axis");
  if (x->rank == 0 || axis < -(int64_t)x->rank || axis >= x->rank)
    return qcc_eval_error(ctx, "axis %lld is out of range for rank %d", (long long)axis,
                          (int)x->rank);
  if (!qcc_elem_is_int(ind->elem))
    return qcc_eval_error(ctx, "indices must be an integer tensor");
  int32_t a = (int32_t)(axis < 0 ? axis + x->rank : axis);
  int32_t r = x->rank + ind->rank - 1;
  if (r > QCC_MAX_RANK)
    return qcc_eval_error(ctx, "result rank %d exceeds the supported maximum %d", (int)r,
                          QCC_MAX_RANK);
  int64_t dims[QCC_MAX_RANK];
  int32_t k = 0;
  for (int32_t d = 0; d < a; ++d)
    dims[k++] = x->dims[d];
  for (int32_t d = 0; d < ind->rank; ++d)
    dims[k++] = ind->dims[d];
  for (int32_t d = a + 1; d < x->rank; ++d)
    dims[k++] = x->dims[d];
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, x->elem, r, dims);
  if (!y)
    return QCC_ERR_INPUT;
  if (y->numel == 0)
    return QCC_OK;
  /* Non-empty result: every dim but the gathered one is bounded by its numel. */
  int64_t outer = 1, inner = 1, len = x->dims[a];
  for (int32_t d = 0; d < a; ++d)
    outer *= x->dims[d];
  for (int32_t d = a + 1; d < x->rank; ++d)
    inner *= x->dims[d];
  size_t es = qcc_elem_size(x->elem), chunk = (size_t)inner * es;
  char *dst = y->data;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < ind->numel; ++j) {
      int64_t i = qcc_tensor_get_i64(ind, j);
      if (i < -len || i >= len)
        return qcc_eval_error(ctx, "index %lld is out of range for a dimension of size %lld",
                              (long long)i, (long long)len);
      if (i < 0)
        i += len;
      memcpy(dst, (const char *)x->data + (size_t)(o * len + i) * chunk, chunk);
      dst += chunk;
    }
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Gather = {
    .kind = QCC_OP_Gather,
    QCC_OP_NAMES(Gather),
    .min_operands = 2,
    .max_operands = 2,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_I("axis", 0)),
    .infer = gather_infer,
    .eval = gather_eval,
};
