#include "ir/ops/layout_util.h"

#include <string.h>

const qcc_dim qcc_unknown_dim = {.size = -1, .sym = NULL};

qcc_dim qcc_dim_product(const qcc_dim *dims, int32_t begin, int32_t end) {
  int64_t sizes[QCC_MAX_RANK] = {0}, n;
  int32_t dynamic = -1;
  for (int32_t d = begin; d < end; ++d) {
    if (dims[d].size < 0) {
      if (dynamic >= 0 || !dims[d].sym)
        return qcc_unknown_dim;
      dynamic = d;
      sizes[d - begin] = 1;
    } else {
      sizes[d - begin] = dims[d].size;
    }
  }
  if (!qcc_shape_numel(sizes, end - begin, &n))
    return qcc_unknown_dim;
  if (dynamic >= 0) /* N times 1s is N, N times 0 is 0; N times anything else has no name */
    return n == 1 ? dims[dynamic] : n == 0 ? (qcc_dim){.size = 0} : qcc_unknown_dim;
  return (qcc_dim){.size = n};
}

/* Product of dims [begin, end). Only bounded by the tensor's numel when that is non-zero
 * (an empty tensor may have huge other dims), hence the overflow check. */
bool qcc_numel_range(const int64_t *dims, int32_t begin, int32_t end, int64_t *n) {
  return qcc_shape_numel(dims + begin, end - begin, n);
}

/* Result i: given rank with every dim unknown (unranked when rank < 0). */
qcc_status qcc_infer_unknown_dims(qcc_infer_ctx *ctx, uint32_t i, qcc_elem elem, int64_t rank) {
  qcc_dim dims[QCC_MAX_RANK];
  if (rank < 0) {
    ctx->results[i] = qcc_type_unranked(elem);
    return QCC_OK;
  }
  if (rank > QCC_MAX_RANK)
    return qcc_infer_error(ctx, "result rank %lld exceeds the supported maximum %d",
                           (long long)rank, QCC_MAX_RANK);
  for (int64_t d = 0; d < rank; ++d)
    dims[d] = qcc_unknown_dim;
  return qcc_infer_set(ctx, i, elem, (int32_t)rank, dims);
}

/* Static length of a 1-D operand (e.g. a shape or axes vector), or -1. */
int64_t qcc_operand_length(const qcc_infer_ctx *ctx, uint32_t i) {
  qcc_type t = qcc_operand_type(ctx, i);
  if (t.rank == 0)
    return 1;
  if (t.rank == 1 && t.dims[0].size >= 0)
    return t.dims[0].size;
  return -1;
}

qcc_status qcc_infer_expect_index(qcc_infer_ctx *ctx, uint32_t i, const char *what) {
  qcc_elem e = qcc_operand_type(ctx, i).elem;
  if (e != QCC_I64 && e != QCC_I32)
    return qcc_infer_error(ctx, "%s must be i64, not %s", what, qcc_elem_name(e));
  return QCC_OK;
}

/* Runtime integer vector (0-D or 1-D) into `out` (at most `cap` entries). */
qcc_status qcc_eval_read_ints(qcc_eval_ctx *ctx, const qcc_tensor *t, const char *what, int64_t cap,
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

qcc_tensor *qcc_copy_with_shape(qcc_eval_ctx *ctx, const qcc_tensor *x, int32_t rank,
                                const int64_t *dims) {
  qcc_tensor *t = qcc_eval_alloc(ctx, x->elem, rank, dims);
  if (t)
    memcpy(t->data, x->data, (size_t)x->numel * qcc_elem_size(x->elem));
  return t;
}
