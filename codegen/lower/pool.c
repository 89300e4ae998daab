/* MaxPool (ir/ops/pool.c) on u8, i8 and f32, 1-D to 3-D windows with strides, dilations, pads,
 * auto_pad and ceil_mode: the first tap inside the input sets the best value, each later one
 * replaces it when greater (`v > best`, so NaN handling follows the interpreter's float code);
 * a window without such a tap yields the type's lowest value. Loops: batch, output position,
 * channel innermost (contiguous in NHWC). On 8-bit codes with the channels contiguous in both
 * tensors (NHWC) a block of up to 64 channels is one vector, every lane comparing and selecting
 * as the scalar code does; the channels after the last full block take the scalar code. The
 * optional Indices result (scalar code only) holds the best tap's flat offset into X, row- or
 * column-major (storage_order) over the spatial dims, the first tap winning ties and -1 for a
 * window without a tap inside the input, as the interpreter computes it. */
#include <float.h>
#include <stdlib.h>
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
  unsigned lanes; /* of the vector blocks; 0: scalar code only */
  LLVMValueRef base[MAX_SP], best, vbest, found;
  bool indices, col_major;
  qcc_cg_tensor ind;              /* the Indices result (i64) */
  LLVMValueRef best_at;           /* i64 variable: the best tap's flat offset */
  LLVMValueRef idx[QCC_MAX_RANK]; /* input index of the current tap */
} pool_job;

/* `lanes` consecutive channels of x at j->idx (one element for lanes 1). */
static LLVMValueRef load_channels(qcc_cg *cg, pool_job *j, unsigned lanes) {
  if (lanes == 1)
    return qcc_cg_load(cg, &j->x, j->idx);
  LLVMTypeRef t = LLVMVectorType(qcc_cg_elem_type(cg, j->x.elem), lanes);
  LLVMValueRef p = qcc_cg_elem_ptr(cg, &j->x, qcc_cg_offset(cg, &j->x, j->idx));
  LLVMValueRef v = LLVMBuildLoad2(cg->b, t, p, "");
  LLVMSetAlignment(v, (unsigned)qcc_elem_size(j->x.elem));
  return v;
}

/* The flat offset into X of the tap at j->idx (ir/ops/pool.c): (n * C + c) * plane + the
 * spatial offset, row-major or with the first spatial dim fastest (storage_order 1). */
static LLVMValueRef flat_offset(qcc_cg *cg, pool_job *j) {
  LLVMBuilderRef b = cg->b;
  int64_t plane = 1;
  LLVMValueRef sp = qcc_cg_i64(cg, 0);
  for (int32_t k = 0; k < j->nsp; ++k) {
    int32_t d = j->col_major ? j->nsp - 1 - k : k;
    int64_t n = j->x.dims[2 + d];
    sp = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, sp, qcc_cg_i64(cg, n), ""), j->idx[2 + d], "");
    plane *= n;
  }
  LLVMValueRef p = LLVMBuildNSWAdd(
      b, LLVMBuildNSWMul(b, j->idx[0], qcc_cg_i64(cg, j->x.dims[1]), ""), j->idx[1], "");
  return LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, p, qcc_cg_i64(cg, plane), ""), sp, "");
}

static void emit_taps(qcc_cg *cg, pool_job *j, int32_t d, unsigned lanes) {
  LLVMBuilderRef b = cg->b;
  if (d == j->nsp) {
    LLVMValueRef v = load_channels(cg, j, lanes);
    LLVMValueRef var = lanes == 1 ? j->best : j->vbest;
    LLVMValueRef best = qcc_cg_get(cg, LLVMTypeOf(v), var);
    LLVMValueRef better;
    if (j->indices) { /* scalar only: the first tap inside wins, then each greater one */
      LLVMValueRef first = LLVMBuildNot(b, qcc_cg_get(cg, cg->i1, j->found), "");
      LLVMValueRef gt =
          j->x.elem == QCC_F32
              ? LLVMBuildFCmp(b, LLVMRealOGT, v, best, "")
              : LLVMBuildICmp(b, j->x.elem == QCC_I8 ? LLVMIntSGT : LLVMIntUGT, v, best, "");
      better = LLVMBuildOr(b, gt, first, "");
      qcc_cg_set(cg, j->found, qcc_cg_i1(cg, true));
      qcc_cg_set(
          cg, j->best_at,
          LLVMBuildSelect(b, better, flat_offset(cg, j), qcc_cg_get(cg, cg->i64, j->best_at), ""));
    } else if (j->x.elem == QCC_F32) { /* scalar only */
      LLVMValueRef first = LLVMBuildNot(b, qcc_cg_get(cg, cg->i1, j->found), "");
      better = LLVMBuildOr(b, LLVMBuildFCmp(b, LLVMRealOGT, v, best, ""), first, "");
      qcc_cg_set(cg, j->found, qcc_cg_i1(cg, true));
    } else {
      better = LLVMBuildICmp(b, j->x.elem == QCC_I8 ? LLVMIntSGT : LLVMIntUGT, v, best, "");
    }
    qcc_cg_set(cg, var, LLVMBuildSelect(b, better, v, best, ""));
    return;
  }
  qcc_cg_loop lk = {0};
  LLVMValueRef k = qcc_cg_loop_n(cg, &lk, j->kernel[d]);
  LLVMValueRef off = j->dil[d] == 1 ? k : LLVMBuildNSWMul(b, k, qcc_cg_i64(cg, j->dil[d]), "");
  j->idx[2 + d] = LLVMBuildNSWAdd(b, j->base[d], off, "");
  if (j->always_inside[d]) {
    emit_taps(cg, j, d + 1, lanes);
  } else {
    qcc_cg_if inside;
    qcc_cg_if_begin(cg, &inside, qcc_cg_in_range(cg, j->idx[2 + d], 0, j->x.dims[2 + d]));
    emit_taps(cg, j, d + 1, lanes);
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

/* One output position's channels from c0 on: vector blocks of `lanes`, or scalars. */
static void emit_channel(qcc_cg *cg, pool_job *j, LLVMValueRef *oidx, LLVMValueRef c,
                         unsigned lanes) {
  oidx[1] = j->idx[1] = c;
  LLVMTypeRef et = qcc_cg_elem_type(cg, j->x.elem);
  LLVMValueRef low = lowest(cg, j->x.elem);
  qcc_cg_set(cg, lanes == 1 ? j->best : j->vbest, lanes == 1 ? low : qcc_cg_splat(cg, low, lanes));
  qcc_cg_set(cg, j->found, qcc_cg_i1(cg, false));
  if (j->indices)
    qcc_cg_set(cg, j->best_at, qcc_cg_i64(cg, -1));
  emit_taps(cg, j, 0, lanes);
  if (lanes == 1) {
    qcc_cg_store(cg, &j->y, oidx, qcc_cg_get(cg, et, j->best));
    if (j->indices)
      qcc_cg_store(cg, &j->ind, oidx, qcc_cg_get(cg, cg->i64, j->best_at));
    return;
  }
  LLVMValueRef v = qcc_cg_get(cg, LLVMVectorType(et, lanes), j->vbest);
  LLVMValueRef p = qcc_cg_elem_ptr(cg, &j->y, qcc_cg_offset(cg, &j->y, oidx));
  LLVMSetAlignment(LLVMBuildStore(cg->b, v, p), (unsigned)qcc_elem_size(j->x.elem));
}

static void emit_positions(qcc_cg *cg, pool_job *j, int32_t d, LLVMValueRef *oidx) {
  if (d == j->nsp) {
    int64_t n = j->x.dims[1], nv = j->lanes ? n / j->lanes : 0;
    qcc_cg_loop lc = {0};
    if (nv > 0) {
      LLVMValueRef k = qcc_cg_loop_n(cg, &lc, nv);
      emit_channel(cg, j, oidx, LLVMBuildNSWMul(cg->b, k, qcc_cg_i64(cg, j->lanes), ""), j->lanes);
      qcc_cg_loop_end(cg, &lc);
    }
    if (nv * j->lanes < n) {
      LLVMValueRef c = qcc_cg_loop_begin(cg, &lc, qcc_cg_i64(cg, nv * j->lanes), qcc_cg_i64(cg, n));
      emit_channel(cg, j, oidx, c, 1);
      qcc_cg_loop_end(cg, &lc);
    }
    return;
  }
  qcc_cg_loop lo = {0};
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
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (op->num_results > 1 && op->results[1]) {
    j.indices = true;
    j.col_major = qcc_op_attr_int(op, "storage_order") == 1;
    qcc_lower_result(L, 1, &j.ind);
    if (j.ind.elem != QCC_I64)
      return qcc_lower_error(L, "the Indices result must be i64");
  }
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
  /* Vector blocks of up to 64 codes when the channels are contiguous (the layout pass makes
   * 8-bit pools NHWC; f32 ones stay row-major, their channels strided). */
  int64_t nc = j.x.dims[1];
  if (!j.indices && j.x.elem != QCC_F32 && j.x.strides[1] == 1 && j.y.strides[1] == 1 && nc >= 16)
    j.lanes = nc % 64 == 0 ? 64 : nc % 32 == 0 ? 32 : 16;
  j.best = qcc_cg_var(cg, qcc_cg_elem_type(cg, j.x.elem), NULL);
  if (j.lanes)
    j.vbest = qcc_cg_var(cg, LLVMVectorType(qcc_cg_elem_type(cg, j.x.elem), j.lanes), NULL);
  j.found = qcc_cg_var(cg, cg->i1, NULL);
  if (j.indices)
    j.best_at = qcc_cg_var(cg, cg->i64, NULL);
  LLVMValueRef oidx[QCC_MAX_RANK] = {0};
  qcc_cg_loop ln = {0};
  oidx[0] = j.idx[0] = qcc_cg_loop_n(cg, &ln, j.x.dims[0]);
  emit_positions(cg, &j, 0, oidx);
  qcc_cg_loop_end(cg, &ln);
  return QCC_OK;
}

/* ---- AveragePool (f32): the double sum of the taps inside the input in window order, divided
 * by the tap count (count_include_pad: the taps inside the padded extent). Both counts are
 * products of per-dim counts, baked into one i64 table per spatial dim. ---- */

typedef struct avg_job {
  qcc_cg_tensor x, y;
  int32_t nsp;
  int64_t kernel[MAX_SP], stride[MAX_SP], dil[MAX_SP], pad[MAX_SP], out[MAX_SP];
  bool always_inside[MAX_SP];
  LLVMValueRef count[MAX_SP]; /* i64 tables [out[d]] */
  bool empty_window;          /* some window has no tap to count */
  LLVMTypeRef f64;
  LLVMValueRef sum, base[MAX_SP], nan;
  LLVMValueRef idx[QCC_MAX_RANK];
} avg_job;

/* The f32 bits of (float)(0.0 / 0.0) computed at run time on this host, as the interpreter
 * computes an empty window's average: the sign of a generated NaN differs between targets
 * (x86's is negative, AArch64's positive), so the kernel stores this constant instead. */
static LLVMValueRef host_nan(qcc_cg *cg) {
  volatile double zero = 0.0;
  float f = (float)(zero / zero);
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return LLVMConstBitCast(LLVMConstInt(cg->i32, bits, false), cg->f32);
}

static void avg_taps(qcc_cg *cg, avg_job *j, int32_t d) {
  LLVMBuilderRef b = cg->b;
  if (d == j->nsp) {
    LLVMValueRef v = LLVMBuildFPExt(b, qcc_cg_load(cg, &j->x, j->idx), j->f64, "");
    qcc_cg_set(cg, j->sum, LLVMBuildFAdd(b, qcc_cg_get(cg, j->f64, j->sum), v, ""));
    return;
  }
  qcc_cg_loop lk = {0};
  LLVMValueRef k = qcc_cg_loop_n(cg, &lk, j->kernel[d]);
  LLVMValueRef off = j->dil[d] == 1 ? k : LLVMBuildNSWMul(b, k, qcc_cg_i64(cg, j->dil[d]), "");
  j->idx[2 + d] = LLVMBuildNSWAdd(b, j->base[d], off, "");
  if (j->always_inside[d]) {
    avg_taps(cg, j, d + 1);
  } else {
    qcc_cg_if inside;
    qcc_cg_if_begin(cg, &inside, qcc_cg_in_range(cg, j->idx[2 + d], 0, j->x.dims[2 + d]));
    avg_taps(cg, j, d + 1);
    qcc_cg_if_end(cg, &inside);
  }
  qcc_cg_loop_end(cg, &lk);
}

static void avg_positions(qcc_cg *cg, avg_job *j, int32_t d, LLVMValueRef *oidx) {
  LLVMBuilderRef b = cg->b;
  if (d == j->nsp) {
    qcc_cg_loop lc = {0};
    oidx[1] = j->idx[1] = qcc_cg_loop_n(cg, &lc, j->x.dims[1]);
    qcc_cg_set(cg, j->sum, LLVMConstReal(j->f64, 0));
    avg_taps(cg, j, 0);
    LLVMValueRef n = NULL;
    for (int32_t s = 0; s < j->nsp; ++s) {
      LLVMValueRef p = LLVMBuildInBoundsGEP2(b, cg->i64, j->count[s], &oidx[2 + s], 1, "");
      LLVMValueRef c = LLVMBuildLoad2(b, cg->i64, p, "");
      n = n ? LLVMBuildMul(b, n, c, "") : c;
    }
    LLVMValueRef q =
        LLVMBuildFDiv(b, qcc_cg_get(cg, j->f64, j->sum), LLVMBuildSIToFP(b, n, j->f64, ""), "");
    LLVMValueRef r = LLVMBuildFPTrunc(b, q, cg->f32, "");
    if (j->empty_window) /* 0 / 0: the NaN `qcc run` computes, whatever the target's default */
      r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, n, qcc_cg_i64(cg, 0), ""), j->nan, r, "");
    qcc_cg_store(cg, &j->y, oidx, r);
    qcc_cg_loop_end(cg, &lc);
    return;
  }
  qcc_cg_loop lo = {0};
  LLVMValueRef o = qcc_cg_loop_n(cg, &lo, j->out[d]);
  oidx[2 + d] = o;
  LLVMValueRef s = j->stride[d] == 1 ? o : LLVMBuildNSWMul(b, o, qcc_cg_i64(cg, j->stride[d]), "");
  j->base[d] = LLVMBuildSub(b, s, qcc_cg_i64(cg, j->pad[d]), "");
  avg_positions(cg, j, d + 1, oidx);
  qcc_cg_loop_end(cg, &lo);
}

qcc_status qcc_lower_average_pool(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  qcc_cg *cg = L->cg;
  avg_job j;
  memset(&j, 0, sizeof j);
  j.f64 = LLVMDoubleTypeInContext(cg->ctx);
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32)
    return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(j.x.elem));
  j.nsp = j.x.rank - 2;
  if (j.nsp < 1 || j.nsp > MAX_SP)
    return qcc_lower_error(L, "only 1-D to 3-D pooling is supported");
  qcc_window w;
  if (!qcc_window_read(&w, op, &qcc_window_rules_float, j.nsp, NULL))
    return qcc_lower_error(L, "%s", w.err);
  bool ceil_mode = qcc_op_attr_int(op, "ceil_mode") != 0;
  bool include_pad = qcc_op_attr_int(op, "count_include_pad") != 0;
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
    int64_t *cnt = calloc((size_t)(o ? o : 1), sizeof(int64_t));
    if (!cnt)
      return qcc_lower_error(L, "out of memory");
    for (int64_t oi = 0; oi < o; ++oi) {
      int64_t start = oi * w.stride[d] - pb;
      for (int64_t k = 0; k < w.kernel[d]; ++k) {
        int64_t i = start + k * w.dilation[d];
        cnt[oi] += include_pad ? i >= -pb && i < in + pe : i >= 0 && i < in;
      }
      j.empty_window |= cnt[oi] == 0;
    }
    j.count[d] = qcc_cg_const_bytes(cg, "pool.count", cnt, (size_t)(o ? o : 1) * 8, 64);
    free(cnt);
  }
  for (int32_t d = 0; d < j.y.rank; ++d)
    if (j.y.dims[d] == 0)
      return QCC_OK;
  j.sum = qcc_cg_var(cg, j.f64, NULL);
  if (j.empty_window)
    j.nan = host_nan(cg);
  LLVMValueRef oidx[QCC_MAX_RANK] = {0};
  qcc_cg_loop ln = {0};
  oidx[0] = j.idx[0] = qcc_cg_loop_n(cg, &ln, j.x.dims[0]);
  avg_positions(cg, &j, 0, oidx);
  qcc_cg_loop_end(cg, &ln);
  return QCC_OK;
}

/* ---- GlobalAveragePool (f32: the double sum of each plane in row-major order, divided by its
 * size) and GlobalMaxPool (f32, u8, i8: from the type's lowest value, `v > best` replaces). ---- */

typedef struct global_job {
  qcc_cg_tensor x, y;
  bool is_max;
  LLVMTypeRef f64;
  LLVMValueRef acc;
  LLVMValueRef idx[QCC_MAX_RANK];
} global_job;

static void global_tap(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  global_job *j = user;
  LLVMBuilderRef b = cg->b;
  for (int32_t d = 2; d < j->x.rank; ++d)
    j->idx[d] = idx[d - 2];
  LLVMValueRef v = qcc_cg_load(cg, &j->x, j->idx);
  if (!j->is_max) {
    LLVMValueRef s = qcc_cg_get(cg, j->f64, j->acc);
    qcc_cg_set(cg, j->acc, LLVMBuildFAdd(b, s, LLVMBuildFPExt(b, v, j->f64, ""), ""));
    return;
  }
  LLVMTypeRef t = LLVMTypeOf(v);
  LLVMValueRef best = qcc_cg_get(cg, t, j->acc);
  LLVMValueRef better =
      j->x.elem == QCC_F32
          ? LLVMBuildFCmp(b, LLVMRealOGT, v, best, "")
          : LLVMBuildICmp(b, j->x.elem == QCC_I8 ? LLVMIntSGT : LLVMIntUGT, v, best, "");
  qcc_cg_set(cg, j->acc, LLVMBuildSelect(b, better, v, best, ""));
}

static void global_plane(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  global_job *j = user;
  LLVMBuilderRef b = cg->b;
  j->idx[0] = idx[0];
  j->idx[1] = idx[1];
  int32_t nsp = j->x.rank - 2;
  int64_t plane = 1, strides[QCC_MAX_RANK], s = 1;
  for (int32_t d = nsp - 1; d >= 0; --d) {
    strides[d] = s;
    s *= j->x.dims[2 + d];
  }
  for (int32_t d = 0; d < nsp; ++d)
    plane *= j->x.dims[2 + d];
  qcc_cg_set(cg, j->acc, j->is_max ? lowest(cg, j->x.elem) : LLVMConstReal(j->f64, 0));
  qcc_cg_for_each_index(cg, nsp, j->x.dims + 2, strides, global_tap, j);
  LLVMValueRef oidx[QCC_MAX_RANK] = {idx[0], idx[1]};
  LLVMValueRef r;
  if (j->is_max) {
    r = qcc_cg_get(cg, qcc_cg_elem_type(cg, j->x.elem), j->acc);
  } else {
    LLVMValueRef q =
        LLVMBuildFDiv(b, qcc_cg_get(cg, j->f64, j->acc), LLVMConstReal(j->f64, (double)plane), "");
    r = LLVMBuildFPTrunc(b, q, cg->f32, "");
  }
  qcc_cg_store(cg, &j->y, oidx, r);
}

qcc_status qcc_lower_global_pool(qcc_lower_ctx *L) {
  qcc_cg *cg = L->cg;
  global_job j;
  memset(&j, 0, sizeof j);
  j.f64 = LLVMDoubleTypeInContext(cg->ctx);
  j.is_max = qcc_op_is(L->op, QCC_OP_GlobalMaxPool);
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32 && !(j.is_max && (j.x.elem == QCC_U8 || j.x.elem == QCC_I8)))
    return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(j.x.elem));
  if (j.x.rank < 2)
    return qcc_lower_error(L, "input must have rank >= 2 (N x C x ...)");
  for (int32_t d = 0; d < j.x.rank; ++d)
    if (j.x.dims[d] == 0)
      return d < 2 ? QCC_OK : qcc_lower_error(L, "an empty spatial dim is not supported");
  j.acc = qcc_cg_var(cg, j.is_max ? qcc_cg_elem_type(cg, j.x.elem) : j.f64, NULL);
  qcc_cg_for_each_index(cg, 2, j.y.dims, j.y.strides, global_plane, &j);
  return QCC_OK;
}
