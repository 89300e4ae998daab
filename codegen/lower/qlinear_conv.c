/* QLinearConv (ir/ops/qlinear_conv.c): N-d grouped, strided, dilated, padded convolution of 8-bit
 * operands accumulated exactly in int32 (wrapping, as the interpreter's accumulators), then the
 * per-output-channel requantization float(acc + bias[m]) * ((x_scale * w_scale[m]) / y_scale),
 * clamped, rounded half to even, plus y_zero_point.
 *
 * One generic loop nest for now (general, 1x1, depthwise and grouped convolutions alike):
 *   for n, output position, group, channel m of the group:
 *     acc = bias[m]
 *     for every kernel tap inside the input (taps in the padding contribute 0, as skipped taps do
 *     in the interpreter): for c: acc += (x[n, g*Cg + c, tap] - x_zp) * w'[m, tap, c]
 *     y = requantize(acc), the epilogue, store
 * w' = w - w_zp[m] is packed at compile time in [m][tap][c] order (c innermost, which is the
 * contiguous direction of an NHWC input) as i8 when every value fits, else i16. */
#include "codegen/lower/qlinear_conv.h"

#include <stdlib.h>
#include <string.h>

#include "ir/interp.h"
#include "ir/op_registry.h"
#include "ir/ops/qoperand.h"
#include "ir/ops/window.h"

enum { MAX_SP = QCC_WINDOW_MAX_SPATIAL };

typedef struct conv_job {
  qcc_lower_ctx *L;
  const qcc_conv_epilogue *epi;
  qcc_cg_tensor x, y;
  int32_t nsp;
  int64_t m_out, cg, group, mg, ksz;
  int64_t kernel[MAX_SP], stride[MAX_SP], dil[MAX_SP], pad[MAX_SP], in[MAX_SP], out[MAX_SP];
  int64_t tap_stride[MAX_SP]; /* linear tap index = sum k_d * tap_stride[d] */
  bool always_inside[MAX_SP];
  int32_t x_zp, y_zp;
  qcc_qrange r;
  bool w16; /* w' stored as i16 (some value does not fit in i8) */
  LLVMValueRef w, mult, bias;
  /* loop state */
  LLVMValueRef n, m, g, base[MAX_SP], ipos[MAX_SP], acc;
} conv_job;

/* Packs w - w_zp[m] as [m][tap][c]; chooses i8 storage when every value fits. */
static qcc_status pack_weights(conv_job *j, const qcc_tensor *w, const int32_t *w_zp) {
  qcc_lower_ctx *L = j->L;
  int64_t total = j->m_out * j->ksz * j->cg;
  int16_t *p = malloc((size_t)(total ? total : 1) * sizeof *p);
  if (!p)
    return qcc_lower_error(L, "out of memory");
  bool fits8 = true;
  for (int64_t m = 0; m < j->m_out; ++m)
    for (int64_t c = 0; c < j->cg; ++c)
      for (int64_t k = 0; k < j->ksz; ++k) {
        int32_t v = (int32_t)qcc_tensor_get_i64(w, (m * j->cg + c) * j->ksz + k) - w_zp[m];
        p[(m * j->ksz + k) * j->cg + c] = (int16_t)v;
        fits8 = fits8 && v >= -128 && v <= 127;
      }
  if (fits8) {
    int8_t *q = (int8_t *)p; /* narrowed in place, front to back */
    for (int64_t i = 0; i < total; ++i)
      q[i] = (int8_t)p[i];
    j->w = qcc_cg_const_bytes(L->cg, "weights", q, (size_t)total, 64);
  } else {
    j->w = qcc_cg_const_bytes(L->cg, "weights", p, (size_t)total * sizeof *p, 64);
    j->w16 = true;
  }
  free(p);
  return QCC_OK;
}

/* Geometry, parameters and constant tables; mirrors the checks of qlinear_conv_eval. */
static qcc_status conv_setup(conv_job *j) {
  qcc_lower_ctx *L = j->L;
  const qcc_op *op = L->op;
  if (!qcc_op_operand(op, 1) || !qcc_op_operand(op, 3) || !qcc_op_operand(op, 4) ||
      !qcc_op_operand(op, 6))
    return qcc_lower_error(L, "x_scale, w, w_scale and y_scale are required");
  qcc_lower_operand(L, 0, &j->x);
  qcc_lower_result(L, 0, &j->y);
  const qcc_value *wv = qcc_op_operand(op, 3);
  const qcc_const *wk = qcc_value_const(wv);
  if (!wk)
    return qcc_lower_error(L, "the weights must be a constant");
  if (!qcc_is_8bit(j->x.elem) || !qcc_is_8bit(wv->type.elem))
    return qcc_lower_error(L, "input and weight must be u8 or i8");
  qcc_tensor wst;
  const qcc_tensor *w = qcc_tensor_of_const(wk, &wst);
  if (j->x.rank < 3 || w->rank != j->x.rank)
    return qcc_lower_error(L, "input and weight must have the same rank >= 3");
  j->nsp = j->x.rank - 2;
  if (j->nsp > MAX_SP)
    return qcc_lower_error(L, "%d spatial dims are not supported", (int)j->nsp);
  qcc_conv_geom geom;
  if (!qcc_conv_geom_read(&geom, op, &qcc_window_rules_qconv, j->nsp, w->dims + 2))
    return qcc_lower_error(L, "%s", geom.w.err);
  j->m_out = w->dims[0];
  j->cg = w->dims[1];
  j->group = geom.group;
  if (j->m_out % j->group != 0 || j->x.dims[1] != j->cg * j->group)
    return qcc_lower_error(L, "channel counts do not match the group count");
  j->mg = j->m_out / j->group;
  j->ksz = 1;
  for (int32_t d = j->nsp - 1; d >= 0; --d) {
    int64_t o, pb, pe;
    if (!qcc_window_out(&geom.w, &qcc_window_rules_qconv, d, j->x.dims[2 + d], false, &o, &pb, &pe))
      return qcc_lower_error(L, "%s", geom.w.err);
    j->kernel[d] = w->dims[2 + d];
    j->stride[d] = geom.w.stride[d];
    j->dil[d] = geom.w.dilation[d];
    j->pad[d] = pb;
    j->in[d] = j->x.dims[2 + d];
    j->out[d] = o;
    j->tap_stride[d] = j->ksz;
    j->ksz *= j->kernel[d];
    /* Every tap of every output position inside the input: no bounds check needed. */
    j->always_inside[d] =
        pb == 0 && (o == 0 || j->kernel[d] == 0 ||
                    (o - 1) * j->stride[d] + (j->kernel[d] - 1) * j->dil[d] < j->in[d]);
  }
  if (j->y.dims[1] != j->m_out)
    return qcc_lower_error(L, "the result does not have the weight's output channels");
  float x_scale, y_scale;
  int32_t x_zp, y_zp;
  float *mult = malloc((size_t)(j->m_out + 1) * sizeof *mult);
  int32_t *w_zp = malloc((size_t)(j->m_out + 1) * sizeof *w_zp);
  int32_t *bias = malloc((size_t)(j->m_out + 1) * sizeof *bias);
  qcc_status st = QCC_OK;
  if (!mult || !w_zp || !bias)
    st = qcc_lower_error(L, "out of memory");
  if (st == QCC_OK &&
      ((st = qcc_lower_const_floats(L, 1, 1, &x_scale, "x_scale")) != QCC_OK ||
       (st = qcc_lower_const_floats(L, 6, 1, &y_scale, "y_scale")) != QCC_OK ||
       (st = qcc_lower_const_ints(L, 2, 1, &x_zp, "x_zero_point")) != QCC_OK ||
       (st = qcc_lower_const_ints(L, 7, 1, &y_zp, "y_zero_point")) != QCC_OK ||
       (st = qcc_lower_const_floats(L, 4, j->m_out, mult, "w_scale")) != QCC_OK ||
       (st = qcc_lower_const_ints(L, 5, j->m_out, w_zp, "w_zero_point")) != QCC_OK ||
       (st = qcc_lower_const_ints(L, 8, j->m_out, bias, "the bias")) != QCC_OK))
    goto done;
  for (int64_t m = 0; m < j->m_out; ++m)
    mult[m] = qcc_requant_multiplier(x_scale, mult[m], y_scale);
  j->x_zp = x_zp;
  j->y_zp = y_zp;
  j->r = qcc_elem_qrange(j->y.elem);
  j->mult = qcc_lower_float_table(L, mult, j->m_out);
  j->bias = qcc_lower_int_table(L, bias, j->m_out);
  st = pack_weights(j, w, w_zp);
done:
  free(mult), free(w_zp), free(bias);
  return st;
}

/* The innermost reduction over the group's input channels at the taps in ipos. */
static void emit_channels(conv_job *j, LLVMValueRef tap) {
  qcc_cg *cg = j->L->cg;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef idx[QCC_MAX_RANK] = {j->n};
  for (int32_t d = 0; d < j->nsp; ++d)
    idx[2 + d] = j->ipos[d];
  LLVMValueRef w_row = LLVMBuildNSWMul(
      b, LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, j->m, qcc_cg_i64(cg, j->ksz), ""), tap, ""),
      qcc_cg_i64(cg, j->cg), "");
  LLVMValueRef c_base = j->group == 1 ? NULL : LLVMBuildNSWMul(b, j->g, qcc_cg_i64(cg, j->cg), "");
  LLVMTypeRef wt = j->w16 ? cg->i16 : cg->i8;
  qcc_cg_loop lc;
  LLVMValueRef c = qcc_cg_loop_n(cg, &lc, j->cg);
  idx[1] = c_base ? LLVMBuildNSWAdd(b, c_base, c, "") : c;
  LLVMValueRef xv = qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->x, idx), j->x.elem);
  xv = LLVMBuildSub(b, xv, qcc_cg_i32(cg, j->x_zp), "");
  LLVMValueRef wi = LLVMBuildNSWAdd(b, w_row, c, "");
  LLVMValueRef wp = LLVMBuildInBoundsGEP2(b, wt, j->w, &wi, 1, "");
  LLVMValueRef wv = LLVMBuildSExt(b, LLVMBuildLoad2(b, wt, wp, ""), cg->i32, "");
  LLVMValueRef prod = LLVMBuildMul(b, xv, wv, "");
  /* A plain (wrapping) add, like the interpreter's uint32 accumulator. */
  qcc_cg_set(cg, j->acc, LLVMBuildAdd(b, qcc_cg_get(cg, cg->i32, j->acc), prod, ""));
  qcc_cg_loop_end(cg, &lc);
}

/* Tap loops over spatial dims d.., skipping taps in the padding. */
static void emit_taps(conv_job *j, int32_t d, LLVMValueRef tap) {
  qcc_cg *cg = j->L->cg;
  if (d == j->nsp) {
    emit_channels(j, tap);
    return;
  }
  qcc_cg_loop lk;
  LLVMValueRef k = qcc_cg_loop_n(cg, &lk, j->kernel[d]);
  LLVMValueRef off = j->dil[d] == 1 ? k : LLVMBuildNSWMul(cg->b, k, qcc_cg_i64(cg, j->dil[d]), "");
  j->ipos[d] = LLVMBuildNSWAdd(cg->b, j->base[d], off, "");
  LLVMValueRef t = LLVMBuildNSWAdd(
      cg->b, tap, LLVMBuildNSWMul(cg->b, k, qcc_cg_i64(cg, j->tap_stride[d]), ""), "");
  if (j->always_inside[d]) {
    emit_taps(j, d + 1, t);
  } else {
    qcc_cg_if inside;
    qcc_cg_if_begin(cg, &inside, qcc_cg_in_range(cg, j->ipos[d], 0, j->in[d]));
    emit_taps(j, d + 1, t);
    qcc_cg_if_end(cg, &inside);
  }
  qcc_cg_loop_end(cg, &lk);
}

/* One output element: channel m of group g at the output position in idx. */
static void emit_output(conv_job *j, LLVMValueRef *idx) {
  qcc_cg *cg = j->L->cg;
  qcc_cg_set(cg, j->acc, qcc_lower_table_i32(j->L, j->bias, j->m));
  emit_taps(j, 0, qcc_cg_i64(cg, 0));
  LLVMValueRef mult = qcc_lower_table_f32(j->L, j->mult, j->m);
  LLVMValueRef y = qcc_cg_requantize(cg, qcc_cg_get(cg, cg->i32, j->acc), mult, j->y_zp, j->r);
  idx[1] = j->m;
  if (j->epi && j->epi->apply)
    y = j->epi->apply(j->L, j->epi, y, idx);
  qcc_cg_store(cg, &j->y, idx, qcc_cg_from_i32(cg, y, j->y.elem));
}

/* Output positions of spatial dims d.., then the groups and channels. */
static void emit_positions(conv_job *j, int32_t d, LLVMValueRef *idx) {
  qcc_cg *cg = j->L->cg;
  if (d == j->nsp) {
    qcc_cg_loop lg, lm;
    j->g = qcc_cg_loop_n(cg, &lg, j->group);
    LLVMValueRef ml = qcc_cg_loop_n(cg, &lm, j->mg);
    j->m = j->group == 1
               ? ml
               : LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, j->g, qcc_cg_i64(cg, j->mg), ""), ml,
                                 "");
    emit_output(j, idx);
    qcc_cg_loop_end(cg, &lm);
    qcc_cg_loop_end(cg, &lg);
    return;
  }
  qcc_cg_loop lo;
  LLVMValueRef o = qcc_cg_loop_n(cg, &lo, j->out[d]);
  idx[2 + d] = o;
  LLVMValueRef s =
      j->stride[d] == 1 ? o : LLVMBuildNSWMul(cg->b, o, qcc_cg_i64(cg, j->stride[d]), "");
  j->base[d] = LLVMBuildSub(cg->b, s, qcc_cg_i64(cg, j->pad[d]), "");
  emit_positions(j, d + 1, idx);
  qcc_cg_loop_end(cg, &lo);
}

qcc_status qcc_lower_conv_nest(qcc_lower_ctx *L, const qcc_conv_epilogue *epilogue) {
  conv_job j;
  memset(&j, 0, sizeof j);
  j.L = L;
  j.epi = epilogue;
  qcc_status st = conv_setup(&j);
  if (st != QCC_OK)
    return st;
  qcc_cg *cg = L->cg;
  j.acc = qcc_cg_var(cg, cg->i32, NULL);
  LLVMValueRef idx[QCC_MAX_RANK] = {0};
  qcc_cg_loop ln;
  idx[0] = j.n = qcc_cg_loop_n(cg, &ln, j.x.dims[0]);
  emit_positions(&j, 0, idx);
  qcc_cg_loop_end(cg, &ln);
  return QCC_OK;
}

qcc_status qcc_lower_qlinear_conv(qcc_lower_ctx *L) { return qcc_lower_conv_nest(L, NULL); }
