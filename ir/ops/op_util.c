#include "ir/ops/op_util.h"

#include <string.h>

qcc_status qcc_infer_set(qcc_infer_ctx *ctx, uint32_t i, qcc_elem elem, int32_t rank,
                         const qcc_dim *dims) {
  qcc_dim *copy = NULL;
  if (rank > QCC_MAX_RANK)
    return qcc_infer_error(ctx, "result rank %d exceeds the supported maximum %d", (int)rank,
                           QCC_MAX_RANK);
  if (rank > 0) {
    copy = qcc_arena_alloc_array(ctx->arena, (size_t)rank, sizeof(qcc_dim));
    if (!copy)
      return QCC_ERR_NOMEM;
    memcpy(copy, dims, (size_t)rank * sizeof(qcc_dim));
  }
  ctx->results[i] = qcc_type_make(elem, rank, copy);
  return QCC_OK;
}

qcc_status qcc_infer_set_static(qcc_infer_ctx *ctx, uint32_t i, qcc_elem elem, int32_t rank,
                                const int64_t *sizes) {
  qcc_dim dims[QCC_MAX_RANK];
  if (rank > QCC_MAX_RANK)
    return qcc_infer_error(ctx, "result rank %d exceeds the supported maximum %d", (int)rank,
                           QCC_MAX_RANK);
  for (int32_t d = 0; d < rank; ++d)
    dims[d] = (qcc_dim){.size = sizes[d]};
  return qcc_infer_set(ctx, i, elem, rank, dims);
}

qcc_status qcc_infer_same_as_operand0(qcc_infer_ctx *ctx) {
  qcc_type t = qcc_operand_type(ctx, 0);
  return qcc_infer_set(ctx, 0, t.elem, t.rank, t.dims);
}

bool qcc_elem_is_float(qcc_elem e) { return e == QCC_F32 || e == QCC_F16; }

qcc_status qcc_infer_float_elems(qcc_infer_ctx *ctx, uint32_t n, qcc_elem *elem) {
  int64_t first = -1;
  *elem = QCC_F32;
  for (uint32_t i = 0; i < n; ++i) {
    if (!qcc_has_operand(ctx->op, i))
      continue;
    qcc_elem e = qcc_operand_type(ctx, i).elem;
    if (!qcc_elem_is_float(e))
      return qcc_infer_error(ctx, "operand %u must be f32 or f16, not %s", i, qcc_elem_name(e));
    if (first >= 0 && e != *elem)
      return qcc_infer_error(ctx, "operand %u is %s but operand %lld is %s", i, qcc_elem_name(e),
                             (long long)first, qcc_elem_name(*elem));
    if (first < 0)
      first = i;
    *elem = e;
  }
  return QCC_OK;
}

qcc_status qcc_infer_expect_elem(qcc_infer_ctx *ctx, uint32_t i, qcc_elem elem) {
  qcc_type t = qcc_operand_type(ctx, i);
  if (t.elem != elem)
    return qcc_infer_error(ctx, "operand %u must be %s, not %s", i, qcc_elem_name(elem),
                           qcc_elem_name(t.elem));
  return QCC_OK;
}

qcc_status qcc_infer_expect_elems(qcc_infer_ctx *ctx, uint32_t n, qcc_elem elem) {
  for (uint32_t i = 0; i < n; ++i) {
    if (!qcc_has_operand(ctx->op, i))
      continue;
    qcc_status st = qcc_infer_expect_elem(ctx, i, elem);
    if (st != QCC_OK)
      return st;
  }
  return QCC_OK;
}

qcc_status qcc_infer_broadcast(qcc_infer_ctx *ctx, const qcc_type *types, uint32_t n, qcc_dim *out,
                               int32_t *rank) {
  int32_t r = 0;
  for (uint32_t k = 0; k < n; ++k) {
    if (types[k].rank < 0) {
      *rank = QCC_RANK_UNKNOWN;
      return QCC_OK;
    }
    if (types[k].rank > r)
      r = types[k].rank;
  }
  for (int32_t d = 0; d < r; ++d) {
    qcc_dim acc = {.size = 1};
    for (uint32_t k = 0; k < n; ++k) {
      int32_t off = r - types[k].rank;
      if (d < off)
        continue;
      qcc_dim x = types[k].dims[d - off];
      if (x.size == 1)
        continue;
      if (acc.size == 1) {
        acc = x;
      } else if (x.size >= 0 && acc.size >= 0) {
        if (x.size != acc.size)
          return qcc_infer_error(ctx,
                                 "operand shapes cannot be broadcast (dimension %d: %lld vs %lld)",
                                 (int)d, (long long)acc.size, (long long)x.size);
      } else if (!qcc_dim_equal(x, acc) && acc.size < 0) {
        if (x.size >= 0)
          acc = x; /* a static size pins a symbolic one */
        else
          acc = (qcc_dim){.size = -1};
      }
    }
    out[d] = acc;
  }
  *rank = r;
  return QCC_OK;
}

bool qcc_infer_const_ints(qcc_infer_ctx *ctx, uint32_t i, const int64_t **vals, int64_t *count) {
  const qcc_const *k = qcc_value_const(qcc_op_operand(ctx->op, i));
  if (!k || (k->type.elem != QCC_I64 && k->type.elem != QCC_I32))
    return false;
  int64_t n;
  if (!qcc_type_numel(k->type, &n))
    return false;
  int64_t *v = qcc_arena_alloc_array(ctx->arena, (size_t)(n ? n : 1), sizeof(int64_t));
  if (!v)
    return false;
  for (int64_t j = 0; j < n; ++j) {
    if (k->type.elem == QCC_I64)
      memcpy(&v[j], (const char *)k->data + 8 * j, 8);
    else {
      int32_t x;
      memcpy(&x, (const char *)k->data + 4 * j, 4);
      v[j] = x;
    }
  }
  *vals = v;
  *count = n;
  return true;
}

qcc_status qcc_infer_axis(qcc_infer_ctx *ctx, int64_t axis, int32_t rank, int32_t *out) {
  if (axis < -(int64_t)rank || axis >= rank)
    return qcc_infer_error(ctx, "axis %lld is out of range for rank %d", (long long)axis,
                           (int)rank);
  *out = (int32_t)(axis < 0 ? axis + rank : axis);
  return QCC_OK;
}

bool qcc_broadcast_shape(const qcc_tensor *a, const qcc_tensor *b, int32_t *rank, int64_t *dims) {
  int32_t r = a->rank > b->rank ? a->rank : b->rank;
  for (int32_t d = 0; d < r; ++d) {
    int32_t da = d - (r - a->rank), db = d - (r - b->rank);
    int64_t x = da >= 0 ? a->dims[da] : 1, y = db >= 0 ? b->dims[db] : 1;
    if (x != y && x != 1 && y != 1)
      return false;
    dims[d] = x == 1 ? y : x;
  }
  *rank = r;
  return true;
}

int64_t qcc_broadcast_offset(const qcc_tensor *t, int32_t rank, const int64_t *idx) {
  int64_t off = 0;
  int32_t shift = rank - t->rank;
  for (int32_t d = 0; d < t->rank; ++d) {
    int64_t i = t->dims[d] == 1 ? 0 : idx[d + shift];
    off = off * t->dims[d] + i;
  }
  return off;
}

bool qcc_index_next(int64_t *idx, const int64_t *dims, int32_t rank) {
  for (int32_t d = rank - 1; d >= 0; --d) {
    if (++idx[d] < dims[d])
      return true;
    idx[d] = 0;
  }
  return false;
}

qcc_status qcc_qparams_read(qcc_eval_ctx *ctx, const qcc_tensor *x, const qcc_tensor *scale,
                            const qcc_tensor *zero_point, int64_t axis_attr, qcc_qparams *out) {
  out->scale = scale;
  out->zero_point = zero_point;
  out->axis = -1;
  out->channels = 1;
  if (scale->rank > 1)
    return qcc_eval_error(ctx, "scale must be a scalar or 1-D tensor");
  if (zero_point && (zero_point->numel != scale->numel))
    return qcc_eval_error(ctx, "zero point has %lld elements but scale has %lld",
                          (long long)zero_point->numel, (long long)scale->numel);
  /* One scale is per tensor, whatever its rank-1 shape: per axis with length 1 is the same. */
  if (scale->numel == 1)
    return QCC_OK;
  int64_t axis = axis_attr < 0 ? axis_attr + x->rank : axis_attr;
  if (axis < 0 || axis >= x->rank)
    return qcc_eval_error(ctx, "axis %lld is out of range for rank %d", (long long)axis_attr,
                          (int)x->rank);
  if (x->dims[axis] != scale->numel)
    return qcc_eval_error(ctx, "per-axis scale has %lld elements but axis %lld has %lld",
                          (long long)scale->numel, (long long)axis, (long long)x->dims[axis]);
  out->axis = (int32_t)axis;
  out->channels = scale->numel;
  return QCC_OK;
}

int64_t qcc_qparams_channel(const qcc_qparams *q, const qcc_tensor *x, int64_t i) {
  if (q->axis < 0)
    return 0;
  int64_t inner = 1;
  for (int32_t d = q->axis + 1; d < x->rank; ++d)
    inner *= x->dims[d];
  return (i / inner) % x->dims[q->axis];
}

float qcc_qparams_scale(const qcc_qparams *q, int64_t c) {
  return (float)qcc_tensor_get_f64(q->scale, q->axis < 0 ? 0 : c);
}

int32_t qcc_qparams_zero_point(const qcc_qparams *q, int64_t c) {
  if (!q->zero_point)
    return 0;
  return (int32_t)qcc_tensor_get_i64(q->zero_point, q->axis < 0 ? 0 : c);
}

bool qcc_eval_has_f16(const qcc_op *op, const qcc_tensor *const *in) {
  for (uint32_t i = 0; i < op->num_operands; ++i)
    if (in[i] && in[i]->elem == QCC_F16)
      return true;
  return false;
}

qcc_status qcc_eval_float_elems(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                uint32_t n, qcc_elem *elem) {
  bool found = false;
  *elem = QCC_F32;
  for (uint32_t i = 0; i < n && i < op->num_operands; ++i) {
    if (!in[i])
      continue;
    if (!qcc_elem_is_float(in[i]->elem) || (found && in[i]->elem != *elem))
      return qcc_eval_error(ctx, "operands must all be f32 or all f16 (operand %u is %s)", i,
                            qcc_elem_name(in[i]->elem));
    *elem = in[i]->elem;
    found = true;
  }
  return QCC_OK;
}

qcc_tensor *qcc_eval_widen_f16(qcc_eval_ctx *ctx, const qcc_tensor *x) {
  qcc_tensor *y = qcc_eval_alloc(ctx, QCC_F32, x->rank, x->dims);
  if (!y)
    return NULL;
  const uint16_t *xs = x->data;
  float *ys = y->data;
  for (int64_t i = 0; i < x->numel; ++i)
    ys[i] = qcc_f16_to_f32(xs[i]);
  return y;
}

enum { F16_MAX_OPERANDS = 64 };

qcc_status qcc_eval_f16_via_f32(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                qcc_tensor **out, qcc_eval_fn eval) {
  if (op->num_operands > F16_MAX_OPERANDS)
    return qcc_eval_error(ctx, "too many operands");
  const qcc_tensor *wide[F16_MAX_OPERANDS];
  qcc_tensor *owned[F16_MAX_OPERANDS] = {0};
  qcc_status st = QCC_OK;
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    wide[i] = in[i];
    if (in[i] && in[i]->elem == QCC_F16) {
      if (!(owned[i] = qcc_eval_widen_f16(ctx, in[i]))) {
        st = QCC_ERR_INPUT;
        break;
      }
      wide[i] = owned[i];
    }
  }
  if (st == QCC_OK)
    st = eval(ctx, op, wide, out);
  for (uint32_t i = 0; i < op->num_operands; ++i)
    qcc_tensor_free(owned[i]);
  /* Results the shape rule types f16 come back as f32: round them to nearest even. */
  for (uint32_t r = 0; st == QCC_OK && r < op->num_results; ++r) {
    qcc_tensor *y = out[r];
    if (!y || y->elem != QCC_F32 || op->results[r]->type.elem != QCC_F16)
      continue;
    qcc_tensor *h = qcc_eval_alloc(ctx, QCC_F16, y->rank, y->dims);
    if (!h)
      return QCC_ERR_INPUT;
    const float *ys = y->data;
    uint16_t *hs = h->data;
    for (int64_t i = 0; i < y->numel; ++i)
      hs[i] = qcc_f32_to_f16(ys[i]);
    qcc_tensor_free(y);
    out[r] = h;
  }
  return st;
}
