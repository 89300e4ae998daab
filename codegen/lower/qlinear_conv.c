/* QLinearConv (ir/ops/qlinear_conv.c): N-d grouped, strided, dilated, padded convolution of 8-bit
 * operands accumulated exactly in int32 (wrapping, as the interpreter's accumulators), then the
 * per-output-channel requantization float(acc + bias[m]) * ((x_scale * w_scale[m]) / y_scale),
 * clamped, rounded half to even, plus y_zero_point.
 *
 * The parameters are read here for all three kernels (codegen/lower/qlinear_conv.h); NHWC convs of
 * group 1 go to the packed micro-kernel (conv_packed.c), depthwise ones to conv_depthwise.c, and
 * everything else to the generic loop nest below (general, 1x1, depthwise and grouped alike):
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

enum { MAX_SP = QCC_CONV_MAX_SP };

/* The generic loop nest's state. */
typedef struct conv_job {
  qcc_lower_ctx *L;
  const qcc_conv_params *p;
  const qcc_conv_epilogue *epi;
  bool w16; /* w' stored as i16 (some value does not fit in i8) */
  LLVMValueRef w, mult, bias;
  /* loop state */
  LLVMValueRef n, m, g, base[MAX_SP], ipos[MAX_SP], acc;
} conv_job;

void qcc_conv_params_free(qcc_conv_params *p) {
  free(p->w), free(p->mult), free(p->bias);
  p->w = NULL, p->mult = NULL, p->bias = NULL;
}

/* Packs w - w_zp[m] as [m][tap][c]. */
static qcc_status read_weights(qcc_lower_ctx *L, qcc_conv_params *p, const qcc_tensor *w,
                               const int32_t *w_zp) {
  int64_t total = p->m_out * p->ksz * p->cg;
  p->w = malloc((size_t)(total ? total : 1) * sizeof *p->w);
  if (!p->w)
    return qcc_lower_error(L, "out of memory");
  p->w_fits8 = true;
  for (int64_t m = 0; m < p->m_out; ++m)
    for (int64_t c = 0; c < p->cg; ++c)
      for (int64_t k = 0; k < p->ksz; ++k) {
        int32_t v = (int32_t)qcc_tensor_get_i64(w, (m * p->cg + c) * p->ksz + k) - w_zp[m];
        p->w[(m * p->ksz + k) * p->cg + c] = (int16_t)v;
        p->w_fits8 = p->w_fits8 && v >= -128 && v <= 127;
      }
  return QCC_OK;
}

/* Geometry, parameters and constant tables; mirrors the checks of qlinear_conv_eval. */
qcc_status qcc_conv_params_read(qcc_lower_ctx *L, qcc_conv_params *p) {
  memset(p, 0, sizeof *p);
  const qcc_op *op = L->op;
  if (!qcc_op_operand(op, 1) || !qcc_op_operand(op, 3) || !qcc_op_operand(op, 4) ||
      !qcc_op_operand(op, 6))
    return qcc_lower_error(L, "x_scale, w, w_scale and y_scale are required");
  qcc_lower_operand(L, 0, &p->x);
  qcc_lower_result(L, 0, &p->y);
  const qcc_value *wv = qcc_op_operand(op, 3);
  const qcc_const *wk = qcc_value_const(wv);
  if (!wk)
    return qcc_lower_error(L, "the weights must be a constant");
  if (!qcc_is_8bit(p->x.elem) || !qcc_is_8bit(wv->type.elem))
    return qcc_lower_error(L, "input and weight must be u8 or i8");
  qcc_tensor wst;
  const qcc_tensor *w = qcc_tensor_of_const(wk, &wst);
  if (p->x.rank < 3 || w->rank != p->x.rank)
    return qcc_lower_error(L, "input and weight must have the same rank >= 3");
  p->nsp = p->x.rank - 2;
  if (p->nsp > MAX_SP)
    return qcc_lower_error(L, "%d spatial dims are not supported", (int)p->nsp);
  qcc_conv_geom geom;
  if (!qcc_conv_geom_read(&geom, op, &qcc_window_rules_qconv, p->nsp, w->dims + 2))
    return qcc_lower_error(L, "%s", geom.w.err);
  p->m_out = w->dims[0];
  p->cg = w->dims[1];
  p->group = geom.group;
  if (p->m_out % p->group != 0 || p->x.dims[1] != p->cg * p->group)
    return qcc_lower_error(L, "channel counts do not match the group count");
  p->mg = p->m_out / p->group;
  p->ksz = 1;
  for (int32_t d = p->nsp - 1; d >= 0; --d) {
    int64_t o, pb, pe;
    if (!qcc_window_out(&geom.w, &qcc_window_rules_qconv, d, p->x.dims[2 + d], false, &o, &pb, &pe))
      return qcc_lower_error(L, "%s", geom.w.err);
    p->kernel[d] = w->dims[2 + d];
    p->stride[d] = geom.w.stride[d];
    p->dil[d] = geom.w.dilation[d];
    p->pad[d] = pb;
    p->in[d] = p->x.dims[2 + d];
    p->out[d] = o;
    p->tap_stride[d] = p->ksz;
    p->ksz *= p->kernel[d];
    /* Every tap of every output position inside the input: no bounds check needed. */
    p->always_inside[d] =
        pb == 0 && (o == 0 || p->kernel[d] == 0 ||
                    (o - 1) * p->stride[d] + (p->kernel[d] - 1) * p->dil[d] < p->in[d]);
  }
  if (p->y.dims[1] != p->m_out)
    return qcc_lower_error(L, "the result does not have the weight's output channels");
  float x_scale, y_scale;
  int32_t x_zp, y_zp;
  p->mult = malloc((size_t)(p->m_out + 1) * sizeof *p->mult);
  int32_t *w_zp = malloc((size_t)(p->m_out + 1) * sizeof *w_zp);
  p->bias = malloc((size_t)(p->m_out + 1) * sizeof *p->bias);
  qcc_status st = QCC_OK;
  if (!p->mult || !w_zp || !p->bias)
    st = qcc_lower_error(L, "out of memory");
  if (st == QCC_OK &&
      ((st = qcc_lower_const_floats(L, 1, 1, &x_scale, "x_scale")) != QCC_OK ||
       (st = qcc_lower_const_floats(L, 6, 1, &y_scale, "y_scale")) != QCC_OK ||
       (st = qcc_lower_const_ints(L, 2, 1, &x_zp, "x_zero_point")) != QCC_OK ||
       (st = qcc_lower_const_ints(L, 7, 1, &y_zp, "y_zero_point")) != QCC_OK ||
       (st = qcc_lower_const_floats(L, 4, p->m_out, p->mult, "w_scale")) != QCC_OK ||
       (st = qcc_lower_const_ints(L, 5, p->m_out, w_zp, "w_zero_point")) != QCC_OK ||
       (st = qcc_lower_const_ints(L, 8, p->m_out, p->bias, "the bias")) != QCC_OK))
    goto done;
  for (int64_t m = 0; m < p->m_out; ++m)
    p->mult[m] = qcc_requant_multiplier(x_scale, p->mult[m], y_scale);
  p->x_zp = x_zp;
  p->y_zp = y_zp;
  p->r = qcc_elem_qrange(p->y.elem);
  st = read_weights(L, p, w, w_zp);
done:
  free(w_zp);
  if (st != QCC_OK)
    qcc_conv_params_free(p);
  return st;
}

/* The generic nest's constant tables: w' as i8 when every value fits, else i16. */
static void job_tables(conv_job *j) {
  qcc_lower_ctx *L = j->L;
  const qcc_conv_params *p = j->p;
  int64_t total = p->m_out * p->ksz * p->cg;
  j->mult = qcc_lower_float_table(L, p->mult, p->m_out);
  j->bias = qcc_lower_int_table(L, p->bias, p->m_out);
  j->w16 = !p->w_fits8;
  if (j->w16) {
    j->w = qcc_cg_const_bytes(L->cg, "weights", p->w, (size_t)total * sizeof *p->w, 64);
    return;
  }
  int8_t *q = malloc((size_t)(total ? total : 1));
  if (q) {
    for (int64_t i = 0; i < total; ++i)
      q[i] = (int8_t)p->w[i];
    j->w = qcc_cg_const_bytes(L->cg, "weights", q, (size_t)total, 64);
    free(q);
  } else { /* no memory for the narrow copy: the wide one is as correct */
    j->w16 = true;
    j->w = qcc_cg_const_bytes(L->cg, "weights", p->w, (size_t)total * sizeof *p->w, 64);
  }
}

/* The innermost reduction over the group's input channels at the taps in ipos. */
static void emit_channels(conv_job *j, LLVMValueRef tap) {
  qcc_cg *cg = j->L->cg;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef idx[QCC_MAX_RANK] = {j->n};
  for (int32_t d = 0; d < j->p->nsp; ++d)
    idx[2 + d] = j->ipos[d];
  LLVMValueRef w_row = LLVMBuildNSWMul(
      b, LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, j->m, qcc_cg_i64(cg, j->p->ksz), ""), tap, ""),
      qcc_cg_i64(cg, j->p->cg), "");
  LLVMValueRef c_base =
      j->p->group == 1 ? NULL : LLVMBuildNSWMul(b, j->g, qcc_cg_i64(cg, j->p->cg), "");
  LLVMTypeRef wt = j->w16 ? cg->i16 : cg->i8;
  qcc_cg_loop lc;
  LLVMValueRef c = qcc_cg_loop_n(cg, &lc, j->p->cg);
  idx[1] = c_base ? LLVMBuildNSWAdd(b, c_base, c, "") : c;
  LLVMValueRef xv = qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->p->x, idx), j->p->x.elem);
  xv = LLVMBuildSub(b, xv, qcc_cg_i32(cg, j->p->x_zp), "");
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
  if (d == j->p->nsp) {
    emit_channels(j, tap);
    return;
  }
  qcc_cg_loop lk;
  LLVMValueRef k = qcc_cg_loop_n(cg, &lk, j->p->kernel[d]);
  LLVMValueRef off =
      j->p->dil[d] == 1 ? k : LLVMBuildNSWMul(cg->b, k, qcc_cg_i64(cg, j->p->dil[d]), "");
  j->ipos[d] = LLVMBuildNSWAdd(cg->b, j->base[d], off, "");
  LLVMValueRef t = LLVMBuildNSWAdd(
      cg->b, tap, LLVMBuildNSWMul(cg->b, k, qcc_cg_i64(cg, j->p->tap_stride[d]), ""), "");
  if (j->p->always_inside[d]) {
    emit_taps(j, d + 1, t);
  } else {
    qcc_cg_if inside;
    qcc_cg_if_begin(cg, &inside, qcc_cg_in_range(cg, j->ipos[d], 0, j->p->in[d]));
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
  LLVMValueRef y =
      qcc_cg_requantize(cg, qcc_cg_get(cg, cg->i32, j->acc), mult, j->p->y_zp, j->p->r);
  idx[1] = j->m;
  if (j->epi && j->epi->apply)
    y = j->epi->apply(j->L, j->epi, y, idx, NULL);
  qcc_cg_store(cg, &j->p->y, idx, qcc_cg_from_i32(cg, y, j->p->y.elem));
}

/* Output positions of spatial dims d.., then the groups and channels. */
static void emit_positions(conv_job *j, int32_t d, LLVMValueRef *idx) {
  qcc_cg *cg = j->L->cg;
  if (d == j->p->nsp) {
    qcc_cg_loop lg, lm;
    j->g = qcc_cg_loop_n(cg, &lg, j->p->group);
    LLVMValueRef ml = qcc_cg_loop_n(cg, &lm, j->p->mg);
    j->m = j->p->group == 1
               ? ml
               : LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, j->g, qcc_cg_i64(cg, j->p->mg), ""),
                                 ml, "");
    emit_output(j, idx);
    qcc_cg_loop_end(cg, &lm);
    qcc_cg_loop_end(cg, &lg);
    return;
  }
  qcc_cg_loop lo;
  LLVMValueRef o = qcc_cg_loop_n(cg, &lo, j->p->out[d]);
  idx[2 + d] = o;
  LLVMValueRef s =
      j->p->stride[d] == 1 ? o : LLVMBuildNSWMul(cg->b, o, qcc_cg_i64(cg, j->p->stride[d]), "");
  j->base[d] = LLVMBuildSub(cg->b, s, qcc_cg_i64(cg, j->p->pad[d]), "");
  emit_positions(j, d + 1, idx);
  qcc_cg_loop_end(cg, &lo);
}

qcc_status qcc_lower_conv_nest(qcc_lower_ctx *L, const qcc_conv_epilogue *epilogue) {
  qcc_conv_params p;
  qcc_status st = qcc_conv_params_read(L, &p);
  if (st != QCC_OK)
    return st;
  bool done = false;
  if ((st = qcc_lower_conv_packed(L, &p, epilogue, &done)) != QCC_OK || done ||
      (st = qcc_lower_conv_depthwise(L, &p, epilogue, &done)) != QCC_OK || done) {
    qcc_conv_params_free(&p);
    return st;
  }
  conv_job j = {.L = L, .p = &p, .epi = epilogue};
  job_tables(&j);
  qcc_cg *cg = L->cg;
  j.acc = qcc_cg_var(cg, cg->i32, NULL);
  LLVMValueRef idx[QCC_MAX_RANK] = {0};
  qcc_cg_loop ln;
  idx[0] = j.n = qcc_cg_loop_n(cg, &ln, p.x.dims[0]);
  emit_positions(&j, 0, idx);
  qcc_cg_loop_end(cg, &ln);
  qcc_conv_params_free(&p);
  return QCC_OK;
}

qcc_status qcc_lower_qlinear_conv(qcc_lower_ctx *L) {
  if (qcc_lower_qlinear_conv_is_runtime(L->op)) /* run-time weights or parameters */
    return qcc_lower_qlinear_conv_runtime(L);
  return qcc_lower_conv_nest(L, NULL);
}
