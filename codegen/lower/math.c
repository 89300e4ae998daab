/* Sqrt, Reciprocal and Pow (ir/ops/math.c) on f32, step for step the interpreter's: sqrtf from
 * libm, 1.0f / x, and for Pow with numpy broadcasting
 *   a one-element exponent equal to 2 or 3: x * x, (x * x) * x (tested at run time, folded by
 *     LLVM when the exponent is a constant);
 *   else powf(x, y) for an f32 exponent and (float)pow((double)x, (double)y) for an integer one;
 * integer bases (i32, i64): with an f32 exponent trunc(pow(double, double)), NaN to 0 and
 * saturated to the type; with an integer exponent the wrapping power by squaring (all 64 bits
 * of the exponent, so no data-dependent loop), 1 / x^|n| toward zero for n < 0. */
#include "codegen/lower/lower.h"
#include "ir/op_registry.h"

typedef struct unary_job {
  bool is_sqrt;
  qcc_cg_tensor x, y;
} unary_job;

static void unary_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  unary_job *j = user;
  LLVMValueRef v = qcc_cg_load(cg, &j->x, idx);
  v = j->is_sqrt ? qcc_lower_libm_call(cg, "sqrtf", cg->f32, &v, 1)
                 : LLVMBuildFDiv(cg->b, qcc_cg_f32(cg, 1.0f), v, "");
  qcc_cg_store(cg, &j->y, idx, v);
}

qcc_status qcc_lower_sqrt_reciprocal(qcc_lower_ctx *L) {
  unary_job j = {.is_sqrt = qcc_op_is(L->op, QCC_OP_Sqrt)};
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32)
    return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(j.x.elem));
  qcc_status st =
      qcc_lower_check_in_place(L, &j.y, L->op->results[0], &j.x, qcc_op_operand(L->op, 0));
  if (st != QCC_OK)
    return st;
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, unary_body, &j);
  return QCC_OK;
}

typedef struct pow_job {
  qcc_cg_tensor x, e, y; /* x and e: broadcast views over y's dims */
  bool one_exponent;     /* e has one element: the 2 and 3 special cases apply */
} pow_job;

/* An integer element widened to i64 (u8 zero-extended). */
static LLVMValueRef widen(qcc_cg *cg, LLVMValueRef v, qcc_elem e) {
  if (e == QCC_I64)
    return v;
  return e == QCC_U8 ? LLVMBuildZExt(cg->b, v, cg->i64, "") : LLVMBuildSExt(cg->b, v, cg->i64, "");
}

/* Exponent element as the interpreter's double (qcc_tensor_get_f64). */
static LLVMValueRef exp_f64(qcc_cg *cg, LLVMValueRef v, qcc_elem e) {
  LLVMTypeRef f64 = LLVMDoubleTypeInContext(cg->ctx);
  if (e == QCC_F32)
    return LLVMBuildFPExt(cg->b, v, f64, "");
  return LLVMBuildSIToFP(cg->b, widen(cg, v, e), f64, "");
}

/* x^n, n >= 0, by squaring over all 64 bits of n with wrapping multiplies. */
static LLVMValueRef ipow(qcc_cg *cg, LLVMValueRef x, LLVMValueRef n) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef r = qcc_cg_var(cg, cg->i64, qcc_cg_i64(cg, 1));
  LLVMValueRef base = qcc_cg_var(cg, cg->i64, x);
  qcc_cg_loop l = {0};
  LLVMValueRef k = qcc_cg_loop_n(cg, &l, 63);
  LLVMValueRef bit = LLVMBuildTrunc(b, LLVMBuildLShr(b, n, k, ""), cg->i1, "");
  LLVMValueRef rv = qcc_cg_get(cg, cg->i64, r), bv = qcc_cg_get(cg, cg->i64, base);
  qcc_cg_set(cg, r, LLVMBuildSelect(b, bit, LLVMBuildMul(b, rv, bv, ""), rv, ""));
  qcc_cg_set(cg, base, LLVMBuildMul(b, bv, bv, ""));
  qcc_cg_loop_end(cg, &l);
  return qcc_cg_get(cg, cg->i64, r);
}

static LLVMValueRef int_pow(qcc_cg *cg, LLVMValueRef x, LLVMValueRef n) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef pos = ipow(cg, x, n);
  LLVMValueRef odd = LLVMBuildTrunc(b, n, cg->i1, "");
  LLVMValueRef neg = LLVMBuildSelect(
      b, LLVMBuildICmp(b, LLVMIntEQ, x, qcc_cg_i64(cg, 1), ""), qcc_cg_i64(cg, 1),
      LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, x, qcc_cg_i64(cg, -1), ""),
                      LLVMBuildSelect(b, odd, qcc_cg_i64(cg, -1), qcc_cg_i64(cg, 1), ""),
                      qcc_cg_i64(cg, 0), ""),
      "");
  return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGE, n, qcc_cg_i64(cg, 0), ""), pos, neg, "");
}

static void pow_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  pow_job *j = user;
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef f64 = LLVMDoubleTypeInContext(cg->ctx);
  LLVMValueRef x = qcc_cg_load(cg, &j->x, idx), e = qcc_cg_load(cg, &j->e, idx), r;
  if (j->x.elem == QCC_F32) {
    if (j->e.elem == QCC_F32) {
      LLVMValueRef args[2] = {x, e};
      r = qcc_lower_libm_call(cg, "powf", cg->f32, args, 2);
    } else {
      LLVMValueRef args[2] = {LLVMBuildFPExt(b, x, f64, ""), exp_f64(cg, e, j->e.elem)};
      r = LLVMBuildFPTrunc(b, qcc_lower_libm_call(cg, "pow", f64, args, 2), cg->f32, "");
    }
    if (j->one_exponent) {
      LLVMValueRef ed = exp_f64(cg, e, j->e.elem);
      LLVMValueRef sq = LLVMBuildFMul(b, x, x, "");
      LLVMValueRef cube = LLVMBuildFMul(b, sq, x, "");
      LLVMValueRef is2 = LLVMBuildFCmp(b, LLVMRealOEQ, ed, LLVMConstReal(f64, 2.0), "");
      LLVMValueRef is3 = LLVMBuildFCmp(b, LLVMRealOEQ, ed, LLVMConstReal(f64, 3.0), "");
      r = LLVMBuildSelect(b, is2, sq, LLVMBuildSelect(b, is3, cube, r, ""), "");
    }
  } else if (j->e.elem == QCC_F32) {
    int64_t lo = j->x.elem == QCC_I32 ? INT32_MIN : INT64_MIN;
    int64_t hi = j->x.elem == QCC_I32 ? INT32_MAX : INT64_MAX;
    LLVMValueRef args[2] = {LLVMBuildSIToFP(b, widen(cg, x, j->x.elem), f64, ""),
                            LLVMBuildFPExt(b, e, f64, "")};
    LLVMValueRef p = qcc_lower_libm_call(cg, "pow", f64, args, 2);
    p = qcc_lower_libm_call(cg, "trunc", f64, &p, 1);
    LLVMValueRef flo = LLVMConstReal(f64, (double)lo), fhi = LLVMConstReal(f64, (double)hi);
    LLVMValueRef isnan = LLVMBuildFCmp(b, LLVMRealUNO, p, p, "");
    LLVMValueRef le = LLVMBuildFCmp(b, LLVMRealOLE, p, flo, "");
    LLVMValueRef ge = LLVMBuildFCmp(b, LLVMRealOGE, p, fhi, "");
    /* fptosi only on the values strictly inside the range (else poison). */
    LLVMValueRef inside = LLVMBuildSelect(b, LLVMBuildOr(b, isnan, LLVMBuildOr(b, le, ge, ""), ""),
                                          LLVMConstReal(f64, 0.0), p, "");
    LLVMValueRef v = LLVMBuildFPToSI(b, inside, cg->i64, "");
    v = LLVMBuildSelect(b, ge, qcc_cg_i64(cg, hi), v, "");
    v = LLVMBuildSelect(b, le, qcc_cg_i64(cg, lo), v, "");
    r = LLVMBuildSelect(b, isnan, qcc_cg_i64(cg, 0), v, "");
    if (j->x.elem == QCC_I32)
      r = LLVMBuildTrunc(b, r, cg->i32, "");
  } else {
    r = int_pow(cg, widen(cg, x, j->x.elem), widen(cg, e, j->e.elem));
    if (j->x.elem == QCC_I32)
      r = LLVMBuildTrunc(b, r, cg->i32, "");
  }
  qcc_cg_store(cg, &j->y, idx, r);
}

qcc_status qcc_lower_pow(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  pow_job j;
  qcc_cg_tensor x, e;
  qcc_lower_operand(L, 0, &x);
  qcc_lower_operand(L, 1, &e);
  qcc_lower_result(L, 0, &j.y);
  if (x.elem != QCC_F32 && x.elem != QCC_I32 && x.elem != QCC_I64)
    return qcc_lower_error(L, "base element type %s is not supported", qcc_elem_name(x.elem));
  if (e.elem != QCC_F32 && e.elem != QCC_U8 && e.elem != QCC_I8 && e.elem != QCC_I32 &&
      e.elem != QCC_I64)
    return qcc_lower_error(L, "exponent element type %s is not supported", qcc_elem_name(e.elem));
  qcc_status st = qcc_lower_check_in_place(L, &j.y, op->results[0], &x, qcc_op_operand(op, 0));
  if (st != QCC_OK)
    return st;
  int64_t n = 1;
  for (int32_t d = 0; d < e.rank; ++d)
    n *= e.dims[d];
  j.one_exponent = n == 1;
  qcc_lower_broadcast_view(&x, j.y.rank, j.y.dims, &j.x);
  qcc_lower_broadcast_view(&e, j.y.rank, j.y.dims, &j.e);
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, pow_body, &j);
  return QCC_OK;
}
