/* com.microsoft QGemm and QLinearMatMul (ir/ops/qlinear_matmul.c): exact int32 products of the
 * 8-bit operands minus their zero points, accumulated with wrapping adds, then
 *  - QGemm: + C (an i32 bias broadcast to [M, N]), times (alpha * a_scale * b_scale[j])
 *    [/ y_scale] left to right in float32; f32 output without y_scale, else requantized;
 *  - QLinearMatMul (numpy batch broadcasting, 1-D operands promoted): requantized per column
 *    with (a_scale * b_scale[c]) / y_scale.
 * A constant B of QGemm is packed at compile time as B' = B - b_zp[j] in [j][k] order (k
 * innermost, contiguous like the rows of A), i8 when every value fits, else i16. */
#include <stdlib.h>
#include <string.h>

#include "codegen/lower/lower.h"
#include "codegen/lower/qlinear_conv.h"
#include "ir/interp.h"
#include "ir/op_registry.h"
#include "ir/ops/gemm.h"
#include "ir/ops/qoperand.h"

/* ---- QGemm: A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp ---- */

typedef struct gemm_job {
  qcc_lower_ctx *L;
  qcc_cg_tensor a, b, y;
  bool ta, tb, packed, wide, has_c, float_out;
  int64_t m, k, n, c_rows, c_cols;
  int32_t a_zp, y_zp;
  qcc_qrange r;
  LLVMValueRef bp, b_zps, scale, c;
} gemm_job;

static qcc_status pack_b(gemm_job *j, const qcc_tensor *b, const int32_t *b_zp) {
  int64_t total = j->n * j->k;
  int16_t *p = malloc((size_t)(total ? total : 1) * sizeof *p);
  if (!p)
    return qcc_lower_error(j->L, "out of memory");
  bool fits8 = true;
  for (int64_t col = 0; col < j->n; ++col)
    for (int64_t t = 0; t < j->k; ++t) {
      int32_t v =
          (int32_t)qcc_tensor_get_i64(b, j->tb ? col * j->k + t : t * j->n + col) - b_zp[col];
      p[col * j->k + t] = (int16_t)v;
      fits8 = fits8 && v >= -128 && v <= 127;
    }
  if (fits8) {
    int8_t *q = (int8_t *)p;
    for (int64_t i = 0; i < total; ++i)
      q[i] = (int8_t)p[i];
    j->bp = qcc_cg_const_bytes(j->L->cg, "weights", q, (size_t)total, 64);
  } else {
    j->bp = qcc_cg_const_bytes(j->L->cg, "weights", p, (size_t)total * sizeof *p, 64);
    j->wide = true;
  }
  j->packed = true;
  free(p);
  return QCC_OK;
}

/* B'(t, col) as i32: the packed constant, or the operand minus its zero point. */
static LLVMValueRef gemm_b(qcc_cg *cg, gemm_job *j, LLVMValueRef t, LLVMValueRef col) {
  LLVMBuilderRef bld = cg->b;
  if (j->packed) {
    LLVMTypeRef et = j->wide ? cg->i16 : cg->i8;
    LLVMValueRef i =
        LLVMBuildNSWAdd(bld, LLVMBuildNSWMul(bld, col, qcc_cg_i64(cg, j->k), ""), t, "");
    LLVMValueRef p = LLVMBuildInBoundsGEP2(bld, et, j->bp, &i, 1, "");
    return LLVMBuildSExt(bld, LLVMBuildLoad2(bld, et, p, ""), cg->i32, "");
  }
  LLVMValueRef idx[2] = {j->tb ? col : t, j->tb ? t : col};
  LLVMValueRef v = qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->b, idx), j->b.elem);
  return LLVMBuildSub(bld, v, qcc_lower_table_i32(j->L, j->b_zps, col), "");
}

/* QGemm with a constant B, rows of A contiguous and a per-column (or absent) constant C is a 1x1
 * convolution of M pixels: the packed micro-kernel of conv_packed.c runs it. Returns with *done
 * false when the gemm is not of that form. */
static qcc_status gemm_packed(gemm_job *j, const qcc_tensor *b, const int32_t *b_zp,
                              const float *scale, bool *done) {
  qcc_lower_ctx *L = j->L;
  *done = false;
  if (j->ta || j->a.strides[1] != 1 || j->y.strides[1] != 1 || (j->has_c && j->c_rows != 1) ||
      (j->has_c && !qcc_value_const(qcc_op_operand(L->op, 6))) || j->m == 0 || j->n == 0 ||
      j->k == 0)
    return QCC_OK;
  qcc_conv_params p;
  memset(&p, 0, sizeof p);
  p.x = j->a;
  p.x.rank = 4;
  p.x.dims[0] = j->m, p.x.dims[1] = j->k, p.x.dims[2] = p.x.dims[3] = 1;
  p.x.strides[0] = j->a.strides[0], p.x.strides[1] = 1, p.x.strides[2] = p.x.strides[3] = 0;
  p.y = j->y;
  p.y.rank = 4;
  p.y.dims[0] = j->m, p.y.dims[1] = j->n, p.y.dims[2] = p.y.dims[3] = 1;
  p.y.strides[0] = j->y.strides[0], p.y.strides[1] = 1, p.y.strides[2] = p.y.strides[3] = 0;
  p.nsp = 2;
  p.m_out = j->n, p.cg = j->k, p.group = 1, p.mg = j->n, p.ksz = 1;
  for (int d = 0; d < 2; ++d) {
    p.kernel[d] = p.stride[d] = p.dil[d] = p.in[d] = p.out[d] = p.tap_stride[d] = 1;
    p.always_inside[d] = true;
  }
  p.x_zp = j->a_zp, p.y_zp = j->y_zp, p.r = j->r, p.float_out = j->float_out, p.what = "gemm";
  p.w = malloc((size_t)(j->n * j->k) * sizeof *p.w);
  p.mult = malloc((size_t)j->n * sizeof *p.mult);
  p.bias = calloc((size_t)j->n, sizeof *p.bias);
  qcc_status st = QCC_OK;
  if (!p.w || !p.mult || !p.bias) {
    st = qcc_lower_error(L, "out of memory");
    goto done;
  }
  p.w_fits8 = true;
  for (int64_t col = 0; col < j->n; ++col)
    for (int64_t t = 0; t < j->k; ++t) {
      int32_t v =
          (int32_t)qcc_tensor_get_i64(b, j->tb ? col * j->k + t : t * j->n + col) - b_zp[col];
      p.w[col * j->k + t] = (int16_t)v;
      p.w_fits8 = p.w_fits8 && v >= -128 && v <= 127;
    }
  memcpy(p.mult, scale, (size_t)j->n * sizeof *p.mult);
  if (j->has_c && (st = qcc_lower_const_ints(L, 6, j->n, p.bias, "C")) != QCC_OK)
    goto done;
  st = qcc_lower_conv_packed(L, &p, NULL, done);
done:
  qcc_conv_params_free(&p);
  return st;
}

static void gemm_body(qcc_cg *cg, gemm_job *j) {
  LLVMBuilderRef bld = cg->b;
  LLVMValueRef acc = qcc_cg_var(cg, cg->i32, NULL);
  qcc_cg_loop li, lj, lt;
  LLVMValueRef i = qcc_cg_loop_n(cg, &li, j->m);
  LLVMValueRef col = qcc_cg_loop_n(cg, &lj, j->n);
  qcc_cg_set(cg, acc, qcc_cg_i32(cg, 0));
  LLVMValueRef t = qcc_cg_loop_n(cg, &lt, j->k);
  LLVMValueRef aidx[2] = {j->ta ? t : i, j->ta ? i : t};
  LLVMValueRef av = qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->a, aidx), j->a.elem);
  av = LLVMBuildSub(bld, av, qcc_cg_i32(cg, j->a_zp), "");
  LLVMValueRef prod = LLVMBuildMul(bld, av, gemm_b(cg, j, t, col), "");
  qcc_cg_set(cg, acc, LLVMBuildAdd(bld, qcc_cg_get(cg, cg->i32, acc), prod, ""));
  qcc_cg_loop_end(cg, &lt);
  LLVMValueRef sum = qcc_cg_get(cg, cg->i32, acc);
  if (j->has_c) {
    LLVMValueRef row =
        j->c_rows == 1 ? qcc_cg_i64(cg, 0) : LLVMBuildNSWMul(bld, i, qcc_cg_i64(cg, j->c_cols), "");
    LLVMValueRef ci = j->c_cols == 1 ? row : LLVMBuildNSWAdd(bld, row, col, "");
    LLVMValueRef cp = LLVMBuildInBoundsGEP2(bld, cg->i32, j->c, &ci, 1, "");
    sum = LLVMBuildAdd(bld, sum, LLVMBuildLoad2(bld, cg->i32, cp, ""), "");
  }
  LLVMValueRef scale = qcc_lower_table_f32(j->L, j->scale, col);
  LLVMValueRef yidx[2] = {i, col};
  if (j->float_out) {
    LLVMValueRef f = LLVMBuildFMul(bld, LLVMBuildSIToFP(bld, sum, cg->f32, ""), scale, "");
    qcc_cg_store(cg, &j->y, yidx, f);
  } else {
    LLVMValueRef q = qcc_cg_requantize(cg, sum, scale, j->y_zp, j->r);
    qcc_cg_store(cg, &j->y, yidx, qcc_cg_from_i32(cg, q, j->y.elem));
  }
  qcc_cg_loop_end(cg, &lj);
  qcc_cg_loop_end(cg, &li);
}

qcc_status qcc_lower_qgemm(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  gemm_job j;
  memset(&j, 0, sizeof j);
  j.L = L;
  if (!qcc_op_operand(op, 1) || !qcc_op_operand(op, 3) || !qcc_op_operand(op, 4))
    return qcc_lower_error(L, "a_scale, B and b_scale are required");
  qcc_lower_operand(L, 0, &j.a);
  qcc_lower_operand(L, 3, &j.b);
  qcc_lower_result(L, 0, &j.y);
  if (!qcc_is_8bit(j.a.elem) || !qcc_is_8bit(j.b.elem) || j.a.rank != 2 || j.b.rank != 2)
    return qcc_lower_error(L, "A and B must be 2-D u8 or i8 tensors");
  qcc_gemm_params p = qcc_gemm_params_read(op);
  j.ta = p.trans_a;
  j.tb = p.trans_b;
  j.m = j.a.dims[j.ta ? 1 : 0];
  j.k = j.a.dims[j.ta ? 0 : 1];
  j.n = j.b.dims[j.tb ? 0 : 1];
  if (j.b.dims[j.tb ? 1 : 0] != j.k)
    return qcc_lower_error(L, "inner dimensions differ");
  float a_scale, y_scale = 1.0f;
  float *scale = malloc((size_t)(j.n + 1) * sizeof *scale);
  int32_t *b_zp = malloc((size_t)(j.n + 1) * sizeof *b_zp);
  qcc_status st = QCC_OK;
  if (!scale || !b_zp) {
    st = qcc_lower_error(L, "out of memory");
    goto done;
  }
  if ((st = qcc_lower_const_floats(L, 1, 1, &a_scale, "a_scale")) != QCC_OK ||
      (st = qcc_lower_const_ints(L, 2, 1, &j.a_zp, "a_zero_point")) != QCC_OK ||
      (st = qcc_lower_const_floats(L, 4, j.n, scale, "b_scale")) != QCC_OK ||
      (st = qcc_lower_const_ints(L, 5, j.n, b_zp, "b_zero_point")) != QCC_OK ||
      (qcc_op_operand(op, 7) &&
       (st = qcc_lower_const_floats(L, 7, 1, &y_scale, "y_scale")) != QCC_OK) ||
      (st = qcc_lower_const_ints(L, 8, 1, &j.y_zp, "y_zero_point")) != QCC_OK)
    goto done;
  j.float_out = j.y.elem == QCC_F32;
  j.r = j.float_out ? qcc_qrange_u8() : qcc_elem_qrange(j.y.elem);
  for (int64_t c = 0; c < j.n; ++c) {
    float s = p.alpha * a_scale;
    s = s * scale[c];
    scale[c] = qcc_op_operand(op, 7) ? s / y_scale : s;
  }
  j.scale = qcc_lower_float_table(L, scale, j.n);
  const qcc_value *cv = qcc_op_operand(op, 6);
  if (cv) {
    qcc_type ct = cv->type;
    if (ct.elem != QCC_I32 || ct.rank > 2) {
      st = qcc_lower_error(L, "C must be an i32 tensor of rank <= 2");
      goto done;
    }
    j.c_cols = ct.rank >= 1 ? ct.dims[ct.rank - 1].size : 1;
    j.c_rows = ct.rank == 2 ? ct.dims[0].size : 1;
    if ((j.c_cols != 1 && j.c_cols != j.n) || (j.c_rows != 1 && j.c_rows != j.m)) {
      st = qcc_lower_error(L, "C cannot be broadcast to [%lld, %lld]", (long long)j.m,
                           (long long)j.n);
      goto done;
    }
    j.has_c = true;
    j.c = qcc_lower_operand_ptr(L, 6);
  }
  const qcc_const *bk = qcc_value_const(qcc_op_operand(op, 3));
  if (bk) {
    qcc_tensor storage;
    const qcc_tensor *bt = qcc_tensor_of_const(bk, &storage);
    bool done = false;
    if ((st = gemm_packed(&j, bt, b_zp, scale, &done)) != QCC_OK || done)
      goto done;
    st = pack_b(&j, bt, b_zp);
  } else {
    j.b_zps = qcc_lower_int_table(L, b_zp, j.n);
  }
  if (st == QCC_OK)
    gemm_body(L->cg, &j);
done:
  free(scale), free(b_zp);
  return st;
}

/* ---- QLinearMatMul: a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp ---- */

typedef struct matmul_job {
  qcc_lower_ctx *L;
  qcc_cg_tensor a, b, y; /* a and b as [batch..., M, K] and [batch..., K, N] */
  int32_t nb;            /* output batch dims */
  bool y_has_m, y_has_n;
  int64_t m, k, n;
  int32_t y_zp;
  qcc_qrange r;
  LLVMValueRef a_zps, b_zps, mult, acc;
} matmul_job;

/* A matmul operand as [batch (nb dims, broadcast), rows, cols] with 1-D promoted. */
static void matrix_view(qcc_cg_tensor *t, bool is_a, int32_t nb) {
  qcc_cg_tensor v = *t;
  if (t->rank == 1) {
    int64_t len = t->dims[0], s = t->strides[0];
    v.rank = 2;
    v.dims[0] = is_a ? 1 : len;
    v.dims[1] = is_a ? len : 1;
    v.strides[0] = is_a ? 0 : s;
    v.strides[1] = is_a ? s : 0;
  }
  int32_t own = v.rank - 2;
  qcc_cg_tensor out = v;
  out.rank = nb + 2;
  for (int32_t d = nb + 1; d >= 0; --d) {
    int32_t src = d - (nb - own);
    out.dims[d] = src >= 0 ? v.dims[src] : 1;
    out.strides[d] = src >= 0 ? v.strides[src] : 0;
  }
  *t = out;
}

static void matmul_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  matmul_job *j = user;
  LLVMBuilderRef bld = cg->b;
  int32_t nb = j->nb;
  LLVMValueRef ai[QCC_MAX_RANK + 2], bi[QCC_MAX_RANK + 2], yi[QCC_MAX_RANK];
  for (int32_t d = 0; d < nb; ++d)
    ai[d] = bi[d] = yi[d] = idx[d];
  LLVMValueRef row = idx[nb], col = idx[nb + 1];
  int32_t y = nb;
  if (j->y_has_m)
    yi[y++] = row;
  if (j->y_has_n)
    yi[y++] = col;
  LLVMValueRef azp = qcc_lower_table_i32(j->L, j->a_zps, row);
  LLVMValueRef bzp = qcc_lower_table_i32(j->L, j->b_zps, col);
  qcc_cg_set(cg, j->acc, qcc_cg_i32(cg, 0));
  qcc_cg_loop lt;
  LLVMValueRef t = qcc_cg_loop_n(cg, &lt, j->k);
  ai[nb] = row;
  ai[nb + 1] = t;
  bi[nb] = t;
  bi[nb + 1] = col;
  LLVMValueRef av =
      LLVMBuildSub(bld, qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->a, ai), j->a.elem), azp, "");
  LLVMValueRef bv =
      LLVMBuildSub(bld, qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->b, bi), j->b.elem), bzp, "");
  qcc_cg_set(cg, j->acc,
             LLVMBuildAdd(bld, qcc_cg_get(cg, cg->i32, j->acc), LLVMBuildMul(bld, av, bv, ""), ""));
  qcc_cg_loop_end(cg, &lt);
  LLVMValueRef mult = qcc_lower_table_f32(j->L, j->mult, col);
  LLVMValueRef q = qcc_cg_requantize(cg, qcc_cg_get(cg, cg->i32, j->acc), mult, j->y_zp, j->r);
  qcc_cg_store(cg, &j->y, yi, qcc_cg_from_i32(cg, q, j->y.elem));
}

/* A scalar or one value per row of A (per column of B) as a 1-D operand; nothing else. */
static qcc_status vector_param(qcc_lower_ctx *L, uint32_t i, int64_t len, const char *what) {
  const qcc_value *v = qcc_op_operand(L->op, i);
  int64_t n;
  if (!v || !qcc_type_numel(v->type, &n) || n == 1 || (v->type.rank == 1 && n == len))
    return QCC_OK;
  return qcc_lower_error(L,
                         "%s must be a scalar or hold one value per %s (batched parameters "
                         "are interpreter only)",
                         what, i < 3 ? "row of A" : "column of B");
}

qcc_status qcc_lower_qlinear_matmul(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  if (qcc_lower_qlinear_matmul_is_runtime(op)) /* run-time scales or zero points */
    return qcc_lower_qlinear_matmul_runtime(L);
  matmul_job j;
  memset(&j, 0, sizeof j);
  j.L = L;
  if (!qcc_op_operand(op, 1) || !qcc_op_operand(op, 3) || !qcc_op_operand(op, 4) ||
      !qcc_op_operand(op, 6))
    return qcc_lower_error(L, "a_scale, b, b_scale and y_scale are required");
  qcc_lower_operand(L, 0, &j.a);
  qcc_lower_operand(L, 3, &j.b);
  qcc_lower_result(L, 0, &j.y);
  if (!qcc_is_8bit(j.a.elem) || !qcc_is_8bit(j.b.elem) || j.a.rank < 1 || j.b.rank < 1)
    return qcc_lower_error(L, "the operands must be u8 or i8 tensors of rank >= 1");
  j.y_has_m = j.a.rank > 1;
  j.y_has_n = j.b.rank > 1;
  j.nb = j.y.rank - (int32_t)j.y_has_m - (int32_t)j.y_has_n;
  matrix_view(&j.a, true, j.nb);
  matrix_view(&j.b, false, j.nb);
  j.m = j.a.dims[j.nb];
  j.k = j.a.dims[j.nb + 1];
  j.n = j.b.dims[j.nb + 1];
  if (j.b.dims[j.nb] != j.k)
    return qcc_lower_error(L, "inner dimensions differ");
  qcc_status st;
  if ((st = vector_param(L, 2, j.m, "a_zero_point")) != QCC_OK ||
      (st = vector_param(L, 4, j.n, "b_scale")) != QCC_OK ||
      (st = vector_param(L, 5, j.n, "b_zero_point")) != QCC_OK)
    return st;
  float a_scale, y_scale;
  float *mult = malloc((size_t)(j.n + 1) * sizeof *mult);
  int32_t *a_zp = malloc((size_t)(j.m + 1) * sizeof *a_zp);
  int32_t *b_zp = malloc((size_t)(j.n + 1) * sizeof *b_zp);
  st = QCC_OK;
  if (!mult || !a_zp || !b_zp)
    st = qcc_lower_error(L, "out of memory");
  if (st == QCC_OK && ((st = qcc_lower_const_floats(L, 1, 1, &a_scale, "a_scale")) != QCC_OK ||
                       (st = qcc_lower_const_ints(L, 2, j.m, a_zp, "a_zero_point")) != QCC_OK ||
                       (st = qcc_lower_const_floats(L, 4, j.n, mult, "b_scale")) != QCC_OK ||
                       (st = qcc_lower_const_ints(L, 5, j.n, b_zp, "b_zero_point")) != QCC_OK ||
                       (st = qcc_lower_const_floats(L, 6, 1, &y_scale, "y_scale")) != QCC_OK ||
                       (st = qcc_lower_const_ints(L, 7, 1, &j.y_zp, "y_zero_point")) != QCC_OK))
    goto done;
  for (int64_t c = 0; c < j.n; ++c)
    mult[c] = qcc_requant_multiplier(a_scale, mult[c], y_scale);
  j.r = qcc_elem_qrange(j.y.elem);
  j.mult = qcc_lower_float_table(L, mult, j.n);
  j.a_zps = qcc_lower_int_table(L, a_zp, j.m);
  j.b_zps = qcc_lower_int_table(L, b_zp, j.n);
  j.acc = qcc_cg_var(L->cg, L->cg->i32, NULL);
  /* The output index space as [batch..., M, N], N innermost. */
  int64_t dims[QCC_MAX_RANK + 2], strides[QCC_MAX_RANK + 2];
  for (int32_t d = 0; d < j.nb; ++d)
    dims[d] = j.a.dims[d] > j.b.dims[d] ? j.a.dims[d] : j.b.dims[d];
  dims[j.nb] = j.m;
  dims[j.nb + 1] = j.n;
  int64_t s = 1;
  for (int32_t d = j.nb + 1; d >= 0; --d) {
    strides[d] = s;
    s *= dims[d] ? dims[d] : 1;
  }
  qcc_cg_for_each_index(L->cg, j.nb + 2, dims, strides, matmul_body, &j);
done:
  free(mult), free(a_zp), free(b_zp);
  return st;
}
