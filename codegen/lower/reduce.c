/* ReduceSum, ReduceMean and ReduceMax (ir/ops/reduce.c) with constant axes (attribute or
 * operand): for each output element the reduced dims are walked in the input's row-major order,
 * as the interpreter folds them. Floats accumulate in double (sum: acc + v; max: a NaN replaces
 * the accumulator, else v > acc does; from -inf) and round once to f32, the mean dividing by
 * the element count first; integer sums wrap in 64 bits and integer maxima start at the type's
 * minimum. noop_with_empty_axes with no axes copies. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/interp.h"
#include "ir/op_registry.h"

typedef enum { RED_MEAN, RED_SUM, RED_MAX } reduce_kind;

typedef struct reduce_job {
  qcc_cg_tensor x, y;
  reduce_kind kind;
  bool is_float, is_signed;
  bool mask[QCC_MAX_RANK];
  int64_t count;
  LLVMTypeRef f64, acc_t;
  LLVMValueRef acc, nan;
  LLVMValueRef idx[QCC_MAX_RANK];
} reduce_job;

/* The f32 bits of (float)(0.0 / 0.0) computed at run time on this host, as the interpreter
 * computes a mean over no elements (a generated NaN's sign differs between targets). */
static LLVMValueRef host_nan(qcc_cg *cg) {
  volatile double zero = 0.0;
  float f = (float)(zero / zero);
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return LLVMConstBitCast(LLVMConstInt(cg->i32, bits, false), cg->f32);
}

/* The fold's start: 0 (sums), -inf (float max) or the type's minimum (integer max). */
static LLVMValueRef fold_init(qcc_cg *cg, const reduce_job *j) {
  if (j->is_float)
    return LLVMConstReal(j->f64, j->kind == RED_MAX ? -INFINITY : 0.0);
  if (j->kind != RED_MAX)
    return qcc_cg_i64(cg, 0);
  return qcc_cg_i64(cg, j->x.elem == QCC_U8    ? 0
                        : j->x.elem == QCC_I8  ? -128
                        : j->x.elem == QCC_I32 ? INT32_MIN
                                               : INT64_MIN);
}

static void emit_fold(qcc_cg *cg, LLVMValueRef *ridx, void *user) {
  reduce_job *j = user;
  LLVMBuilderRef b = cg->b;
  for (int32_t d = 0, r = 0; d < j->x.rank; ++d)
    if (j->mask[d])
      j->idx[d] = ridx[r++];
  LLVMValueRef v = qcc_cg_load(cg, &j->x, j->idx);
  LLVMValueRef acc = qcc_cg_get(cg, j->acc_t, j->acc), r;
  if (j->is_float) {
    v = LLVMBuildFPExt(b, v, j->f64, "");
    if (j->kind != RED_MAX) {
      r = LLVMBuildFAdd(b, acc, v, "");
    } else {
      LLVMValueRef take = LLVMBuildOr(b, LLVMBuildFCmp(b, LLVMRealUNO, v, v, ""),
                                      LLVMBuildFCmp(b, LLVMRealOGT, v, acc, ""), "");
      r = LLVMBuildSelect(b, take, v, acc, "");
    }
  } else {
    v = j->is_signed ? LLVMBuildSExt(b, v, cg->i64, "") : LLVMBuildZExt(b, v, cg->i64, "");
    if (j->kind == RED_SUM)
      r = LLVMBuildAdd(b, acc, v, "");
    else
      r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, v, acc, ""), v, acc, "");
  }
  qcc_cg_set(cg, j->acc, r);
}

static void emit_output(qcc_cg *cg, LLVMValueRef *kidx, void *user) {
  reduce_job *j = user;
  LLVMBuilderRef b = cg->b;
  int32_t nr = 0;
  int64_t rdims[QCC_MAX_RANK], rstrides[QCC_MAX_RANK];
  for (int32_t d = 0; d < j->x.rank; ++d) {
    j->idx[d] = kidx[d];
    if (j->mask[d])
      rdims[nr++] = j->x.dims[d];
  }
  int64_t s = 1;
  for (int32_t d = nr - 1; d >= 0; --d) {
    rstrides[d] = s;
    s *= rdims[d];
  }
  qcc_cg_set(cg, j->acc, fold_init(cg, j));
  if (j->count > 0)
    qcc_cg_for_each_index(cg, nr, rdims, rstrides, emit_fold, j);
  LLVMValueRef acc = qcc_cg_get(cg, j->acc_t, j->acc), r;
  if (j->is_float) {
    if (j->kind == RED_MEAN)
      acc = LLVMBuildFDiv(b, acc, LLVMConstReal(j->f64, (double)j->count), "");
    r = j->nan ? j->nan : LLVMBuildFPTrunc(b, acc, cg->f32, "");
  } else {
    r = LLVMBuildTrunc(b, acc, qcc_cg_elem_type(cg, j->y.elem), "");
  }
  /* y's index: the kept dims (and, with keepdims, the reduced ones at 0). */
  LLVMValueRef yidx[QCC_MAX_RANK] = {0};
  for (int32_t d = 0, o = 0; d < j->x.rank; ++d) {
    if (!j->mask[d])
      yidx[o++] = kidx[d];
    else if (j->y.rank == j->x.rank)
      yidx[o++] = qcc_cg_i64(cg, 0);
  }
  qcc_cg_store(cg, &j->y, yidx, r);
}

static void emit_copy(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  reduce_job *j = user;
  qcc_cg_store(cg, &j->y, idx, qcc_cg_load(cg, &j->x, idx));
}

/* ---- axes given by a run-time operand ---- */

/* Which dims the n run-time axes reduce (reduce_mask of the interpreter), and `bad` for an axis
 * out of range or repeated. */
static LLVMValueRef runtime_mask(qcc_cg *cg, const qcc_cg_tensor *at, int64_t n, int32_t rank,
                                 LLVMValueRef *mask) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef bad = qcc_cg_i1(cg, false);
  for (int32_t d = 0; d < rank; ++d)
    mask[d] = qcc_cg_i1(cg, false);
  for (int64_t i = 0; i < n; ++i) {
    LLVMValueRef a = qcc_lower_rt_int(cg, at, i);
    bad =
        LLVMBuildOr(b, bad, LLVMBuildNot(b, qcc_cg_in_range(cg, a, -(int64_t)rank, rank), ""), "");
    a = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, a, qcc_cg_i64(cg, 0), ""),
                        LLVMBuildAdd(b, a, qcc_cg_i64(cg, rank), ""), a, "");
    for (int32_t d = 0; d < rank; ++d) {
      LLVMValueRef sel = LLVMBuildICmp(b, LLVMIntEQ, a, qcc_cg_i64(cg, d), "");
      bad = LLVMBuildOr(b, bad, LLVMBuildAnd(b, sel, mask[d], ""), "");
      mask[d] = LLVMBuildOr(b, mask[d], sel, "");
    }
  }
  return bad;
}

/* The run function's check: valid axes whose result shape is y's. */
static void runtime_check(qcc_lower_ctx *L, const reduce_job *j, int64_t n) {
  qcc_cg *cg = L->cg;
  qcc_lower_run_check c;
  qcc_cg_tensor at;
  LLVMValueRef mask[QCC_MAX_RANK];
  qcc_lower_run_check_begin(L, &c);
  qcc_lower_run_operand(L, 1, &at);
  qcc_lower_run_check_fail_if(L, &c, runtime_mask(cg, &at, n, j->x.rank, mask));
  LLVMBuilderRef b = cg->b;
  LLVMValueRef pos = qcc_cg_i64(cg, 0); /* y's dim of the next kept dim */
  for (int32_t d = 0; d < j->x.rank; ++d) {
    LLVMValueRef xd = qcc_cg_i64(cg, j->x.dims[d]);
    if (j->y.rank == j->x.rank) { /* keepdims */
      LLVMValueRef want = LLVMBuildSelect(b, mask[d], qcc_cg_i64(cg, 1), xd, "");
      qcc_lower_run_check_fail_if(
          L, &c, LLVMBuildICmp(b, LLVMIntNE, want, qcc_cg_i64(cg, j->y.dims[d]), ""));
      continue;
    }
    LLVMValueRef kept = LLVMBuildNot(b, mask[d], "");
    for (int32_t o = 0; o < j->y.rank; ++o) {
      if (j->y.dims[o] == j->x.dims[d])
        continue;
      LLVMValueRef here = LLVMBuildICmp(b, LLVMIntEQ, pos, qcc_cg_i64(cg, o), "");
      qcc_lower_run_check_fail_if(L, &c, LLVMBuildAnd(b, kept, here, ""));
    }
    pos = LLVMBuildAdd(b, pos, LLVMBuildZExt(b, kept, cg->i64, ""), "");
  }
  if (j->y.rank != j->x.rank)
    qcc_lower_run_check_fail_if(L, &c,
                                LLVMBuildICmp(b, LLVMIntNE, pos, qcc_cg_i64(cg, j->y.rank), ""));
  qcc_lower_run_check_end(L, &c);
}

typedef struct rt_reduce {
  reduce_job *j;
  LLVMValueRef mask[QCC_MAX_RANK], kept[QCC_MAX_RANK], ost[QCC_MAX_RANK], len[QCC_MAX_RANK];
  LLVMValueRef k[QCC_MAX_RANK], count;
} rt_reduce;

/* The reduced dims' loops (extent 1 for kept dims) around one fold, in row-major order. */
static void rt_fold_loops(qcc_cg *cg, rt_reduce *r, int32_t d, LLVMValueRef *xi) {
  reduce_job *j = r->j;
  if (d == j->x.rank) {
    bool mask[QCC_MAX_RANK];
    memcpy(mask, j->mask, sizeof mask);
    memset(j->mask, 0, sizeof j->mask); /* emit_fold: every index from j->idx */
    for (int32_t e = 0; e < j->x.rank; ++e)
      j->idx[e] = xi[e];
    emit_fold(cg, NULL, j);
    memcpy(j->mask, mask, sizeof mask);
    return;
  }
  qcc_cg_loop l = {0};
  LLVMValueRef i = qcc_cg_loop_begin(cg, &l, qcc_cg_i64(cg, 0), r->len[d]);
  xi[d] = LLVMBuildSelect(cg->b, r->mask[d], i, r->k[d], "");
  rt_fold_loops(cg, r, d + 1, xi);
  qcc_cg_loop_end(cg, &l);
}

/* The kept dims' loops (extent 1 for reduced dims); y's row-major offset sum k_d * ost_d. */
static void rt_output_loops(qcc_cg *cg, rt_reduce *r, int32_t d, LLVMValueRef off) {
  reduce_job *j = r->j;
  LLVMBuilderRef b = cg->b;
  if (d < j->x.rank) {
    qcc_cg_loop l = {0};
    r->k[d] = qcc_cg_loop_begin(cg, &l, qcc_cg_i64(cg, 0), r->kept[d]);
    rt_output_loops(cg, r, d + 1,
                    LLVMBuildAdd(b, off, LLVMBuildMul(b, r->k[d], r->ost[d], ""), ""));
    qcc_cg_loop_end(cg, &l);
    return;
  }
  LLVMValueRef xi[QCC_MAX_RANK];
  qcc_cg_set(cg, j->acc, fold_init(cg, j));
  rt_fold_loops(cg, r, 0, xi);
  LLVMValueRef acc = qcc_cg_get(cg, j->acc_t, j->acc), v;
  if (j->is_float) {
    if (j->kind == RED_MEAN)
      acc = LLVMBuildFDiv(b, acc, LLVMBuildSIToFP(b, r->count, j->f64, ""), "");
    v = LLVMBuildFPTrunc(b, acc, cg->f32, "");
    if (j->kind == RED_MEAN)
      v = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, r->count, qcc_cg_i64(cg, 0), ""),
                          host_nan(cg), v, "");
  } else {
    v = LLVMBuildTrunc(b, acc, qcc_cg_elem_type(cg, j->y.elem), "");
  }
  qcc_cg_store_at(cg, &j->y, off, v);
}

/* Axes from a run-time operand of n (> 0) entries: the run function checks the shape they give,
 * the kernel walks the reduced dims in row-major order for each output element, with the
 * dims' extents and y's strides computed from the axes. y must be row-major. */
static qcc_status reduce_runtime(qcc_lower_ctx *L, reduce_job *j, int64_t n) {
  qcc_cg *cg = L->cg;
  LLVMBuilderRef b = cg->b;
  if (j->y.rank != j->x.rank && qcc_op_attr_int(L->op, "keepdims") != 0)
    return qcc_lower_error(L, "with keepdims the result must have the input's rank");
  int64_t s = 1;
  for (int32_t d = j->y.rank - 1; d >= 0; --d) {
    if (j->y.dims[d] > 1 && j->y.strides[d] != s)
      return qcc_lower_error(L, "with run-time axes the result must be row-major");
    s *= j->y.dims[d];
  }
  runtime_check(L, j, n);
  if (s == 0)
    return QCC_OK;
  rt_reduce r = {.j = j};
  qcc_cg_tensor at;
  qcc_lower_operand(L, 1, &at);
  runtime_mask(cg, &at, n, j->x.rank, r.mask);
  LLVMValueRef stride = qcc_cg_i64(cg, 1), one = qcc_cg_i64(cg, 1);
  r.count = one;
  for (int32_t d = j->x.rank - 1; d >= 0; --d) {
    LLVMValueRef xd = qcc_cg_i64(cg, j->x.dims[d]);
    r.kept[d] = LLVMBuildSelect(b, r.mask[d], one, xd, "");
    r.len[d] = LLVMBuildSelect(b, r.mask[d], xd, one, "");
    r.ost[d] = LLVMBuildSelect(b, r.mask[d], qcc_cg_i64(cg, 0), stride, "");
    stride = LLVMBuildMul(b, stride, r.kept[d], "");
    r.count = LLVMBuildMul(b, r.count, r.len[d], "");
  }
  j->acc_t = j->is_float ? j->f64 : cg->i64;
  j->acc = qcc_cg_var(cg, j->acc_t, NULL);
  rt_output_loops(cg, &r, 0, qcc_cg_i64(cg, 0));
  return QCC_OK;
}

qcc_status qcc_lower_reduce(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  qcc_cg *cg = L->cg;
  reduce_job j;
  memset(&j, 0, sizeof j);
  j.kind = qcc_op_is(op, QCC_OP_ReduceSum)   ? RED_SUM
           : qcc_op_is(op, QCC_OP_ReduceMax) ? RED_MAX
                                             : RED_MEAN;
  j.f64 = LLVMDoubleTypeInContext(cg->ctx);
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  qcc_elem e = j.x.elem;
  j.is_float = e == QCC_F32;
  bool ok = j.is_float || (j.kind == RED_SUM && (e == QCC_I32 || e == QCC_I64)) ||
            (j.kind == RED_MAX && (e == QCC_I8 || e == QCC_U8 || e == QCC_I32 || e == QCC_I64));
  if (!ok)
    return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(e));
  j.is_signed = e != QCC_U8;
  int64_t axes[QCC_MAX_RANK];
  int64_t n_axes = 0;
  const qcc_value *av = qcc_op_operand(op, 1);
  if (av) {
    const qcc_const *k = qcc_value_const(av);
    if (!k && (av->type.elem != QCC_I64 || av->type.rank != 1 || av->type.dims[0].size > j.x.rank))
      return qcc_lower_error(L, "axes must be a 1-D i64 tensor of at most %d entries", j.x.rank);
    if (!k && av->type.dims[0].size > 0)
      return reduce_runtime(L, &j, av->type.dims[0].size);
    qcc_tensor storage;
    if (!k) { /* no axes, whatever the operand's buffer holds */
      n_axes = 0;
    } else {
      const qcc_tensor *t = qcc_tensor_of_const(k, &storage);
      if (t->numel > j.x.rank)
        return qcc_lower_error(L, "too many axes");
      n_axes = t->numel;
      for (int64_t i = 0; i < n_axes; ++i)
        axes[i] = qcc_tensor_get_i64(t, i);
    }
  } else {
    const int64_t *a;
    n_axes = qcc_op_attr_ints(op, "axes", &a);
    if (n_axes > j.x.rank)
      return qcc_lower_error(L, "too many axes");
    for (int64_t i = 0; i < n_axes; ++i)
      axes[i] = a[i];
  }
  if (n_axes == 0 && qcc_op_attr_int(op, "noop_with_empty_axes") != 0) {
    qcc_cg_for_each_index(cg, j.y.rank, j.y.dims, j.y.strides, emit_copy, &j);
    return QCC_OK;
  }
  for (int64_t i = 0; i < n_axes; ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + j.x.rank : axes[i];
    if (a < 0 || a >= j.x.rank || j.mask[a])
      return qcc_lower_error(L, "axis %lld is out of range or repeated", (long long)axes[i]);
    j.mask[a] = true;
  }
  int64_t kept[QCC_MAX_RANK], kstrides[QCC_MAX_RANK];
  j.count = 1;
  for (int32_t d = 0, o = 0; d < j.x.rank; ++d) {
    if (n_axes == 0)
      j.mask[d] = true;
    kept[d] = j.mask[d] ? 1 : j.x.dims[d];
    if (j.mask[d])
      j.count *= j.x.dims[d];
    if (!j.mask[d] || j.y.rank == j.x.rank)
      kstrides[d] = j.y.strides[o++];
    else
      kstrides[d] = 0;
  }
  j.acc_t = j.is_float ? j.f64 : cg->i64;
  j.acc = qcc_cg_var(cg, j.acc_t, NULL);
  if (j.is_float && j.kind == RED_MEAN && j.count == 0)
    j.nan = host_nan(cg);
  qcc_cg_for_each_index(cg, j.x.rank, kept, kstrides, emit_output, &j);
  return QCC_OK;
}
