/* The depthwise NHWC convolution kernels (one output channel per input channel, 2-D, channels
 * contiguous): for each output pixel, the channels in vectors, every tap unrolled, exact int32
 * accumulation, then requantized and stored in the epilogue. Two inner sequences:
 *
 *   q{u,s}8-dwconv-<taps>p<lanes>c-mul32   any target: acc += widen(x) * w' in i32 lanes; weights
 *       as i32 [tap][channel]
 *   q{u,s}8-dwconv-<taps>p32c4-vpdpbusd512 AVX-512 VNNI + VBMI, w' within s8: the taps transposed
 *       into the dot product's K: per group of 4 taps, the 4 tap vectors of 32 channels become,
 *       by two two-source byte permutations (vpermt2b), 2 vectors of 16 channels x 4 taps, and one
 *       vpdpbusd each does 64 multiply-adds (vpmulld does 16 at half the rate). Weights as s8
 *       [16-channel block][tap group][channel][4 taps], zero past the last tap.
 *
 * As in the packed kernel (conv_packed.c), bias'[m] = bias[m] - (x_zp + x_offset) * sum_t w'[m, t]
 * and taps in the padding (and the dummy taps that fill the last group) read a row of x_zp bytes,
 * so no tap is skipped and x enters the products raw (XOR 0x80 for i8 activations on vpdpbusd).
 * Tasks: ranges of output pixels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/lower/dot.h"
#include "codegen/lower/qlinear_conv.h"

enum { MAX_TAPS = 64, DOT_BLOCK = 32, DOT_LANES = 16 };

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
  const qcc_dot *dot; /* the tap-transposed sequence, or NULL: mul32 */
  unsigned lanes;
  int64_t mp, groups; /* channels padded to whole vectors; tap groups of dot->kc */
  LLVMValueRef w, bias, mult, zprow, tap_ptr[MAX_TAPS];
  LLVMValueRef n, oh, ow;
} dw;

static qcc_status tables(dw *k) {
  const qcc_conv_params *p = k->p;
  int64_t c = p->m_out, mp = k->mp;
  /* room for either layout: mp * groups * 4 bytes <= mp * (ksz + 3) bytes <= 4 * mp * ksz */
  int32_t *w = calloc((size_t)(p->ksz * mp), sizeof *w);
  int32_t *bias = calloc((size_t)mp, sizeof *bias);
  float *mult = calloc((size_t)mp, sizeof *mult);
  uint8_t *zp = malloc((size_t)mp);
  if (!w || !bias || !mult || !zp) {
    free(w), free(bias), free(mult), free(zp);
    return qcc_lower_error(k->L, "out of memory");
  }
  int32_t x_bias = p->x_zp + (k->dot ? qcc_dot_x_offset(k->dot, p->x.elem) : 0);
  int8_t *w8 = (int8_t *)w; /* dot: [block][group][channel][kc], within p->ksz * mp bytes */
  for (int64_t m = 0; m < c; ++m) {
    uint32_t sum = 0;
    for (int64_t t = 0; t < p->ksz; ++t) {
      int32_t v = p->w[m * p->ksz + t];
      if (k->dot)
        w8[((m / DOT_LANES * k->groups + t / 4) * DOT_LANES + m % DOT_LANES) * 4 + t % 4] =
            (int8_t)v;
      else
        w[t * mp + m] = v;
      sum += (uint32_t)v;
    }
    bias[m] = (int32_t)((uint32_t)p->bias[m] - (uint32_t)x_bias * sum);
    mult[m] = p->mult[m];
  }
  memset(zp, (uint8_t)p->x_zp, (size_t)mp);
  qcc_cg *cg = k->L->cg;
  size_t wbytes = k->dot ? (size_t)(mp * k->groups * 4) : (size_t)(p->ksz * mp) * sizeof *w;
  k->w = qcc_cg_const_bytes(cg, "dw_weights", w, wbytes, 64);
  k->bias = qcc_lower_int_table(k->L, bias, mp);
  k->mult = qcc_lower_float_table(k->L, mult, mp);
  k->zprow = qcc_cg_const_bytes(cg, "zero_point_row", zp, (size_t)mp, 64);
  free(w), free(bias), free(mult), free(zp);
  return QCC_OK;
}

/* The tap pointers of the output pixel (n, oh, ow): the input pixel or the zero-point row;
 * `interior`: every tap of the pixel is known to be inside the input (no select). */
static void tap_pointers(dw *k, bool interior) {
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
      if (!interior && !p->always_inside[0])
        inside = qcc_cg_in_range(cg, ih, 0, p->in[0]);
      if (!interior && !p->always_inside[1]) {
        LLVMValueRef in_w = qcc_cg_in_range(cg, iw, 0, p->in[1]);
        inside = inside ? LLVMBuildAnd(cg->b, inside, in_w, "") : in_w;
      }
      k->tap_ptr[kh * p->kernel[1] + kw] =
          inside ? LLVMBuildSelect(cg->b, inside, ptr, k->zprow, "") : ptr;
    }
  for (int64_t t = p->ksz; k->dot && t < k->groups * (int64_t)k->dot->kc; ++t)
    k->tap_ptr[t] = k->zprow; /* weights 0 */
}

static LLVMValueRef load_bytes(qcc_cg *cg, LLVMValueRef p, unsigned n, LLVMValueRef mask) {
  LLVMTypeRef v8 = LLVMVectorType(cg->i8, n);
  if (!mask) {
    LLVMValueRef v = LLVMBuildLoad2(cg->b, v8, p, "");
    LLVMSetAlignment(v, 1);
    return v;
  }
  unsigned id = LLVMLookupIntrinsicID("llvm.masked.load", 16);
  LLVMTypeRef ov[2] = {v8, cg->ptr};
  LLVMValueRef args[4] = {p, qcc_cg_i32(cg, 1), mask, LLVMConstNull(v8)};
  return LLVMBuildCall2(cg->b, LLVMIntrinsicGetType(cg->ctx, id, ov, 2),
                        LLVMGetIntrinsicDeclaration(cg->mod, id, ov, 2), args, 4, "");
}

/* Requantizes the <lanes x i32> accumulator of the channels from c0 and stores it. */
static void finish(dw *k, LLVMValueRef acc, LLVMValueRef c0, LLVMValueRef mask) {
  qcc_lower_ctx *L = k->L;
  qcc_cg *cg = L->cg;
  const qcc_conv_params *p = k->p;
  LLVMTypeRef vf = LLVMVectorType(cg->f32, k->lanes);
  LLVMValueRef mult = LLVMBuildLoad2(cg->b, vf, gep(cg, cg->f32, k->mult, c0), "");
  LLVMSetAlignment(mult, 4);
  LLVMValueRef y = qcc_cg_requantize(cg, acc, mult, p->y_zp, p->r);
  LLVMValueRef idx[4] = {k->n, c0, k->oh, k->ow};
  if (k->epi && k->epi->apply)
    y = k->epi->apply(L, k->epi, y, idx, mask);
  qcc_cg_store_lanes(cg, &p->y, qcc_cg_offset(cg, &p->y, idx), qcc_cg_from_i32(cg, y, p->y.elem),
                     mask);
}

static LLVMValueRef shuffle(qcc_cg *cg, LLVMValueRef a, LLVMValueRef b, const unsigned *idx,
                            unsigned n) {
  LLVMValueRef m[64];
  for (unsigned i = 0; i < n; ++i)
    m[i] = qcc_cg_i32(cg, idx[i]);
  return LLVMBuildShuffleVector(cg->b, a, b, LLVMConstVector(m, n), "");
}

/* acc[h] (h < width / 16) += the products of the 4 taps of group g for the channels from c0:
 * the tap vectors x0..x3 (width bytes each) permuted so that lane c of vector h holds the 4 taps
 * of channel c0 + 16 h + c, byte j tap j. */
static void dot_group(dw *k, LLVMValueRef *acc, LLVMValueRef c0, unsigned width, int64_t g,
                      LLVMValueRef bmask, unsigned vectors) {
  qcc_cg *cg = k->L->cg;
  const qcc_dot *d = k->dot;
  LLVMValueRef x[4];
  for (unsigned j = 0; j < 4; ++j)
    x[j] = load_bytes(cg, gep(cg, cg->i8, k->tap_ptr[g * 4 + j], c0), width, bmask);
  unsigned cat[64], perm[64];
  for (unsigned i = 0; i < 64; ++i)
    cat[i] = i;
  LLVMValueRef a = shuffle(cg, x[0], x[1], cat, 2 * width),
               b = shuffle(cg, x[2], x[3], cat, 2 * width);
  if (width == DOT_LANES) { /* one 64-byte vector of the 4 taps, then one permutation */
    a = shuffle(cg, a, b, cat, 4 * width);
    b = LLVMGetUndef(LLVMTypeOf(a));
  }
  uint8_t xr = qcc_dot_x_xor(d, k->p->x.elem);
  LLVMTypeRef v32 = LLVMVectorType(cg->i32, DOT_LANES);
  for (unsigned h = 0; h < vectors; ++h) {
    for (unsigned c = 0; c < DOT_LANES; ++c)
      for (unsigned j = 0; j < 4; ++j)
        perm[4 * c + j] = width == DOT_LANES
                              ? j * DOT_LANES + c
                              : (j / 2) * 2 * width + (j % 2) * width + h * DOT_LANES + c;
    LLVMValueRef q = shuffle(cg, a, b, perm, 4 * DOT_LANES);
    if (xr)
      q = LLVMBuildXor(cg->b, q, qcc_cg_like(cg, q, LLVMConstInt(cg->i8, xr, 0)), "");
    LLVMValueRef blk =
        add(cg, LLVMBuildSDiv(cg->b, c0, qcc_cg_i64(cg, DOT_LANES), ""), qcc_cg_i64(cg, h));
    LLVMValueRef woff =
        mul_c(cg, add(cg, mul_c(cg, blk, k->groups), qcc_cg_i64(cg, g)), 4 * DOT_LANES);
    LLVMValueRef w = qcc_dot_weights(cg, d, gep(cg, cg->i8, k->w, woff));
    acc[h] = qcc_dot_step(cg, d, acc[h], LLVMBuildBitCast(cg->b, q, v32, ""), w);
  }
}

/* `width` (16 or 32) channels from c0, `live` of them existing, on the tap-transposed sequence. */
static void dot_block(dw *k, LLVMValueRef c0, unsigned width, unsigned live) {
  qcc_cg *cg = k->L->cg;
  LLVMTypeRef v32 = LLVMVectorType(cg->i32, DOT_LANES);
  unsigned vectors = (live + DOT_LANES - 1) / DOT_LANES;
  LLVMValueRef acc[2];
  for (unsigned h = 0; h < vectors; ++h) {
    acc[h] = LLVMBuildLoad2(
        cg->b, v32, gep(cg, cg->i32, k->bias, add(cg, c0, qcc_cg_i64(cg, h * DOT_LANES))), "");
    LLVMSetAlignment(acc[h], 4);
  }
  LLVMValueRef bmask = live < width ? qcc_cg_lane_mask(cg, width, live) : NULL;
  for (int64_t g = 0; g < k->groups; ++g)
    dot_group(k, acc, c0, width, g, bmask, vectors);
  for (unsigned h = 0; h < vectors; ++h) {
    unsigned n = live - h * DOT_LANES;
    finish(k, acc[h], add(cg, c0, qcc_cg_i64(cg, h * DOT_LANES)),
           n < DOT_LANES ? qcc_cg_lane_mask(cg, DOT_LANES, n) : NULL);
  }
}

/* One vector of channels from c0 on mul32; `live` of its lanes exist. */
static void block(dw *k, LLVMValueRef c0, unsigned live) {
  qcc_cg *cg = k->L->cg;
  const qcc_conv_params *p = k->p;
  unsigned lanes = k->lanes;
  LLVMTypeRef v32 = LLVMVectorType(cg->i32, lanes);
  LLVMValueRef mask = live < lanes ? qcc_cg_lane_mask(cg, lanes, live) : NULL;
  LLVMValueRef acc = LLVMBuildLoad2(cg->b, v32, gep(cg, cg->i32, k->bias, c0), "");
  LLVMSetAlignment(acc, 4);
  for (int64_t t = 0; t < p->ksz; ++t) {
    LLVMValueRef xv = load_bytes(cg, gep(cg, cg->i8, k->tap_ptr[t], c0), lanes, mask);
    xv = qcc_cg_to_i32(cg, xv, p->x.elem);
    LLVMValueRef wv = LLVMBuildLoad2(
        cg->b, v32, gep(cg, cg->i32, k->w, add(cg, qcc_cg_i64(cg, t * k->mp), c0)), "");
    LLVMSetAlignment(wv, 4);
    acc = LLVMBuildAdd(cg->b, acc, LLVMBuildMul(cg->b, xv, wv, ""), "");
  }
  finish(k, acc, c0, mask);
}

/* The output positions [lo, hi) of spatial dim d whose every tap is inside the input. */
static void interior_range(const qcc_conv_params *p, int d, int64_t *lo, int64_t *hi) {
  int64_t s = p->stride[d], last = (p->kernel[d] - 1) * p->dil[d];
  *lo = ceil_div(p->pad[d], s);
  int64_t top = p->in[d] - 1 + p->pad[d] - last; /* o * s <= top */
  *hi = top < 0 ? 0 : top / s + 1;
  if (*hi > p->out[d])
    *hi = p->out[d];
  if (*lo > *hi)
    *lo = *hi;
}

/* The output pixels (n, oh, ow) for ow in [lo, hi): every channel. */
static void columns(dw *k, int64_t lo, int64_t hi, bool interior) {
  if (lo >= hi)
    return;
  qcc_cg *cg = k->L->cg;
  const qcc_conv_params *p = k->p;
  qcc_cg_loop lp;
  k->ow = qcc_cg_loop_begin(cg, &lp, qcc_cg_i64(cg, lo), qcc_cg_i64(cg, hi));
  tap_pointers(k, interior);
  int64_t step = k->dot ? DOT_BLOCK : k->lanes;
  int64_t full = p->m_out / step, tail = p->m_out % step;
  if (full) {
    qcc_cg_loop lc;
    LLVMValueRef c0 = mul_c(cg, qcc_cg_loop_n(cg, &lc, full), step);
    if (k->dot)
      dot_block(k, c0, DOT_BLOCK, DOT_BLOCK);
    else
      block(k, c0, k->lanes);
    lc.no_unroll = true;
    qcc_cg_loop_end(cg, &lc);
  }
  LLVMValueRef c0 = qcc_cg_i64(cg, full * step);
  if (tail && k->dot)
    dot_block(k, c0, tail > DOT_LANES ? DOT_BLOCK : DOT_LANES, (unsigned)tail);
  else if (tail)
    block(k, c0, (unsigned)tail);
  lp.no_unroll = true;
  qcc_cg_loop_end(cg, &lp);
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
  const qcc_isa *isa = L->isa;
  if (isa->arch == QCC_ARCH_X86_64 && isa->avx512vnni && isa->avx512vbmi && p->w_fits8 &&
      p->ksz + 3 <= MAX_TAPS) {
    k.dot = qcc_dot_choose(isa, p->x.elem, true, 1);
    k.lanes = DOT_LANES;
    k.groups = ceil_div(p->ksz, (int64_t)k.dot->kc);
  }
  k.mp = ceil_div(p->m_out, k.lanes) * k.lanes;
  qcc_status st = tables(&k);
  if (st != QCC_OK)
    return st;
  int64_t rows = p->x.dims[0] * p->out[0];
  int64_t macs = rows * p->out[1] * p->m_out * p->ksz;
  int64_t tasks = macs >> 17;
  tasks = tasks < 1 ? 1 : tasks > 64 ? 64 : tasks > rows ? (rows ? rows : 1) : tasks;
  char name[64];
  const char *xs = p->x.elem == QCC_U8 ? "u" : "s";
  if (k.dot)
    snprintf(name, sizeof name, "q%s8-dwconv-%dp%dc%u-%s", xs, (int)p->ksz, DOT_BLOCK, k.dot->kc,
             k.dot->name);
  else
    snprintf(name, sizeof name, "q%s8-dwconv-%dp%uc-mul32", xs, (int)p->ksz, k.lanes);
  qcc_lower_set_kernel_info(L, name, k.lanes * 32, (uint32_t)tasks);
  qcc_lower_report(L, name);
  LLVMValueRef task = L->task ? L->task : qcc_cg_i64(cg, 0);
  LLVMValueRef lo = LLVMBuildSDiv(cg->b, mul_c(cg, task, rows), qcc_cg_i64(cg, tasks), "");
  LLVMValueRef hi = LLVMBuildSDiv(cg->b, mul_c(cg, add(cg, task, qcc_cg_i64(cg, 1)), rows),
                                  qcc_cg_i64(cg, tasks), "");
  qcc_cg_loop lr;
  LLVMValueRef row = qcc_cg_loop_begin(cg, &lr, lo, hi);
  k.n = LLVMBuildSDiv(cg->b, row, qcc_cg_i64(cg, p->out[0]), "");
  k.oh = LLVMBuildSRem(cg->b, row, qcc_cg_i64(cg, p->out[0]), "");
  int64_t h_lo, h_hi, w_lo, w_hi;
  interior_range(p, 0, &h_lo, &h_hi);
  interior_range(p, 1, &w_lo, &w_hi);
  if (h_lo < h_hi && w_lo < w_hi && !(p->always_inside[0] && p->always_inside[1])) {
    /* rows whose windows are all inside: border columns with selects, the others without */
    LLVMValueRef in_rows =
        LLVMBuildAnd(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGE, k.oh, qcc_cg_i64(cg, h_lo), ""),
                     LLVMBuildICmp(cg->b, LLVMIntSLT, k.oh, qcc_cg_i64(cg, h_hi), ""), "");
    qcc_cg_if ri;
    qcc_cg_if_begin(cg, &ri, in_rows);
    columns(&k, 0, w_lo, false);
    columns(&k, w_lo, w_hi, true);
    columns(&k, w_hi, p->out[1], false);
    qcc_cg_if_else(cg, &ri);
    columns(&k, 0, p->out[1], false);
    qcc_cg_if_end(cg, &ri);
  } else {
    columns(&k, 0, p->out[1], p->always_inside[0] && p->always_inside[1]);
  }
  lr.no_unroll = true;
  qcc_cg_loop_end(cg, &lr);
  *done = true;
  return QCC_OK;
}
