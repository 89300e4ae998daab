/* Softmax (ir/ops/activation.c) on f32, opset 13 (along `axis`) and the older 2-D coercion (the
 * dims from `axis` on as one row), three passes per row in row-major order as the interpreter
 * makes them: the f32 maximum (from -inf, `x > max` replaces); e = exp((double)x - (double)max)
 * (libm's exp) stored as f32 and summed in double; y = (float)((double)y / sum), reading the
 * stored f32 back. Kept apart from activation.c (the elementwise activations) to leave that
 * file to their lowerings. */
#include <math.h>
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"

typedef struct softmax_job {
  qcc_cg_tensor x, y;
  bool row[QCC_MAX_RANK]; /* the dims normalized together */
  int pass;
  LLVMTypeRef f64;
  LLVMValueRef max, sum, maxv, sumv;
  LLVMValueRef idx[QCC_MAX_RANK];
} softmax_job;

static LLVMValueRef call_exp(qcc_cg *cg, LLVMTypeRef f64, LLVMValueRef v) {
  LLVMTypeRef ft = LLVMFunctionType(f64, &f64, 1, false);
  LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, "exp");
  if (!fn)
    fn = LLVMAddFunction(cg->mod, "exp", ft);
  return LLVMBuildCall2(cg->b, ft, fn, &v, 1, "");
}

static void emit_row_elem(qcc_cg *cg, LLVMValueRef *ridx, void *user) {
  softmax_job *j = user;
  LLVMBuilderRef b = cg->b;
  for (int32_t d = 0, r = 0; d < j->x.rank; ++d)
    if (j->row[d])
      j->idx[d] = ridx[r++];
  if (j->pass == 0) {
    LLVMValueRef v = qcc_cg_load(cg, &j->x, j->idx);
    LLVMValueRef m = qcc_cg_get(cg, cg->f32, j->max);
    qcc_cg_set(cg, j->max, LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, m, ""), v, m, ""));
  } else if (j->pass == 1) {
    LLVMValueRef v = LLVMBuildFPExt(b, qcc_cg_load(cg, &j->x, j->idx), j->f64, "");
    LLVMValueRef e = call_exp(cg, j->f64, LLVMBuildFSub(b, v, j->maxv, ""));
    qcc_cg_store(cg, &j->y, j->idx, LLVMBuildFPTrunc(b, e, cg->f32, ""));
    qcc_cg_set(cg, j->sum, LLVMBuildFAdd(b, qcc_cg_get(cg, j->f64, j->sum), e, ""));
  } else {
    LLVMValueRef v = LLVMBuildFPExt(b, qcc_cg_load(cg, &j->y, j->idx), j->f64, "");
    qcc_cg_store(cg, &j->y, j->idx,
                 LLVMBuildFPTrunc(b, LLVMBuildFDiv(b, v, j->sumv, ""), cg->f32, ""));
  }
}

static void emit_row(qcc_cg *cg, LLVMValueRef *kidx, void *user) {
  softmax_job *j = user;
  int32_t nr = 0;
  int64_t rdims[QCC_MAX_RANK], rstrides[QCC_MAX_RANK];
  for (int32_t d = 0; d < j->x.rank; ++d) {
    j->idx[d] = kidx[d];
    if (j->row[d])
      rdims[nr++] = j->x.dims[d];
  }
  int64_t s = 1;
  for (int32_t d = nr - 1; d >= 0; --d) {
    rstrides[d] = s;
    s *= rdims[d];
  }
  qcc_cg_set(cg, j->max, qcc_cg_f32(cg, -INFINITY));
  j->pass = 0;
  qcc_cg_for_each_index(cg, nr, rdims, rstrides, emit_row_elem, j);
  j->maxv = LLVMBuildFPExt(cg->b, qcc_cg_get(cg, cg->f32, j->max), j->f64, "");
  qcc_cg_set(cg, j->sum, LLVMConstReal(j->f64, 0));
  j->pass = 1;
  qcc_cg_for_each_index(cg, nr, rdims, rstrides, emit_row_elem, j);
  j->sumv = qcc_cg_get(cg, j->f64, j->sum);
  j->pass = 2;
  qcc_cg_for_each_index(cg, nr, rdims, rstrides, emit_row_elem, j);
}

qcc_status qcc_lower_softmax(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  qcc_cg *cg = L->cg;
  softmax_job j;
  memset(&j, 0, sizeof j);
  j.f64 = LLVMDoubleTypeInContext(cg->ctx);
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32)
    return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(j.x.elem));
  bool coerce = qcc_op_attr_int(op, "coerce_2d") != 0;
  int64_t axis = coerce && !qcc_op_attr(op, "axis") ? 1 : qcc_op_attr_int(op, "axis");
  if (axis < -(int64_t)j.x.rank || axis >= j.x.rank)
    return qcc_lower_error(L, "axis %lld is out of range", (long long)axis);
  if (axis < 0)
    axis += j.x.rank;
  int64_t kept[QCC_MAX_RANK];
  for (int32_t d = 0; d < j.x.rank; ++d) {
    if (j.x.dims[d] == 0)
      return QCC_OK;
    j.row[d] = d == axis || (coerce && d > axis);
    kept[d] = j.row[d] ? 1 : j.x.dims[d];
  }
  j.max = qcc_cg_var(cg, cg->f32, NULL);
  j.sum = qcc_cg_var(cg, j.f64, NULL);
  qcc_cg_for_each_index(cg, j.x.rank, kept, j.y.strides, emit_row, &j);
  return QCC_OK;
}
