/* Transpose: permutes the dims of a tensor of any element type. */
#include "ir/ops/layout_util.h"

#include <string.h>

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
    return qcc_infer_unknown_dims(ctx, 0, x.elem, -1);
  if (!transpose_perm(ctx->op, x.rank, perm, &n))
    return qcc_infer_error(ctx, "perm is not a permutation of the input's %d dims", (int)x.rank);
  if (x.rank < 0)
    return qcc_infer_unknown_dims(ctx, 0, x.elem, n);
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
