/* QLinearMatMul, MatMulInteger, QLinearConv and ConvInteger with run-time operands: weights,
 * scales or zero points that are not constants of the graph (graph inputs, results of other
 * ops). Every parameter is read from its buffer inside the kernel, per tensor or per row/column
 * (matmul) or output channel (conv), and the arithmetic is the interpreter's
 * (ir/ops/qlinear_matmul.c, ir/ops/qlinear_conv.c): wrapping int32 sums of (x - x_zp)(w - w_zp),
 * the bias added, then the multiplier (x_scale * w_scale) / y_scale formed in float32 in the
 * kernel and qcc_requantize. Scalar loop nests; the constant-parameter cases keep the fast
 * kernels of qlinear_matmul.c and qlinear_conv.c, which call here when a parameter is not a
 * constant. com.microsoft DynamicQuantizeMatMul: A's DynamicQuantizeLinear parameters computed in
 * the kernel (qcc_lower_dynamic_qparams), each element of A quantized where the sum reads it, and
 * y = float(acc) * (a_scale * b_scale[c]) (+ bias[c]). qcc's DynamicQuantizeConv
 * (ir/ops/qlinear_fused.c) likewise on the ConvInteger nest: X's parameters computed in the
 * kernel, each tap of X quantized where the sum reads it (padding taps skipped, as ConvInteger's
 * zero-point padding adds nothing), y = float(acc) * (x_scale * w_scale) (+ bias[m]). */
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"
#include "ir/ops/op_util.h"
#include "ir/ops/qoperand.h"
#include "ir/ops/window.h"

/* ---- run-time parameters ---- */

/* A scale or zero point read in the kernel: operand `index` (absent: a zero point of 0) with 1
 * value (per tensor) or `len` values (one per row, column or channel). */
typedef struct rt_param {
  qcc_cg_tensor t;
  bool present, per_elem;
} rt_param;

/* What a parameter is: a zero point (8-bit, optional), a scale (f32, required), a bias (f32,
 * optional). */
enum { RT_ZP, RT_SCALE, RT_BIAS };

static qcc_status rt_param_init(qcc_lower_ctx *L, rt_param *p, uint32_t index, int64_t len,
                                int kind, const char *what) {
  memset(p, 0, sizeof *p);
  const qcc_value *v = qcc_op_operand(L->op, index);
  bool is_float = kind != RT_ZP;
  if (!v)
    return kind == RT_SCALE ? qcc_lower_error(L, "%s is required", what) : QCC_OK;
  int64_t n;
  if (!qcc_type_numel(v->type, &n) || v->type.rank > 1 || (n != 1 && n != len))
    return qcc_lower_error(L, "%s must be a scalar or hold %lld values", what, (long long)len);
  if (is_float ? v->type.elem != QCC_F32 : !qcc_is_8bit(v->type.elem))
    return qcc_lower_error(L, "%s must be %s", what, is_float ? "f32" : "u8 or i8");
  qcc_lower_operand(L, index, &p->t);
  p->present = true;
  p->per_elem = n != 1;
  return QCC_OK;
}

/* The parameter for element i (an i64 value) as an f32 or i32 (a zero point widened). */
static LLVMValueRef rt_param_load(qcc_cg *cg, const rt_param *p, LLVMValueRef i) {
  if (!p->present)
    return qcc_cg_i32(cg, 0);
  LLVMValueRef off = qcc_cg_i64(cg, 0);
  if (p->per_elem && p->t.rank == 1)
    off = LLVMBuildNSWMul(cg->b, i, qcc_cg_i64(cg, p->t.strides[0]), "");
  LLVMValueRef v = qcc_cg_load_at(cg, &p->t, off);
  return p->t.elem == QCC_F32 ? v : qcc_cg_to_i32(cg, v, p->t.elem);
}

/* qcc_requant_multiplier in the kernel: (x_scale * w_scale) / y_scale, left to right. */
static LLVMValueRef rt_multiplier(qcc_cg *cg, LLVMValueRef xs, LLVMValueRef ws, LLVMValueRef ys) {
  return LLVMBuildFDiv(cg->b, LLVMBuildFMul(cg->b, xs, ws, ""), ys, "");
}

/* qcc_requantize with the zero point a value: float(acc) * mult, clamped to the output range
 * less the zero point, rounded half to even, plus the zero point. */
static LLVMValueRef rt_requantize(qcc_cg *cg, LLVMValueRef acc, LLVMValueRef mult, LLVMValueRef zp,
                                  qcc_qrange r) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef v = LLVMBuildFMul(b, LLVMBuildSIToFP(b, acc, cg->f32, ""), mult, "");
  LLVMValueRef lo = LLVMBuildSIToFP(b, LLVMBuildSub(b, qcc_cg_i32(cg, r.lo), zp, ""), cg->f32, "");
  LLVMValueRef hi = LLVMBuildSIToFP(b, LLVMBuildSub(b, qcc_cg_i32(cg, r.hi), zp, ""), cg->f32, "");
  return qcc_cg_clamp_round_add_zp_v(cg, v, zp, lo, hi);
}

/* ---- matmul ---- */

/* Operand indices: a, a_zp, b, b_zp, and for QLinearMatMul a_scale, b_scale, y_scale, y_zp. */
typedef struct rt_matmul {
  qcc_lower_ctx *L;
  bool qlinear;
  bool dynamic;                   /* DynamicQuantizeMatMul: A is f32, quantized in the kernel */
  LLVMValueRef dyn_scale, dyn_zp; /* A's parameters (f32, i32) */
  LLVMValueRef dyn_lo, dyn_hi;    /* the float bounds less the zero point */
  rt_param bias;
  qcc_cg_tensor a, b, y; /* a and b as [batch..., M, K] and [batch..., K, N] */
  int32_t nb;
  bool y_has_m, y_has_n;
  int64_t m, k, n;
  rt_param a_zp, b_zp, a_scale, b_scale, y_scale, y_zp;
  qcc_qrange r;
  LLVMValueRef acc;
} rt_matmul;

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
    /* A missing or size-1 batch dim is broadcast: stride 0. */
    bool keep = src >= 0 && (d >= nb || v.dims[src] != 1);
    out.dims[d] = keep ? v.dims[src] : 1;
    out.strides[d] = keep ? v.strides[src] : 0;
  }
  *t = out;
}

static void rt_matmul_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  rt_matmul *j = user;
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
  LLVMValueRef azp = rt_param_load(cg, &j->a_zp, row);
  LLVMValueRef bzp = rt_param_load(cg, &j->b_zp, col);
  qcc_cg_set(cg, j->acc, qcc_cg_i32(cg, 0));
  qcc_cg_loop lt;
  LLVMValueRef t = qcc_cg_loop_n(cg, &lt, j->k);
  ai[nb] = row;
  ai[nb + 1] = t;
  bi[nb] = t;
  bi[nb + 1] = col;
  LLVMValueRef av;
  if (j->dynamic) /* qcc_quantize_value(a, a_scale, a_zp, u8) - a_zp */
    av = LLVMBuildSub(bld,
                      qcc_cg_clamp_round_add_zp_v(
                          cg, LLVMBuildFDiv(bld, qcc_cg_load(cg, &j->a, ai), j->dyn_scale, ""),
                          j->dyn_zp, j->dyn_lo, j->dyn_hi),
                      j->dyn_zp, "");
  else
    av = LLVMBuildSub(bld, qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->a, ai), j->a.elem), azp, "");
  LLVMValueRef bv =
      LLVMBuildSub(bld, qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->b, bi), j->b.elem), bzp, "");
  /* Plain (wrapping) adds, like the interpreter's uint32 accumulator. */
  qcc_cg_set(cg, j->acc,
             LLVMBuildAdd(bld, qcc_cg_get(cg, cg->i32, j->acc), LLVMBuildMul(bld, av, bv, ""), ""));
  qcc_cg_loop_end(cg, &lt);
  LLVMValueRef acc = qcc_cg_get(cg, cg->i32, j->acc);
  LLVMValueRef zero = qcc_cg_i64(cg, 0);
  if (j->dynamic) { /* float(acc) * (a_scale * b_scale[c]) (+ bias[c]) */
    LLVMValueRef mult = LLVMBuildFMul(bld, j->dyn_scale, rt_param_load(cg, &j->b_scale, col), "");
    LLVMValueRef v = LLVMBuildFMul(bld, LLVMBuildSIToFP(bld, acc, cg->f32, ""), mult, "");
    if (j->bias.present)
      v = LLVMBuildFAdd(bld, v, rt_param_load(cg, &j->bias, col), "");
    qcc_cg_store(cg, &j->y, yi, v);
    return;
  }
  if (!j->qlinear) {
    qcc_cg_store(cg, &j->y, yi, acc);
    return;
  }
  LLVMValueRef mult =
      rt_multiplier(cg, rt_param_load(cg, &j->a_scale, zero), rt_param_load(cg, &j->b_scale, col),
                    rt_param_load(cg, &j->y_scale, zero));
  LLVMValueRef q = rt_requantize(cg, acc, mult, rt_param_load(cg, &j->y_zp, zero), j->r);
  qcc_cg_store(cg, &j->y, yi, qcc_cg_from_i32(cg, q, j->y.elem));
}

static qcc_status rt_matmul_lower(qcc_lower_ctx *L, bool qlinear, bool dynamic) {
  rt_matmul j;
  memset(&j, 0, sizeof j);
  j.L = L;
  j.qlinear = qlinear;
  j.dynamic = dynamic;
  /* MatMulInteger: a, b, a_zp, b_zp; QLinearMatMul: a, a_scale, a_zp, b, b_scale, b_zp, ... */
  /* DynamicQuantizeMatMul: a, b, b_scale, b_zp, bias. */
  uint32_t ia = 0, iazp = dynamic ? UINT32_MAX : 2, ib = qlinear ? 3 : 1, ibzp = qlinear ? 5 : 3;
  if (!qcc_op_operand(L->op, ib))
    return qcc_lower_error(L, "B is required");
  qcc_lower_operand(L, ia, &j.a);
  qcc_lower_operand(L, ib, &j.b);
  qcc_lower_result(L, 0, &j.y);
  if ((dynamic ? j.a.elem != QCC_F32 : !qcc_is_8bit(j.a.elem)) || !qcc_is_8bit(j.b.elem) ||
      j.a.rank < 1 || j.b.rank < 1)
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
  if ((st = rt_param_init(L, &j.a_zp, iazp, j.m, RT_ZP, "a_zero_point")) != QCC_OK ||
      (st = rt_param_init(L, &j.b_zp, ibzp, j.n, RT_ZP, "b_zero_point")) != QCC_OK)
    return st;
  if (qlinear && ((st = rt_param_init(L, &j.a_scale, 1, 1, RT_SCALE, "a_scale")) != QCC_OK ||
                  (st = rt_param_init(L, &j.b_scale, 4, j.n, RT_SCALE, "b_scale")) != QCC_OK ||
                  (st = rt_param_init(L, &j.y_scale, 6, 1, RT_SCALE, "y_scale")) != QCC_OK ||
                  (st = rt_param_init(L, &j.y_zp, 7, 1, RT_ZP, "y_zero_point")) != QCC_OK))
    return st;
  if (dynamic && ((st = rt_param_init(L, &j.b_scale, 2, j.n, RT_SCALE, "b_scale")) != QCC_OK ||
                  (st = rt_param_init(L, &j.bias, 4, j.n, RT_BIAS, "bias")) != QCC_OK))
    return st;
  if (qlinear)
    j.r = qcc_elem_qrange(j.y.elem);
  else if (j.y.elem != (dynamic ? QCC_F32 : QCC_I32))
    return qcc_lower_error(L, "the result must be %s", dynamic ? "f32" : "i32");
  if (dynamic) {
    qcc_cg_tensor a;
    qcc_lower_operand(L, 0, &a);
    qcc_lower_dynamic_qparams(L, &a, &j.dyn_scale, &j.dyn_zp);
    LLVMBuilderRef b = L->cg->b;
    j.dyn_lo =
        LLVMBuildSIToFP(b, LLVMBuildSub(b, qcc_cg_i32(L->cg, 0), j.dyn_zp, ""), L->cg->f32, "");
    j.dyn_hi =
        LLVMBuildSIToFP(b, LLVMBuildSub(b, qcc_cg_i32(L->cg, 255), j.dyn_zp, ""), L->cg->f32, "");
  }
  j.acc = qcc_cg_var(L->cg, L->cg->i32, NULL);
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
  qcc_cg_for_each_index(L->cg, j.nb + 2, dims, strides, rt_matmul_body, &j);
  return QCC_OK;
}

qcc_status qcc_lower_matmul_integer(qcc_lower_ctx *L) { return rt_matmul_lower(L, false, false); }

qcc_status qcc_lower_qlinear_matmul_runtime(qcc_lower_ctx *L) {
  return rt_matmul_lower(L, true, false);
}

qcc_status qcc_lower_dynamic_quantize_matmul(qcc_lower_ctx *L) {
  return rt_matmul_lower(L, false, true);
}

/* ---- conv ---- */

typedef struct rt_conv {
  qcc_lower_ctx *L;
  bool qlinear;
  bool dynamic;                   /* DynamicQuantizeConv: X is f32, quantized in the kernel */
  LLVMValueRef dyn_scale, dyn_zp; /* X's parameters (f32, i32) */
  LLVMValueRef dyn_lo, dyn_hi;    /* the float bounds less the zero point */
  int64_t bias_stride;            /* DynamicQuantizeConv: the bias's stride between channels */
  qcc_cg_tensor x, w, y;
  int32_t nsp;
  int64_t m_out, cg, group, mg;
  int64_t kernel[QCC_WINDOW_MAX_SPATIAL], stride[QCC_WINDOW_MAX_SPATIAL],
      dil[QCC_WINDOW_MAX_SPATIAL], pad[QCC_WINDOW_MAX_SPATIAL], in[QCC_WINDOW_MAX_SPATIAL],
      out[QCC_WINDOW_MAX_SPATIAL];
  rt_param x_zp, w_zp, x_scale, w_scale, y_scale, y_zp, bias;
  qcc_qrange r;
  LLVMValueRef acc, n, m, g, xzp, wzp;
  LLVMValueRef base[QCC_WINDOW_MAX_SPATIAL], ipos[QCC_WINDOW_MAX_SPATIAL],
      kpos[QCC_WINDOW_MAX_SPATIAL];
} rt_conv;

/* The taps of spatial dims d.. (those inside the input), then the group's channels. */
static void rt_conv_taps(rt_conv *j, int32_t d) {
  qcc_cg *cg = j->L->cg;
  LLVMBuilderRef b = cg->b;
  if (d == j->nsp) {
    LLVMValueRef xi[QCC_MAX_RANK] = {j->n}, wi[QCC_MAX_RANK] = {j->m};
    for (int32_t s = 0; s < j->nsp; ++s) {
      xi[2 + s] = j->ipos[s];
      wi[2 + s] = j->kpos[s];
    }
    qcc_cg_loop lc;
    LLVMValueRef c = qcc_cg_loop_n(cg, &lc, j->cg);
    wi[1] = c;
    xi[1] = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, j->g, qcc_cg_i64(cg, j->cg), ""), c, "");
    LLVMValueRef xv;
    if (j->dynamic) /* qcc_quantize_value(x, x_scale, x_zp, u8) - x_zp */
      xv = LLVMBuildSub(b,
                        qcc_cg_clamp_round_add_zp_v(
                            cg, LLVMBuildFDiv(b, qcc_cg_load(cg, &j->x, xi), j->dyn_scale, ""),
                            j->dyn_zp, j->dyn_lo, j->dyn_hi),
                        j->dyn_zp, "");
    else
      xv = LLVMBuildSub(b, qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->x, xi), j->x.elem), j->xzp, "");
    LLVMValueRef wv =
        LLVMBuildSub(b, qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->w, wi), j->w.elem), j->wzp, "");
    qcc_cg_set(cg, j->acc,
               LLVMBuildAdd(b, qcc_cg_get(cg, cg->i32, j->acc), LLVMBuildMul(b, xv, wv, ""), ""));
    qcc_cg_loop_end(cg, &lc);
    return;
  }
  qcc_cg_loop lk;
  LLVMValueRef k = qcc_cg_loop_n(cg, &lk, j->kernel[d]);
  j->kpos[d] = k;
  j->ipos[d] =
      LLVMBuildNSWAdd(b, j->base[d], LLVMBuildNSWMul(b, k, qcc_cg_i64(cg, j->dil[d]), ""), "");
  qcc_cg_if inside;
  qcc_cg_if_begin(cg, &inside, qcc_cg_in_range(cg, j->ipos[d], 0, j->in[d]));
  rt_conv_taps(j, d + 1);
  qcc_cg_if_end(cg, &inside);
  qcc_cg_loop_end(cg, &lk);
}

static void rt_conv_output(rt_conv *j, LLVMValueRef *idx) {
  qcc_cg *cg = j->L->cg;
  LLVMValueRef zero = qcc_cg_i64(cg, 0);
  j->xzp = rt_param_load(cg, &j->x_zp, zero);
  j->wzp = rt_param_load(cg, &j->w_zp, j->m);
  qcc_cg_set(cg, j->acc, qcc_cg_i32(cg, 0));
  rt_conv_taps(j, 0);
  LLVMValueRef acc = qcc_cg_get(cg, cg->i32, j->acc);
  idx[1] = j->m;
  if (j->dynamic) { /* Mul(Cast(acc), Mul(x_scale, w_scale)) then Add(bias) */
    LLVMBuilderRef b = cg->b;
    LLVMValueRef mult = LLVMBuildFMul(b, j->dyn_scale, rt_param_load(cg, &j->w_scale, zero), "");
    LLVMValueRef v = LLVMBuildFMul(b, LLVMBuildSIToFP(b, acc, cg->f32, ""), mult, "");
    if (j->bias.present)
      v = LLVMBuildFAdd(
          b, v,
          qcc_cg_load_at(cg, &j->bias.t,
                         LLVMBuildNSWMul(b, j->m, qcc_cg_i64(cg, j->bias_stride), "")),
          "");
    qcc_cg_store(cg, &j->y, idx, v);
    return;
  }
  if (!j->qlinear) {
    qcc_cg_store(cg, &j->y, idx, acc);
    return;
  }
  if (j->bias.present)
    acc = LLVMBuildAdd(cg->b, acc, qcc_cg_load_at(cg, &j->bias.t, j->m), "");
  LLVMValueRef mult =
      rt_multiplier(cg, rt_param_load(cg, &j->x_scale, zero), rt_param_load(cg, &j->w_scale, j->m),
                    rt_param_load(cg, &j->y_scale, zero));
  LLVMValueRef q = rt_requantize(cg, acc, mult, rt_param_load(cg, &j->y_zp, zero), j->r);
  qcc_cg_store(cg, &j->y, idx, qcc_cg_from_i32(cg, q, j->y.elem));
}

static void rt_conv_positions(rt_conv *j, int32_t d, LLVMValueRef *idx) {
  qcc_cg *cg = j->L->cg;
  if (d == j->nsp) {
    qcc_cg_loop lm;
    j->m = qcc_cg_loop_n(cg, &lm, j->m_out);
    j->g = LLVMBuildSDiv(cg->b, j->m, qcc_cg_i64(cg, j->mg), "");
    rt_conv_output(j, idx);
    qcc_cg_loop_end(cg, &lm);
    return;
  }
  qcc_cg_loop lo;
  LLVMValueRef o = qcc_cg_loop_n(cg, &lo, j->out[d]);
  idx[2 + d] = o;
  LLVMValueRef s = LLVMBuildNSWMul(cg->b, o, qcc_cg_i64(cg, j->stride[d]), "");
  j->base[d] = LLVMBuildSub(cg->b, s, qcc_cg_i64(cg, j->pad[d]), "");
  rt_conv_positions(j, d + 1, idx);
  qcc_cg_loop_end(cg, &lo);
}

/* DynamicQuantizeConv's bias: m_out f32 values along one dim (the others of size 1); *stride
 * receives that dim's stride. */
static qcc_status dynamic_bias(qcc_lower_ctx *L, rt_conv *j) {
  const qcc_value *bv = qcc_op_operand(L->op, 4);
  if (!bv)
    return QCC_OK;
  int64_t n;
  if (bv->type.elem != QCC_F32 || !qcc_type_numel(bv->type, &n) || n != j->m_out)
    return qcc_lower_error(L, "the bias must be an f32 tensor of %lld values", (long long)j->m_out);
  qcc_lower_operand(L, 4, &j->bias.t);
  j->bias.present = true;
  j->bias_stride = 0;
  int32_t along = -1;
  for (int32_t d = 0; d < j->bias.t.rank; ++d) {
    if (j->bias.t.dims[d] == 1)
      continue;
    if (along >= 0)
      return qcc_lower_error(L, "the bias must hold its %lld values along one dim",
                             (long long)j->m_out);
    along = d;
  }
  if (along >= 0)
    j->bias_stride = j->bias.t.strides[along];
  return QCC_OK;
}

static qcc_status rt_conv_lower(qcc_lower_ctx *L, bool qlinear, bool dynamic) {
  rt_conv j;
  memset(&j, 0, sizeof j);
  j.L = L;
  j.qlinear = qlinear;
  j.dynamic = dynamic;
  /* ConvInteger: x, w, x_zp, w_zp; QLinearConv: x, x_scale, x_zp, w, w_scale, w_zp, ...;
   * DynamicQuantizeConv: x, w, w_scale, w_zp, bias. */
  uint32_t iw = qlinear ? 3 : 1, ixzp = dynamic ? UINT32_MAX : 2, iwzp = qlinear ? 5 : 3;
  if (!qcc_op_operand(L->op, iw))
    return qcc_lower_error(L, "the weights are required");
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_operand(L, iw, &j.w);
  qcc_lower_result(L, 0, &j.y);
  if ((dynamic ? j.x.elem != QCC_F32 : !qcc_is_8bit(j.x.elem)) || !qcc_is_8bit(j.w.elem))
    return qcc_lower_error(L, dynamic ? "the input must be f32 and the weight u8 or i8"
                                      : "input and weight must be u8 or i8");
  if (j.x.rank < 3 || j.w.rank != j.x.rank)
    return qcc_lower_error(L, "input and weight must have the same rank >= 3");
  j.nsp = j.x.rank - 2;
  if (j.nsp > QCC_WINDOW_MAX_SPATIAL)
    return qcc_lower_error(L, "%d spatial dims are not supported", (int)j.nsp);
  qcc_conv_geom geom;
  if (!qcc_conv_geom_read(&geom, L->op, &qcc_window_rules_qconv, j.nsp, j.w.dims + 2))
    return qcc_lower_error(L, "%s", geom.w.err);
  j.m_out = j.w.dims[0];
  j.cg = j.w.dims[1];
  j.group = geom.group;
  if (j.m_out % j.group != 0 || j.x.dims[1] != j.cg * j.group)
    return qcc_lower_error(L, "channel counts do not match the group count");
  j.mg = j.m_out / j.group;
  for (int32_t d = 0; d < j.nsp; ++d) {
    int64_t o, pb, pe;
    if (!qcc_window_out(&geom.w, &qcc_window_rules_qconv, d, j.x.dims[2 + d], false, &o, &pb, &pe))
      return qcc_lower_error(L, "%s", geom.w.err);
    j.kernel[d] = j.w.dims[2 + d];
    j.stride[d] = geom.w.stride[d];
    j.dil[d] = geom.w.dilation[d];
    j.pad[d] = pb;
    j.in[d] = j.x.dims[2 + d];
    j.out[d] = o;
    if (j.y.dims[2 + d] != o)
      return qcc_lower_error(L, "the result's spatial dims do not match the window");
  }
  if (j.y.dims[1] != j.m_out)
    return qcc_lower_error(L, "the result does not have the weight's output channels");
  qcc_status st;
  if ((st = rt_param_init(L, &j.x_zp, ixzp, 1, RT_ZP, "x_zero_point")) != QCC_OK ||
      (st = rt_param_init(L, &j.w_zp, iwzp, j.m_out, RT_ZP, "w_zero_point")) != QCC_OK)
    return st;
  if (qlinear) {
    if ((st = rt_param_init(L, &j.x_scale, 1, 1, RT_SCALE, "x_scale")) != QCC_OK ||
        (st = rt_param_init(L, &j.w_scale, 4, j.m_out, RT_SCALE, "w_scale")) != QCC_OK ||
        (st = rt_param_init(L, &j.y_scale, 6, 1, RT_SCALE, "y_scale")) != QCC_OK ||
        (st = rt_param_init(L, &j.y_zp, 7, 1, RT_ZP, "y_zero_point")) != QCC_OK)
      return st;
    const qcc_value *bv = qcc_op_operand(L->op, 8);
    if (bv) {
      int64_t n;
      if (bv->type.elem != QCC_I32 || bv->type.rank != 1 || !qcc_type_numel(bv->type, &n) ||
          n != j.m_out)
        return qcc_lower_error(L, "the bias must be an i32 tensor of %lld values",
                               (long long)j.m_out);
      qcc_lower_operand(L, 8, &j.bias.t);
      j.bias.present = true;
    }
    j.r = qcc_elem_qrange(j.y.elem);
  } else if (j.y.elem != (dynamic ? QCC_F32 : QCC_I32)) {
    return qcc_lower_error(L, "the result must be %s", dynamic ? "f32" : "i32");
  }
  qcc_cg *cg = L->cg;
  if (dynamic) {
    if ((st = rt_param_init(L, &j.w_scale, 2, 1, RT_SCALE, "w_scale")) != QCC_OK ||
        (st = dynamic_bias(L, &j)) != QCC_OK)
      return st;
    qcc_lower_dynamic_qparams(L, &j.x, &j.dyn_scale, &j.dyn_zp);
    LLVMBuilderRef b = cg->b;
    j.dyn_lo = LLVMBuildSIToFP(b, LLVMBuildSub(b, qcc_cg_i32(cg, 0), j.dyn_zp, ""), cg->f32, "");
    j.dyn_hi = LLVMBuildSIToFP(b, LLVMBuildSub(b, qcc_cg_i32(cg, 255), j.dyn_zp, ""), cg->f32, "");
  }
  j.acc = qcc_cg_var(cg, cg->i32, NULL);
  LLVMValueRef idx[QCC_MAX_RANK] = {0};
  qcc_cg_loop ln;
  idx[0] = j.n = qcc_cg_loop_n(cg, &ln, j.x.dims[0]);
  rt_conv_positions(&j, 0, idx);
  qcc_cg_loop_end(cg, &ln);
  return QCC_OK;
}

qcc_status qcc_lower_conv_integer(qcc_lower_ctx *L) { return rt_conv_lower(L, false, false); }

qcc_status qcc_lower_qlinear_conv_runtime(qcc_lower_ctx *L) {
  return rt_conv_lower(L, true, false);
}

qcc_status qcc_lower_dynamic_quantize_conv(qcc_lower_ctx *L) {
  return rt_conv_lower(L, false, true);
}

/* True when one of operands idx[0..n) is present and not a constant. */
static bool any_runtime(const qcc_op *op, const uint32_t *idx, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const qcc_value *v = qcc_op_operand(op, idx[i]);
    if (v && !qcc_value_const(v))
      return true;
  }
  return false;
}

bool qcc_lower_qlinear_matmul_is_runtime(const qcc_op *op) {
  static const uint32_t params[] = {1, 2, 4, 5, 6, 7};
  return any_runtime(op, params, sizeof params / sizeof params[0]);
}

bool qcc_lower_qlinear_conv_is_runtime(const qcc_op *op) {
  static const uint32_t params[] = {1, 2, 3, 4, 5, 6, 7, 8};
  return any_runtime(op, params, sizeof params / sizeof params[0]);
}
