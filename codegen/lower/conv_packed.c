/* The packed NHWC convolution micro-kernel (group 1, 2-D, channels contiguous in the input and
 * the result): an implicit GEMM whose tile is MR output pixels x NB vectors of output channels,
 * held in registers, reduced over every kernel tap and every group of `kc` input channels with
 * the target's int8 dot-product sequence (codegen/lower/dot.h), then requantized and stored in
 * the epilogue without the int32 values ever going through memory.
 *
 * Compile-time preparation (the contract of the kernel's name, `qu8-conv-MRxNc<kc>-<sequence>`):
 *  - w' = w - w_zp[m] packed as [channel group][tap][K group][NB][lanes][kc]: one aligned vector
 *    load per block and K group, in the order the loop reads them; padding lanes and channels 0;
 *  - bias'[m] = bias[m] - (x_zp + x_offset) * sum(w'[m]) (wrapping int32, as the accumulators),
 *    so the activations enter the dot products raw (XOR x_xor) and exactly;
 *  - a row of x_zp bytes that taps in the padding read instead of the input: x_zp - x_zp = 0, so
 *    no tap is skipped and no branch sits in the reduction.
 * With vpmaddubsw (AVX2; its i16 pair sums saturate) each pair of input channels (c, c+1), c
 * even, of a tap is split w' = main + corr with main within qcc_dot_pair_fits: the panel holds
 * main, so the main reduction is exact. The corrections, nonzero only for the pairs outside the
 * bound, form a sparse table per (channel group, block): entries (kh, kw, c) with their lanes'
 * i16 pairs, applied exactly with vpmaddwd on the same activation operand (x XOR x_xor, widened)
 * by a run-time loop after the main reduction, which recomputes that tap's pointers. The bias
 * fold uses the whole w', so the sums are those of the exact sequences (wrapping int32 sums of
 * exact products do not depend on their order). The name gets "+corr" when a table is not empty.
 * The output channels are split into groups of NB vectors; (group, range of pixel tiles) pairs
 * are the kernel's tasks, run on the runtime's thread pool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/lower/dot.h"
#include "codegen/lower/qlinear_conv.h"
#include "codegen/module.h"

enum { MAX_MR = 12, MAX_NB = 4 };

typedef struct packed {
  qcc_lower_ctx *L;
  const qcc_conv_params *p;
  const qcc_conv_epilogue *epi;
  const qcc_dot *d;
  int64_t mr, nb, groups, ck_full, c_tail, ck, pixels, tiles, tail, chunks;
  /* Row mode (few input channels, e.g. an RGB stem): the taps of one kernel row are one K
   * dimension of KW * C contiguous bytes, so K groups do not end at every tap. */
  bool rowk;
  int64_t taps, kdim;   /* reduction as taps x kdim: ksz x C, or KH x (KW * C) in row mode */
  LLVMValueRef scratch; /* row mode: per row, a window row assembled at the image border */
  int64_t panel;        /* elements of packed weights per channel group */
  LLVMValueRef w, bias, mult, zprow;
  int64_t entries, slots;                       /* vpmaddubsw corrections, (g, b, tap, pair)s */
  LLVMValueRef corr_start, corr_meta, corr_vec; /* [groups*nb+1] i32, [entries][3] i32, i16 */
  LLVMTypeRef acc_t;
  /* tile state */
  bool flat; /* pointwise conv on dense pixels: a pixel's offsets are linear in its flat index */
  LLVMValueRef grp, p0, pix_n[MAX_MR], pix_oh[MAX_MR], pix_ow[MAX_MR];
  LLVMValueRef pix_h[MAX_MR], pix_w[MAX_MR], xptr[MAX_MR]; /* window origins, tap pointers */
  LLVMValueRef acc[MAX_MR][MAX_NB];
} packed;

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Register tile: NB vectors of channels, the count (up to 4) that pads the output channels
 * least (96 = 2 x 48 rather than 2 x 64), and as many pixels as the registers left hold
 * (accumulators + NB weights + one activation + one spare). */
static void choose_tile(packed *k) {
  const qcc_dot *d = k->d;
  int64_t m = k->p->m_out;
  if (d->acc_rows == 2) { /* 2x2 tiles: 4 pixel pairs x NB channel pairs (2 or 4) */
    k->nb = ceil_div(m, 2) > 2 ? 4 : 2;
    k->mr = 8;
    return;
  }
  int64_t need = ceil_div(m, d->lanes), best_pad = -1;
  for (int64_t nb = MAX_NB; nb >= 1; --nb) {
    if (nb > need)
      continue;
    int64_t block = nb * d->lanes, pad = ceil_div(m, block) * block - m;
    if (best_pad < 0 || pad < best_pad)
      best_pad = pad, k->nb = nb;
  }
  int64_t spare = d->kind == QCC_DOT_VPMADDUBSW ? 3 : 2; /* + the i16 ones and a pair sum */
  k->mr = ((int64_t)d->regs - k->nb - spare) / k->nb;
  if (k->mr * k->nb > 27)
    k->mr = 27 / k->nb;
  if (k->mr > MAX_MR)
    k->mr = MAX_MR;
  if (k->mr > k->pixels) /* a gemm of one row: no rows recomputing it */
    k->mr = k->pixels;
  if (k->mr < 1)
    k->mr = 1;
}

/* vpmaddubsw: the pairs of w' split into main (in `w`, bytes in panel order) and the dense
 * corrections [groups][nb][tap][pair][lanes][2] (i16), counted into k->entries and k->slots;
 * NULL when out of memory. `w` may be NULL (only count). */
static int16_t *split_pairs(packed *k, uint8_t *w) {
  const qcc_conv_params *p = k->p;
  int64_t cols = k->d->acc_cols, kc = k->d->kc, block = k->nb * cols;
  int64_t groups = ceil_div(p->m_out, block), ck = ceil_div(p->cg, kc), pairs = ceil_div(p->cg, 2);
  int64_t slots = groups * k->nb * p->ksz * pairs;
  int16_t *corr = calloc((size_t)(slots ? slots : 1) * (size_t)cols * 2, sizeof *corr);
  if (!corr)
    return NULL;
  for (int64_t m = 0; m < p->m_out; ++m) {
    int64_t g = m / block, b = (m % block) / cols, col = m % cols;
    for (int64_t t = 0; t < p->ksz; ++t)
      for (int64_t c = 0; c < p->cg; c += 2) {
        const int16_t *row = p->w + (m * p->ksz + t) * p->cg;
        int32_t main[2], cr[2];
        qcc_dot_pair_split(row[c], c + 1 < p->cg ? row[c + 1] : 0, main, cr);
        int64_t slot = ((g * k->nb + b) * p->ksz + t) * pairs + c / 2;
        for (int64_t j = 0; j < 2 && c + j < p->cg; ++j) {
          corr[(slot * cols + col) * 2 + j] = (int16_t)cr[j];
          int64_t cj = c + j;
          int64_t i = ((((g * p->ksz + t) * ck + cj / kc) * k->nb + b) * cols + col) * kc + cj % kc;
          if (w)
            w[i] = (uint8_t)(int8_t)main[j];
        }
      }
  }
  k->entries = 0;
  k->slots = slots;
  for (int64_t s = 0; s < slots; ++s) {
    bool any = false;
    for (int64_t j = 0; j < cols * 2; ++j)
      any |= corr[s * cols * 2 + j] != 0;
    k->entries += any;
  }
  return corr;
}

/* The correction tables of the nonzero slots of `corr` (see split_pairs). */
static qcc_status correction_tables(packed *k, const int16_t *corr) {
  qcc_lower_ctx *L = k->L;
  const qcc_conv_params *p = k->p;
  int64_t cols = k->d->acc_cols, pairs = ceil_div(p->cg, 2), lists = k->groups * k->nb;
  int32_t *start = calloc((size_t)lists + 1, sizeof *start);
  int32_t *meta = calloc((size_t)(k->entries ? k->entries : 1) * 3, sizeof *meta);
  int16_t *vec = calloc((size_t)(k->entries ? k->entries : 1) * (size_t)cols * 2, sizeof *vec);
  if (!start || !meta || !vec) {
    free(start), free(meta), free(vec);
    return qcc_lower_error(L, "out of memory");
  }
  int64_t e = 0;
  for (int64_t s = 0; s < k->slots; ++s) {
    const int16_t *v = corr + s * cols * 2;
    bool any = false;
    for (int64_t j = 0; j < cols * 2; ++j)
      any |= v[j] != 0;
    if (!any)
      continue;
    int64_t pair = s % pairs, t = (s / pairs) % p->ksz, list = s / pairs / p->ksz;
    start[list + 1] += 1;
    meta[e * 3] = (int32_t)(t / p->kernel[1]);
    meta[e * 3 + 1] = (int32_t)(t % p->kernel[1]);
    meta[e * 3 + 2] = (int32_t)(2 * pair);
    memcpy(vec + e * cols * 2, v, (size_t)cols * 2 * sizeof *vec);
    ++e;
  }
  for (int64_t i = 0; i < lists; ++i)
    start[i + 1] += start[i];
  k->corr_start = qcc_lower_int_table(L, start, lists + 1);
  k->corr_meta = qcc_lower_int_table(L, meta, k->entries ? k->entries * 3 : 1);
  k->corr_vec = qcc_cg_const_bytes(L->cg, "weight_corrections", vec,
                                   (size_t)(k->entries ? k->entries : 1) * (size_t)cols * 4, 64);
  free(start), free(meta), free(vec);
  return QCC_OK;
}

static qcc_status pack(packed *k) {
  qcc_lower_ctx *L = k->L;
  const qcc_conv_params *p = k->p;
  const qcc_dot *d = k->d;
  int64_t cols = d->acc_cols, kc = d->kc, block = k->nb * cols;
  k->groups = ceil_div(p->m_out, block);
  k->taps = k->rowk ? p->kernel[0] : p->ksz;
  k->kdim = k->rowk ? p->kernel[1] * p->cg : p->cg;
  k->ck_full = k->kdim / kc;
  k->c_tail = k->kdim % kc;
  k->ck = ceil_div(k->kdim, kc);
  k->panel = k->taps * k->ck * block * kc;
  int64_t total = k->groups * k->panel, mp = k->groups * block;
  size_t esize = d->w16 ? 2 : 1;
  uint8_t *w = calloc((size_t)(total ? total : 1), esize);
  int32_t *bias = calloc((size_t)mp, sizeof *bias);
  float *mult = calloc((size_t)mp, sizeof *mult);
  uint8_t *zp = malloc((size_t)(k->ck * kc));
  if (!w || !bias || !mult || !zp) {
    free(w), free(bias), free(mult), free(zp);
    return qcc_lower_error(L, "out of memory");
  }
  int32_t xzp = p->x_zp + qcc_dot_x_offset(d, p->x.elem);
  for (int64_t m = 0; m < p->m_out; ++m) {
    int64_t g = m / block, b = (m % block) / cols, col = m % cols;
    uint32_t sum = 0;
    for (int64_t t = 0; t < p->ksz; ++t)
      for (int64_t c = 0; c < p->cg; ++c) {
        int16_t v = p->w[(m * p->ksz + t) * p->cg + c];
        sum += (uint32_t)(int32_t)v;
        int64_t te = k->rowk ? t / p->kernel[1] : t; /* the tap and K index in the panel */
        int64_t ce = k->rowk ? (t % p->kernel[1]) * p->cg + c : c;
        int64_t i =
            ((((g * k->taps + te) * k->ck + ce / kc) * k->nb + b) * cols + col) * kc + ce % kc;
        if (d->w16)
          memcpy(w + 2 * i, &v, 2);
        else
          w[i] = (uint8_t)(int8_t)v;
      }
    bias[m] = (int32_t)((uint32_t)p->bias[m] - (uint32_t)xzp * sum);
    mult[m] = p->mult[m];
  }
  if (d->kind == QCC_DOT_VPMADDUBSW) { /* the panel gets the main parts */
    int16_t *corr = split_pairs(k, w);
    qcc_status st = corr ? correction_tables(k, corr) : qcc_lower_error(L, "out of memory");
    free(corr);
    if (st != QCC_OK) {
      free(w), free(bias), free(mult), free(zp);
      return st;
    }
  }
  memset(zp, (uint8_t)p->x_zp, (size_t)(k->ck * kc));
  k->w = qcc_cg_const_bytes(L->cg, "packed_weights", w, (size_t)total * esize, 64);
  k->bias = qcc_lower_int_table(L, bias, mp);
  k->mult = qcc_lower_float_table(L, mult, mp);
  k->zprow = qcc_cg_const_bytes(L->cg, "zero_point_row", zp, (size_t)(k->ck * kc), 64);
  free(w), free(bias), free(mult), free(zp);
  return QCC_OK;
}

static LLVMValueRef mul_c(qcc_cg *cg, LLVMValueRef v, int64_t c) {
  return c == 1 ? v : LLVMBuildNSWMul(cg->b, v, qcc_cg_i64(cg, c), "");
}
static LLVMValueRef add(qcc_cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildNSWAdd(cg->b, a, b, "");
}
static LLVMValueRef gep(qcc_cg *cg, LLVMTypeRef t, LLVMValueRef p, LLVMValueRef off) {
  return LLVMBuildInBoundsGEP2(cg->b, t, p, &off, 1, "");
}

/* One K group of every pixel and block: the activations at c_off of each pixel's tap pointer. */
static void k_group(packed *k, LLVMValueRef wtap, LLVMValueRef c4, int64_t rows, unsigned valid) {
  qcc_cg *cg = k->L->cg;
  const qcc_dot *d = k->d;
  int64_t vec = (int64_t)d->acc_cols * d->kc;
  LLVMTypeRef wt = d->w16 ? cg->i16 : cg->i8;
  LLVMValueRef wv[MAX_NB];
  LLVMValueRef wrow = mul_c(cg, c4, k->nb * vec);
  for (int64_t b = 0; b < k->nb; ++b)
    wv[b] = qcc_dot_weights(cg, d, gep(cg, wt, wtap, add(cg, wrow, qcc_cg_i64(cg, b * vec))));
  LLVMValueRef c_off = mul_c(cg, c4, d->kc);
  for (int64_t r = 0; r * d->acc_rows < rows; ++r) {
    LLVMValueRef xo;
    if (d->acc_rows == 2) { /* pixels 2r and 2r+1 (the zero-point row past the tile's end) */
      LLVMValueRef p1 = 2 * r + 1 < rows ? k->xptr[2 * r + 1] : k->zprow;
      xo = qcc_dot_activation_pair(cg, d, k->p->x.elem, gep(cg, cg->i8, k->xptr[2 * r], c_off),
                                   gep(cg, cg->i8, p1, c_off), valid);
    } else {
      xo = qcc_dot_activation(cg, d, k->p->x.elem, gep(cg, cg->i8, k->xptr[r], c_off), valid);
    }
    for (int64_t b = 0; b < k->nb; ++b) {
      LLVMValueRef a = qcc_cg_get(cg, k->acc_t, k->acc[r][b]);
      qcc_cg_set(cg, k->acc[r][b], qcc_dot_step(cg, d, a, xo, wv[b]));
    }
  }
}

static void tap_pointers(packed *k, LLVMValueRef kh, LLVMValueRef kw, int64_t rows);

/* The vpmaddubsw corrections of block b (after the main reduction): for each entry of the
 * (group, b) list, the tap's pointers, then per row acc += vpmaddwd(x' pair at c widened, the
 * entry's i16 pairs). Both channels of an entry exist: the last pair of an odd channel count
 * is (w, 0), within the bound for any i8 w, so it never needs a correction. */
static void corrections(packed *k, int64_t b, int64_t rows) {
  qcc_cg *cg = k->L->cg;
  LLVMBuilderRef bld = cg->b;
  const qcc_conv_params *p = k->p;
  LLVMValueRef list = add(cg, mul_c(cg, k->grp, k->nb), qcc_cg_i64(cg, b));
  LLVMValueRef lo = LLVMBuildSExt(bld, qcc_lower_table_i32(k->L, k->corr_start, list), cg->i64, "");
  LLVMValueRef hi = LLVMBuildSExt(
      bld, qcc_lower_table_i32(k->L, k->corr_start, add(cg, list, qcc_cg_i64(cg, 1))), cg->i64, "");
  qcc_cg_loop le;
  LLVMValueRef e = qcc_cg_loop_begin(cg, &le, lo, hi);
  LLVMValueRef at[3];
  for (int64_t j = 0; j < 3; ++j)
    at[j] = LLVMBuildSExt(
        bld, qcc_lower_table_i32(k->L, k->corr_meta, add(cg, mul_c(cg, e, 3), qcc_cg_i64(cg, j))),
        cg->i64, "");
  tap_pointers(k, at[0], at[1], rows);
  LLVMTypeRef v16 = LLVMVectorType(cg->i16, 16);
  LLVMValueRef wv = LLVMBuildLoad2(bld, v16, gep(cg, v16, k->corr_vec, e), "");
  LLVMSetAlignment(wv, 32);
  LLVMValueRef c1 = add(cg, at[2], qcc_cg_i64(cg, 1));
  uint8_t xr = qcc_dot_x_xor(k->d, p->x.elem);
  for (int64_t r = 0; r < rows; ++r) {
    LLVMValueRef p0 = gep(cg, cg->i8, k->xptr[r], at[2]), p1 = gep(cg, cg->i8, k->xptr[r], c1);
    LLVMValueRef word = NULL;
    LLVMValueRef ptrs[2] = {p0, p1};
    for (int j = 0; j < 2; ++j) {
      LLVMValueRef v = LLVMBuildLoad2(bld, cg->i8, ptrs[j], "");
      if (xr)
        v = LLVMBuildXor(bld, v, LLVMConstInt(cg->i8, xr, 0), "");
      v = LLVMBuildZExt(bld, v, cg->i32, "");
      word = j ? LLVMBuildOr(bld, word, LLVMBuildShl(bld, v, qcc_cg_i32(cg, 16), ""), "") : v;
    }
    LLVMValueRef xv = LLVMBuildBitCast(bld, qcc_cg_splat(cg, word, 8), v16, "");
    LLVMValueRef args[2] = {xv, wv};
    unsigned id = LLVMLookupIntrinsicID("llvm.x86.avx2.pmadd.wd", 22);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(cg->mod, id, NULL, 0);
    LLVMValueRef prod =
        LLVMBuildCall2(bld, LLVMIntrinsicGetType(cg->ctx, id, NULL, 0), fn, args, 2, "");
    LLVMValueRef a = qcc_cg_get(cg, k->acc_t, k->acc[r][b]);
    qcc_cg_set(cg, k->acc[r][b], LLVMBuildAdd(bld, a, prod, ""));
  }
  qcc_cg_loop_end(cg, &le);
}

/* Pointers of the rows' input pixels at tap (kh, kw): the pixel, or the zero-point row. */
static void tap_pointers(packed *k, LLVMValueRef kh, LLVMValueRef kw, int64_t rows) {
  qcc_cg *cg = k->L->cg;
  const qcc_conv_params *p = k->p;
  const qcc_cg_tensor *x = &p->x;
  LLVMValueRef dh = mul_c(cg, kh, p->dil[0]), dw = mul_c(cg, kw, p->dil[1]);
  for (int64_t r = 0; r < rows; ++r) {
    LLVMValueRef ih = add(cg, k->pix_h[r], dh), iw = add(cg, k->pix_w[r], dw);
    LLVMValueRef off = add(cg, mul_c(cg, k->pix_n[r], x->strides[0]),
                           add(cg, mul_c(cg, ih, x->strides[2]), mul_c(cg, iw, x->strides[3])));
    /* not inbounds: a tap in the padding computes an address outside x, then selects the row */
    LLVMValueRef ptr = LLVMBuildGEP2(cg->b, cg->i8, x->base, &off, 1, "");
    LLVMValueRef inside = NULL;
    if (!p->always_inside[0])
      inside = qcc_cg_in_range(cg, ih, 0, p->in[0]);
    if (!p->always_inside[1]) {
      LLVMValueRef in_w = qcc_cg_in_range(cg, iw, 0, p->in[1]);
      inside = inside ? LLVMBuildAnd(cg->b, inside, in_w, "") : in_w;
    }
    k->xptr[r] = inside ? LLVMBuildSelect(cg->b, inside, ptr, k->zprow, "") : ptr;
  }
}

/* The accumulators of row r, channels [v * n, (v + 1) * n) of the group as one <n x i32>: for
 * the dot products block v itself, for the 2x2 matrix products (one vector per row) the row's
 * halves of every channel pair's tile, gathered by shuffles. */
static LLVMValueRef row_vector(packed *k, int64_t r, int64_t v) {
  qcc_cg *cg = k->L->cg;
  if (k->d->acc_rows == 1)
    return qcc_cg_get(cg, k->acc_t, k->acc[r][v]);
  int64_t i = r % 2;
  LLVMValueRef part[MAX_NB / 2];
  for (int64_t q = 0; q < k->nb / 2; ++q) { /* pairs 2q, 2q+1 -> 4 channels */
    LLVMValueRef a = qcc_cg_get(cg, k->acc_t, k->acc[r / 2][2 * q]);
    LLVMValueRef b = qcc_cg_get(cg, k->acc_t, k->acc[r / 2][2 * q + 1]);
    LLVMValueRef sel[4] = {qcc_cg_i32(cg, 2 * i), qcc_cg_i32(cg, 2 * i + 1),
                           qcc_cg_i32(cg, 4 + 2 * i), qcc_cg_i32(cg, 5 + 2 * i)};
    part[q] = LLVMBuildShuffleVector(cg->b, a, b, LLVMConstVector(sel, 4), "");
  }
  if (k->nb == 2)
    return part[0];
  LLVMValueRef cat[8];
  for (unsigned j = 0; j < 8; ++j)
    cat[j] = qcc_cg_i32(cg, j);
  return LLVMBuildShuffleVector(cg->b, part[0], part[1], LLVMConstVector(cat, 8), "");
}

/* Row mode: the pointer of each row's window row kh, i.e. KW * C bytes from (ih, iw0): the input
 * itself when the window row lies inside it, the zero-point row when ih is outside, else the
 * row's scratch filled pixel by pixel (the input, or x_zp bytes in the padding). */
static void row_pointers(packed *k, LLVMValueRef kh, int64_t rows) {
  qcc_cg *cg = k->L->cg;
  const qcc_conv_params *p = k->p;
  const qcc_cg_tensor *x = &p->x;
  int64_t c = p->cg, kw_n = p->kernel[1], span = k->ck * k->d->kc;
  LLVMValueRef dh = mul_c(cg, kh, p->dil[0]);
  for (int64_t r = 0; r < rows; ++r) {
    LLVMValueRef ih = add(cg, k->pix_h[r], dh), iw0 = k->pix_w[r];
    LLVMValueRef row = add(cg, mul_c(cg, k->pix_n[r], x->strides[0]), mul_c(cg, ih, x->strides[2]));
    LLVMValueRef off = add(cg, row, mul_c(cg, iw0, x->strides[3]));
    LLVMValueRef ptr = LLVMBuildGEP2(cg->b, cg->i8, x->base, &off, 1, "");
    LLVMValueRef row_in = p->always_inside[0] ? NULL : qcc_cg_in_range(cg, ih, 0, p->in[0]);
    if (!p->always_inside[1]) {
      /* iw0 >= 0 and iw0 + KW <= W: one unsigned compare */
      LLVMValueRef whole = qcc_cg_in_range(cg, iw0, 0, p->in[1] - kw_n + 1);
      LLVMValueRef sidx = qcc_cg_i64(cg, r * span);
      LLVMValueRef scratch = gep(cg, cg->i8, k->scratch, sidx);
      LLVMValueRef need = LLVMBuildNot(cg->b, whole, "");
      if (row_in)
        need = LLVMBuildAnd(cg->b, need, row_in, "");
      qcc_cg_if fill;
      qcc_cg_if_begin(cg, &fill, need);
      for (int64_t kw = 0; kw < kw_n; ++kw) {
        LLVMValueRef iw = add(cg, iw0, qcc_cg_i64(cg, kw));
        LLVMValueRef src_off = add(cg, row, mul_c(cg, iw, x->strides[3]));
        LLVMValueRef src = LLVMBuildGEP2(cg->b, cg->i8, x->base, &src_off, 1, "");
        src = LLVMBuildSelect(cg->b, qcc_cg_in_range(cg, iw, 0, p->in[1]), src, k->zprow, "");
        LLVMBuildMemCpy(cg->b, gep(cg, cg->i8, scratch, qcc_cg_i64(cg, kw * c)), 1, src, 1,
                        qcc_cg_i64(cg, c));
      }
      qcc_cg_if_end(cg, &fill);
      ptr = LLVMBuildSelect(cg->b, whole, ptr, scratch, "");
    }
    k->xptr[r] = row_in ? LLVMBuildSelect(cg->b, row_in, ptr, k->zprow, "") : ptr;
  }
}

/* Requantizes and stores the tile's rows; `live` channels of the group exist (compile time). */
static void epilogue(packed *k, int64_t rows, int64_t live) {
  qcc_lower_ctx *L = k->L;
  qcc_cg *cg = L->cg;
  const qcc_conv_params *p = k->p;
  bool mmla = k->d->acc_rows == 2;
  unsigned lanes = mmla ? (unsigned)(k->nb * 2) : k->d->lanes;
  int64_t vectors = mmla ? 1 : k->nb;
  LLVMTypeRef v32 = LLVMVectorType(cg->i32, lanes), vf = LLVMVectorType(cg->f32, lanes);
  LLVMValueRef m_base = mul_c(cg, k->grp, k->nb * k->d->acc_cols);
  for (int64_t r = 0; r < rows; ++r) {
    qcc_cg_if real;
    bool guard = k->tail && r > 0;
    if (guard)
      qcc_cg_if_begin(cg, &real,
                      LLVMBuildICmp(cg->b, LLVMIntSLT, add(cg, k->p0, qcc_cg_i64(cg, r)),
                                    qcc_cg_i64(cg, k->pixels), ""));
    for (int64_t b = 0; b < vectors; ++b) {
      int64_t have = live - b * (int64_t)lanes;
      if (have <= 0)
        break;
      LLVMValueRef mask = have >= lanes ? NULL : qcc_cg_lane_mask(cg, lanes, (unsigned)have);
      LLVMValueRef m0 = add(cg, m_base, qcc_cg_i64(cg, b * lanes));
      LLVMValueRef mult = LLVMBuildLoad2(cg->b, vf, gep(cg, cg->f32, k->mult, m0), "");
      LLVMSetAlignment(mult, 4);
      LLVMValueRef acc = row_vector(k, r, b);
      if (mmla) { /* the 2x2 tiles start at 0 (see tile) */
        LLVMValueRef bias = LLVMBuildLoad2(cg->b, v32, gep(cg, cg->i32, k->bias, m0), "");
        LLVMSetAlignment(bias, 4);
        acc = LLVMBuildAdd(cg->b, acc, bias, "");
      }
      LLVMValueRef idx[4] = {k->pix_n[r], m0, k->pix_oh[r], k->pix_ow[r]};
      if (p->float_out) {
        LLVMValueRef f = LLVMBuildFMul(cg->b, LLVMBuildSIToFP(cg->b, acc, vf, ""), mult, "");
        qcc_cg_store_lanes(cg, &p->y, qcc_cg_offset(cg, &p->y, idx), f, mask);
        continue;
      }
      LLVMValueRef y = qcc_cg_requantize(cg, acc, mult, p->y_zp, p->r);
      if (k->epi && k->epi->apply)
        y = k->epi->apply(L, k->epi, y, idx, mask);
      qcc_cg_store_lanes(cg, &p->y, qcc_cg_offset(cg, &p->y, idx),
                         qcc_cg_from_i32(cg, y, p->y.elem), mask);
    }
    if (guard)
      qcc_cg_if_end(cg, &real);
  }
}

/* One tile: `rows` output pixels from flat pixel index p0 (over n, oh, ow), every tap, every
 * K group, then the epilogue (two versions when the last channel group is partial). */
static void tile(packed *k, LLVMValueRef p0, int64_t rows) {
  qcc_cg *cg = k->L->cg;
  const qcc_conv_params *p = k->p;
  const qcc_dot *d = k->d;
  int64_t oh = p->out[0], ow = p->out[1];
  k->p0 = p0;
  for (int64_t r = 0; r < rows; ++r) {
    /* Past the last pixel (the last tile of a partial count) a row recomputes the last pixel;
     * its epilogue does not run. */
    LLVMValueRef pix = add(cg, p0, qcc_cg_i64(cg, r));
    if (k->tail && r > 0)
      pix = qcc_cg_smin(cg, pix, qcc_cg_i64(cg, k->pixels - 1));
    if (k->flat) { /* (0, 0, pix) addresses the same element as (n, oh, ow) */
      k->pix_n[r] = k->pix_oh[r] = k->pix_h[r] = qcc_cg_i64(cg, 0);
      k->pix_ow[r] = k->pix_w[r] = pix;
      continue;
    }
    LLVMValueRef hw = qcc_cg_i64(cg, oh * ow), w = qcc_cg_i64(cg, ow);
    k->pix_n[r] = LLVMBuildSDiv(cg->b, pix, hw, "");
    LLVMValueRef rem = LLVMBuildSRem(cg->b, pix, hw, "");
    k->pix_oh[r] = LLVMBuildSDiv(cg->b, rem, w, "");
    k->pix_ow[r] = LLVMBuildSRem(cg->b, rem, w, "");
    k->pix_h[r] =
        LLVMBuildSub(cg->b, mul_c(cg, k->pix_oh[r], p->stride[0]), qcc_cg_i64(cg, p->pad[0]), "");
    k->pix_w[r] =
        LLVMBuildSub(cg->b, mul_c(cg, k->pix_ow[r], p->stride[1]), qcc_cg_i64(cg, p->pad[1]), "");
  }
  /* one accumulator per pixel: it starts at bias' (saves an add per vector in the epilogue);
   * the matrix products' 2x2 tiles start at 0 and add bias' in the epilogue */
  LLVMValueRef m_base = mul_c(cg, k->grp, k->nb * d->acc_cols);
  for (int64_t r = 0; r * d->acc_rows < rows; ++r)
    for (int64_t b = 0; b < k->nb; ++b) {
      LLVMValueRef init = LLVMConstNull(k->acc_t);
      if (d->acc_rows == 1) {
        init = LLVMBuildLoad2(
            cg->b, k->acc_t,
            gep(cg, cg->i32, k->bias, add(cg, m_base, qcc_cg_i64(cg, b * d->lanes))), "");
        LLVMSetAlignment(init, 4);
      }
      qcc_cg_set(cg, k->acc[r][b], init);
    }
  LLVMTypeRef wt = d->w16 ? cg->i16 : cg->i8;
  LLVMValueRef wgrp = gep(cg, wt, k->w, mul_c(cg, k->grp, k->panel));
  int64_t tap_elems = k->ck * k->nb * d->acc_cols * d->kc;
  qcc_cg_loop lh, lw = {0}, lc;
  LLVMValueRef kh = qcc_cg_loop_n(cg, &lh, p->kernel[0]), tap = kh;
  if (k->rowk) {
    row_pointers(k, kh, rows);
  } else {
    LLVMValueRef kw = qcc_cg_loop_n(cg, &lw, p->kernel[1]);
    tap_pointers(k, kh, kw, rows);
    tap = add(cg, mul_c(cg, kh, p->kernel[1]), kw);
  }
  LLVMValueRef wtap = gep(cg, wt, wgrp, mul_c(cg, tap, tap_elems));
  if (k->ck_full) {
    LLVMValueRef c4 = qcc_cg_loop_n(cg, &lc, k->ck_full);
    k_group(k, wtap, c4, rows, d->kc);
    lc.no_unroll = true; /* already 10-30 vector instructions per iteration */
    qcc_cg_loop_end(cg, &lc);
  }
  if (k->c_tail)
    k_group(k, wtap, qcc_cg_i64(cg, k->ck_full), rows, (unsigned)k->c_tail);
  lw.no_unroll = lh.no_unroll = true; /* one copy of the reduction per tile shape */
  if (!k->rowk)
    qcc_cg_loop_end(cg, &lw);
  qcc_cg_loop_end(cg, &lh);
  if (k->entries)
    for (int64_t b = 0; b < k->nb; ++b)
      corrections(k, b, rows);
  int64_t block = k->nb * d->acc_cols, last_live = p->m_out - (k->groups - 1) * block;
  if (last_live == block || k->groups == 1) {
    epilogue(k, rows, last_live);
    return;
  }
  qcc_cg_if last;
  qcc_cg_if_begin(cg, &last,
                  LLVMBuildICmp(cg->b, LLVMIntEQ, k->grp, qcc_cg_i64(cg, k->groups - 1), ""));
  epilogue(k, rows, last_live);
  qcc_cg_if_else(cg, &last);
  epilogue(k, rows, block);
  qcc_cg_if_end(cg, &last);
}

/* Whether the NCHW-indexed tensor t of spatial size h x w has its pixels at one stride: element
 * (n, c, y, x) at n * s0 + y * s2 + x * s3 = (n * h * w + y * w + x) * s3 + c * s1. */
static bool dense_pixels(const qcc_cg_tensor *t, int64_t h, int64_t w) {
  return t->rank == 4 && t->strides[2] == w * t->strides[3] && t->strides[0] == h * t->strides[2];
}

/* Tasks: (channel group, chunk of pixel tiles); about 2^18 multiply-adds at least per task, and
 * no more than 64 tasks, so that a pool of any size balances and small layers stay whole. */
static void choose_tasks(packed *k) {
  const qcc_conv_params *p = k->p;
  int64_t macs = k->pixels * p->m_out * p->cg * p->ksz;
  int64_t want = macs >> 18;
  want = want < 1 ? 1 : want > 64 ? 64 : want;
  int64_t chunks = ceil_div(want, k->groups);
  k->chunks = chunks > k->tiles ? k->tiles : chunks;
}

/* vpmaddubsw with its corrections rather than vpmaddwd: per layer on this Zen 5 (one thread,
 * -mcpu=x86-64-v3, min of 6 processes) a layer without corrections takes ~0.65x the vpmaddwd
 * time and each % of corrected pair slots adds ~0.05x, so the break-even is near 6-8%: at most
 * 1/16 of the slots (docs/codegen.md). QCC_MADDUBS=on|off|FRACTION overrides the rule (an
 * experiment hook). */
static bool maddubs_pays(const packed *u) {
  const char *e = getenv("QCC_MADDUBS");
  if (e && strcmp(e, "on") == 0)
    return true;
  if (e && strcmp(e, "off") == 0)
    return false;
  if (e && *e) /* a fraction of the slots */
    return (double)u->entries <= atof(e) * (double)u->slots;
  return u->entries * 16 <= u->slots;
}

/* The kernel's line of `--stats` (codegen.c prints the module's "qcc.stats" strings): the
 * micro-kernel and, where vpmaddubsw was a candidate, how many of its pair slots need a
 * correction. */
static void report(packed *k, const char *name, const packed *u) {
  char line[256];
  int n = snprintf(line, sizeof line, "%s", name);
  if (u && n > 0 && (size_t)n < sizeof line)
    snprintf(line + n, sizeof line - (size_t)n,
             "; vpmaddubsw pair slots needing a correction: %lld of %lld (%.1f%%)",
             (long long)u->entries, (long long)u->slots,
             u->slots ? 100.0 * (double)u->entries / (double)u->slots : 0.0);
  qcc_lower_report(k->L, line);
}

qcc_status qcc_lower_conv_packed(qcc_lower_ctx *L, const qcc_conv_params *p,
                                 const qcc_conv_epilogue *epi, bool *done) {
  *done = false;
  if (p->group != 1 || p->nsp != 2 || p->x.strides[1] != 1 || p->y.strides[1] != 1 ||
      (epi && epi->apply && !epi->lanes_contiguous) || p->m_out == 0 || p->cg == 0)
    return QCC_OK;
  qcc_cg *cg = L->cg;
  packed k = {.L = L, .p = p, .epi = epi};
  k.pixels = p->x.dims[0] * p->out[0] * p->out[1];
  k.d = qcc_dot_choose(L->isa, p->x.elem, p->w_fits8, k.pixels);
  choose_tile(&k);
  const qcc_dot *ub = k.d->kind == QCC_DOT_VPMADDWD ? qcc_dot_maddubs(L->isa, p->w_fits8) : NULL;
  packed u = k;
  if (ub) {
    u.d = ub;
    choose_tile(&u);
    int16_t *corr = split_pairs(&u, NULL);
    if (!corr)
      return qcc_lower_error(L, "out of memory");
    free(corr);
    if (maddubs_pays(&u))
      k = u;
  }
  if (k.pixels == 0) {
    *done = true;
    return QCC_OK;
  }
  k.tiles = ceil_div(k.pixels, k.mr); /* the last one partial when k.tail */
  k.tail = k.pixels % k.mr;
  /* Row mode when C leaves a partial K group at every tap and a window row is contiguous (not
   * with vpmaddubsw, whose pairs and corrections are per tap). */
  k.rowk = p->cg % k.d->kc != 0 && p->kernel[1] > 1 && p->dil[1] == 1 && p->x.strides[3] == p->cg &&
           p->kernel[1] * p->cg <= 256 && k.d->kind != QCC_DOT_VPMADDUBSW;
  bool pointwise = true;
  for (int d = 0; d < 2; ++d)
    pointwise = pointwise && p->kernel[d] == 1 && p->stride[d] == 1 && p->pad[d] == 0;
  k.flat = pointwise && dense_pixels(&p->x, p->in[0], p->in[1]) &&
           dense_pixels(&p->y, p->out[0], p->out[1]) &&
           (!epi || !epi->operand || dense_pixels(epi->operand, p->out[0], p->out[1]));
  qcc_status st = pack(&k);
  if (st != QCC_OK)
    return st;
  choose_tasks(&k);
  k.acc_t = LLVMVectorType(cg->i32, k.d->lanes);
  for (int64_t r = 0; r * k.d->acc_rows < k.mr; ++r)
    for (int64_t b = 0; b < k.nb; ++b)
      k.acc[r][b] = qcc_cg_var(cg, k.acc_t, NULL);
  if (k.rowk)
    k.scratch = qcc_cg_var(cg, LLVMArrayType2(cg->i8, (uint64_t)(k.mr * k.ck * k.d->kc)), NULL);
  char name[96];
  snprintf(name, sizeof name, "q%s8-%s-%dx%dc%u%s%s-%s", p->x.elem == QCC_U8 ? "u" : "s",
           p->what ? p->what : "conv", (int)k.mr, (int)(k.nb * k.d->acc_cols), k.d->kc,
           k.rowk ? "-rows" : "", k.entries ? "+corr" : "", k.d->name);
  report(&k, name, ub ? &u : NULL);
  qcc_lower_set_kernel_info(L, name, k.d->vec_bits, (uint32_t)(k.groups * k.chunks));
  /* task -> (group, chunk); the chunk's tiles [lo, hi) */
  LLVMValueRef task = L->task ? L->task : qcc_cg_i64(cg, 0);
  LLVMValueRef chunks = qcc_cg_i64(cg, k.chunks);
  k.grp = LLVMBuildSDiv(cg->b, task, chunks, "");
  LLVMValueRef chunk = LLVMBuildSRem(cg->b, task, chunks, "");
  LLVMValueRef tiles = qcc_cg_i64(cg, k.tiles);
  LLVMValueRef lo = LLVMBuildSDiv(cg->b, LLVMBuildNSWMul(cg->b, chunk, tiles, ""), chunks, "");
  LLVMValueRef hi = LLVMBuildSDiv(
      cg->b, LLVMBuildNSWMul(cg->b, add(cg, chunk, qcc_cg_i64(cg, 1)), tiles, ""), chunks, "");
  qcc_cg_loop lt;
  LLVMValueRef t = qcc_cg_loop_begin(cg, &lt, lo, hi);
  tile(&k, mul_c(cg, t, k.mr), k.mr);
  lt.no_unroll = true;
  qcc_cg_loop_end(cg, &lt);
  *done = true;
  return QCC_OK;
}
