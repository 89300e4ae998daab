/* The activations of ir/ops/activation.c. The float ones (Relu, LeakyRelu, Sigmoid, HardSigmoid,
 * HardSwish, Tanh, Exp, Erf, Gelu) compute on f32 exactly what the interpreter computes: the same
 * operations in the same order, libm's expf, fminf and fmaxf called by name where the
 * interpreter calls them (Sigmoid: 1 / (1 + expf(-x)) for x >= 0, else e / (1 + e) with
 * e = expf(x)); Tanh, Erf and Gelu emit qcc_tanhf's and qcc_erff's operations (ir/ops/fmath.h)
 * with selects in place of their branches, no call, so their loops vectorize. Relu also on
 * integers (v < 0 ? 0 : v). Written in place over the operand when the memory plan says so.
 *
 * Clip on integer and f32 tensors: `if (v < lo) v = lo; if (v > hi) v = hi;`
 * with the bounds from operands 1 and 2 or the opset-6 attributes (on integers the
 * float attributes rounded inwards and clamped into the type's range, as the interpreter does).
 * A bound operand that is not a constant (a graph input) is loaded once at the start of the kernel.
 * Written in place over its operand when the memory plan says so. */
#include <math.h>
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/interp.h"
#include "ir/op_registry.h"
#include "ir/ops/fmath.h"

typedef struct clip_job {
  qcc_cg_tensor x, y;
  LLVMValueRef lo, hi; /* i64 for integers, f32 for floats */
} clip_job;

static void clip_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  clip_job *j = user;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef v = qcc_cg_load(cg, &j->x, idx);
  if (j->x.elem == QCC_F32) {
    v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, j->lo, ""), j->lo, v, "");
    v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, j->hi, ""), j->hi, v, "");
    qcc_cg_store(cg, &j->y, idx, v);
    return;
  }
  LLVMValueRef w =
      j->x.elem == QCC_U8 ? LLVMBuildZExt(b, v, cg->i64, "") : LLVMBuildSExt(b, v, cg->i64, "");
  w = qcc_cg_smin(cg, qcc_cg_smax(cg, w, j->lo), j->hi);
  qcc_cg_store(cg, &j->y, idx, LLVMBuildTrunc(b, w, qcc_cg_elem_type(cg, j->x.elem), ""));
}

/* Scalar operand i, if present: a constant's value, or *rt the value loaded from its buffer
 * (widened to i64 on integers). */
static qcc_status bound(qcc_lower_ctx *L, uint32_t i, bool *have, double *f, int64_t *v,
                        LLVMValueRef *rt) {
  const qcc_value *bv = qcc_op_operand(L->op, i);
  *have = bv != NULL;
  *rt = NULL;
  if (!bv)
    return QCC_OK;
  const qcc_const *k = qcc_value_const(bv);
  qcc_tensor storage;
  if (!k) {
    int64_t n;
    qcc_cg_tensor t;
    if (!qcc_type_numel(bv->type, &n) || n != 1 ||
        bv->type.elem != qcc_op_operand(L->op, 0)->type.elem)
      return qcc_lower_error(L, "the bounds must be scalars of the input's type");
    qcc_lower_operand(L, i, &t);
    *rt = qcc_cg_load_at(L->cg, &t, qcc_cg_i64(L->cg, 0));
    if (t.elem != QCC_F32)
      *rt = t.elem == QCC_U8 ? LLVMBuildZExt(L->cg->b, *rt, L->cg->i64, "")
                             : LLVMBuildSExt(L->cg->b, *rt, L->cg->i64, "");
    return QCC_OK;
  }
  const qcc_tensor *t = qcc_tensor_of_const(k, &storage);
  if (t->numel != 1)
    return qcc_lower_error(L, "the bounds must be scalars");
  if (t->elem == QCC_F32)
    *f = qcc_tensor_get_f64(t, 0);
  else
    *v = qcc_tensor_get_i64(t, 0);
  return QCC_OK;
}

qcc_status qcc_lower_clip(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  qcc_cg *cg = L->cg;
  clip_job j;
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  qcc_elem e = j.x.elem;
  if (e != QCC_F32 && e != QCC_U8 && e != QCC_I8 && e != QCC_I32 && e != QCC_I64)
    return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(e));
  bool has_lo, has_hi;
  double lo_f = 0, hi_f = 0;
  int64_t lo_i = 0, hi_i = 0;
  LLVMValueRef lo_rt, hi_rt;
  qcc_status st;
  if ((st = bound(L, 1, &has_lo, &lo_f, &lo_i, &lo_rt)) != QCC_OK ||
      (st = bound(L, 2, &has_hi, &hi_f, &hi_i, &hi_rt)) != QCC_OK)
    return st;
  if ((st = qcc_lower_check_in_place(L, &j.y, op->results[0], &j.x, qcc_op_operand(op, 0))) !=
      QCC_OK)
    return st;
  if ((lo_rt || hi_rt) && e != QCC_F32 && (qcc_op_attr(op, "min") || qcc_op_attr(op, "max")))
    return qcc_lower_error(L, "run-time bounds together with min/max attributes");
  if (e == QCC_F32) {
    float lo = has_lo ? (float)lo_f : qcc_op_attr_float(op, "min");
    float hi = has_hi ? (float)hi_f : qcc_op_attr_float(op, "max");
    j.lo = qcc_cg_f32(cg, lo);
    j.hi = qcc_cg_f32(cg, hi);
  } else {
    int64_t lo, hi;
    qcc_elem_int_range(e, &lo, &hi);
    if (has_lo) {
      lo = lo_i;
    } else if (qcc_op_attr(op, "min")) {
      double f = ceil((double)qcc_op_attr_float(op, "min"));
      if (f > (double)lo)
        lo = f > (double)hi ? hi : (int64_t)f;
    }
    if (has_hi) {
      hi = hi_i;
    } else if (qcc_op_attr(op, "max")) {
      double f = floor((double)qcc_op_attr_float(op, "max"));
      if (f < (double)hi)
        hi = f < (double)lo ? lo : (int64_t)f;
    }
    j.lo = qcc_cg_i64(cg, lo);
    j.hi = qcc_cg_i64(cg, hi);
  }
  if (lo_rt) /* a run-time bound; the interpreter ignores the attributes then too */
    j.lo = lo_rt;
  if (hi_rt)
    j.hi = hi_rt;
  qcc_cg_for_each_index(cg, j.y.rank, j.y.dims, j.y.strides, clip_body, &j);
  return QCC_OK;
}

/* ---- the float activations ---- */

typedef struct act_job {
  qcc_op_kind kind;
  qcc_cg_tensor x, y;
  float alpha, beta;
  bool gelu_tanh;
} act_job;

static LLVMValueRef call1(qcc_cg *cg, const char *name, LLVMValueRef v) {
  return qcc_lower_libm_call(cg, name, cg->f32, &v, 1);
}

static LLVMValueRef call2(qcc_cg *cg, const char *name, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef args[2] = {a, b};
  return qcc_lower_libm_call(cg, name, cg->f32, args, 2);
}

/* fmaxf(0, fminf(1, v)) */
static LLVMValueRef unit_clamp(qcc_cg *cg, LLVMValueRef v) {
  return call2(cg, "fmaxf", qcc_cg_f32(cg, 0.0f), call2(cg, "fminf", qcc_cg_f32(cg, 1.0f), v));
}

/* ---- qcc_erff and qcc_tanhf (ir/ops/fmath.c) operation for operation, with selects in place
 * of their branches: every piece computed, the one for |x| selected, the exp piece's operand
 * held finite so that the conversion of k never sees an infinity or NaN. ---- */

static LLVMValueRef horner(qcc_cg *cg, const float *c, int n, LLVMValueRef t) {
  LLVMValueRef p = qcc_cg_f32(cg, c[n - 1]);
  for (int i = n - 2; i >= 0; --i)
    p = LLVMBuildFAdd(cg->b, LLVMBuildFMul(cg->b, p, t, ""), qcc_cg_f32(cg, c[i]), "");
  return p;
}

static LLVMValueRef f32_bits(qcc_cg *cg, LLVMValueRef v) {
  return LLVMBuildBitCast(cg->b, v, cg->i32, "");
}

static LLVMValueRef bits_f32(qcc_cg *cg, LLVMValueRef v) {
  return LLVMBuildBitCast(cg->b, v, cg->f32, "");
}

/* exp_k: (v * log2(e) + 1.5 * 2^23) - 1.5 * 2^23 */
static LLVMValueRef exp_k(qcc_cg *cg, LLVMValueRef v) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef rounder = qcc_cg_f32(cg, QCC_EXP_ROUNDER);
  return LLVMBuildFSub(
      b, LLVMBuildFAdd(b, LLVMBuildFMul(b, v, qcc_cg_f32(cg, QCC_EXP_LOG2E), ""), rounder, ""),
      rounder, "");
}

/* exp_scale: E(r) * 2^k, 2^k from the bits ((int)k + 127) << 23 */
static LLVMValueRef exp_scale(qcc_cg *cg, LLVMValueRef r, LLVMValueRef k) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef e = LLVMBuildAdd(b, LLVMBuildFPToSI(b, k, cg->i32, ""), qcc_cg_i32(cg, 127), "");
  LLVMValueRef pow2 = bits_f32(cg, LLVMBuildShl(b, e, qcc_cg_i32(cg, 23), ""));
  return LLVMBuildFMul(b, horner(cg, qcc_exp_poly, QCC_EXP_POLY_N, r), pow2, "");
}

/* k * LN2_HI and k * LN2_LO */
static LLVMValueRef k_ln2_hi(qcc_cg *cg, LLVMValueRef k) {
  return LLVMBuildFMul(cg->b, k, qcc_cg_f32(cg, QCC_EXP_LN2_HI), "");
}

static LLVMValueRef k_ln2_lo(qcc_cg *cg, LLVMValueRef k) {
  return LLVMBuildFMul(cg->b, k, qcc_cg_f32(cg, QCC_EXP_LN2_LO), "");
}

/* copysign(m, x) for m >= 0 built from bits, or x itself when x is NaN. */
static LLVMValueRef odd_result(qcc_cg *cg, LLVMValueRef x, LLVMValueRef m) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef sign = LLVMBuildAnd(b, f32_bits(cg, x), qcc_cg_i32(cg, (int32_t)0x80000000u), "");
  LLVMValueRef mb = LLVMBuildAnd(b, f32_bits(cg, m), qcc_cg_i32(cg, 0x7fffffff), "");
  LLVMValueRef r = bits_f32(cg, LLVMBuildOr(b, mb, sign, ""));
  return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, x, x, ""), x, r, "");
}

static LLVMValueRef abs_f32(qcc_cg *cg, LLVMValueRef x) {
  return bits_f32(cg, LLVMBuildAnd(cg->b, f32_bits(cg, x), qcc_cg_i32(cg, 0x7fffffff), ""));
}

/* The three pieces of erf or tanh selected by a < small_end, a < one_from. */
static LLVMValueRef pieces(qcc_cg *cg, LLVMValueRef a, float small_end, float one_from,
                           LLVMValueRef small, LLVMValueRef mid) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef is_small = LLVMBuildFCmp(b, LLVMRealOLT, a, qcc_cg_f32(cg, small_end), "");
  LLVMValueRef is_mid = LLVMBuildFCmp(b, LLVMRealOLT, a, qcc_cg_f32(cg, one_from), "");
  return LLVMBuildSelect(b, is_small, small,
                         LLVMBuildSelect(b, is_mid, mid, qcc_cg_f32(cg, 1.0f), ""), "");
}

/* The exp piece's operand: a below one_from, else one_from (also for NaN). */
static LLVMValueRef held(qcc_cg *cg, LLVMValueRef a, float one_from) {
  LLVMValueRef lim = qcc_cg_f32(cg, one_from);
  return LLVMBuildSelect(cg->b, LLVMBuildFCmp(cg->b, LLVMRealOLT, a, lim, ""), a, lim, "");
}

static LLVMValueRef erf_f32(qcc_cg *cg, LLVMValueRef x) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef a = abs_f32(cg, x);
  LLVMValueRef rs = LLVMBuildFAdd(
      b, a,
      LLVMBuildFMul(b, a, horner(cg, qcc_erf_small, QCC_ERF_SMALL_N, LLVMBuildFMul(b, a, a, "")),
                    ""),
      "");
  LLVMValueRef t = held(cg, a, QCC_ERF_ONE_FROM);
  LLVMValueRef th = bits_f32(
      cg, LLVMBuildAnd(b, f32_bits(cg, t), qcc_cg_i32(cg, (int32_t)QCC_ERF_HIGH_MASK), ""));
  LLVMValueRef hi = LLVMBuildFMul(b, th, th, "");
  LLVMValueRef lo = LLVMBuildFMul(b, LLVMBuildFSub(b, t, th, ""), LLVMBuildFAdd(b, t, th, ""), "");
  LLVMValueRef nhi = LLVMBuildFNeg(b, hi, "");
  LLVMValueRef k = exp_k(cg, nhi);
  LLVMValueRef r = LLVMBuildFSub(b, LLVMBuildFSub(b, nhi, k_ln2_hi(cg, k), ""),
                                 LLVMBuildFAdd(b, k_ln2_lo(cg, k), lo, ""), "");
  LLVMValueRef e = exp_scale(cg, r, k);
  LLVMValueRef g = horner(cg, qcc_erf_tail, QCC_ERF_TAIL_N,
                          LLVMBuildFSub(b, LLVMBuildFDiv(b, qcc_cg_f32(cg, 1.0f), t, ""),
                                        qcc_cg_f32(cg, QCC_ERF_TAIL_CENTER), ""));
  LLVMValueRef rt = LLVMBuildFSub(b, qcc_cg_f32(cg, 1.0f),
                                  LLVMBuildFDiv(b, LLVMBuildFMul(b, e, g, ""), t, ""), "");
  return odd_result(cg, x, pieces(cg, a, QCC_ERF_SMALL_END, QCC_ERF_ONE_FROM, rs, rt));
}

static LLVMValueRef tanh_f32(qcc_cg *cg, LLVMValueRef x) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef a = abs_f32(cg, x);
  LLVMValueRef s = LLVMBuildFMul(b, a, a, "");
  LLVMValueRef rs = LLVMBuildFAdd(
      b, a,
      LLVMBuildFMul(b, a, LLVMBuildFMul(b, s, horner(cg, qcc_tanh_small, QCC_TANH_SMALL_N, s), ""),
                    ""),
      "");
  LLVMValueRef t = held(cg, a, QCC_TANH_ONE_FROM);
  LLVMValueRef v = LLVMBuildFAdd(b, t, t, "");
  LLVMValueRef k = exp_k(cg, v);
  LLVMValueRef r = LLVMBuildFSub(b, LLVMBuildFSub(b, v, k_ln2_hi(cg, k), ""), k_ln2_lo(cg, k), "");
  LLVMValueRef e = exp_scale(cg, r, k);
  LLVMValueRef one = qcc_cg_f32(cg, 1.0f);
  LLVMValueRef rt = LLVMBuildFSub(
      b, one, LLVMBuildFDiv(b, qcc_cg_f32(cg, 2.0f), LLVMBuildFAdd(b, e, one, ""), ""), "");
  return odd_result(cg, x, pieces(cg, a, QCC_TANH_SMALL_END, QCC_TANH_ONE_FROM, rs, rt));
}

/* 0.5 * x * (t + 1) with t = erf(x * (1/sqrt 2)) or tanh(x * (C * x * x + B)) (ir/ops/activation.c)
 */
static LLVMValueRef gelu_f32(qcc_cg *cg, LLVMValueRef x, bool approx_tanh) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef t;
  if (approx_tanh) {
    LLVMValueRef c = qcc_cg_f32(cg, 0.035677408136300125f),
                 bb = qcc_cg_f32(cg, 0.7978845608028654f);
    LLVMValueRef in = LLVMBuildFAdd(b, LLVMBuildFMul(b, LLVMBuildFMul(b, c, x, ""), x, ""), bb, "");
    t = tanh_f32(cg, LLVMBuildFMul(b, x, in, ""));
  } else {
    t = erf_f32(cg, LLVMBuildFMul(b, x, qcc_cg_f32(cg, 0.70710678118654752f), ""));
  }
  return LLVMBuildFMul(b, LLVMBuildFMul(b, qcc_cg_f32(cg, 0.5f), x, ""),
                       LLVMBuildFAdd(b, t, qcc_cg_f32(cg, 1.0f), ""), "");
}

static void act_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  act_job *j = user;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef x = qcc_cg_load(cg, &j->x, idx), r;
  LLVMValueRef one = qcc_cg_f32(cg, 1.0f);
  if (j->x.elem != QCC_F32) { /* Relu on integers */
    LLVMValueRef zero = LLVMConstInt(LLVMTypeOf(x), 0, false);
    r = j->x.elem == QCC_U8
            ? x
            : LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, x, zero, ""), zero, x, "");
    qcc_cg_store(cg, &j->y, idx, r);
    return;
  }
  LLVMValueRef neg = LLVMBuildFCmp(b, LLVMRealOLT, x, qcc_cg_f32(cg, 0.0f), "");
  switch (j->kind) {
  case QCC_OP_Relu: r = LLVMBuildSelect(b, neg, qcc_cg_f32(cg, 0.0f), x, ""); break;
  case QCC_OP_LeakyRelu:
    r = LLVMBuildSelect(b, neg, LLVMBuildFMul(b, qcc_cg_f32(cg, j->alpha), x, ""), x, "");
    break;
  case QCC_OP_Sigmoid: {
    LLVMValueRef nonneg = LLVMBuildFCmp(b, LLVMRealOGE, x, qcc_cg_f32(cg, 0.0f), "");
    LLVMValueRef e = call1(cg, "expf", LLVMBuildSelect(b, nonneg, LLVMBuildFNeg(b, x, ""), x, ""));
    LLVMValueRef den = LLVMBuildFAdd(b, one, e, "");
    r = LLVMBuildSelect(b, nonneg, LLVMBuildFDiv(b, one, den, ""), LLVMBuildFDiv(b, e, den, ""),
                        "");
    break;
  }
  case QCC_OP_HardSigmoid:
    r = unit_clamp(cg, LLVMBuildFAdd(b, LLVMBuildFMul(b, qcc_cg_f32(cg, j->alpha), x, ""),
                                     qcc_cg_f32(cg, j->beta), ""));
    break;
  case QCC_OP_HardSwish:
    r = LLVMBuildFMul(b, x,
                      unit_clamp(cg, LLVMBuildFAdd(b, LLVMBuildFDiv(b, x, qcc_cg_f32(cg, 6.0f), ""),
                                                   qcc_cg_f32(cg, 0.5f), "")),
                      "");
    break;
  case QCC_OP_Tanh: r = tanh_f32(cg, x); break;
  case QCC_OP_Erf: r = erf_f32(cg, x); break;
  case QCC_OP_Gelu: r = gelu_f32(cg, x, j->gelu_tanh); break;
  default: r = call1(cg, "expf", x); break; /* Exp */
  }
  qcc_cg_store(cg, &j->y, idx, r);
}

qcc_status qcc_lower_float_activation(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  act_job j = {.kind = op->def->kind};
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  qcc_elem e = j.x.elem;
  bool int_ok =
      j.kind == QCC_OP_Relu && (e == QCC_U8 || e == QCC_I8 || e == QCC_I32 || e == QCC_I64);
  if (e != QCC_F32 && !int_ok)
    return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(e));
  if (j.kind == QCC_OP_LeakyRelu || j.kind == QCC_OP_HardSigmoid)
    j.alpha = qcc_op_attr_float(op, "alpha");
  if (j.kind == QCC_OP_HardSigmoid)
    j.beta = qcc_op_attr_float(op, "beta");
  if (j.kind == QCC_OP_Gelu)
    j.gelu_tanh = strcmp(qcc_op_attr_string(op, "approximate"), "tanh") == 0;
  qcc_status st = qcc_lower_check_in_place(L, &j.y, op->results[0], &j.x, qcc_op_operand(op, 0));
  if (st != QCC_OK)
    return st;
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, act_body, &j);
  return QCC_OK;
}
