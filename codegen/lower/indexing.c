/* Slice and Gather (ir/ops/indexing.c) on elements of any type.
 *
 * Slice: the starts, ends, axes and steps (constant operands or the opset-1 attributes) are
 * clamped at compile time by the ONNX rules the interpreter applies; the result is then a copy
 * of a strided view of the data (start offsets in the base, strides times steps). When some of
 * them are run-time operands (graph inputs), the kernel computes the same first index and step
 * per dim from their values, and the run function checks beforehand that the counts they give
 * are the result's declared dims (qcc_lower_run_check: QCC_RT_ERR_SHAPE otherwise).
 * Gather: y[o, j, i] = x[o, ind[j], i] in the result's memory order; an index is read at run
 * time and counts from the end when negative. Indices outside [-len, len), an error of the
 * interpreter, are clamped into the axis so no access leaves the data. */
#include "codegen/lower/lower.h"
#include "ir/interp.h"
#include "ir/op_registry.h"

/* ---- Slice ---- */

typedef struct copy_job {
  qcc_cg_tensor src, dst;
} copy_job;

static void copy_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  copy_job *j = user;
  qcc_cg_store(cg, &j->dst, idx, qcc_cg_load(cg, &j->src, idx));
}

/* Constant integer operand i as at most QCC_MAX_RANK int64s (n = -1 when absent). */
static qcc_status const_list(qcc_lower_ctx *L, uint32_t i, const char *what, int64_t *v,
                             int64_t *n) {
  *n = -1;
  const qcc_value *val = qcc_op_operand(L->op, i);
  if (!val)
    return QCC_OK;
  const qcc_const *k = qcc_value_const(val);
  if (!k)
    return qcc_lower_error(L, "%s must be constants", what);
  qcc_tensor storage;
  const qcc_tensor *t = qcc_tensor_of_const(k, &storage);
  if (t->numel > QCC_MAX_RANK)
    return qcc_lower_error(L, "%s has too many entries", what);
  for (int64_t j = 0; j < t->numel; ++j)
    v[j] = qcc_tensor_get_i64(t, j);
  *n = t->numel;
  return QCC_OK;
}

/* First index and count of one axis after the ONNX clamping rules. */
static void clamp_axis(int64_t start, int64_t end, int64_t step, int64_t dim, int64_t *first,
                       int64_t *count) {
  if (dim == 0) {
    *first = 0;
    *count = 0;
    return;
  }
  start += start < 0 ? dim : 0;
  end += end < 0 ? dim : 0;
  if (step > 0) {
    start = start < 0 ? 0 : start > dim ? dim : start;
    end = end < 0 ? 0 : end > dim ? dim : end;
    *count = end > start ? (end - start - 1) / step + 1 : 0;
  } else {
    start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
    end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
    int64_t mag = step == INT64_MIN ? INT64_MAX : -step;
    *count = start > end ? (start - end - 1) / mag + 1 : 0;
  }
  *first = start;
}

/* ---- Slice with run-time starts, ends, axes or steps ---- */

/* One of the four lists: constant entries, or a 1-D integer tensor read at run time. */
typedef struct slice_list {
  bool given, rt;
  int64_t n, k[QCC_MAX_RANK];
  uint32_t operand;
} slice_list;

static LLVMValueRef list_entry(qcc_lower_ctx *L, const slice_list *l, const qcc_cg_tensor *t,
                               int64_t i) {
  return l->rt ? qcc_lower_rt_int(L->cg, t, i) : qcc_cg_i64(L->cg, l->k[i]);
}

typedef struct slice_rt {
  LLVMValueRef first[QCC_MAX_RANK], step[QCC_MAX_RANK], count[QCC_MAX_RANK], bad;
} slice_rt;

static LLVMValueRef clamp_v(qcc_cg *cg, LLVMValueRef v, LLVMValueRef lo, LLVMValueRef hi) {
  return qcc_cg_smin(cg, qcc_cg_smax(cg, v, lo), hi);
}

/* slice_clamp of ir/ops/indexing.c on values (dim > 0); `step` is not 0. */
static void clamp_axis_v(qcc_cg *cg, LLVMValueRef start, LLVMValueRef end, LLVMValueRef step,
                         int64_t dim, LLVMValueRef *first, LLVMValueRef *count) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef zero = qcc_cg_i64(cg, 0), one = qcc_cg_i64(cg, 1), d = qcc_cg_i64(cg, dim);
  LLVMValueRef dm1 = qcc_cg_i64(cg, dim - 1);
  start = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, start, zero, ""),
                          LLVMBuildAdd(b, start, d, ""), start, "");
  end = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, end, zero, ""), LLVMBuildAdd(b, end, d, ""),
                        end, "");
  LLVMValueRef pos = LLVMBuildICmp(b, LLVMIntSGT, step, zero, "");
  /* step > 0: start, end in [0, dim]; count = end > start ? (end - start - 1) / step + 1 : 0 */
  LLVMValueRef ps = clamp_v(cg, start, zero, d), pe = clamp_v(cg, end, zero, d);
  LLVMValueRef pstep = LLVMBuildSelect(b, pos, step, one, "");
  LLVMValueRef pc = LLVMBuildAdd(
      b, LLVMBuildSDiv(b, LLVMBuildSub(b, LLVMBuildSub(b, pe, ps, ""), one, ""), pstep, ""), one,
      "");
  pc = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, pe, ps, ""), pc, zero, "");
  /* step < 0: start in [0, dim - 1], end in [-1, dim - 1], the magnitude without overflow. */
  LLVMValueRef ns = clamp_v(cg, start, zero, dm1), ne = clamp_v(cg, end, qcc_cg_i64(cg, -1), dm1);
  LLVMValueRef mag =
      LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, step, qcc_cg_i64(cg, INT64_MIN), ""),
                      qcc_cg_i64(cg, INT64_MAX), LLVMBuildNeg(b, step, ""), "");
  mag = LLVMBuildSelect(b, pos, one, mag, "");
  LLVMValueRef nc = LLVMBuildAdd(
      b, LLVMBuildSDiv(b, LLVMBuildSub(b, LLVMBuildSub(b, ns, ne, ""), one, ""), mag, ""), one, "");
  nc = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, ns, ne, ""), nc, zero, "");
  *first = LLVMBuildSelect(b, pos, ps, ns, "");
  *count = LLVMBuildSelect(b, pos, pc, nc, "");
}

/* Per dim of x: first index, step and count (slice_check and slice_eval of the interpreter),
 * and `bad` for an axis out of range or repeated or a step of 0. In the kernel or, with
 * run = true, in the run function. */
static void slice_params(qcc_lower_ctx *L, const slice_list *lists, int64_t n,
                         const qcc_cg_tensor *x, bool run, slice_rt *r) {
  qcc_cg *cg = L->cg;
  LLVMBuilderRef b = cg->b;
  qcc_cg_tensor t[4];
  for (int k = 0; k < 4; ++k)
    if (lists[k].rt && !(run ? qcc_lower_run_operand(L, lists[k].operand, &t[k])
                             : qcc_lower_operand(L, lists[k].operand, &t[k])))
      return;
  LLVMValueRef zero = qcc_cg_i64(cg, 0), one = qcc_cg_i64(cg, 1);
  LLVMValueRef ax[QCC_MAX_RANK], st[QCC_MAX_RANK], s[QCC_MAX_RANK], e[QCC_MAX_RANK];
  r->bad = qcc_cg_i1(cg, false);
  for (int64_t i = 0; i < n; ++i) {
    s[i] = list_entry(L, &lists[0], &t[0], i);
    e[i] = list_entry(L, &lists[1], &t[1], i);
    ax[i] = lists[2].given ? list_entry(L, &lists[2], &t[2], i) : qcc_cg_i64(cg, i);
    ax[i] = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, ax[i], zero, ""),
                            LLVMBuildAdd(b, ax[i], qcc_cg_i64(cg, x->rank), ""), ax[i], "");
    r->bad = LLVMBuildOr(
        b, r->bad,
        LLVMBuildNot(b, LLVMBuildICmp(b, LLVMIntULT, ax[i], qcc_cg_i64(cg, x->rank), ""), ""), "");
    st[i] = lists[3].given ? list_entry(L, &lists[3], &t[3], i) : one;
    LLVMValueRef z = LLVMBuildICmp(b, LLVMIntEQ, st[i], zero, "");
    r->bad = LLVMBuildOr(b, r->bad, z, "");
    st[i] = LLVMBuildSelect(b, z, one, st[i], "");
  }
  for (int32_t d = 0; d < x->rank; ++d) {
    LLVMValueRef first = zero, step = one, count = qcc_cg_i64(cg, x->dims[d]);
    LLVMValueRef hit = qcc_cg_i1(cg, false);
    for (int64_t i = 0; i < n; ++i) {
      LLVMValueRef sel = LLVMBuildICmp(b, LLVMIntEQ, ax[i], qcc_cg_i64(cg, d), "");
      r->bad = LLVMBuildOr(b, r->bad, LLVMBuildAnd(b, sel, hit, ""), "");
      hit = LLVMBuildOr(b, hit, sel, "");
      LLVMValueRef f = zero, c = zero;
      if (x->dims[d] > 0)
        clamp_axis_v(cg, s[i], e[i], st[i], x->dims[d], &f, &c);
      first = LLVMBuildSelect(b, sel, f, first, "");
      step = LLVMBuildSelect(b, sel, st[i], step, "");
      count = LLVMBuildSelect(b, sel, c, count, "");
    }
    r->first[d] = first;
    r->step[d] = step;
    r->count[d] = count;
  }
}

typedef struct slice_rt_job {
  qcc_cg_tensor x, y;
  LLVMValueRef base, stride[QCC_MAX_RANK];
} slice_rt_job;

static void slice_rt_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  slice_rt_job *j = user;
  LLVMValueRef off = j->base;
  for (int32_t d = 0; d < j->y.rank; ++d)
    off = LLVMBuildAdd(cg->b, off, LLVMBuildMul(cg->b, idx[d], j->stride[d], ""), "");
  qcc_cg_store(cg, &j->y, idx, qcc_cg_load_at(cg, &j->x, off));
}

static qcc_status slice_runtime(qcc_lower_ctx *L, slice_list *lists) {
  const qcc_op *op = L->op;
  slice_rt_job j;
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  for (int k = 0; k < 4; ++k) {
    const qcc_value *v = qcc_op_operand(op, lists[k].operand);
    if (!lists[k].rt)
      continue;
    if (v->type.rank != 1 || (v->type.elem != QCC_I32 && v->type.elem != QCC_I64))
      return qcc_lower_error(L, "starts, ends, axes and steps must be 1-D i32 or i64 tensors");
    lists[k].n = v->type.dims[0].size;
  }
  int64_t n = lists[0].n;
  if (n > QCC_MAX_RANK || lists[1].n != n || (lists[2].given && lists[2].n != n) ||
      (lists[3].given && lists[3].n != n))
    return qcc_lower_error(L, "starts, ends, axes and steps must have the same length");
  if (!lists[2].given && n > j.x.rank)
    return qcc_lower_error(L, "starts has more entries than the data has dims");
  if (j.y.rank != j.x.rank)
    return qcc_lower_error(L, "the result's rank differs from the data's");
  qcc_lower_run_check c;
  slice_rt r;
  qcc_lower_run_check_begin(L, &c);
  slice_params(L, lists, n, &j.x, true, &r);
  qcc_lower_run_check_fail_if(L, &c, r.bad);
  for (int32_t d = 0; d < j.x.rank; ++d)
    qcc_lower_run_check_fail_if(
        L, &c, LLVMBuildICmp(L->cg->b, LLVMIntNE, r.count[d], qcc_cg_i64(L->cg, j.y.dims[d]), ""));
  qcc_lower_run_check_end(L, &c);
  for (int32_t d = 0; d < j.y.rank; ++d)
    if (j.y.dims[d] == 0)
      return QCC_OK; /* nothing to copy */
  slice_params(L, lists, n, &j.x, false, &r);
  LLVMBuilderRef b = L->cg->b;
  j.base = qcc_cg_i64(L->cg, 0);
  for (int32_t d = 0; d < j.x.rank; ++d) {
    LLVMValueRef s = qcc_cg_i64(L->cg, j.x.strides[d]);
    j.base = LLVMBuildAdd(b, j.base, LLVMBuildMul(b, r.first[d], s, ""), "");
    j.stride[d] = LLVMBuildMul(b, r.step[d], s, "");
  }
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, slice_rt_body, &j);
  return QCC_OK;
}

/* The operands 1-4 as lists; true when one of them is not a constant. */
static bool slice_lists(qcc_lower_ctx *L, slice_list *lists) {
  bool rt = false;
  for (uint32_t k = 0; k < 4; ++k) {
    const qcc_value *v = qcc_op_operand(L->op, k + 1);
    lists[k] = (slice_list){.given = v != NULL, .operand = k + 1, .n = -1};
    if (v && !qcc_value_const(v))
      rt = lists[k].rt = true;
  }
  if (!rt)
    return false;
  for (uint32_t k = 0; k < 4; ++k)
    if (lists[k].given && !lists[k].rt &&
        const_list(L, k + 1, "the list", lists[k].k, &lists[k].n) != QCC_OK)
      lists[k].n = -2; /* reported already; fails the length check */
  return true;
}

qcc_status qcc_lower_slice(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  slice_list lists[4];
  if (!qcc_op_attr(op, "starts") && slice_lists(L, lists))
    return slice_runtime(L, lists);
  copy_job j;
  qcc_cg_tensor x;
  qcc_lower_operand(L, 0, &x);
  qcc_lower_result(L, 0, &j.dst);
  int64_t starts[QCC_MAX_RANK], ends[QCC_MAX_RANK], axes[QCC_MAX_RANK], steps[QCC_MAX_RANK];
  int64_t n, nends, naxes = -1, nsteps = -1;
  qcc_status st;
  if (qcc_op_attr(op, "starts")) {
    const int64_t *s, *e, *ax;
    n = qcc_op_attr_ints(op, "starts", &s);
    nends = qcc_op_attr_ints(op, "ends", &e);
    if (n > QCC_MAX_RANK || nends != n)
      return qcc_lower_error(L, "starts and ends must have the same length");
    for (int64_t i = 0; i < n; ++i) {
      starts[i] = s[i];
      ends[i] = e[i];
    }
    if (qcc_op_attr(op, "axes")) {
      naxes = qcc_op_attr_ints(op, "axes", &ax);
      for (int64_t i = 0; i < naxes && i < QCC_MAX_RANK; ++i)
        axes[i] = ax[i];
    }
  } else if ((st = const_list(L, 1, "starts", starts, &n)) != QCC_OK ||
             (st = const_list(L, 2, "ends", ends, &nends)) != QCC_OK ||
             (st = const_list(L, 3, "axes", axes, &naxes)) != QCC_OK ||
             (st = const_list(L, 4, "steps", steps, &nsteps)) != QCC_OK) {
    return st;
  }
  if (n < 0 || nends != n || (naxes >= 0 && naxes != n) || (nsteps >= 0 && nsteps != n))
    return qcc_lower_error(L, "starts, ends, axes and steps must have the same length");
  int64_t first[QCC_MAX_RANK], step[QCC_MAX_RANK];
  for (int32_t d = 0; d < x.rank; ++d) {
    first[d] = 0;
    step[d] = 1;
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t ax = naxes >= 0 ? axes[i] : i;
    ax += ax < 0 ? x.rank : 0;
    int64_t s = nsteps >= 0 ? steps[i] : 1, count;
    if (ax < 0 || ax >= x.rank || s == 0)
      return qcc_lower_error(L, "axis or step %lld is invalid", (long long)i);
    clamp_axis(starts[i], ends[i], s, x.dims[ax], &first[ax], &count);
    step[ax] = s;
    if (count != j.dst.dims[ax])
      return qcc_lower_error(L, "the result's dims do not match the slice");
  }
  int64_t off = 0;
  j.src = x;
  for (int32_t d = 0; d < x.rank; ++d) {
    off += first[d] * x.strides[d];
    j.src.dims[d] = j.dst.dims[d];
    j.src.strides[d] = x.strides[d] * step[d];
    if (j.dst.dims[d] == 0)
      return QCC_OK; /* nothing to copy */
  }
  j.src.base = qcc_cg_elem_ptr(L->cg, &x, qcc_cg_i64(L->cg, off));
  qcc_cg_for_each_index(L->cg, j.dst.rank, j.dst.dims, j.dst.strides, copy_body, &j);
  return QCC_OK;
}

/* ---- Gather ---- */

typedef struct gather_job {
  qcc_cg_tensor x, ind, y;
  int32_t axis;
} gather_job;

static void gather_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  gather_job *j = user;
  LLVMBuilderRef b = cg->b;
  int64_t len = j->x.dims[j->axis];
  LLVMValueRef i = qcc_cg_load(cg, &j->ind, idx + j->axis);
  if (j->ind.elem != QCC_I64)
    i = LLVMBuildSExt(b, i, cg->i64, "");
  LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, i, qcc_cg_i64(cg, 0), "");
  i = LLVMBuildSelect(b, neg, LLVMBuildAdd(b, i, qcc_cg_i64(cg, len), ""), i, "");
  i = qcc_cg_smin(cg, qcc_cg_smax(cg, i, qcc_cg_i64(cg, 0)), qcc_cg_i64(cg, len - 1));
  LLVMValueRef src[QCC_MAX_RANK];
  int32_t k = 0;
  for (int32_t d = 0; d < j->axis; ++d)
    src[k++] = idx[d];
  src[k++] = i;
  for (int32_t d = j->axis + j->ind.rank; d < j->y.rank; ++d)
    src[k++] = idx[d];
  qcc_cg_store(cg, &j->y, idx, qcc_cg_load(cg, &j->x, src));
}

qcc_status qcc_lower_gather(qcc_lower_ctx *L) {
  gather_job j;
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_operand(L, 1, &j.ind);
  qcc_lower_result(L, 0, &j.y);
  int64_t axis = qcc_op_attr_int(L->op, "axis");
  if (j.x.rank == 0 || axis < -(int64_t)j.x.rank || axis >= j.x.rank)
    return qcc_lower_error(L, "axis %lld is out of range", (long long)axis);
  j.axis = (int32_t)(axis < 0 ? axis + j.x.rank : axis);
  if (j.ind.elem != QCC_I32 && j.ind.elem != QCC_I64)
    return qcc_lower_error(L, "indices must be i32 or i64");
  if (j.x.dims[j.axis] == 0 ||
      qcc_lower_same_buffer(L, qcc_op_operand(L->op, 0), L->op->results[0]))
    return qcc_lower_error(L, "an empty axis or an in-place result is not supported");
  for (int32_t d = 0; d < j.y.rank; ++d)
    if (j.y.dims[d] == 0)
      return QCC_OK;
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, gather_body, &j);
  return QCC_OK;
}
