/* MaxPool (ir/ops/pool.c) on u8, i8 and f32, 1-D to 3-D windows with strides, dilations, pads,
 * auto_pad and ceil_mode: the first tap inside the input sets the best value, each later one
 * replaces it when greater (`v > best`, so NaN handling follows the interpreter's float code);
 * a window without such a tap yields the type's lowest value. Loops: batch, output position,
 * channel innermost (contiguous in NHWC). The Indices result is not lowered. */
#include <float.h>
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"
#include "ir/ops/window.h"

enum { MAX_SP = 3 };

typedef struct pool_job {
  qcc_cg_tensor x, y;
  int32_t nsp;
  int64_t kernel[MAX_SP], stride[MAX_SP], dil[MAX_SP], pad[MAX_SP], out[MAX_SP];
  bool always_inside[MAX_SP];
  LLVMValueRef base[MAX_SP], best, found;
  LLVMValueRef idx[QCC_MAX_RANK]; /* input index of the current tap */
} pool_job;

static void emit_taps(qcc_cg *cg, pool_job *j, int32_t d) {
  LLVMBuilderRef b = cg->b;
  if (d == j->nsp) {
    LLVMValueRef v = qcc_cg_load(cg, &j->x, j->idx);
    LLVMValueRef best = qcc_cg_get(cg, LLVMTypeOf(v), j->best);
    LLVMValueRef better;
    if (j->x.elem == QCC_F32) {
      LLVMValueRef first = LLVMBuildNot(b, qcc_cg_get(cg, cg->i1, j->found), "");
      better = LLVMBuildOr(b, LLVMBuildFCmp(b, LLVMRealOGT, v, best, ""), first, "");
      qcc_cg_set(cg, j->found, qcc_cg_i1(cg, true));
    } else {
      better = LLVMBuildICmp(b, j->x.elem == QCC_I8 ? LLVMIntSGT : LLVMIntUGT, v, best, "");
    }
    qcc_cg_set(cg, j->best, LLVMBuildSelect(b, better, v, best, ""));
    return;
  }
  qcc_cg_loop lk;
  LLVMValueRef k = qcc_cg_loop_n(cg, &lk, j->kernel[d]);
  LLVMValueRef off = j->dil[d] == 1 ? k : LLVMBuildNSWMul(b, k, qcc_cg_i64(cg, j->dil[d]), "");
  j->idx[2 + d] = LLVMBuildNSWAdd(b, j->base[d], off, "");
  if (j->always_inside[d]) {
    emit_taps(cg, j, d + 1);
  } else {
    qcc_cg_if inside;
    qcc_cg_if_begin(cg, &inside, qcc_cg_in_range(cg, j->idx[2 + d], 0, j->x.dims[2 + d]));
    emit_taps(cg, j, d + 1);
    qcc_cg_if_end(cg, &inside);
  }
  qcc_cg_loop_end(cg, &lk);
}

static LLVMValueRef lowest(qcc_cg *cg, qcc_elem e) {
  switch (e) {
  case QCC_I8: return LLVMConstInt(cg->i8, (unsigned long long)-128, true);
  case QCC_U8: return LLVMConstInt(cg->i8, 0, false);
  default: return qcc_cg_f32(cg, -FLT_MAX);
  }
}

static void emit_positions(qcc_cg *cg, pool_job *j, int32_t d, LLVMValueRef *oidx) {
  if (d == j->nsp) {
    qcc_cg_loop lc;
    LLVMValueRef c = qcc_cg_loop_n(cg, &lc, j->x.dims[1]);
    oidx[1] = j->idx[1] = c;
    qcc_cg_set(cg, j->best, lowest(cg, j->x.elem));
    qcc_cg_set(cg, j->found, qcc_cg_i1(cg, false));
    emit_taps(cg, j, 0);
    qcc_cg_store(cg, &j->y, oidx, qcc_cg_get(cg, qcc_cg_elem_type(cg, j->x.elem), j->best));
    qcc_cg_loop_end(cg, &lc);
    return;
  }
  qcc_cg_loop lo;
  LLVMValueRef o = qcc_cg_loop_n(cg, &lo, j->out[d]);
  oidx[2 + d] = o;
  LLVMValueRef s =
      j->stride[d] == 1 ? o : LLVMBuildNSWMul(cg->b, o, qcc_cg_i64(cg, j->stride[d]), "");
  j->base[d] = LLVMBuildSub(cg->b, s, qcc_cg_i64(cg, j->pad[d]), "");
  emit_positions(cg, j, d + 1, oidx);
  qcc_cg_loop_end(cg, &lo);
}

qcc_status qcc_lower_max_pool(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  qcc_cg *cg = L->cg;
  pool_job j;
  memset(&j, 0, sizeof j);
  if (op->num_results > 1)
    return qcc_lower_error(L, "the Indices result is not supported");
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32 && j.x.elem != QCC_U8 && j.x.elem != QCC_I8)
    return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(j.x.elem));
  j.nsp = j.x.rank - 2;
  if (j.nsp < 1 || j.nsp > MAX_SP)
    return qcc_lower_error(L, "only 1-D to 3-D pooling is supported");
  qcc_window w;
  if (!qcc_window_read(&w, op, &qcc_window_rules_float, j.nsp, NULL))
    return qcc_lower_error(L, "%s", w.err);
  bool ceil_mode = qcc_op_attr_int(op, "ceil_mode") != 0;
  for (int32_t d = 0; d < j.nsp; ++d) {
    int64_t o, pb, pe, in = j.x.dims[2 + d];
    if (!qcc_window_out(&w, &qcc_window_rules_float, d, in, ceil_mode, &o, &pb, &pe))
      return qcc_lower_error(L, "%s", w.err);
    j.kernel[d] = w.kernel[d];
    j.stride[d] = w.stride[d];
    j.dil[d] = w.dilation[d];
    j.pad[d] = pb;
    j.out[d] = o;
    j.always_inside[d] =
        pb == 0 && (o == 0 || (o - 1) * w.stride[d] + (w.kernel[d] - 1) * w.dilation[d] < in);
  }
  j.best = qcc_cg_var(cg, qcc_cg_elem_type(cg, j.x.elem), NULL);
  j.found = qcc_cg_var(cg, cg->i1, NULL);
  LLVMValueRef oidx[QCC_MAX_RANK] = {0};
  qcc_cg_loop ln;
  oidx[0] = j.idx[0] = qcc_cg_loop_n(cg, &ln, j.x.dims[0]);
  emit_positions(cg, &j, 0, oidx);
  qcc_cg_loop_end(cg, &ln);
  return QCC_OK;
}
