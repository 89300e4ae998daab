/* Expand and Where (ir/ops/broadcast.c): element copies of any type through broadcast views
 * (numpy rules, zero strides), in the result's memory order. Expand's shape operand only fixes
 * the static result shape; Where selects x where the bool condition is non-zero, else y. */
#include "codegen/lower/lower.h"
#include "ir/op_registry.h"

typedef struct bcast_job {
  qcc_cg_tensor c, x, y, out; /* c: Where's condition (rank -1 for Expand) */
} bcast_job;

static void bcast_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  bcast_job *j = user;
  LLVMValueRef v = qcc_cg_load(cg, &j->x, idx);
  if (j->c.rank >= 0) {
    LLVMValueRef c = qcc_cg_load(cg, &j->c, idx);
    LLVMValueRef nz = LLVMBuildICmp(cg->b, LLVMIntNE, c, LLVMConstInt(cg->i8, 0, false), "");
    v = LLVMBuildSelect(cg->b, nz, v, qcc_cg_load(cg, &j->y, idx), "");
  }
  qcc_cg_store(cg, &j->out, idx, v);
}

qcc_status qcc_lower_expand_where(qcc_lower_ctx *L) {
  bcast_job j;
  qcc_cg_tensor t;
  qcc_lower_result(L, 0, &j.out);
  bool where = qcc_op_is(L->op, QCC_OP_Where);
  j.c.rank = -1;
  for (uint32_t i = 0; i < L->op->num_operands; ++i)
    if (qcc_lower_same_buffer(L, qcc_op_operand(L->op, i), L->op->results[0]))
      return qcc_lower_error(L, "the result is written in place over operand %u", i);
  if (where) {
    qcc_lower_operand(L, 0, &t);
    if (t.elem != QCC_BOOL)
      return qcc_lower_error(L, "the condition must be bool");
    qcc_lower_broadcast_view(&t, j.out.rank, j.out.dims, &j.c);
    qcc_lower_operand(L, 2, &t);
    qcc_lower_broadcast_view(&t, j.out.rank, j.out.dims, &j.y);
  }
  qcc_lower_operand(L, where ? 1 : 0, &t);
  qcc_lower_broadcast_view(&t, j.out.rank, j.out.dims, &j.x);
  qcc_cg_for_each_index(L->cg, j.out.rank, j.out.dims, j.out.strides, bcast_body, &j);
  return QCC_OK;
}
