/* QuantizeLinear and DequantizeLinear (ir/ops/quantize.c): per tensor or per axis, the scales
 * and zero points constants of the kernel. Quantize: saturate(round(x / scale) + zp) in float32
 * (qcc_quantize_value); dequantize: (float)(q - zp) * scale (qcc_dequantize_value).
 *
 * Both run over the result's contiguous dim in vectors of LANES elements (the whole tensor as
 * one run when operand and result share a layout), each lane computing the scalar expression,
 * with a scalar loop for the remainder; per-axis parameters along that dim are vector loads
 * from their tables, along another dim one value splatted.
 *
 * A scale or zero point that is not a constant (a graph input, another op's result) is read
 * from its buffer in the kernel instead, per tensor or at the element's index along the axis,
 * in a scalar loop (lower_runtime). DynamicQuantizeLinear computes its parameters in the kernel:
 * a first pass for the range, qcc_dynamic_qparams_u8's float32 arithmetic, then the quantize
 * pass. */
#include <stdlib.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"
#include "ir/ops/qoperand.h"

enum { LANES = 16 };

typedef struct qdq_job {
  qcc_lower_ctx *L;
  qcc_cg_tensor x, y;
  int32_t axis;  /* -1: per tensor */
  int32_t inner; /* the logical dim the lanes walk; -1: scalar loops only */
  float scale;
  int32_t zp;
  qcc_qrange r;
  LLVMValueRef scales, zps, los, his; /* per-axis tables */
} qdq_job;

/* ---- loops over the contiguous dim in vectors ---- */

/* The dim of y with stride 1 and more than one element, -1 if none. */
static int32_t contiguous_dim(const qcc_cg_tensor *y) {
  for (int32_t d = 0; d < y->rank; ++d)
    if (y->strides[d] == 1 && y->dims[d] > 1)
      return d;
  return -1;
}

/* y and x with the same dims and strides are one dense run: both seen as 1-D. */
static bool flatten_same(qcc_cg_tensor *y, qcc_cg_tensor *x) {
  if (x->rank != y->rank)
    return false;
  int64_t n = 1;
  for (int32_t d = 0; d < y->rank; ++d) {
    if (x->dims[d] != y->dims[d] || (y->dims[d] > 1 && x->strides[d] != y->strides[d]))
      return false;
    n *= y->dims[d];
  }
  qcc_cg_tensor *t[2] = {y, x};
  for (int i = 0; i < 2; ++i) {
    t[i]->rank = 1;
    t[i]->dims[0] = n;
    t[i]->strides[0] = 1;
  }
  return true;
}

static LLVMTypeRef lanes_type(LLVMTypeRef t, unsigned lanes) {
  return lanes == 1 ? t : LLVMVectorType(t, lanes);
}

/* `lanes` elements of t from idx on along the stride-1 dim `inner` (one element for lanes 1). */
static LLVMValueRef load_lanes(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef *idx,
                               unsigned lanes) {
  if (lanes == 1)
    return qcc_cg_load(cg, t, idx);
  LLVMTypeRef et = qcc_cg_elem_type(cg, t->elem);
  LLVMValueRef v = LLVMBuildLoad2(cg->b, LLVMVectorType(et, lanes),
                                  qcc_cg_elem_ptr(cg, t, qcc_cg_offset(cg, t, idx)), "");
  LLVMSetAlignment(v, (unsigned)qcc_elem_size(t->elem));
  return v;
}

static void store_lanes(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef *idx, LLVMValueRef v) {
  LLVMValueRef s = LLVMBuildStore(cg->b, v, qcc_cg_elem_ptr(cg, t, qcc_cg_offset(cg, t, idx)));
  LLVMSetAlignment(s, (unsigned)qcc_elem_size(t->elem));
}

/* Entry i (an i64) of a table of `et`, or `lanes` consecutive entries from i on. */
static LLVMValueRef table_lanes(qcc_cg *cg, LLVMTypeRef et, LLVMValueRef table, LLVMValueRef i,
                                unsigned lanes) {
  LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->b, et, table, &i, 1, "");
  LLVMValueRef v = LLVMBuildLoad2(cg->b, lanes_type(et, lanes), p, "");
  LLVMSetAlignment(v, 4);
  return v;
}

/* A per-axis parameter: lanes entries when the axis is the lanes' dim, else one, splatted. */
static LLVMValueRef param(qdq_job *j, qcc_cg *cg, LLVMTypeRef et, LLVMValueRef table,
                          LLVMValueRef *idx, unsigned lanes) {
  if (j->axis == j->inner)
    return table_lanes(cg, et, table, idx[j->axis], lanes);
  LLVMValueRef v = table_lanes(cg, et, table, idx[j->axis], 1);
  return lanes == 1 ? v : qcc_cg_splat(cg, v, lanes);
}

/* Reads scale (operand 1) and zero point (operand 2) per tensor or along the axis attribute. */
static qcc_status read_params(qdq_job *j, float **scales, int32_t **zps) {
  qcc_lower_ctx *L = j->L;
  const qcc_value *s = qcc_op_operand(L->op, 1);
  int64_t n;
  if (!qcc_type_numel(s->type, &n) || s->type.rank > 1)
    return qcc_lower_error(L, "the scale must be a scalar or 1-D constant");
  j->axis = -1;
  if (n != 1) {
    int64_t a = qcc_op_attr_int(L->op, "axis");
    a = a < 0 ? a + j->x.rank : a;
    if (a < 0 || a >= j->x.rank || j->x.dims[a] != n)
      return qcc_lower_error(L, "the per-axis scale does not match axis %lld",
                             (long long)qcc_op_attr_int(L->op, "axis"));
    j->axis = (int32_t)a;
  }
  *scales = malloc((size_t)n * sizeof **scales);
  *zps = malloc((size_t)n * sizeof **zps);
  if (!*scales || !*zps)
    return qcc_lower_error(L, "out of memory");
  qcc_status st = qcc_lower_const_floats(L, 1, n, *scales, "the scale");
  if (st == QCC_OK)
    st = qcc_lower_const_ints(L, 2, n, *zps, "the zero point");
  if (st != QCC_OK)
    return st;
  j->scale = (*scales)[0];
  j->zp = (*zps)[0];
  if (j->axis >= 0) {
    j->scales = qcc_lower_float_table(L, *scales, n);
    j->zps = qcc_lower_int_table(L, *zps, n);
  }
  return QCC_OK;
}

/* Chooses the lanes' dim: the result's contiguous one, where the operand is contiguous too
 * (the whole tensor when per-tensor parameters and a shared layout allow). */
static void choose_inner(qdq_job *j) {
  if (j->axis < 0 && flatten_same(&j->y, &j->x)) {
    j->inner = 0;
    return;
  }
  j->inner = contiguous_dim(&j->y);
  if (j->inner >= 0 && j->x.strides[j->inner] != 1)
    j->inner = -1;
}

/* ---- run-time scale or zero point ---- */

typedef struct rt_job {
  qcc_cg_tensor x, y, s, z;
  bool has_z, quantize;
  int32_t axis; /* -1: per tensor */
  qcc_qrange r;
} rt_job;

/* True when the scale or the zero point is not a constant. */
static bool runtime_params(const qcc_op *op) {
  for (uint32_t i = 1; i < 3; ++i) {
    const qcc_value *v = qcc_op_operand(op, i);
    if (v && !qcc_value_const(v))
      return true;
  }
  return false;
}

/* The parameter of the element at idx: its one value, or the one at idx[axis]. */
static LLVMValueRef rt_param(qcc_cg *cg, const rt_job *j, const qcc_cg_tensor *t,
                             LLVMValueRef *idx) {
  LLVMValueRef off = qcc_cg_i64(cg, 0);
  if (j->axis >= 0)
    off = LLVMBuildNSWMul(cg->b, idx[j->axis], qcc_cg_i64(cg, t->strides[0]), "");
  return qcc_cg_load_at(cg, t, off);
}

static void rt_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  rt_job *j = user;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef x = qcc_cg_load(cg, &j->x, idx), s = rt_param(cg, j, &j->s, idx);
  LLVMValueRef zp =
      j->has_z ? qcc_cg_to_i32(cg, rt_param(cg, j, &j->z, idx), j->z.elem) : qcc_cg_i32(cg, 0);
  if (j->quantize) {
    LLVMValueRef lo =
        LLVMBuildSIToFP(b, LLVMBuildSub(b, qcc_cg_i32(cg, j->r.lo), zp, ""), cg->f32, "");
    LLVMValueRef hi =
        LLVMBuildSIToFP(b, LLVMBuildSub(b, qcc_cg_i32(cg, j->r.hi), zp, ""), cg->f32, "");
    LLVMValueRef q = qcc_cg_clamp_round_add_zp_v(cg, LLVMBuildFDiv(b, x, s, ""), zp, lo, hi);
    qcc_cg_store(cg, &j->y, idx, qcc_cg_from_i32(cg, q, j->y.elem));
    return;
  }
  LLVMValueRef d; /* (int64)q - zp, exact */
  if (j->x.elem == QCC_I32)
    d = LLVMBuildSub(b, LLVMBuildSExt(b, x, cg->i64, ""), LLVMBuildSExt(b, zp, cg->i64, ""), "");
  else
    d = LLVMBuildSub(b, qcc_cg_to_i32(cg, x, j->x.elem), zp, "");
  qcc_cg_store(cg, &j->y, idx, LLVMBuildFMul(b, LLVMBuildSIToFP(b, d, cg->f32, ""), s, ""));
}

/* Q or DQ with the scale and zero point read in the kernel (the checks of qcc_qparams_read). */
static qcc_status lower_runtime(qcc_lower_ctx *L, bool quantize) {
  rt_job j = {.quantize = quantize};
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  qcc_lower_operand(L, 1, &j.s);
  j.has_z = qcc_lower_operand(L, 2, &j.z);
  const qcc_value *s = qcc_op_operand(L->op, 1);
  int64_t n, nz = 1;
  if (!qcc_type_numel(s->type, &n) || s->type.rank > 1 || s->type.elem != QCC_F32)
    return qcc_lower_error(L, "the scale must be an f32 scalar or 1-D tensor");
  if (j.has_z && (!qcc_type_numel(qcc_op_operand(L->op, 2)->type, &nz) || j.z.rank > 1 || nz != n ||
                  (j.z.elem != QCC_U8 && j.z.elem != QCC_I8 && j.z.elem != QCC_I32)))
    return qcc_lower_error(L, "the zero point must be an integer tensor shaped like the scale");
  j.axis = -1;
  if (n != 1) {
    int64_t a = qcc_op_attr_int(L->op, "axis");
    a = a < 0 ? a + j.x.rank : a;
    if (a < 0 || a >= j.x.rank || j.x.dims[a] != n)
      return qcc_lower_error(L, "the per-axis scale does not match axis %lld",
                             (long long)qcc_op_attr_int(L->op, "axis"));
    j.axis = (int32_t)a;
  }
  j.r = qcc_elem_qrange(j.y.elem);
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, rt_body, &j);
  return QCC_OK;
}

static void quantize_lanes(qcc_cg *cg, LLVMValueRef *idx, unsigned lanes, void *user) {
  qdq_job *j = user;
  LLVMValueRef x = load_lanes(cg, &j->x, idx, lanes), q;
  if (j->axis < 0) {
    LLVMValueRef s = qcc_cg_like(cg, x, qcc_cg_f32(cg, j->scale));
    q = qcc_cg_clamp_round_add_zp(cg, LLVMBuildFDiv(cg->b, x, s, ""), j->zp, j->r);
  } else {
    LLVMValueRef s = param(j, cg, cg->f32, j->scales, idx, lanes);
    LLVMValueRef zp = param(j, cg, cg->i32, j->zps, idx, lanes);
    LLVMValueRef lo = param(j, cg, cg->f32, j->los, idx, lanes);
    LLVMValueRef hi = param(j, cg, cg->f32, j->his, idx, lanes);
    q = qcc_cg_clamp_round_add_zp_v(cg, LLVMBuildFDiv(cg->b, x, s, ""), zp, lo, hi);
  }
  LLVMTypeRef et = qcc_cg_elem_type(cg, j->y.elem);
  if (j->y.elem != QCC_I32)
    q = LLVMBuildTrunc(cg->b, q, lanes_type(et, lanes), "");
  store_lanes(cg, &j->y, idx, q);
}

static void quantize_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  quantize_lanes(cg, idx, 1, user);
}

qcc_status qcc_lower_quantize_linear(qcc_lower_ctx *L) {
  qdq_job j = {.L = L};
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32)
    return qcc_lower_error(L, "the input must be f32");
  if (runtime_params(L->op))
    return lower_runtime(L, true);
  j.r = qcc_elem_qrange(j.y.elem);
  float *scales = NULL, *bounds = NULL;
  int32_t *zps = NULL;
  qcc_status st = read_params(&j, &scales, &zps);
  if (st == QCC_OK && j.axis >= 0) {
    int64_t n = j.x.dims[j.axis];
    bounds = malloc(2 * (size_t)n * sizeof *bounds);
    if (!bounds) {
      st = qcc_lower_error(L, "out of memory");
    } else {
      /* qcc_clamp_round_add_zp's bounds for each channel's zero point. */
      for (int64_t c = 0; c < n; ++c) {
        bounds[c] = (float)(j.r.lo - zps[c]);
        bounds[n + c] = (float)(j.r.hi - zps[c]);
      }
      j.los = qcc_lower_float_table(L, bounds, n);
      j.his = qcc_lower_float_table(L, bounds + n, n);
    }
  }
  if (st == QCC_OK) {
    choose_inner(&j);
    if (j.inner >= 0)
      qcc_cg_for_each_lanes(L->cg, &j.y, j.inner, LANES, quantize_lanes, &j);
    else
      qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, quantize_body, &j);
  }
  free(scales), free(zps), free(bounds);
  return st;
}

static void dequantize_lanes(qcc_cg *cg, LLVMValueRef *idx, unsigned lanes, void *user) {
  qdq_job *j = user;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef q = load_lanes(cg, &j->x, idx, lanes);
  LLVMValueRef zp = j->axis < 0 ? qcc_cg_like(cg, q, qcc_cg_i32(cg, j->zp))
                                : param(j, cg, cg->i32, j->zps, idx, lanes);
  LLVMValueRef s = j->axis < 0 ? qcc_cg_like(cg, q, qcc_cg_f32(cg, j->scale))
                               : param(j, cg, cg->f32, j->scales, idx, lanes);
  LLVMTypeRef f32 = lanes_type(cg->f32, lanes);
  LLVMValueRef f;
  if (j->x.elem == QCC_I32) { /* the difference in 64 bits, as the interpreter forms it */
    LLVMTypeRef i64 = lanes_type(cg->i64, lanes);
    LLVMValueRef d =
        LLVMBuildSub(b, LLVMBuildSExt(b, q, i64, ""), LLVMBuildSExt(b, zp, i64, ""), "");
    f = LLVMBuildSIToFP(b, d, f32, "");
  } else {
    LLVMTypeRef i32 = lanes_type(cg->i32, lanes);
    LLVMValueRef w =
        j->x.elem == QCC_U8 ? LLVMBuildZExt(b, q, i32, "") : LLVMBuildSExt(b, q, i32, "");
    f = LLVMBuildSIToFP(b, LLVMBuildSub(b, w, zp, ""), f32, "");
  }
  store_lanes(cg, &j->y, idx, LLVMBuildFMul(b, f, s, ""));
}

static void dequantize_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  dequantize_lanes(cg, idx, 1, user);
}

qcc_status qcc_lower_dequantize_linear(qcc_lower_ctx *L) {
  qdq_job j = {.L = L};
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_U8 && j.x.elem != QCC_I8 && j.x.elem != QCC_I32)
    return qcc_lower_error(L, "the input must be u8, i8 or i32");
  if (runtime_params(L->op))
    return lower_runtime(L, false);
  float *scales = NULL;
  int32_t *zps = NULL;
  qcc_status st = read_params(&j, &scales, &zps);
  if (st == QCC_OK) {
    choose_inner(&j);
    if (j.inner >= 0)
      qcc_cg_for_each_lanes(L->cg, &j.y, j.inner, LANES, dequantize_lanes, &j);
    else
      qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, dequantize_body, &j);
  }
  free(scales), free(zps);
  return st;
}

/* ---- DynamicQuantizeLinear: x -> (y u8, y_scale f32 scalar, y_zero_point u8 scalar) ---- */

typedef struct dyn_job {
  qcc_cg_tensor x, y;
  LLVMValueRef lo, hi;        /* variables: the range, widened to include 0 */
  LLVMValueRef scale, zp, zf; /* the parameters: f32, i32, and the float bounds less zp */
  LLVMValueRef qlo, qhi;
} dyn_job;

/* lo = x < lo ? x : lo; hi = x > hi ? x : hi (NaN leaves both; order does not matter). */
static void dyn_range_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  dyn_job *j = user;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef x = qcc_cg_load(cg, &j->x, idx);
  LLVMValueRef lo = qcc_cg_get(cg, cg->f32, j->lo), hi = qcc_cg_get(cg, cg->f32, j->hi);
  qcc_cg_set(cg, j->lo, LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, x, lo, ""), x, lo, ""));
  qcc_cg_set(cg, j->hi, LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, x, hi, ""), x, hi, ""));
}

static void dyn_quantize_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  dyn_job *j = user;
  LLVMValueRef x = qcc_cg_load(cg, &j->x, idx);
  LLVMValueRef q =
      qcc_cg_clamp_round_add_zp_v(cg, LLVMBuildFDiv(cg->b, x, j->scale, ""), j->zp, j->qlo, j->qhi);
  qcc_cg_store(cg, &j->y, idx, qcc_cg_from_i32(cg, q, QCC_U8));
}

void qcc_lower_dynamic_qparams(qcc_lower_ctx *L, const qcc_cg_tensor *x, LLVMValueRef *scale,
                               LLVMValueRef *zp) {
  qcc_cg *cg = L->cg;
  LLVMBuilderRef b = cg->b;
  dyn_job j = {.x = *x};
  LLVMValueRef zero = qcc_cg_f32(cg, 0.0f);
  j.lo = qcc_cg_var(cg, cg->f32, zero);
  j.hi = qcc_cg_var(cg, cg->f32, zero);
  qcc_cg_for_each_index(cg, j.x.rank, j.x.dims, j.x.strides, dyn_range_body, &j);
  /* qcc_dynamic_qparams_u8 */
  LLVMValueRef lo = qcc_cg_get(cg, cg->f32, j.lo), hi = qcc_cg_get(cg, cg->f32, j.hi);
  LLVMValueRef span = LLVMBuildFDiv(b, LLVMBuildFSub(b, hi, lo, ""), qcc_cg_f32(cg, 255.0f), "");
  j.scale =
      LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, hi, lo, ""), qcc_cg_f32(cg, 1.0f), span, "");
  LLVMValueRef init = LLVMBuildFSub(b, zero, LLVMBuildFDiv(b, lo, j.scale, ""), "");
  LLVMValueRef max = qcc_cg_f32(cg, 255.0f);
  LLVMValueRef clamped =
      LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, init, max, ""), max, init, "");
  clamped = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, init, zero, ""), zero, clamped, "");
  *scale = j.scale;
  *zp = qcc_cg_round_small_to_i32(cg, clamped);
}

qcc_status qcc_lower_dynamic_quantize_linear(qcc_lower_ctx *L) {
  qcc_cg *cg = L->cg;
  LLVMBuilderRef b = cg->b;
  dyn_job j;
  qcc_cg_tensor ts, tz;
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  qcc_lower_result(L, 1, &ts);
  qcc_lower_result(L, 2, &tz);
  if (j.x.elem != QCC_F32 || j.y.elem != QCC_U8 || ts.elem != QCC_F32 || tz.elem != QCC_U8)
    return qcc_lower_error(L, "the input must be f32, the results u8, f32 and u8");
  if (qcc_lower_same_buffer(L, L->op->results[0], qcc_op_operand(L->op, 0)))
    return qcc_lower_error(L, "the result cannot be written over the input");
  qcc_lower_dynamic_qparams(L, &j.x, &j.scale, &j.zp);
  qcc_qrange r = qcc_qrange_u8();
  j.qlo = LLVMBuildSIToFP(b, LLVMBuildSub(b, qcc_cg_i32(cg, r.lo), j.zp, ""), cg->f32, "");
  j.qhi = LLVMBuildSIToFP(b, LLVMBuildSub(b, qcc_cg_i32(cg, r.hi), j.zp, ""), cg->f32, "");
  qcc_cg_for_each_index(cg, j.y.rank, j.y.dims, j.y.strides, dyn_quantize_body, &j);
  qcc_cg_store_at(cg, &ts, qcc_cg_i64(cg, 0), j.scale);
  qcc_cg_store_at(cg, &tz, qcc_cg_i64(cg, 0), qcc_cg_from_i32(cg, j.zp, QCC_U8));
  return QCC_OK;
}
