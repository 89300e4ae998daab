/* Gemm and MatMul (ir/ops/gemm.c) on f32, each output element as the interpreter computes it:
 * Gemm accumulates the double products a * b over k in order, then (double)alpha * acc plus
 * (double)beta * c (C broadcast through zero strides), rounded once to f32; MatMul accumulates in
 * f32 from 0, acc + a * b (one rounding per step) over k in order, with numpy batches broadcast
 * through zero strides and 1-D operands promoted. Operands are read at run time (constant weights
 * are globals), transposition through the views' strides. */
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"
#include "ir/ops/gemm.h"

typedef struct mm_job {
  qcc_cg_tensor a, b, c, y;
  bool is_gemm, has_c;
  int32_t batch;     /* MatMul: batch dims of y */
  bool a_vec, b_vec; /* MatMul: 1-D operand (no m / no n dim in y) */
  int64_t k;
  /* element strides: A'(i, p) and B'(p, j), and per batch dim of y */
  int64_t a_si, a_sp, b_sp, b_sj, a_sb[QCC_MAX_RANK], b_sb[QCC_MAX_RANK];
  float alpha, beta;
  LLVMTypeRef f64;
  LLVMValueRef acc;
} mm_job;

static LLVMValueRef scaled(qcc_cg *cg, LLVMValueRef v, int64_t s) {
  return s == 0 ? qcc_cg_i64(cg, 0) : s == 1 ? v : LLVMBuildNSWMul(cg->b, v, qcc_cg_i64(cg, s), "");
}

static LLVMValueRef add(qcc_cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildNSWAdd(cg->b, a, b, "");
}

static void emit_element(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  mm_job *j = user;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef ao = qcc_cg_i64(cg, 0), bo = qcc_cg_i64(cg, 0);
  for (int32_t d = 0; d < j->batch; ++d) {
    ao = add(cg, ao, scaled(cg, idx[d], j->a_sb[d]));
    bo = add(cg, bo, scaled(cg, idx[d], j->b_sb[d]));
  }
  int32_t r = j->batch;
  LLVMValueRef i = j->a_vec ? qcc_cg_i64(cg, 0) : idx[r++];
  LLVMValueRef jj = j->b_vec ? qcc_cg_i64(cg, 0) : idx[r++];
  ao = add(cg, ao, scaled(cg, i, j->a_si));
  bo = add(cg, bo, scaled(cg, jj, j->b_sj));
  LLVMTypeRef at = j->is_gemm ? j->f64 : cg->f32;
  qcc_cg_set(cg, j->acc, j->is_gemm ? LLVMConstReal(j->f64, 0) : qcc_cg_f32(cg, 0.0f));
  qcc_cg_loop lp = {0};
  LLVMValueRef p = qcc_cg_loop_n(cg, &lp, j->k);
  LLVMValueRef av = qcc_cg_load_at(cg, &j->a, add(cg, ao, scaled(cg, p, j->a_sp)));
  LLVMValueRef bv = qcc_cg_load_at(cg, &j->b, add(cg, bo, scaled(cg, p, j->b_sp)));
  if (j->is_gemm) {
    av = LLVMBuildFPExt(b, av, j->f64, "");
    bv = LLVMBuildFPExt(b, bv, j->f64, "");
  }
  LLVMValueRef prod = LLVMBuildFMul(b, av, bv, "");
  qcc_cg_set(cg, j->acc, LLVMBuildFAdd(b, qcc_cg_get(cg, at, j->acc), prod, ""));
  qcc_cg_loop_end(cg, &lp);
  LLVMValueRef acc = qcc_cg_get(cg, at, j->acc);
  if (j->is_gemm) {
    LLVMValueRef v = LLVMBuildFMul(b, LLVMConstReal(j->f64, (double)j->alpha), acc, "");
    if (j->has_c) {
      LLVMValueRef cv = LLVMBuildFPExt(b, qcc_cg_load(cg, &j->c, idx), j->f64, "");
      v = LLVMBuildFAdd(b, v, LLVMBuildFMul(b, LLVMConstReal(j->f64, (double)j->beta), cv, ""), "");
    }
    acc = LLVMBuildFPTrunc(b, v, cg->f32, "");
  }
  qcc_cg_store(cg, &j->y, idx, acc);
}

static bool nonempty(const qcc_cg_tensor *t) {
  for (int32_t d = 0; d < t->rank; ++d)
    if (t->dims[d] == 0)
      return false;
  return true;
}

qcc_status qcc_lower_gemm(qcc_lower_ctx *L) {
  qcc_cg *cg = L->cg;
  mm_job j;
  memset(&j, 0, sizeof j);
  j.is_gemm = true;
  j.f64 = LLVMDoubleTypeInContext(cg->ctx);
  qcc_cg_tensor c;
  qcc_lower_operand(L, 0, &j.a);
  qcc_lower_operand(L, 1, &j.b);
  j.has_c = qcc_lower_operand(L, 2, &c);
  qcc_lower_result(L, 0, &j.y);
  if (j.a.elem != QCC_F32 || j.b.elem != QCC_F32 || (j.has_c && c.elem != QCC_F32))
    return qcc_lower_error(L, "only f32 is supported");
  if (j.a.rank != 2 || j.b.rank != 2 || j.y.rank != 2 || (j.has_c && c.rank > 2))
    return qcc_lower_error(L, "A and B must be 2-D, C at most 2-D");
  qcc_gemm_params prm = qcc_gemm_params_read(L->op);
  j.alpha = prm.alpha;
  j.beta = prm.beta;
  j.k = j.a.dims[prm.trans_a ? 0 : 1];
  j.a_si = j.a.strides[prm.trans_a ? 1 : 0];
  j.a_sp = j.a.strides[prm.trans_a ? 0 : 1];
  j.b_sp = j.b.strides[prm.trans_b ? 1 : 0];
  j.b_sj = j.b.strides[prm.trans_b ? 0 : 1];
  if (j.has_c) { /* C right-aligned against [m, n], size-1 dims broadcast */
    j.c = c;
    j.c.rank = 2;
    for (int32_t d = 0; d < 2; ++d) {
      int32_t cd = d - (2 - c.rank);
      j.c.dims[d] = j.y.dims[d];
      j.c.strides[d] = cd < 0 || c.dims[cd] == 1 ? 0 : c.strides[cd];
    }
  }
  if (!nonempty(&j.y))
    return QCC_OK;
  j.acc = qcc_cg_var(cg, j.f64, NULL);
  qcc_cg_for_each_index(cg, 2, j.y.dims, j.y.strides, emit_element, &j);
  return QCC_OK;
}

/* Element strides of a MatMul operand's batch dims against y's `batch` dims (0 where absent
 * or broadcast). */
static void batch_strides(const qcc_cg_tensor *t, int32_t batch, int64_t *s) {
  int32_t tb = t->rank > 2 ? t->rank - 2 : 0;
  for (int32_t d = 0; d < batch; ++d) {
    int32_t td = d - (batch - tb);
    s[d] = td < 0 || t->dims[td] == 1 ? 0 : t->strides[td];
  }
}

qcc_status qcc_lower_matmul(qcc_lower_ctx *L) {
  qcc_cg *cg = L->cg;
  mm_job j;
  memset(&j, 0, sizeof j);
  qcc_lower_operand(L, 0, &j.a);
  qcc_lower_operand(L, 1, &j.b);
  qcc_lower_result(L, 0, &j.y);
  if (j.a.elem != QCC_F32 || j.b.elem != QCC_F32)
    return qcc_lower_error(L, "only f32 is supported");
  if (j.a.rank < 1 || j.b.rank < 1)
    return qcc_lower_error(L, "operands must have rank >= 1");
  j.a_vec = j.a.rank == 1;
  j.b_vec = j.b.rank == 1;
  j.batch = j.y.rank - (j.a_vec ? 0 : 1) - (j.b_vec ? 0 : 1);
  j.k = j.a.dims[j.a.rank - 1];
  j.a_sp = j.a.strides[j.a.rank - 1];
  j.a_si = j.a_vec ? 0 : j.a.strides[j.a.rank - 2];
  j.b_sp = j.b_vec ? j.b.strides[0] : j.b.strides[j.b.rank - 2];
  j.b_sj = j.b_vec ? 0 : j.b.strides[j.b.rank - 1];
  batch_strides(&j.a, j.batch, j.a_sb);
  batch_strides(&j.b, j.batch, j.b_sb);
  if (!nonempty(&j.y))
    return QCC_OK;
  j.acc = qcc_cg_var(cg, cg->f32, NULL);
  qcc_cg_for_each_index(cg, j.y.rank, j.y.dims, j.y.strides, emit_element, &j);
  return QCC_OK;
}
