/* Concat and Split (ir/ops/concat_split.c) on elements of any type: each operand (Concat) or
 * result (Split) is copied through a view of the big tensor shifted along the axis by the
 * sizes before it, in the small tensor's memory order. The sizes are the static dims of the
 * values, which the interpreter's checks derived from the same attributes. */
#include "codegen/lower/lower.h"
#include "ir/op_registry.h"

typedef struct copy_job {
  qcc_cg_tensor src, dst;
} copy_job;

static void copy_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  copy_job *j = user;
  qcc_cg_store(cg, &j->dst, idx, qcc_cg_load(cg, &j->src, idx));
}

/* `part` as a window of `whole` starting at `start` along axis a, with part's dims. */
static void window(qcc_cg *cg, const qcc_cg_tensor *whole, const qcc_cg_tensor *part, int32_t a,
                   int64_t start, qcc_cg_tensor *w) {
  *w = *whole;
  w->base = qcc_cg_elem_ptr(cg, whole, qcc_cg_i64(cg, start * whole->strides[a]));
  for (int32_t d = 0; d < whole->rank; ++d)
    w->dims[d] = part->dims[d];
}

static qcc_status axis_of(qcc_lower_ctx *L, int32_t rank, int32_t *a) {
  int64_t axis = qcc_op_attr_int(L->op, "axis");
  if (axis < -(int64_t)rank || axis >= rank)
    return qcc_lower_error(L, "axis %lld is out of range for rank %d", (long long)axis, (int)rank);
  *a = (int32_t)(axis < 0 ? axis + rank : axis);
  return QCC_OK;
}

static bool empty(const qcc_cg_tensor *t) {
  for (int32_t d = 0; d < t->rank; ++d)
    if (t->dims[d] == 0)
      return true;
  return false;
}

qcc_status qcc_lower_concat(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  qcc_cg_tensor y;
  qcc_lower_result(L, 0, &y);
  int32_t a = 0;
  qcc_status st = axis_of(L, y.rank, &a);
  if (st != QCC_OK)
    return st;
  int64_t start = 0;
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    copy_job j;
    if (!qcc_lower_operand(L, i, &j.src))
      return qcc_lower_error(L, "operand %u is missing", i);
    if (qcc_lower_same_buffer(L, qcc_op_operand(op, i), op->results[0]))
      return qcc_lower_error(L, "the result is written in place over operand %u", i);
    if (!empty(&j.src)) {
      window(L->cg, &y, &j.src, a, start, &j.dst);
      qcc_cg_for_each_index(L->cg, j.src.rank, j.src.dims, j.dst.strides, copy_body, &j);
    }
    start += j.src.dims[a];
  }
  return QCC_OK;
}

qcc_status qcc_lower_split(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  qcc_cg_tensor x;
  qcc_lower_operand(L, 0, &x);
  int32_t a = 0;
  qcc_status st = axis_of(L, x.rank, &a);
  if (st != QCC_OK)
    return st;
  int64_t start = 0;
  for (uint32_t r = 0; r < op->num_results; ++r) {
    copy_job j;
    qcc_lower_result(L, r, &j.dst);
    if (qcc_lower_same_buffer(L, qcc_op_operand(op, 0), op->results[r]))
      return qcc_lower_error(L, "result %u is written in place over the operand", r);
    if (!empty(&j.dst)) {
      window(L->cg, &x, &j.dst, a, start, &j.src);
      qcc_cg_for_each_index(L->cg, j.dst.rank, j.dst.dims, j.dst.strides, copy_body, &j);
    }
    start += j.dst.dims[a];
  }
  if (start != x.dims[a])
    return qcc_lower_error(L, "the results do not cover the axis");
  return QCC_OK;
}
