/* Relayout (ir/ops/relayout.c): the identity on the logical tensor, moving every element from
 * its offset in the operand's layout to its offset in the result's, in the result's memory
 * order. */
#include "codegen/lower/lower.h"

typedef struct copy_job {
  qcc_cg_tensor x, y;
} copy_job;

static void copy_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  copy_job *j = user;
  qcc_cg_store(cg, &j->y, idx, qcc_cg_load(cg, &j->x, idx));
}

qcc_status qcc_lower_relayout(qcc_lower_ctx *L) {
  copy_job j;
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (qcc_lower_same_buffer(L, qcc_op_operand(L->op, 0), L->op->results[0])) {
    if (!qcc_lower_same_offsets(&j.y, &j.x))
      return qcc_lower_error(L, "the result shares its operand's buffer in another layout");
    L->no_kernel = true;
    return QCC_OK;
  }
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, copy_body, &j);
  return QCC_OK;
}
