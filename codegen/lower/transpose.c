/* Transpose (ir/ops/transpose.c): y[i0, ..., ir-1] = x[j] with j[perm[k]] = i[k], in the
 * result's memory order. */
#include "codegen/lower/lower.h"
#include "ir/op_registry.h"

typedef struct transpose_job {
  qcc_cg_tensor x, y;
  int32_t perm[QCC_MAX_RANK];
} transpose_job;

static void transpose_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  transpose_job *j = user;
  LLVMValueRef src[QCC_MAX_RANK];
  for (int32_t k = 0; k < j->y.rank; ++k)
    src[j->perm[k]] = idx[k];
  qcc_cg_store(cg, &j->y, idx, qcc_cg_load(cg, &j->x, src));
}

qcc_status qcc_lower_transpose(qcc_lower_ctx *L) {
  transpose_job j;
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  const int64_t *p;
  uint32_t np = qcc_op_attr_ints(L->op, "perm", &p);
  bool seen[QCC_MAX_RANK] = {false};
  if (!qcc_op_attr(L->op, "perm")) {
    for (int32_t k = 0; k < j.x.rank; ++k)
      j.perm[k] = j.x.rank - 1 - k;
  } else {
    if ((int32_t)np != j.x.rank)
      return qcc_lower_error(L, "perm is not a permutation of the input's dims");
    for (uint32_t k = 0; k < np; ++k) {
      if (p[k] < 0 || p[k] >= (int64_t)np || seen[p[k]])
        return qcc_lower_error(L, "perm is not a permutation of the input's dims");
      seen[p[k]] = true;
      j.perm[k] = (int32_t)p[k];
    }
  }
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, transpose_body, &j);
  return QCC_OK;
}
