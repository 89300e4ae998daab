/* The depthwise NHWC convolution kernel (one output channel per input channel, 2-D, channels
 * contiguous): for each output pixel, the channels in vectors of the target's i32 width, every
 * tap unrolled, acc += widen(x) * w' in exact int32 lanes, then requantized and stored in the
 * epilogue (`qu8-dwconv-<taps>p<lanes>c-mul32`: 32-bit lane multiplies).
 *
 * As in the packed kernel (conv_packed.c), bias'[m] = bias[m] - x_zp * sum_t w'[m, t] and taps in
 * the padding read a row of x_zp bytes, so no tap is skipped and x enters the products raw. The
 * weights are stored as i32 [tap][channel], padded to whole vectors. Tasks: ranges of output
 * pixels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/lower/qlinear_conv.h"

enum { MAX_TAPS = 64 };

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

static LLVMValueRef mul_c(qcc_cg *cg, LLVMValueRef v, int64_t c) {
  return c == 1 ? v : LLVMBuildNSWMul(cg->b, v, qcc_cg_i64(cg, c), "");
}
static LLVMValueRef add(qcc_cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildNSWAdd(cg->b, a, b, "");
}
static LLVMValueRef gep(qcc_cg *cg, LLVMTypeRef t, LLVMValueRef p, LLVMValueRef off) {
  return LLVMBuildInBoundsGEP2(cg->b, t, p, &off, 1, "");
}

static unsigned lanes_of(const qcc_isa *isa) {
  if (isa->arch == QCC_ARCH_X86_64)
    return isa->avx512 ? 16 : isa->avx2 ? 8 : 4;
  return 4;
}

typedef struct dw {
  qcc_lower_ctx *L;
  const qcc_conv_params *p;
  const qcc_conv_epilogue *epi;
  unsigned lanes;
  int64_t mp;
  LLVMValueRef w, bias, mult, zprow, tap_ptr[MAX_TAPS];
  LLVMValueRef n, oh, ow;
} dw;

static qcc_status tables(dw *k) {
  const qcc_conv_params *p = k->p;
  int64_t c = p->m_out, mp = k->mp;
  int32_t *w = calloc((size_t)(p->ksz * mp), sizeof *w);
  int32_t *bias = calloc((size_t)mp, sizeof *bias);
  float *mult = calloc((size_t)mp, sizeof *mult);
  uint8_t *zp = malloc((size_t)mp);
  if (!w || !bias || !mult || !zp) {
    free(w), free(bias), free(mult), free(zp);
    return qcc_lower_error(k->L, "out of memory");
  }
  for (int64_t m = 0; m < c; ++m) {
    uint32_t sum = 0;
    for (int64_t t = 0; t < p->ksz; ++t) {
      int32_t v = p->w[m * p->ksz + t];
      w[t * mp + m] = v;
      sum += (uint32_t)v;
    }
    bias[m] = (int32_t)((uint32_t)p->bias[m] - (uint32_t)p->x_zp * sum);
    mult[m] = p->mult[m];
  }
  memset(zp, (uint8_t)p->x_zp, (size_t)mp);
  qcc_cg *cg = k->L->cg;
  k->w = qcc_cg_const_bytes(cg, "dw_weights", w, (size_t)(p->ksz * mp) * sizeof *w, 64);
  k->bias = qcc_lower_int_table(k->L, bias, mp);
  k->mult = qcc_lower_float_table(k->L, mult, mp);
  k->zprow = qcc_cg_const_bytes(cg, "zero_point_row", zp, (size_t)mp, 64);
  free(w), free(bias), free(mult), free(zp);
  return QCC_OK;
}

/* The tap pointers of the output pixel (n, oh, ow): the input pixel or the zero-point row. */
static void tap_pointers(dw *k) {
  qcc_cg *cg = k->L->cg;
  const qcc_conv_params *p = k->p;
  const qcc_cg_tensor *x = &p->x;
  LLVMValueRef h0 =
      LLVMBuildSub(cg->b, mul_c(cg, k->oh, p->stride[0]), qcc_cg_i64(cg, p->pad[0]), "");
  LLVMValueRef w0 =
      LLVMBuildSub(cg->b, mul_c(cg, k->ow, p->stride[1]), qcc_cg_i64(cg, p->pad[1]), "");
  LLVMValueRef nb = mul_c(cg, k->n, x->strides[0]);
  for (int64_t kh = 0; kh < p->kernel[0]; ++kh)
    for (int64_t kw = 0; kw < p->kernel[1]; ++kw) {
      LLVMValueRef ih = add(cg, h0, qcc_cg_i64(cg, kh * p->dil[0]));
      LLVMValueRef iw = add(cg, w0, qcc_cg_i64(cg, kw * p->dil[1]));
      LLVMValueRef off =
          add(cg, nb, add(cg, mul_c(cg, ih, x->strides[2]), mul_c(cg, iw, x->strides[3])));
      LLVMValueRef ptr = LLVMBuildGEP2(cg->b, cg->i8, x->base, &off, 1, "");
      LLVMValueRef inside = NULL;
      if (!p->always_inside[0])
        inside = qcc_cg_in_range(cg, ih, 0, p->in[0]);
      if (!p->always_inside[1]) {
        LLVMValueRef in_w = qcc_cg_in_range(cg, iw, 0, p->in[1]);
        inside = inside ? LLVMBuildAnd(cg->b, inside, in_w, "") : in_w;
      }
      k->tap_ptr[kh * p->kernel[1] + kw] =
          inside ? LLVMBuildSelect(cg->b, inside, ptr, k->zprow, "") : ptr;
    }
}

/* One vector of channels from c0; `live` of its lanes exist. */
static void block(dw *k, LLVMValueRef c0, unsigned live) {
  qcc_lower_ctx *L = k->L;
  qcc_cg *cg = L->cg;
  const qcc_conv_params *p = k->p;
  unsigned lanes = k->lanes;
  LLVMTypeRef v32 = LLVMVectorType(cg->i32, lanes), vf = LLVMVectorType(cg->f32, lanes);
  LLVMTypeRef v8 = LLVMVectorType(cg->i8, lanes);
  LLVMValueRef mask = live < lanes ? qcc_cg_lane_mask(cg, lanes, live) : NULL;
  LLVMValueRef acc = LLVMBuildLoad2(cg->b, v32, gep(cg, cg->i32, k->bias, c0), "");
  LLVMSetAlignment(acc, 4);
  for (int64_t t = 0; t < p->ksz; ++t) {
    LLVMValueRef xp = gep(cg, cg->i8, k->tap_ptr[t], c0);
    LLVMValueRef xv;
    if (mask) {
      unsigned id = LLVMLookupIntrinsicID("llvm.masked.load", 16);
      LLVMTypeRef ov[2] = {v8, cg->ptr};
      LLVMValueRef args[4] = {xp, qcc_cg_i32(cg, 1), mask, LLVMConstNull(v8)};
      xv = LLVMBuildCall2(cg->b, LLVMIntrinsicGetType(cg->ctx, id, ov, 2),
                          LLVMGetIntrinsicDeclaration(cg->mod, id, ov, 2), args, 4, "");
    } else {
      xv = LLVMBuildLoad2(cg->b, v8, xp, "");
      LLVMSetAlignment(xv, 1);
    }
    xv = qcc_cg_to_i32(cg, xv, p->x.elem);
    LLVMValueRef wv = LLVMBuildLoad2(
        cg->b, v32, gep(cg, cg->i32, k->w, add(cg, qcc_cg_i64(cg, t * k->mp), c0)), "");
    LLVMSetAlignment(wv, 4);
    acc = LLVMBuildAdd(cg->b, acc, LLVMBuildMul(cg->b, xv, wv, ""), "");
  }
  LLVMValueRef mult = LLVMBuildLoad2(cg->b, vf, gep(cg, cg->f32, k->mult, c0), "");
  LLVMSetAlignment(mult, 4);
  LLVMValueRef y = qcc_cg_requantize(cg, acc, mult, p->y_zp, p->r);
  LLVMValueRef idx[4] = {k->n, c0, k->oh, k->ow};
  if (k->epi && k->epi->apply)
    y = k->epi->apply(L, k->epi, y, idx, mask);
  qcc_cg_store_lanes(cg, &p->y, qcc_cg_offset(cg, &p->y, idx), qcc_cg_from_i32(cg, y, p->y.elem),
                     mask);
}

qcc_status qcc_lower_conv_depthwise(qcc_lower_ctx *L, const qcc_conv_params *p,
                                    const qcc_conv_epilogue *epi, bool *done) {
  *done = false;
  if (p->nsp != 2 || p->cg != 1 || p->mg != 1 || p->group != p->m_out || p->ksz > MAX_TAPS ||
      p->x.strides[1] != 1 || p->y.strides[1] != 1 || p->m_out == 0 ||
      (epi && epi->apply && !epi->lanes_contiguous))
    return QCC_OK;
  qcc_cg *cg = L->cg;
  dw k = {.L = L, .p = p, .epi = epi, .lanes = lanes_of(L->isa)};
  k.mp = ceil_div(p->m_out, k.lanes) * k.lanes;
  qcc_status st = tables(&k);
  if (st != QCC_OK)
    return st;
  int64_t pixels = p->x.dims[0] * p->out[0] * p->out[1];
  int64_t macs = pixels * p->m_out * p->ksz;
  int64_t tasks = macs >> 17;
  tasks = tasks < 1 ? 1 : tasks > 64 ? 64 : tasks > pixels ? (pixels ? pixels : 1) : tasks;
  char name[64];
  snprintf(name, sizeof name, "q%s8-dwconv-%dp%uc-mul32", p->x.elem == QCC_U8 ? "u" : "s", (int)p->ksz,
           k.lanes);
  qcc_lower_set_kernel_info(L, name, k.lanes * 32, (uint32_t)tasks);
  LLVMValueRef task = L->task ? L->task : qcc_cg_i64(cg, 0);
  LLVMValueRef lo = LLVMBuildSDiv(cg->b, mul_c(cg, task, pixels), qcc_cg_i64(cg, tasks), "");
  LLVMValueRef hi = LLVMBuildSDiv(cg->b, mul_c(cg, add(cg, task, qcc_cg_i64(cg, 1)), pixels),
                                  qcc_cg_i64(cg, tasks), "");
  qcc_cg_loop lp;
  LLVMValueRef pix = qcc_cg_loop_begin(cg, &lp, lo, hi);
  LLVMValueRef hw = qcc_cg_i64(cg, p->out[0] * p->out[1]), ow = qcc_cg_i64(cg, p->out[1]);
  k.n = LLVMBuildSDiv(cg->b, pix, hw, "");
  LLVMValueRef rem = LLVMBuildSRem(cg->b, pix, hw, "");
  k.oh = LLVMBuildSDiv(cg->b, rem, ow, "");
  k.ow = LLVMBuildSRem(cg->b, rem, ow, "");
  tap_pointers(&k);
  int64_t full = p->m_out / k.lanes, tail = p->m_out % k.lanes;
  if (full) {
    qcc_cg_loop lc;
    LLVMValueRef b = qcc_cg_loop_n(cg, &lc, full);
    block(&k, mul_c(cg, b, k.lanes), k.lanes);
    lc.no_unroll = true;
    qcc_cg_loop_end(cg, &lc);
  }
  if (tail)
    block(&k, qcc_cg_i64(cg, full * k.lanes), (unsigned)tail);
  lp.no_unroll = true;
  qcc_cg_loop_end(cg, &lp);
  *done = true;
  return QCC_OK;
}
