/* com.microsoft QLinearGlobalAveragePool, QLinearAveragePool and QLinearConcat
 * (ir/ops/qlinear_pool.c), with its arithmetic:
 *  - global average: int32 sum of the codes plus -x_zp * count (wrapping), requantized with
 *    x_scale / (y_scale * count); with the channels contiguous in X and Y (NHWC) 16 channels
 *    at a time in i32 vector lanes, the channels after the last full block one at a time;
 *  - windowed average: the dequantized values summed in float in window order, divided by the
 *    count, then / y_scale + y_zp, rounded, clamped; a window covering the whole unpadded image
 *    takes the global path, as in ONNX Runtime;
 *  - concat: each input copied, or mapped through a 256-entry requantization table when its
 *    scale or zero point differs from the result's.
 * `channels_last` makes the logical tensor [N, spatial..., C]. */
#include <stdlib.h>
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"
#include "ir/ops/qoperand.h"
#include "ir/ops/window.h"

enum { MAX_SP = QCC_WINDOW_MAX_SPATIAL };

typedef struct avg_job {
  qcc_lower_ctx *L;
  qcc_cg_tensor x, y;
  int32_t nsp, cdim, sdim[MAX_SP]; /* logical dims of the channel and spatial axes */
  int64_t kernel[MAX_SP], stride[MAX_SP], pad[MAX_SP], out[MAX_SP];
  bool global, count_include_pad;
  int64_t image, kernel_size;
  float x_scale, y_scale, gscale;
  int32_t x_zp, y_zp;
  qcc_qrange r;
  unsigned lanes; /* of the global sum being emitted (1: scalar) */
  LLVMValueRef idx[QCC_MAX_RANK], start[MAX_SP], end[MAX_SP], sum, vsum;
} avg_job;

enum { LANES = 16 };

static qcc_status read_qparams(avg_job *j) {
  qcc_lower_ctx *L = j->L;
  qcc_status st;
  if ((st = qcc_lower_const_floats(L, 1, 1, &j->x_scale, "x_scale")) != QCC_OK ||
      (st = qcc_lower_const_ints(L, 2, 1, &j->x_zp, "x_zero_point")) != QCC_OK ||
      (st = qcc_lower_const_floats(L, 3, 1, &j->y_scale, "y_scale")) != QCC_OK ||
      (st = qcc_lower_const_ints(L, 4, 1, &j->y_zp, "y_zero_point")) != QCC_OK)
    return st;
  j->r = qcc_elem_qrange(j->x.elem);
  return QCC_OK;
}

static qcc_status pool_setup(avg_job *j) {
  qcc_lower_ctx *L = j->L;
  qcc_lower_operand(L, 0, &j->x);
  qcc_lower_result(L, 0, &j->y);
  if (!qcc_is_8bit(j->x.elem) || j->x.rank < 3)
    return qcc_lower_error(L, "X must be a u8 or i8 tensor of rank >= 3");
  bool cl = qcc_op_attr_int(L->op, "channels_last") != 0;
  j->nsp = j->x.rank - 2;
  j->cdim = cl ? j->x.rank - 1 : 1;
  for (int32_t i = 0; i < j->nsp; ++i)
    j->sdim[i] = cl ? 1 + i : 2 + i;
  return read_qparams(j);
}

/* x_scale / (y_scale * count), as global_avg_scale. */
static float global_scale(float x_scale, float y_scale, int64_t count) {
  float denom = y_scale * (float)count;
  return x_scale / denom;
}

/* The integer global average of the window [start, start + kernel) at the current index. */
static void emit_global(qcc_cg *cg, avg_job *j, int32_t d) {
  if (d == j->nsp) {
    if (j->lanes > 1) { /* LANES channels from j->idx on, contiguous */
      LLVMValueRef p = qcc_cg_elem_ptr(cg, &j->x, qcc_cg_offset(cg, &j->x, j->idx));
      LLVMValueRef v = LLVMBuildLoad2(cg->b, LLVMVectorType(cg->i8, j->lanes), p, "");
      LLVMSetAlignment(v, 1);
      LLVMTypeRef vt = LLVMVectorType(cg->i32, j->lanes);
      v = j->x.elem == QCC_U8 ? LLVMBuildZExt(cg->b, v, vt, "") : LLVMBuildSExt(cg->b, v, vt, "");
      qcc_cg_set(cg, j->vsum, LLVMBuildAdd(cg->b, qcc_cg_get(cg, vt, j->vsum), v, ""));
      return;
    }
    LLVMValueRef v = qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->x, j->idx), j->x.elem);
    qcc_cg_set(cg, j->sum, LLVMBuildAdd(cg->b, qcc_cg_get(cg, cg->i32, j->sum), v, ""));
    return;
  }
  qcc_cg_loop l;
  j->idx[j->sdim[d]] = qcc_cg_loop_n(cg, &l, j->x.dims[j->sdim[d]]);
  emit_global(cg, j, d + 1);
  qcc_cg_loop_end(cg, &l);
}

static void global_body(qcc_cg *cg, LLVMValueRef *oidx, void *user) {
  avg_job *j = user;
  for (int32_t d = 0; d < j->x.rank; ++d)
    j->idx[d] = oidx[d];
  /* The bias -x_zp * count, wrapped to 32 bits as the interpreter's uint32 arithmetic. */
  uint32_t bias = (uint32_t)(-j->x_zp) * (uint32_t)j->image;
  qcc_cg_set(cg, j->sum, qcc_cg_i32(cg, (int32_t)bias));
  emit_global(cg, j, 0);
  LLVMValueRef q = qcc_cg_requantize(cg, qcc_cg_get(cg, cg->i32, j->sum), qcc_cg_f32(cg, j->gscale),
                                     j->y_zp, j->r);
  qcc_cg_store(cg, &j->y, oidx, qcc_cg_from_i32(cg, q, j->y.elem));
}

/* The global average of LANES channels from oidx[cdim] on, one per i32 lane. */
static void global_vector(qcc_cg *cg, avg_job *j, LLVMValueRef *oidx) {
  for (int32_t d = 0; d < j->x.rank; ++d)
    j->idx[d] = oidx[d];
  uint32_t bias = (uint32_t)(-j->x_zp) * (uint32_t)j->image;
  LLVMTypeRef vt = LLVMVectorType(cg->i32, LANES);
  qcc_cg_set(cg, j->vsum, qcc_cg_splat(cg, qcc_cg_i32(cg, (int32_t)bias), LANES));
  j->lanes = LANES;
  emit_global(cg, j, 0);
  j->lanes = 1;
  LLVMValueRef q =
      qcc_cg_requantize(cg, qcc_cg_get(cg, vt, j->vsum), qcc_cg_f32(cg, j->gscale), j->y_zp, j->r);
  q = LLVMBuildTrunc(cg->b, q, LLVMVectorType(cg->i8, LANES), "");
  LLVMValueRef p = qcc_cg_elem_ptr(cg, &j->y, qcc_cg_offset(cg, &j->y, oidx));
  LLVMSetAlignment(LLVMBuildStore(cg->b, q, p), 1);
}

/* Every output position's channels: vector blocks, then the remainder one by one. */
static void global_row(qcc_cg *cg, LLVMValueRef *oidx, void *user) {
  avg_job *j = user;
  int64_t n = j->y.dims[j->cdim], nv = n / LANES;
  qcc_cg_loop l;
  if (nv > 0) {
    LLVMValueRef k = qcc_cg_loop_n(cg, &l, nv);
    oidx[j->cdim] = LLVMBuildNSWMul(cg->b, k, qcc_cg_i64(cg, LANES), "");
    global_vector(cg, j, oidx);
    qcc_cg_loop_end(cg, &l);
  }
  if (nv * LANES < n) {
    oidx[j->cdim] = qcc_cg_loop_begin(cg, &l, qcc_cg_i64(cg, nv * LANES), qcc_cg_i64(cg, n));
    global_body(cg, oidx, user);
    qcc_cg_loop_end(cg, &l);
  }
}

/* The global average over all output indices: by channel blocks when the channels are
 * contiguous in both tensors (NHWC), else element by element. */
static void emit_global_average(qcc_cg *cg, avg_job *j) {
  int32_t c = j->cdim;
  if (j->x.strides[c] != 1 || j->y.strides[c] != 1 || j->y.dims[c] < LANES) {
    qcc_cg_for_each_index(cg, j->y.rank, j->y.dims, j->y.strides, global_body, j);
    return;
  }
  j->vsum = qcc_cg_var(cg, LLVMVectorType(cg->i32, LANES), NULL);
  int64_t dims[QCC_MAX_RANK];
  for (int32_t d = 0; d < j->y.rank; ++d)
    dims[d] = d == c ? 1 : j->y.dims[d];
  qcc_cg_for_each_index(cg, j->y.rank, dims, j->y.strides, global_row, j);
}

qcc_status qcc_lower_qlinear_global_average_pool(qcc_lower_ctx *L) {
  avg_job j;
  memset(&j, 0, sizeof j);
  j.L = L;
  qcc_status st = pool_setup(&j);
  if (st != QCC_OK)
    return st;
  j.image = 1;
  for (int32_t i = 0; i < j.nsp; ++i)
    j.image *= j.x.dims[j.sdim[i]];
  j.gscale = global_scale(j.x_scale, j.y_scale, j.image);
  j.sum = qcc_cg_var(L->cg, L->cg->i32, NULL);
  emit_global_average(L->cg, &j);
  return QCC_OK;
}

/* The float sum over the window [start, end) of dims d.., in window order. */
static void emit_window(qcc_cg *cg, avg_job *j, int32_t d) {
  if (d == j->nsp) {
    LLVMValueRef q = qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->x, j->idx), j->x.elem);
    LLVMValueRef f =
        LLVMBuildSIToFP(cg->b, LLVMBuildSub(cg->b, q, qcc_cg_i32(cg, j->x_zp), ""), cg->f32, "");
    f = LLVMBuildFMul(cg->b, f, qcc_cg_f32(cg, j->x_scale), "");
    qcc_cg_set(cg, j->sum, LLVMBuildFAdd(cg->b, qcc_cg_get(cg, cg->f32, j->sum), f, ""));
    return;
  }
  qcc_cg_loop l;
  j->idx[j->sdim[d]] = qcc_cg_loop_begin(cg, &l, j->start[d], j->end[d]);
  emit_window(cg, j, d + 1);
  qcc_cg_loop_end(cg, &l);
}

static void window_body(qcc_cg *cg, LLVMValueRef *oidx, void *user) {
  avg_job *j = user;
  LLVMBuilderRef b = cg->b;
  if (j->global) {
    global_body(cg, oidx, user);
    return;
  }
  for (int32_t d = 0; d < j->x.rank; ++d)
    j->idx[d] = oidx[d];
  LLVMValueRef count = qcc_cg_i64(cg, 1);
  for (int32_t i = 0; i < j->nsp; ++i) {
    LLVMValueRef o = oidx[j->sdim[i]];
    LLVMValueRef s = LLVMBuildSub(b, LLVMBuildNSWMul(b, o, qcc_cg_i64(cg, j->stride[i]), ""),
                                  qcc_cg_i64(cg, j->pad[i]), "");
    int64_t in = j->x.dims[j->sdim[i]];
    j->end[i] =
        qcc_cg_smin(cg, LLVMBuildAdd(b, s, qcc_cg_i64(cg, j->kernel[i]), ""), qcc_cg_i64(cg, in));
    j->start[i] = qcc_cg_smax(cg, s, qcc_cg_i64(cg, 0));
    LLVMValueRef len =
        qcc_cg_smax(cg, LLVMBuildSub(b, j->end[i], j->start[i], ""), qcc_cg_i64(cg, 0));
    count = LLVMBuildMul(b, count, len, "");
  }
  if (j->count_include_pad)
    count = qcc_cg_i64(cg, j->kernel_size);
  qcc_cg_set(cg, j->sum, qcc_cg_f32(cg, 0.0f));
  emit_window(cg, j, 0);
  LLVMValueRef avg =
      LLVMBuildFDiv(b, qcc_cg_get(cg, cg->f32, j->sum), LLVMBuildSIToFP(b, count, cg->f32, ""), "");
  LLVMValueRef v = LLVMBuildFAdd(b, LLVMBuildFDiv(b, avg, qcc_cg_f32(cg, j->y_scale), ""),
                                 qcc_cg_f32(cg, (float)j->y_zp), "");
  v = qcc_cg_round(cg, v);
  /* v < lo ? lo : v; v > hi ? hi : v; NaN (unordered) stays and maps to lo below. */
  LLVMValueRef lo = qcc_cg_f32(cg, (float)j->r.lo), hi = qcc_cg_f32(cg, (float)j->r.hi);
  v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, lo, ""), lo, v, "");
  v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, hi, ""), hi, v, "");
  LLVMValueRef is_nan = LLVMBuildFCmp(b, LLVMRealUNO, v, v, "");
  v = LLVMBuildSelect(b, is_nan, lo, v, "");
  LLVMValueRef q = LLVMBuildFPToSI(b, v, cg->i32, "");
  qcc_cg_store(cg, &j->y, oidx, qcc_cg_from_i32(cg, q, j->y.elem));
}

qcc_status qcc_lower_qlinear_average_pool(qcc_lower_ctx *L) {
  avg_job j;
  memset(&j, 0, sizeof j);
  j.L = L;
  qcc_status st = pool_setup(&j);
  if (st != QCC_OK)
    return st;
  qcc_window w;
  if (!qcc_window_read(&w, L->op, &qcc_window_rules_qpool, j.nsp, NULL))
    return qcc_lower_error(L, "%s", w.err);
  /* ONNX Runtime applies ceil_mode only with explicit pads. */
  bool ceil_mode = qcc_op_attr_int(L->op, "ceil_mode") != 0 && w.auto_pad == QCC_AUTO_PAD_NOTSET;
  j.count_include_pad = qcc_op_attr_int(L->op, "count_include_pad") != 0;
  j.global = true;
  j.image = j.kernel_size = 1;
  for (int32_t i = 0; i < j.nsp; ++i) {
    int64_t in = j.x.dims[j.sdim[i]], o, pb, pe;
    if (!qcc_window_out(&w, &qcc_window_rules_qpool, i, in, ceil_mode, &o, &pb, &pe))
      return qcc_lower_error(L, "%s", w.err);
    j.kernel[i] = w.kernel[i];
    j.stride[i] = w.stride[i];
    j.pad[i] = pb;
    j.out[i] = o;
    j.global = j.global && w.kernel[i] == in && pb == 0 && pe == 0;
    j.image *= in;
    j.kernel_size *= w.kernel[i];
  }
  j.gscale = global_scale(j.x_scale, j.y_scale, j.image);
  j.sum = qcc_cg_var(L->cg, j.global ? L->cg->i32 : L->cg->f32, NULL);
  if (j.global)
    emit_global_average(L->cg, &j);
  else
    qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, window_body, &j);
  return QCC_OK;
}

/* ---- QLinearConcat: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) triples ---- */

typedef struct concat_job {
  qcc_cg_tensor x, y;
  int32_t axis;
  int64_t offset; /* of this input along the axis */
  LLVMValueRef table;
} concat_job;

static void concat_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  concat_job *j = user;
  LLVMValueRef v = qcc_cg_load(cg, &j->x, idx);
  if (j->table)
    v = qcc_cg_table_lookup(cg, j->table, v);
  LLVMValueRef oidx[QCC_MAX_RANK];
  for (int32_t d = 0; d < j->y.rank; ++d)
    oidx[d] = idx[d];
  if (j->offset)
    oidx[j->axis] = LLVMBuildNSWAdd(cg->b, idx[j->axis], qcc_cg_i64(cg, j->offset), "");
  qcc_cg_store(cg, &j->y, oidx, v);
}

qcc_status qcc_lower_qlinear_concat(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  if (op->num_operands < 5 || (op->num_operands - 2) % 3 != 0)
    return qcc_lower_error(L, "wrong number of operands");
  concat_job j;
  memset(&j, 0, sizeof j);
  qcc_lower_result(L, 0, &j.y);
  int64_t axis = qcc_op_attr_int(op, "axis");
  if (axis < -(int64_t)j.y.rank || axis >= j.y.rank)
    return qcc_lower_error(L, "axis %lld is out of range", (long long)axis);
  j.axis = (int32_t)(axis < 0 ? axis + j.y.rank : axis);
  float y_scale;
  int32_t y_zp;
  qcc_status st;
  if ((st = qcc_lower_const_floats(L, 0, 1, &y_scale, "Y_scale")) != QCC_OK ||
      (st = qcc_lower_const_ints(L, 1, 1, &y_zp, "Y_zero_point")) != QCC_OK)
    return st;
  qcc_qrange r = qcc_elem_qrange(j.y.elem);
  for (uint32_t k = 0; k < (op->num_operands - 2) / 3; ++k) {
    float s;
    int32_t zp;
    if ((st = qcc_lower_const_floats(L, 3 + 3 * k, 1, &s, "X_scale")) != QCC_OK ||
        (st = qcc_lower_const_ints(L, 4 + 3 * k, 1, &zp, "X_zero_point")) != QCC_OK)
      return st;
    qcc_lower_operand(L, 2 + 3 * k, &j.x);
    j.table = NULL;
    if (!(s == y_scale && zp == y_zp)) {
      uint8_t table[256];
      for (int i = 0; i < 256; ++i) {
        int32_t q = j.y.elem == QCC_U8 ? i : (int32_t)(int8_t)(uint8_t)i;
        table[i] = (uint8_t)qcc_quantize_value(qcc_dequantize_value(q, zp, s), y_scale, y_zp, r);
      }
      j.table = qcc_cg_const_bytes(L->cg, "concat_table", table, sizeof table, 64);
    }
    qcc_cg_for_each_index(L->cg, j.x.rank, j.x.dims, j.y.strides, concat_body, &j);
    j.offset += j.x.dims[j.axis];
  }
  return QCC_OK;
}
