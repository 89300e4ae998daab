/* Cast and ConstantOfShape (ir/ops/shape.c); Shape is constant-folded (its result depends only
 * on static dims).
 *
 * Cast converts each element as the interpreter does: to f32 through double ((float)(double)v,
 * so i64 rounds twice like qcc_tensor_set_f64), f32 to f32 as the same bits; to f16 through f32,
 * round half to even, NaN as its sign | 0x7e00 (qcc_f32_to_f16); from f16 exactly, NaN as the
 * quiet NaN of its sign (qcc_f16_to_f32); to bool v != 0 (NaN is true); floats to integers
 * truncated toward zero, NaN to 0, saturated to the target's range; integers to integers
 * wrapping (the low bits). ConstantOfShape fills its static result with the value attribute's
 * bytes (0.0f when absent). */
#include <math.h>
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"

typedef struct cast_job {
  qcc_cg_tensor x, y;
} cast_job;

static LLVMTypeRef f64_t(qcc_cg *cg) { return LLVMDoubleTypeInContext(cg->ctx); }

/* An f16 element (its i16 bits) as f32, NaN as +-NaN without payload. */
static LLVMValueRef f16_to_f32(qcc_cg *cg, LLVMValueRef bits) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef h = LLVMBuildBitCast(b, bits, LLVMHalfTypeInContext(cg->ctx), "");
  LLVMValueRef f = LLVMBuildFPExt(b, h, cg->f32, "");
  LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, bits, LLVMConstInt(cg->i16, 0, false), "");
  LLVMValueRef nan = LLVMBuildSelect(b, neg, qcc_cg_f32(cg, -NAN), qcc_cg_f32(cg, NAN), "");
  return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, f, f, ""), nan, f, "");
}

/* An f32 as f16 bits: round half to even, NaN as sign | 0x7e00. */
static LLVMValueRef f32_to_f16(qcc_cg *cg, LLVMValueRef f) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef h = LLVMBuildFPTrunc(b, f, LLVMHalfTypeInContext(cg->ctx), "");
  LLVMValueRef bits = LLVMBuildBitCast(b, h, cg->i16, "");
  LLVMValueRef fb = LLVMBuildBitCast(b, f, cg->i32, "");
  LLVMValueRef sign = LLVMBuildTrunc(b, LLVMBuildLShr(b, fb, qcc_cg_i32(cg, 16), ""), cg->i16, "");
  sign = LLVMBuildAnd(b, sign, LLVMConstInt(cg->i16, 0x8000, false), "");
  LLVMValueRef nan = LLVMBuildOr(b, sign, LLVMConstInt(cg->i16, 0x7e00, false), "");
  return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, f, f, ""), nan, bits, "");
}

/* qcc_tensor_get_f64 */
static LLVMValueRef to_f64(qcc_cg *cg, LLVMValueRef v, qcc_elem e) {
  LLVMBuilderRef b = cg->b;
  switch (e) {
  case QCC_F32: return LLVMBuildFPExt(b, v, f64_t(cg), "");
  case QCC_F16: return LLVMBuildFPExt(b, f16_to_f32(cg, v), f64_t(cg), "");
  case QCC_U8: return LLVMBuildUIToFP(b, v, f64_t(cg), "");
  case QCC_BOOL:
    return LLVMBuildUIToFP(b, LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstInt(cg->i8, 0, false), ""),
                           f64_t(cg), "");
  default: return LLVMBuildSIToFP(b, v, f64_t(cg), "");
  }
}

/* qcc_tensor_get_i64 of an integer or bool element */
static LLVMValueRef to_i64(qcc_cg *cg, LLVMValueRef v, qcc_elem e) {
  LLVMBuilderRef b = cg->b;
  switch (e) {
  case QCC_I64: return v;
  case QCC_U8: return LLVMBuildZExt(b, v, cg->i64, "");
  case QCC_BOOL:
    return LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstInt(cg->i8, 0, false), ""),
                         cg->i64, "");
  default: return LLVMBuildSExt(b, v, cg->i64, "");
  }
}

static bool is_float(qcc_elem e) { return e == QCC_F32 || e == QCC_F16; }

static void cast_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  cast_job *j = user;
  LLVMBuilderRef b = cg->b;
  qcc_elem from = j->x.elem, to = j->y.elem;
  LLVMValueRef v = qcc_cg_load(cg, &j->x, idx), r;
  LLVMTypeRef rt = qcc_cg_elem_type(cg, to);
  if (from == to && from != QCC_F16 && from != QCC_BOOL) {
    r = v; /* f32 to f32 and integers: the same bits */
  } else if (to == QCC_F32) {
    r = from == QCC_F16 ? f16_to_f32(cg, v) : LLVMBuildFPTrunc(b, to_f64(cg, v, from), cg->f32, "");
  } else if (to == QCC_F16) {
    LLVMValueRef f = from == QCC_F32   ? v
                     : from == QCC_F16 ? f16_to_f32(cg, v)
                                       : LLVMBuildFPTrunc(b, to_f64(cg, v, from), cg->f32, "");
    r = f32_to_f16(cg, f);
  } else if (to == QCC_BOOL) {
    LLVMValueRef nz =
        is_float(from)
            ? LLVMBuildFCmp(b, LLVMRealUNE, to_f64(cg, v, from), LLVMConstReal(f64_t(cg), 0.0), "")
            : LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstInt(LLVMTypeOf(v), 0, false), "");
    r = LLVMBuildZExt(b, nz, cg->i8, "");
  } else if (is_float(from)) {
    int64_t lo, hi;
    qcc_elem_int_range(to, &lo, &hi);
    LLVMValueRef d = to_f64(cg, v, from);
    LLVMValueRef isnan = LLVMBuildFCmp(b, LLVMRealUNO, d, d, "");
    LLVMValueRef le = LLVMBuildFCmp(b, LLVMRealOLE, d, LLVMConstReal(f64_t(cg), (double)lo), "");
    LLVMValueRef ge = LLVMBuildFCmp(b, LLVMRealOGE, d, LLVMConstReal(f64_t(cg), (double)hi), "");
    /* fptosi only of the values strictly inside the range (else poison) */
    LLVMValueRef in = LLVMBuildSelect(b, LLVMBuildOr(b, isnan, LLVMBuildOr(b, le, ge, ""), ""),
                                      LLVMConstReal(f64_t(cg), 0.0), d, "");
    LLVMValueRef q = LLVMBuildFPToSI(b, in, cg->i64, "");
    q = LLVMBuildSelect(b, ge, qcc_cg_i64(cg, hi), q, "");
    q = LLVMBuildSelect(b, le, qcc_cg_i64(cg, lo), q, "");
    q = LLVMBuildSelect(b, isnan, qcc_cg_i64(cg, 0), q, "");
    r = to == QCC_I64 ? q : LLVMBuildTrunc(b, q, rt, "");
  } else {
    LLVMValueRef q = to_i64(cg, v, from);
    r = to == QCC_I64 ? q : LLVMBuildTrunc(b, q, rt, "");
  }
  qcc_cg_store(cg, &j->y, idx, r);
}

static bool cast_elem(qcc_elem e) {
  return e == QCC_F32 || e == QCC_F16 || e == QCC_U8 || e == QCC_I8 || e == QCC_I32 ||
         e == QCC_I64 || e == QCC_BOOL;
}

qcc_status qcc_lower_cast(qcc_lower_ctx *L) {
  cast_job j;
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (!cast_elem(j.x.elem) || !cast_elem(j.y.elem))
    return qcc_lower_error(L, "a cast from %s to %s is not supported", qcc_elem_name(j.x.elem),
                           qcc_elem_name(j.y.elem));
  if (qcc_lower_same_buffer(L, qcc_op_operand(L->op, 0), L->op->results[0]))
    return qcc_lower_error(L, "the result is written in place over the operand");
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, cast_body, &j);
  return QCC_OK;
}

/* ---- ConstantOfShape ---- */

typedef struct fill_job {
  qcc_cg_tensor y;
  LLVMValueRef value;
} fill_job;

static void fill_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  fill_job *j = user;
  qcc_cg_store(cg, &j->y, idx, j->value);
}

qcc_status qcc_lower_constant_of_shape(qcc_lower_ctx *L) {
  qcc_cg *cg = L->cg;
  fill_job j;
  qcc_lower_result(L, 0, &j.y);
  const qcc_attr *a = qcc_op_attr(L->op, "value");
  uint64_t bits = 0; /* 0.0f when there is no value */
  if (a && a->kind == QCC_ATTR_TENSOR && a->tensor) {
    const qcc_const *k = a->tensor;
    size_t es = qcc_elem_size(k->type.elem);
    if (k->type.elem != j.y.elem || k->nbytes < es || es > sizeof bits)
      return qcc_lower_error(L, "value must be a one-element tensor of the result's type");
    memcpy(&bits, k->data, es); /* little-endian host and targets */
  }
  LLVMTypeRef t = qcc_cg_elem_type(cg, j.y.elem);
  if (j.y.elem == QCC_F32)
    j.value = LLVMConstBitCast(LLVMConstInt(cg->i32, bits, false), cg->f32);
  else
    j.value = LLVMConstInt(t, bits, false);
  qcc_cg_for_each_index(cg, j.y.rank, j.y.dims, j.y.strides, fill_body, &j);
  return QCC_OK;
}
