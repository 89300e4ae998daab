/* The specialized f32 convolution kernels (Conv and FusedConv, 1-D and 2-D, any group, stride,
 * dilation and padding, constant weights and bias, row-major operands), vectorized across
 * independent outputs at the target's width (16 f32 lanes with AVX-512, 8 with AVX2, 4 with SSE
 * and NEON). Each output element sees exactly the interpreter's operations: the bias (0 without
 * one), then acc = acc + w * x (fmul, fadd, no contraction) for the group's input channels in
 * order and each channel's taps in row-major order, taps outside the input skipped. Lanes are
 * independent outputs, so vectors change no result. Two layouts of the lanes:
 *
 * Output channels in lanes (the group's channels fill whole vectors): weights packed as
 * [group][vector of channels][input channel][tap][lane]; a block of up to `lanes` pixels times 1
 * or 2 channel vectors stays in registers while the input channels loop. Whether each tap of each
 * pixel lies inside the input is known at compile time, so outside taps are simply not emitted
 * (no masks); x is a broadcast scalar. The tile is transposed in registers (rows: channels), so
 * each channel's pixels are stored, and Z read, as consecutive elements.
 *
 * Output pixels in lanes (few channels: the 1-channel stem, depthwise): the plane of one (image,
 * output channel) is cut into vectors of consecutive pixels. For every vector and kernel tap the
 * compiler works out each lane's input offset and whether the tap is inside: a tap no lane sees
 * is left out, one whose lanes read consecutive elements is one (masked, at the border) vector
 * load, any other (strides, rows that wrap) one masked gather with constant indices. A lane
 * outside the input keeps its accumulator (a select, not an addition of w * 0: -0 + +0 would be
 * +0, and w * 0 is NaN for an infinite w). Weights are packed as [group][block of R output
 * channels][input channel][tap][R] (one broadcast load each).
 *
 * FusedConv's epilogue adds Z (same shape as the result) and applies Relu (x < 0 ? 0 : x, as
 * ir/ops/activation.c) in registers before the store. Tasks: ranges of images. Other convs take
 * conv.c's scalar loop nest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"
#include "ir/ops/window.h"

enum { MAX_LANES = 16, MAX_TAPS = 64, MAX_ACC = 32, MAX_TASKS = 64 };

typedef enum { TAP_SKIP, TAP_LOAD, TAP_GATHER } tap_kind;

typedef struct tap_plan {
  tap_kind kind;
  uint32_t live;          /* bit i: lane i reads inside the input */
  int64_t base;           /* TAP_LOAD: lane i reads base + i */
  int32_t idx[MAX_LANES]; /* TAP_GATHER: lane i reads idx[i] */
} tap_plan;

typedef struct fk {
  qcc_lower_ctx *L;
  qcc_cg_tensor x, y, z;
  bool has_z, relu;
  unsigned lanes, full;
  int64_t batch, c, m, cg, mg, groups, in_plane, plane, taps, vectors, r, blocks, chunk;
  bool oc_lanes;    /* output channels in lanes (else pixels) */
  int64_t j, pb;    /* oc lanes: vectors of channels and pixels per block */
  int32_t *pix_off; /* oc lanes: [pixel][tap] input offset, -1 outside */
  tap_plan *plan;   /* pixel lanes: [vector][tap] */
  LLVMValueRef w, bias, n;
  LLVMTypeRef vf;
} fk;

static unsigned lanes_of(const qcc_isa *isa) {
  if (isa->arch == QCC_ARCH_X86_64)
    return isa->avx512 ? 16 : isa->avx2 ? 8 : 4;
  return 4;
}

static unsigned acc_budget(const qcc_isa *isa) {
  if (isa->arch == QCC_ARCH_X86_64 && !isa->avx512)
    return 12; /* 16 registers */
  return 20;   /* 32 registers; more accumulators spill (x broadcasts shared between taps stay live)
                */
}

static bool row_major(const qcc_cg_tensor *t) {
  int64_t s = 1;
  for (int32_t d = t->rank - 1; d >= 0; --d) {
    if (t->dims[d] > 1 && t->strides[d] != s)
      return false;
    s *= t->dims[d];
  }
  return true;
}

static void make_plan(fk *k, const int64_t in[2], const int64_t out[2], const int64_t kern[2],
                      const int64_t stride[2], const int64_t dil[2], const int64_t pad[2]) {
  for (int64_t v = 0; v < k->vectors; ++v)
    for (int64_t ky = 0; ky < kern[0]; ++ky)
      for (int64_t kx = 0; kx < kern[1]; ++kx) {
        tap_plan *p = &k->plan[v * k->taps + ky * kern[1] + kx];
        memset(p, 0, sizeof *p);
        bool contiguous = true, first = true;
        for (unsigned i = 0; i < k->lanes; ++i) {
          int64_t pix = v * k->lanes + i;
          if (pix >= k->plane)
            continue;
          int64_t ih = pix / out[1] * stride[0] - pad[0] + ky * dil[0];
          int64_t iw = pix % out[1] * stride[1] - pad[1] + kx * dil[1];
          if (ih < 0 || ih >= in[0] || iw < 0 || iw >= in[1])
            continue;
          int64_t off = ih * in[1] + iw;
          p->live |= 1u << i;
          p->idx[i] = (int32_t)off;
          if (first)
            p->base = off - i;
          else if (off != p->base + (int64_t)i)
            contiguous = false;
          first = false;
        }
        p->kind = !p->live ? TAP_SKIP : contiguous ? TAP_LOAD : TAP_GATHER;
      }
}

static LLVMValueRef mask_of(fk *k, uint32_t live) {
  qcc_cg *cg = k->L->cg;
  LLVMValueRef bits[MAX_LANES];
  for (unsigned i = 0; i < k->lanes; ++i)
    bits[i] = qcc_cg_i1(cg, (live >> i) & 1);
  return LLVMConstVector(bits, k->lanes);
}

static LLVMValueRef intrinsic(qcc_cg *cg, const char *name, LLVMTypeRef *ov, unsigned nov,
                              LLVMValueRef *args, unsigned n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  return LLVMBuildCall2(cg->b, LLVMIntrinsicGetType(cg->ctx, id, ov, nov),
                        LLVMGetIntrinsicDeclaration(cg->mod, id, ov, nov), args, n, "");
}

static LLVMValueRef gep(qcc_cg *cg, LLVMValueRef p, LLVMValueRef off) {
  return LLVMBuildGEP2(cg->b, cg->f32, p, &off, 1, "");
}

/* The input vector of tap plan p from the channel's plane at xc (lanes outside read 0). */
/* Input channel ci of group g of image k->n: its plane in x (*xc) and its row of the packed
 * weights of block ob of the group, `width` weights per tap (*wp). */
static void channel_rows(fk *k, LLVMValueRef g, LLVMValueRef ob, LLVMValueRef ci, int64_t width,
                         LLVMValueRef *xc, LLVMValueRef *wp) {
  qcc_cg *cg = k->L->cg;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef chan = LLVMBuildNSWAdd(
      b, LLVMBuildNSWMul(b, k->n, qcc_cg_i64(cg, k->c), ""),
      LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, g, qcc_cg_i64(cg, k->cg), ""), ci, ""), "");
  *xc = gep(cg, k->x.base, LLVMBuildNSWMul(b, chan, qcc_cg_i64(cg, k->in_plane), ""));
  LLVMValueRef wrow = LLVMBuildNSWAdd(
      b,
      LLVMBuildNSWMul(
          b, LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, g, qcc_cg_i64(cg, k->blocks), ""), ob, ""),
          qcc_cg_i64(cg, k->cg), ""),
      ci, "");
  *wp = gep(cg, k->w, LLVMBuildNSWMul(b, wrow, qcc_cg_i64(cg, k->taps * width), ""));
}

static LLVMValueRef tap_input(fk *k, const tap_plan *p, LLVMValueRef xc) {
  qcc_cg *cg = k->L->cg;
  LLVMValueRef zero = LLVMConstNull(k->vf);
  if (p->kind == TAP_LOAD) {
    LLVMValueRef ptr = gep(cg, xc, qcc_cg_i64(cg, p->base));
    if (p->live == k->full) {
      LLVMValueRef v = LLVMBuildLoad2(cg->b, k->vf, ptr, "");
      LLVMSetAlignment(v, 4);
      return v;
    }
    LLVMValueRef args[4] = {ptr, qcc_cg_i32(cg, 4), mask_of(k, p->live), zero};
    LLVMTypeRef ov[2] = {k->vf, cg->ptr};
    return intrinsic(cg, "llvm.masked.load", ov, 2, args, 4);
  }
  LLVMValueRef idx[MAX_LANES];
  for (unsigned i = 0; i < k->lanes; ++i)
    idx[i] = qcc_cg_i32(cg, (p->live >> i) & 1 ? p->idx[i] : 0);
  LLVMValueRef iv = LLVMConstVector(idx, k->lanes);
  LLVMValueRef ptrs = LLVMBuildGEP2(cg->b, cg->f32, xc, &iv, 1, "");
  LLVMValueRef args[4] = {ptrs, qcc_cg_i32(cg, 4), mask_of(k, p->live), zero};
  LLVMTypeRef ov[2] = {k->vf, LLVMTypeOf(ptrs)};
  return intrinsic(cg, "llvm.masked.gather", ov, 2, args, 4);
}

/* One block of R output channels from oc0 (of group g, block ob) over vectors [v0, v0 + nv). */
static void block(fk *k, LLVMValueRef g, LLVMValueRef ob, int64_t v0, int64_t nv) {
  qcc_cg *cg = k->L->cg;
  LLVMBuilderRef b = cg->b;
  int64_t R = k->r;
  LLVMValueRef oc0 = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, g, qcc_cg_i64(cg, k->mg), ""),
                                     LLVMBuildNSWMul(b, ob, qcc_cg_i64(cg, R), ""), "");
  LLVMValueRef acc[MAX_ACC];
  for (int64_t r = 0; r < R; ++r) {
    LLVMValueRef bv = qcc_cg_f32(cg, 0.0f);
    if (k->bias)
      bv = qcc_lower_table_f32(k->L, k->bias, LLVMBuildNSWAdd(b, oc0, qcc_cg_i64(cg, r), ""));
    LLVMValueRef splat = qcc_cg_splat(cg, bv, k->lanes);
    for (int64_t v = 0; v < nv; ++v)
      acc[r * nv + v] = qcc_cg_var(cg, k->vf, splat);
  }
  qcc_cg_loop lc = {0};
  LLVMValueRef ci = qcc_cg_loop_n(cg, &lc, k->cg);
  LLVMValueRef xc, wp;
  channel_rows(k, g, ob, ci, R, &xc, &wp);
  LLVMValueRef cur[MAX_ACC];
  for (int64_t i = 0; i < R * nv; ++i)
    cur[i] = qcc_cg_get(cg, k->vf, acc[i]);
  for (int64_t t = 0; t < k->taps; ++t) {
    LLVMValueRef xv[MAX_ACC];
    bool any = false;
    for (int64_t v = 0; v < nv; ++v) {
      const tap_plan *p = &k->plan[(v0 + v) * k->taps + t];
      xv[v] = p->kind == TAP_SKIP ? NULL : tap_input(k, p, xc);
      any |= xv[v] != NULL;
    }
    if (!any)
      continue;
    for (int64_t r = 0; r < R; ++r) {
      LLVMValueRef wl = LLVMBuildLoad2(b, cg->f32, gep(cg, wp, qcc_cg_i64(cg, t * R + r)), "");
      LLVMSetAlignment(wl, 4);
      LLVMValueRef ws = qcc_cg_splat(cg, wl, k->lanes);
      for (int64_t v = 0; v < nv; ++v) {
        if (!xv[v])
          continue;
        const tap_plan *p = &k->plan[(v0 + v) * k->taps + t];
        LLVMValueRef *a = &cur[r * nv + v];
        LLVMValueRef s = LLVMBuildFAdd(b, *a, LLVMBuildFMul(b, ws, xv[v], ""), "");
        *a = p->live == k->full ? s : LLVMBuildSelect(b, mask_of(k, p->live), s, *a, "");
      }
    }
  }
  for (int64_t i = 0; i < R * nv; ++i)
    qcc_cg_set(cg, acc[i], cur[i]);
  qcc_cg_loop_end(cg, &lc);
  LLVMValueRef zero = LLVMConstNull(k->vf);
  for (int64_t r = 0; r < R; ++r) {
    LLVMValueRef row = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, k->n, qcc_cg_i64(cg, k->m), ""),
                                       LLVMBuildNSWAdd(b, oc0, qcc_cg_i64(cg, r), ""), "");
    LLVMValueRef rowoff = LLVMBuildNSWMul(b, row, qcc_cg_i64(cg, k->plane), "");
    for (int64_t v = 0; v < nv; ++v) {
      int64_t p0 = (v0 + v) * k->lanes;
      unsigned live = k->plane - p0 < (int64_t)k->lanes ? (unsigned)(k->plane - p0) : k->lanes;
      LLVMValueRef mask = live < k->lanes ? qcc_cg_lane_mask(cg, k->lanes, live) : NULL;
      LLVMValueRef off = LLVMBuildNSWAdd(b, rowoff, qcc_cg_i64(cg, p0), "");
      LLVMValueRef a = qcc_cg_get(cg, k->vf, acc[r * nv + v]);
      if (k->has_z)
        a = LLVMBuildFAdd(b, a, qcc_cg_load_lanes(cg, &k->z, off, k->lanes, mask), "");
      if (k->relu)
        a = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, a, zero, ""), zero, a, "");
      qcc_cg_store_lanes(cg, &k->y, off, a, mask);
    }
  }
}

/* ---- output channels in lanes ---- */

/* Transposes the n x n matrix of rows r[0..n) (n a power of 2) by swapping one bit of the row
 * and column indices per stage: two-source shuffles only. */
static void transpose(qcc_cg *cg, LLVMValueRef *r, unsigned n) {
  LLVMValueRef lo[MAX_LANES], hi[MAX_LANES];
  for (unsigned s = 1; s < n; s *= 2) {
    for (unsigned c = 0; c < n; ++c) {
      lo[c] = qcc_cg_i32(cg, (c & s) ? n + c - s : c);
      hi[c] = qcc_cg_i32(cg, (c & s) ? n + c : c + s);
    }
    LLVMValueRef mlo = LLVMConstVector(lo, n), mhi = LLVMConstVector(hi, n);
    for (unsigned i = 0; i < n; ++i) {
      if (i & s)
        continue;
      LLVMValueRef a = r[i], b = r[i + s];
      r[i] = LLVMBuildShuffleVector(cg->b, a, b, mlo, "");
      r[i + s] = LLVMBuildShuffleVector(cg->b, a, b, mhi, "");
    }
  }
}

/* Pixels [p0, p0 + np) of J = k->j channel vectors from oc0 (group g, vector block obj * J):
 * every tap of every pixel is known at compile time to be inside the input or not, so no
 * lane needs a mask; x is one broadcast scalar per (pixel, tap). */
static void oc_block(fk *k, LLVMValueRef g, LLVMValueRef obj, int64_t p0, int64_t np) {
  qcc_cg *cg = k->L->cg;
  LLVMBuilderRef b = cg->b;
  int64_t J = k->j, L = k->lanes;
  LLVMValueRef oc0 = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, g, qcc_cg_i64(cg, k->mg), ""),
                                     LLVMBuildNSWMul(b, obj, qcc_cg_i64(cg, J * L), ""), "");
  LLVMValueRef acc[MAX_ACC];
  for (int64_t j = 0; j < J; ++j) {
    LLVMValueRef bv = LLVMConstNull(k->vf);
    if (k->bias) {
      LLVMValueRef off = LLVMBuildNSWAdd(b, oc0, qcc_cg_i64(cg, j * L), "");
      bv = LLVMBuildLoad2(b, k->vf, gep(cg, k->bias, off), "");
      LLVMSetAlignment(bv, 4);
    }
    for (int64_t p = 0; p < np; ++p)
      acc[p * J + j] = qcc_cg_var(cg, k->vf, bv);
  }
  qcc_cg_loop lc = {0};
  LLVMValueRef ci = qcc_cg_loop_n(cg, &lc, k->cg);
  LLVMValueRef xc, wp;
  channel_rows(k, g, LLVMBuildNSWMul(b, obj, qcc_cg_i64(cg, J), ""), ci, L, &xc, &wp);
  LLVMValueRef cur[MAX_ACC];
  for (int64_t i = 0; i < np * J; ++i)
    cur[i] = qcc_cg_get(cg, k->vf, acc[i]);
  for (int64_t t = 0; t < k->taps; ++t) {
    LLVMValueRef wv[2];
    bool any = false;
    for (int64_t p = 0; p < np; ++p)
      any |= k->pix_off[(p0 + p) * k->taps + t] >= 0;
    if (!any)
      continue;
    for (int64_t j = 0; j < J; ++j) {
      wv[j] =
          LLVMBuildLoad2(b, k->vf, gep(cg, wp, qcc_cg_i64(cg, (j * k->cg * k->taps + t) * L)), "");
      LLVMSetAlignment(wv[j], 4);
    }
    for (int64_t p = 0; p < np; ++p) {
      int32_t off = k->pix_off[(p0 + p) * k->taps + t];
      if (off < 0)
        continue;
      LLVMValueRef xs = LLVMBuildLoad2(b, cg->f32, gep(cg, xc, qcc_cg_i64(cg, off)), "");
      LLVMSetAlignment(xs, 4);
      LLVMValueRef xv = qcc_cg_splat(cg, xs, k->lanes);
      for (int64_t j = 0; j < J; ++j)
        cur[p * J + j] = LLVMBuildFAdd(b, cur[p * J + j], LLVMBuildFMul(b, wv[j], xv, ""), "");
    }
  }
  for (int64_t i = 0; i < np * J; ++i)
    qcc_cg_set(cg, acc[i], cur[i]);
  qcc_cg_loop_end(cg, &lc);
  /* The tile of np pixels x L channels transposed in registers (rows: channels), so each
   * channel's pixels are stored (and Z read) as consecutive elements. */
  LLVMValueRef zero = LLVMConstNull(k->vf);
  LLVMValueRef mask = np < (int64_t)k->lanes ? qcc_cg_lane_mask(cg, k->lanes, (unsigned)np) : NULL;
  for (int64_t j = 0; j < J; ++j) {
    LLVMValueRef rows[MAX_LANES];
    for (int64_t p = 0; p < L; ++p)
      rows[p] = p < np ? qcc_cg_get(cg, k->vf, acc[p * J + j]) : zero;
    transpose(cg, rows, k->lanes);
    for (int64_t c = 0; c < L; ++c) {
      LLVMValueRef row =
          LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, k->n, qcc_cg_i64(cg, k->m), ""),
                          LLVMBuildNSWAdd(b, oc0, qcc_cg_i64(cg, j * L + c), ""), "");
      LLVMValueRef off = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, row, qcc_cg_i64(cg, k->plane), ""),
                                         qcc_cg_i64(cg, p0), "");
      LLVMValueRef a = rows[c];
      if (k->has_z)
        a = LLVMBuildFAdd(b, a, qcc_cg_load_lanes(cg, &k->z, off, k->lanes, mask), "");
      if (k->relu)
        a = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, a, zero, ""), zero, a, "");
      qcc_cg_store_lanes(cg, &k->y, off, a, mask);
    }
  }
}

static void oc_plan(fk *k, const int64_t in[2], const int64_t out[2], const int64_t kern[2],
                    const int64_t stride[2], const int64_t dil[2], const int64_t pad[2]) {
  for (int64_t pix = 0; pix < k->plane; ++pix)
    for (int64_t ky = 0; ky < kern[0]; ++ky)
      for (int64_t kx = 0; kx < kern[1]; ++kx) {
        int64_t ih = pix / out[1] * stride[0] - pad[0] + ky * dil[0];
        int64_t iw = pix % out[1] * stride[1] - pad[1] + kx * dil[1];
        bool inside = ih >= 0 && ih < in[0] && iw >= 0 && iw < in[1];
        k->pix_off[pix * k->taps + ky * kern[1] + kx] = inside ? (int32_t)(ih * in[1] + iw) : -1;
      }
}

static qcc_status pack(fk *k) {
  qcc_lower_ctx *L = k->L;
  int64_t nw = k->m * k->cg * k->taps;
  float *w = malloc((size_t)nw * sizeof *w), *p = malloc((size_t)nw * sizeof *p);
  float *bias = malloc((size_t)k->m * sizeof *bias);
  if (!w || !p || !bias) {
    free(w), free(p), free(bias);
    return qcc_lower_error(L, "out of memory");
  }
  qcc_status st = qcc_lower_const_floats(L, 1, nw, w, "the weights");
  if (st == QCC_OK && k->bias)
    st = qcc_lower_const_floats(L, 2, k->m, bias, "the bias");
  if (st == QCC_OK) {
    for (int64_t oc = 0; oc < k->m; ++oc) {
      int64_t g = oc / k->mg, ob = oc % k->mg / k->r, r = oc % k->r;
      for (int64_t ci = 0; ci < k->cg; ++ci)
        for (int64_t t = 0; t < k->taps; ++t)
          p[(((g * k->blocks + ob) * k->cg + ci) * k->taps + t) * k->r + r] =
              w[(oc * k->cg + ci) * k->taps + t];
    }
    k->w = qcc_lower_float_table(L, p, nw);
    if (k->bias)
      k->bias = qcc_lower_float_table(L, bias, k->m);
  }
  free(w), free(p), free(bias);
  return st;
}

qcc_status qcc_lower_conv_float(qcc_lower_ctx *L, bool *done) {
  *done = false;
  const qcc_op *op = L->op;
  qcc_cg *cg = L->cg;
  fk k;
  memset(&k, 0, sizeof k);
  k.L = L;
  qcc_cg_tensor wt, bt;
  qcc_lower_operand(L, 0, &k.x);
  qcc_lower_operand(L, 1, &wt);
  bool has_bias = qcc_lower_operand(L, 2, &bt);
  qcc_lower_result(L, 0, &k.y);
  bool fused = qcc_op_is(op, QCC_OP_FusedConv);
  k.has_z = fused && qcc_lower_operand(L, 3, &k.z);
  const char *act = fused ? qcc_op_attr_string(op, "activation") : "";
  k.relu = strcmp(act, "Relu") == 0;
  if (!k.relu && act[0])
    return QCC_OK; /* conv.c reports it */
  const qcc_value *wv = qcc_op_operand(op, 1), *bv = qcc_op_operand(op, 2);
  if (k.x.elem != QCC_F32 || wt.elem != QCC_F32 || k.y.elem != QCC_F32 || !qcc_value_const(wv) ||
      (has_bias && (bt.elem != QCC_F32 || !qcc_value_const(bv))) ||
      (k.has_z && k.z.elem != QCC_F32) || (k.x.rank != 3 && k.x.rank != 4) || wt.rank != k.x.rank ||
      !row_major(&k.x) || !row_major(&k.y) ||
      (k.has_z && (!row_major(&k.z) || memcmp(k.z.dims, k.y.dims, sizeof k.y.dims) != 0)))
    return QCC_OK;
  int32_t nsp = k.x.rank - 2;
  qcc_conv_geom geom;
  if (!qcc_conv_geom_read(&geom, op, &qcc_window_rules_float, nsp, wt.dims + 2))
    return QCC_OK;
  qcc_window3 n3;
  int64_t out[3];
  if (!qcc_window_expand3(&geom.w, &qcc_window_rules_float, k.x.dims + 2, false, &n3, out))
    return QCC_OK;
  /* n3 right-aligns the spatial dims to 3: [1] is H (1 for a 1-D conv), [2] is W. */
  int64_t in[2] = {nsp == 2 ? k.x.dims[2] : 1, k.x.dims[k.x.rank - 1]};
  int64_t o2[2] = {nsp == 2 ? out[0] : 1, out[nsp - 1]};
  int64_t kern[2], stride[2], dil[2], pad[2];
  for (int d = 0; d < 2; ++d) {
    bool real = d == 1 || nsp == 2;
    kern[d] = real ? n3.kernel[1 + d] : 1;
    stride[d] = real ? n3.stride[1 + d] : 1;
    dil[d] = real ? n3.dilation[1 + d] : 1;
    pad[d] = real ? n3.pad_begin[1 + d] : 0;
  }
  k.batch = k.x.dims[0];
  k.c = k.x.dims[1];
  k.m = wt.dims[0];
  k.cg = wt.dims[1];
  k.groups = geom.group;
  if (k.m % k.groups != 0 || k.c != k.cg * k.groups || k.y.dims[1] != k.m)
    return QCC_OK;
  k.mg = k.m / k.groups;
  k.in_plane = in[0] * in[1];
  k.plane = o2[0] * o2[1];
  k.taps = kern[0] * kern[1];
  k.lanes = lanes_of(L->isa);
  k.full = k.lanes == 32 ? ~0u : (1u << k.lanes) - 1;
  k.vectors = (k.plane + k.lanes - 1) / k.lanes;
  if (k.taps > MAX_TAPS || k.plane == 0 || k.batch == 0 || k.cg == 0 || k.in_plane > INT32_MAX ||
      k.vectors * k.taps > 8192)
    return QCC_OK;
  unsigned budget = acc_budget(L->isa);
  k.oc_lanes = k.mg % k.lanes == 0 && k.plane * k.taps <= 16384;
  if (k.oc_lanes) {
    k.r = k.lanes;
    k.blocks = k.mg / k.lanes;
    k.j = k.blocks % 2 == 0 ? 2 : 1;
    int64_t pmax = budget / k.j < k.lanes ? budget / k.j : k.lanes;
    int64_t nblk = (k.plane + pmax - 1) / pmax;
    k.pb = (k.plane + nblk - 1) / nblk;
    k.pix_off = malloc((size_t)(k.plane * k.taps) * sizeof *k.pix_off);
    if (!k.pix_off)
      return qcc_lower_error(L, "out of memory");
    oc_plan(&k, in, o2, kern, stride, dil, pad);
  } else {
    k.chunk = k.vectors <= budget ? k.vectors : budget / 4;
    int64_t rmax = budget / k.chunk;
    for (k.r = rmax < k.mg ? rmax : k.mg; k.mg % k.r != 0; --k.r)
      ;
    k.blocks = k.mg / k.r;
    k.plan = malloc((size_t)(k.vectors * k.taps) * sizeof *k.plan);
    if (!k.plan)
      return qcc_lower_error(L, "out of memory");
    make_plan(&k, in, o2, kern, stride, dil, pad);
  }
  k.bias = has_bias ? (LLVMValueRef)1 : NULL; /* replaced by the table in pack */
  qcc_status st = pack(&k);
  if (st != QCC_OK) {
    free(k.plan), free(k.pix_off);
    return st;
  }
  *done = true;
  k.vf = LLVMVectorType(cg->f32, k.lanes);
  int64_t tasks = k.batch < MAX_TASKS ? k.batch : MAX_TASKS;
  char name[96];
  if (k.oc_lanes)
    snprintf(name, sizeof name, "f32-conv-%lldx%lld-%lldoc%lldpx%s%s", (long long)kern[0],
             (long long)kern[1], (long long)(k.j * k.lanes), (long long)k.pb, k.has_z ? "-add" : "",
             k.relu ? "-relu" : "");
  else
    snprintf(name, sizeof name, "f32-conv-%lldx%lld-%upx%lldoc%s%s", (long long)kern[0],
             (long long)kern[1], k.lanes, (long long)k.r, k.has_z ? "-add" : "",
             k.relu ? "-relu" : "");
  qcc_lower_set_kernel_info(L, name, k.lanes * 32, (uint32_t)tasks);
  qcc_lower_report(L, name);
  LLVMBuilderRef b = cg->b;
  LLVMValueRef task = L->task ? L->task : qcc_cg_i64(cg, 0);
  LLVMValueRef lo = LLVMBuildSDiv(b, LLVMBuildNSWMul(b, task, qcc_cg_i64(cg, k.batch), ""),
                                  qcc_cg_i64(cg, tasks), "");
  LLVMValueRef hi =
      LLVMBuildSDiv(b,
                    LLVMBuildNSWMul(b, LLVMBuildNSWAdd(b, task, qcc_cg_i64(cg, 1), ""),
                                    qcc_cg_i64(cg, k.batch), ""),
                    qcc_cg_i64(cg, tasks), "");
  qcc_cg_loop ln = {0};
  k.n = qcc_cg_loop_begin(cg, &ln, lo, hi);
  for (int64_t p0 = 0; k.oc_lanes && p0 < k.plane; p0 += k.pb) {
    qcc_cg_loop lg = {0}, lb = {0};
    LLVMValueRef g = qcc_cg_loop_n(cg, &lg, k.groups);
    LLVMValueRef obj = qcc_cg_loop_n(cg, &lb, k.blocks / k.j);
    oc_block(&k, g, obj, p0, k.plane - p0 < k.pb ? k.plane - p0 : k.pb);
    qcc_cg_loop_end(cg, &lb);
    qcc_cg_loop_end(cg, &lg);
  }
  for (int64_t v0 = 0; !k.oc_lanes && v0 < k.vectors; v0 += k.chunk) {
    int64_t nv = k.vectors - v0 < k.chunk ? k.vectors - v0 : k.chunk;
    qcc_cg_loop lg = {0}, lb = {0};
    LLVMValueRef g = qcc_cg_loop_n(cg, &lg, k.groups);
    LLVMValueRef ob = qcc_cg_loop_n(cg, &lb, k.blocks);
    block(&k, g, ob, v0, nv);
    qcc_cg_loop_end(cg, &lb);
    qcc_cg_loop_end(cg, &lg);
  }
  qcc_cg_loop_end(cg, &ln);
  free(k.plan), free(k.pix_off);
  return QCC_OK;
}
