/* Concat and Split along one axis, on raw element bytes of any element type. */
#include "ir/ops/layout_util.h"

#include <string.h>

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
    return qcc_infer_unknown_dims(ctx, 0, elem, -1);
  int32_t a;
  qcc_status st = qcc_infer_axis(ctx, axis, rank, &a);
  if (st != QCC_OK)
    return st;
  qcc_dim dims[QCC_MAX_RANK];
  for (int32_t d = 0; d < rank; ++d)
    dims[d] = d == a ? (qcc_dim){.size = 0} : qcc_unknown_dim;
  bool first = true;
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    qcc_type t = qcc_operand_type(ctx, i);
    if (t.rank < 0) {
      dims[a] = qcc_unknown_dim;
      continue;
    }
    for (int32_t d = 0; d < rank; ++d) {
      qcc_dim x = t.dims[d];
      if (d == a) {
        if (x.size < 0 || dims[a].size < 0 || dims[a].size > INT64_MAX - x.size)
          dims[a] = qcc_unknown_dim;
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
  qcc_numel_range(dims, 0, a, &outer);
  char *dst = y->data;
  for (int64_t o = 0; o < outer; ++o) {
    for (uint32_t i = 0; i < op->num_operands; ++i) {
      qcc_numel_range(in[i]->dims, a, rank, &part);
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
      qcc_infer_unknown_dims(ctx, i, x.elem, -1);
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
    if ((st = qcc_infer_expect_index(ctx, 1, "split")) != QCC_OK)
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
    dims[a] = known ? (qcc_dim){.size = sizes[i]} : qcc_unknown_dim;
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
    qcc_status st = qcc_eval_read_ints(ctx, in[1], "split", 64, sizes, &nsplit);
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
    qcc_numel_range(x->dims, 0, a, &outer);
    qcc_numel_range(x->dims, a + 1, x->rank, &inner);
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
