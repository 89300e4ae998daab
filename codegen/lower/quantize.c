/* QuantizeLinear and DequantizeLinear (ir/ops/quantize.c): per tensor or per axis, the scales
 * and zero points constants of the kernel. Quantize: saturate(round(x / scale) + zp) in float32
 * (qcc_quantize_value); dequantize: (float)(q - zp) * scale (qcc_dequantize_value). */
#include <stdlib.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"
#include "ir/ops/qoperand.h"

typedef struct qdq_job {
  qcc_lower_ctx *L;
  qcc_cg_tensor x, y;
  int32_t axis; /* -1: per tensor */
  float scale;
  int32_t zp;
  qcc_qrange r;
  LLVMValueRef scales, zps, los, his; /* per-axis tables */
} qdq_job;

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

static void quantize_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  qdq_job *j = user;
  LLVMValueRef x = qcc_cg_load(cg, &j->x, idx), q;
  if (j->axis < 0) {
    q = qcc_cg_clamp_round_add_zp(cg, LLVMBuildFDiv(cg->b, x, qcc_cg_f32(cg, j->scale), ""), j->zp,
                                  j->r);
  } else {
    LLVMValueRef c = idx[j->axis];
    LLVMValueRef s = qcc_lower_table_f32(j->L, j->scales, c);
    LLVMValueRef zp = qcc_lower_table_i32(j->L, j->zps, c);
    LLVMValueRef lo = qcc_lower_table_f32(j->L, j->los, c);
    LLVMValueRef hi = qcc_lower_table_f32(j->L, j->his, c);
    q = qcc_cg_clamp_round_add_zp_v(cg, LLVMBuildFDiv(cg->b, x, s, ""), zp, lo, hi);
  }
  qcc_cg_store(cg, &j->y, idx, qcc_cg_from_i32(cg, q, j->y.elem));
}

qcc_status qcc_lower_quantize_linear(qcc_lower_ctx *L) {
  qdq_job j = {.L = L};
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32)
    return qcc_lower_error(L, "the input must be f32");
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
  if (st == QCC_OK)
    qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, quantize_body, &j);
  free(scales), free(zps), free(bounds);
  return st;
}

static void dequantize_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  qdq_job *j = user;
  LLVMValueRef q = qcc_cg_load(cg, &j->x, idx);
  LLVMValueRef zp =
      j->axis < 0 ? qcc_cg_i32(cg, j->zp) : qcc_lower_table_i32(j->L, j->zps, idx[j->axis]);
  LLVMValueRef s =
      j->axis < 0 ? qcc_cg_f32(cg, j->scale) : qcc_lower_table_f32(j->L, j->scales, idx[j->axis]);
  LLVMValueRef f;
  if (j->x.elem == QCC_I32) { /* the difference in 64 bits, as the interpreter forms it */
    LLVMValueRef d = LLVMBuildSub(cg->b, LLVMBuildSExt(cg->b, q, cg->i64, ""),
                                  LLVMBuildSExt(cg->b, zp, cg->i64, ""), "");
    f = LLVMBuildSIToFP(cg->b, d, cg->f32, "");
  } else {
    LLVMValueRef d = LLVMBuildSub(cg->b, qcc_cg_to_i32(cg, q, j->x.elem), zp, "");
    f = LLVMBuildSIToFP(cg->b, d, cg->f32, "");
  }
  qcc_cg_store(cg, &j->y, idx, LLVMBuildFMul(cg->b, f, s, ""));
}

qcc_status qcc_lower_dequantize_linear(qcc_lower_ctx *L) {
  qdq_job j = {.L = L};
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_U8 && j.x.elem != QCC_I8 && j.x.elem != QCC_I32)
    return qcc_lower_error(L, "the input must be u8, i8 or i32");
  float *scales = NULL;
  int32_t *zps = NULL;
  qcc_status st = read_params(&j, &scales, &zps);
  if (st == QCC_OK)
    qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, dequantize_body, &j);
  free(scales), free(zps);
  return st;
}
