/* Broadcasting data movement: Expand (a tensor broadcast to a shape operand) and Where (select
 * between two tensors by a bool condition, all three broadcast together). Both copy raw element
 * bytes, so every element type is supported and f16 values move unchanged. */
#include "ir/ops/layout_util.h"

#include <string.h>

/* Multidirectional broadcast of the runtime shapes a (rank ra) and b (rank rb) into out;
 * false when a pair of dims is neither equal nor 1. */
static bool broadcast_dims(const int64_t *a, int32_t ra, const int64_t *b, int32_t rb, int64_t *out,
                           int32_t *rank) {
  int32_t r = ra > rb ? ra : rb;
  for (int32_t d = 0; d < r; ++d) {
    int32_t da = d - (r - ra), db = d - (r - rb);
    int64_t x = da >= 0 ? a[da] : 1, y = db >= 0 ? b[db] : 1;
    if (x != y && x != 1 && y != 1)
      return false;
    out[d] = x == 1 ? y : x;
  }
  *rank = r;
  return true;
}

/* Fills the broadcast result `y` from src[0], or where `cond` (when given) is false from src[1];
 * every source is broadcast to y's shape. */
static void broadcast_copy(qcc_tensor *y, const qcc_tensor *const *src, const qcc_tensor *cond) {
  size_t es = qcc_elem_size(y->elem);
  int64_t idx[QCC_MAX_RANK] = {0};
  for (int64_t i = 0; i < y->numel; ++i) {
    const qcc_tensor *s = src[0];
    if (cond && !((const uint8_t *)cond->data)[qcc_broadcast_offset(cond, y->rank, idx)])
      s = src[1];
    int64_t o = qcc_broadcast_offset(s, y->rank, idx);
    memcpy((char *)y->data + (size_t)i * es, (const char *)s->data + (size_t)o * es, es);
    if (y->rank > 0)
      qcc_index_next(idx, y->dims, y->rank);
  }
}

/* ---- Expand ---- */

static qcc_status expand_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  qcc_status st = qcc_infer_expect_index(ctx, 1, "shape");
  if (st != QCC_OK)
    return st;
  qcc_type s = qcc_operand_type(ctx, 1);
  if (s.rank >= 0 && s.rank != 1)
    return qcc_infer_error(ctx, "shape must be 1-D");
  const int64_t *shape;
  int64_t n;
  if (!qcc_infer_const_ints(ctx, 1, &shape, &n)) {
    int64_t len = qcc_operand_length(ctx, 1);
    if (len < 0 || x.rank < 0 || len > QCC_MAX_RANK)
      return qcc_infer_unknown_dims(ctx, 0, x.elem, -1);
    return qcc_infer_unknown_dims(ctx, 0, x.elem, len > x.rank ? len : x.rank);
  }
  if (n > QCC_MAX_RANK)
    return qcc_infer_error(ctx, "shape has %lld entries; at most %d are supported", (long long)n,
                           QCC_MAX_RANK);
  qcc_dim sd[QCC_MAX_RANK];
  for (int64_t i = 0; i < n; ++i) {
    if (shape[i] < 0)
      return qcc_infer_error(ctx, "shape entry %lld is negative", (long long)shape[i]);
    sd[i] = (qcc_dim){.size = shape[i]};
  }
  qcc_type t[2] = {x, qcc_type_make(x.elem, (int32_t)n, sd)};
  qcc_dim dims[QCC_MAX_RANK];
  int32_t rank;
  if ((st = qcc_infer_broadcast(ctx, t, 2, dims, &rank)) != QCC_OK)
    return st;
  return qcc_infer_set(ctx, 0, x.elem, rank, rank > 0 ? dims : NULL);
}

static qcc_status expand_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                              qcc_tensor **out) {
  (void)op;
  const qcc_tensor *x = in[0];
  int64_t shape[QCC_MAX_RANK], n;
  qcc_status st = qcc_eval_read_ints(ctx, in[1], "shape", QCC_MAX_RANK, shape, &n);
  if (st != QCC_OK)
    return st;
  for (int64_t i = 0; i < n; ++i)
    if (shape[i] < 0)
      return qcc_eval_error(ctx, "shape entry %lld is negative", (long long)shape[i]);
  int64_t dims[QCC_MAX_RANK];
  int32_t rank;
  if (!broadcast_dims(x->dims, x->rank, shape, (int32_t)n, dims, &rank))
    return qcc_eval_error(ctx, "input cannot be broadcast to the shape");
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, x->elem, rank, dims);
  if (!y)
    return QCC_ERR_INPUT;
  broadcast_copy(y, (const qcc_tensor *const[]){x}, NULL);
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Expand = {
    .kind = QCC_OP_Expand,
    QCC_OP_NAMES(Expand),
    .min_operands = 2,
    .max_operands = 2,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = expand_infer,
    .eval = expand_eval,
};

/* ---- Where ---- */

static qcc_status where_infer(qcc_infer_ctx *ctx) {
  qcc_type t[3] = {qcc_operand_type(ctx, 0), qcc_operand_type(ctx, 1), qcc_operand_type(ctx, 2)};
  if (t[0].elem != QCC_BOOL)
    return qcc_infer_error(ctx, "condition must be bool, not %s", qcc_elem_name(t[0].elem));
  if (t[1].elem != t[2].elem)
    return qcc_infer_error(ctx, "X and Y must have the same element type (%s vs %s)",
                           qcc_elem_name(t[1].elem), qcc_elem_name(t[2].elem));
  qcc_dim dims[QCC_MAX_RANK];
  int32_t rank;
  qcc_status st = qcc_infer_broadcast(ctx, t, 3, dims, &rank);
  if (st != QCC_OK)
    return st;
  return qcc_infer_set(ctx, 0, t[1].elem, rank, rank > 0 ? dims : NULL);
}

static qcc_status where_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                             qcc_tensor **out) {
  (void)op;
  const qcc_tensor *c = in[0], *x = in[1], *y = in[2];
  if (c->elem != QCC_BOOL || x->elem != y->elem)
    return qcc_eval_error(ctx, "unsupported operand element types %s, %s and %s",
                          qcc_elem_name(c->elem), qcc_elem_name(x->elem), qcc_elem_name(y->elem));
  int64_t cx[QCC_MAX_RANK], dims[QCC_MAX_RANK];
  int32_t rcx, rank;
  if (!broadcast_dims(c->dims, c->rank, x->dims, x->rank, cx, &rcx) ||
      !broadcast_dims(cx, rcx, y->dims, y->rank, dims, &rank))
    return qcc_eval_error(ctx, "operand shapes cannot be broadcast");
  qcc_tensor *r = out[0] = qcc_eval_alloc(ctx, x->elem, rank, dims);
  if (!r)
    return QCC_ERR_INPUT;
  broadcast_copy(r, (const qcc_tensor *const[]){x, y}, c);
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Where = {
    .kind = QCC_OP_Where,
    QCC_OP_NAMES(Where),
    .min_operands = 3,
    .max_operands = 3,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = where_infer,
    .eval = where_eval,
};
