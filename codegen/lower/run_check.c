/* Checks that the run function makes before calling a kernel whose result shape depends on a
 * run-time operand (Slice starts, Resize scales and sizes, Reduce axes as graph inputs): the
 * lowering compiles the result's declared shape, then emits, in the run function just before
 * the kernel's call, the shape the operand's values give (the interpreter's arithmetic) and a
 * branch that returns QCC_RT_ERR_SHAPE (runtime/qcc_model.h) when it differs, so the kernel
 * only ever runs on the shape it was compiled for. */
#include "codegen/lower/lower.h"
#include "codegen/module.h"

enum { RT_ERR_SHAPE = 5 }; /* QCC_RT_ERR_SHAPE */

void qcc_lower_run_check_begin(qcc_lower_ctx *L, qcc_lower_run_check *c) {
  qcc_cg *cg = L->cg;
  c->b = cg->b;
  c->fn = cg->fn;
  c->entry = cg->entry;
  c->bad = qcc_cg_i1(cg, false);
  cg->b = L->m->rb;
  cg->fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(L->m->rb));
  cg->entry = LLVMGetEntryBasicBlock(cg->fn);
}

bool qcc_lower_run_operand(qcc_lower_ctx *L, uint32_t i, qcc_cg_tensor *t) {
  const qcc_value *v = qcc_op_operand(L->op, i);
  if (!v)
    return false;
  LLVMValueRef p = qcc_module_run_pointer(L->m, v);
  qcc_cg_tensor_init(t, p, v->type, v->layout);
  return true;
}

void qcc_lower_run_check_fail_if(qcc_lower_ctx *L, qcc_lower_run_check *c, LLVMValueRef bad) {
  c->bad = LLVMBuildOr(L->cg->b, c->bad, bad, "");
}

void qcc_lower_run_check_end(qcc_lower_ctx *L, qcc_lower_run_check *c) {
  qcc_cg *cg = L->cg;
  LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, "bad_shape");
  LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, "shape_ok");
  LLVMBuildCondBr(cg->b, c->bad, fail, ok);
  LLVMPositionBuilderAtEnd(cg->b, fail);
  LLVMBuildRet(cg->b, qcc_cg_i32(cg, RT_ERR_SHAPE));
  LLVMPositionBuilderAtEnd(cg->b, ok);
  cg->b = c->b;
  cg->fn = c->fn;
  cg->entry = c->entry;
}

LLVMValueRef qcc_lower_rt_int(qcc_cg *cg, const qcc_cg_tensor *t, int64_t i) {
  LLVMValueRef v = qcc_cg_load_at(cg, t, qcc_cg_i64(cg, i * (t->rank ? t->strides[0] : 0)));
  return t->elem == QCC_I64 ? v : LLVMBuildSExt(cg->b, v, cg->i64, "");
}
