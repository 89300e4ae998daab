/* LayerNormalization (ir/ops/layer_norm.c) on f32: per row (the dims before `axis`), three passes
 * over the normalized dims in row-major order, as the interpreter makes them: the double sum of
 * x, mean = (float)(sum / n); the double sum of the f32 squares (x - mean)^2, var = (float)(sq /
 * n), inv = 1 / sqrtf(var + epsilon) (libm's sqrtf); y = (x - mean) * inv * scale (+ bias), Scale
 * and B broadcast through zero strides and read at run time. The optional Mean and InvStdDev
 * results get one element per row. */
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"

typedef struct ln_job {
  qcc_lower_ctx *L;
  qcc_cg_tensor x, y, scale, bias, mean_out, inv_out;
  bool has_bias, has_mean, has_inv;
  int32_t axis;
  int64_t n;
  float eps;
  int pass; /* 0: sum, 1: squares, 2: output */
  LLVMTypeRef f64;
  LLVMValueRef sum, sq, mean, inv;
  LLVMValueRef idx[QCC_MAX_RANK];
} ln_job;

/* Operand i (rank <= x's, right-aligned) seen with x's dims: broadcast dims get stride 0. */
static void broadcast_view(const qcc_cg_tensor *p, const qcc_cg_tensor *x, qcc_cg_tensor *v) {
  *v = *p;
  v->rank = x->rank;
  for (int32_t d = 0; d < x->rank; ++d) {
    int32_t pd = d - (x->rank - p->rank);
    v->dims[d] = x->dims[d];
    v->strides[d] = pd < 0 || p->dims[pd] == 1 ? 0 : p->strides[pd];
  }
}

static void row_major_strides(int32_t rank, const int64_t *dims, int64_t *strides) {
  int64_t s = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    strides[d] = s;
    s *= dims[d];
  }
}

static void emit_inner(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  ln_job *j = user;
  LLVMBuilderRef b = cg->b;
  for (int32_t d = j->axis; d < j->x.rank; ++d)
    j->idx[d] = idx[d - j->axis];
  LLVMValueRef x = qcc_cg_load(cg, &j->x, j->idx);
  if (j->pass == 0) {
    LLVMValueRef s = qcc_cg_get(cg, j->f64, j->sum);
    qcc_cg_set(cg, j->sum, LLVMBuildFAdd(b, s, LLVMBuildFPExt(b, x, j->f64, ""), ""));
    return;
  }
  LLVMValueRef dv = LLVMBuildFSub(b, x, j->mean, "");
  if (j->pass == 1) {
    LLVMValueRef sq = LLVMBuildFPExt(b, LLVMBuildFMul(b, dv, dv, ""), j->f64, "");
    qcc_cg_set(cg, j->sq, LLVMBuildFAdd(b, qcc_cg_get(cg, j->f64, j->sq), sq, ""));
    return;
  }
  LLVMValueRef v =
      LLVMBuildFMul(b, LLVMBuildFMul(b, dv, j->inv, ""), qcc_cg_load(cg, &j->scale, j->idx), "");
  if (j->has_bias)
    v = LLVMBuildFAdd(b, v, qcc_cg_load(cg, &j->bias, j->idx), "");
  qcc_cg_store(cg, &j->y, j->idx, v);
}

static LLVMValueRef call_sqrtf(qcc_cg *cg, LLVMValueRef v) {
  LLVMTypeRef ft = LLVMFunctionType(cg->f32, &cg->f32, 1, false);
  LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, "sqrtf");
  if (!fn)
    fn = LLVMAddFunction(cg->mod, "sqrtf", ft);
  return LLVMBuildCall2(cg->b, ft, fn, &v, 1, "");
}

static void emit_row(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  ln_job *j = user;
  LLVMBuilderRef b = cg->b;
  for (int32_t d = 0; d < j->axis; ++d)
    j->idx[d] = idx[d];
  int32_t inner = j->x.rank - j->axis;
  const int64_t *dims = j->x.dims + j->axis;
  int64_t strides[QCC_MAX_RANK];
  row_major_strides(inner, dims, strides);
  LLVMValueRef nd = LLVMConstReal(j->f64, (double)j->n);
  qcc_cg_set(cg, j->sum, LLVMConstReal(j->f64, 0));
  j->pass = 0;
  qcc_cg_for_each_index(cg, inner, dims, strides, emit_inner, j);
  j->mean =
      LLVMBuildFPTrunc(b, LLVMBuildFDiv(b, qcc_cg_get(cg, j->f64, j->sum), nd, ""), cg->f32, "");
  qcc_cg_set(cg, j->sq, LLVMConstReal(j->f64, 0));
  j->pass = 1;
  qcc_cg_for_each_index(cg, inner, dims, strides, emit_inner, j);
  LLVMValueRef var =
      LLVMBuildFPTrunc(b, LLVMBuildFDiv(b, qcc_cg_get(cg, j->f64, j->sq), nd, ""), cg->f32, "");
  LLVMValueRef root = call_sqrtf(cg, LLVMBuildFAdd(b, var, qcc_cg_f32(cg, j->eps), ""));
  j->inv = LLVMBuildFDiv(b, qcc_cg_f32(cg, 1.0f), root, "");
  j->pass = 2;
  qcc_cg_for_each_index(cg, inner, dims, strides, emit_inner, j);
  LLVMValueRef ridx[QCC_MAX_RANK] = {0};
  for (int32_t d = 0; d < j->axis; ++d)
    ridx[d] = idx[d];
  if (j->has_mean)
    qcc_cg_store(cg, &j->mean_out, ridx, j->mean);
  if (j->has_inv)
    qcc_cg_store(cg, &j->inv_out, ridx, j->inv);
}

qcc_status qcc_lower_layer_norm(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  qcc_cg *cg = L->cg;
  ln_job j;
  memset(&j, 0, sizeof j);
  j.L = L;
  j.f64 = LLVMDoubleTypeInContext(cg->ctx);
  qcc_cg_tensor s, bv;
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_operand(L, 1, &s);
  j.has_bias = qcc_lower_operand(L, 2, &bv);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32 || s.elem != QCC_F32 || (j.has_bias && bv.elem != QCC_F32))
    return qcc_lower_error(L, "only f32 is supported");
  if (j.x.rank < 1)
    return qcc_lower_error(L, "X must have rank >= 1");
  int64_t axis = qcc_op_attr_int(op, "axis");
  if (axis < -(int64_t)j.x.rank || axis >= j.x.rank)
    return qcc_lower_error(L, "axis %lld is out of range", (long long)axis);
  j.axis = (int32_t)(axis < 0 ? axis + j.x.rank : axis);
  broadcast_view(&s, &j.x, &j.scale);
  if (j.has_bias)
    broadcast_view(&bv, &j.x, &j.bias);
  j.has_mean = op->num_results > 1 && op->results[1];
  j.has_inv = op->num_results > 2 && op->results[2];
  if (j.has_mean)
    qcc_lower_result(L, 1, &j.mean_out);
  if (j.has_inv)
    qcc_lower_result(L, 2, &j.inv_out);
  j.eps = qcc_op_attr_float(op, "epsilon");
  j.n = 1;
  for (int32_t d = j.axis; d < j.x.rank; ++d)
    j.n *= j.x.dims[d];
  for (int32_t d = 0; d < j.x.rank; ++d)
    if (j.x.dims[d] == 0)
      return QCC_OK;
  j.sum = qcc_cg_var(cg, j.f64, NULL);
  j.sq = qcc_cg_var(cg, j.f64, NULL);
  int64_t strides[QCC_MAX_RANK];
  row_major_strides(j.axis, j.x.dims, strides);
  qcc_cg_for_each_index(cg, j.axis, j.x.dims, strides, emit_row, &j);
  return QCC_OK;
}
