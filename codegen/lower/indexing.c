/* Slice and Gather (ir/ops/indexing.c) on elements of any type.
 *
 * Slice: the starts, ends, axes and steps (constant operands or the opset-1 attributes) are
 * clamped at compile time by the ONNX rules the interpreter applies; the result is then a copy
 * of a strided view of the data (start offsets in the base, strides times steps).
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

qcc_status qcc_lower_slice(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
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
