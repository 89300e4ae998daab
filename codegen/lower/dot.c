#include "codegen/lower/dot.h"

#include <string.h>

static const qcc_dot dots[] = {
    {QCC_DOT_VPDPBUSD512, "vpdpbusd512", 16, 4, false, false, 32, 512, 1, 16},
    {QCC_DOT_VPDPBUSD256, "vpdpbusd256", 8, 4, false, false, 16, 256, 1, 8},
    {QCC_DOT_VPMADDWD, "vpmaddwd", 8, 2, true, false, 16, 256, 1, 8},
    {QCC_DOT_VPMADDUBSW, "vpmaddubsw", 8, 4, false, false, 16, 256, 1, 8},
    {QCC_DOT_USDOT, "usdot", 4, 4, false, false, 32, 128, 1, 4},
    {QCC_DOT_SDOT, "sdot", 4, 4, false, true, 32, 128, 1, 4},
    {QCC_DOT_GENERIC, "generic", 4, 2, true, false, 16, 128, 1, 4},
    {QCC_DOT_USMMLA, "usmmla", 4, 8, false, false, 32, 128, 2, 2},
    {QCC_DOT_SMMLA, "smmla", 4, 8, false, true, 32, 128, 2, 2},
};

const qcc_dot *qcc_dot_choose(const qcc_isa *isa, qcc_elem x, bool w_fits8, int64_t rows) {
  qcc_dot_kind k = QCC_DOT_GENERIC;
  if (isa->arch == QCC_ARCH_X86_64) {
    if (w_fits8 && isa->avx512vnni)
      k = QCC_DOT_VPDPBUSD512;
    else if (w_fits8 && isa->avxvnni)
      k = QCC_DOT_VPDPBUSD256;
    else if (isa->avx2)
      k = QCC_DOT_VPMADDWD;
  } else if (isa->arch == QCC_ARCH_AARCH64 && w_fits8) {
    if (isa->i8mm && rows > 1)
      k = x == QCC_I8 ? QCC_DOT_SMMLA : QCC_DOT_USMMLA;
    else if (isa->i8mm && x == QCC_U8)
      k = QCC_DOT_USDOT;
    else if (isa->dotprod)
      k = QCC_DOT_SDOT;
  }
  for (size_t i = 0; i < sizeof dots / sizeof dots[0]; ++i)
    if (dots[i].kind == k)
      return &dots[i];
  return &dots[sizeof dots / sizeof dots[0] - 1];
}

const qcc_dot *qcc_dot_maddubs(const qcc_isa *isa, bool w_fits8) {
  if (isa->arch != QCC_ARCH_X86_64 || !isa->avx2 || !w_fits8 || isa->avx512vnni || isa->avxvnni)
    return NULL;
  for (size_t i = 0; i < sizeof dots / sizeof dots[0]; ++i)
    if (dots[i].kind == QCC_DOT_VPMADDUBSW)
      return &dots[i];
  return NULL;
}

bool qcc_dot_pair_fits(int32_t w0, int32_t w1) {
  int32_t pos = (w0 > 0 ? w0 : 0) + (w1 > 0 ? w1 : 0);
  int32_t neg = (w0 < 0 ? -w0 : 0) + (w1 < 0 ? -w1 : 0);
  return pos <= 128 && neg <= 128;
}

/* Moves the excess of the same-signed parts over 128 into the correction, larger part first. */
static void split_side(int32_t w[2], int32_t corr[2], int32_t sign) {
  int32_t a = w[0] * sign > 0 ? w[0] * sign : 0, b = w[1] * sign > 0 ? w[1] * sign : 0;
  int32_t excess = a + b - 128;
  if (excess <= 0)
    return;
  int first = a >= b ? 0 : 1, second = 1 - first;
  int32_t part[2] = {a, b};
  int32_t take = excess < part[first] ? excess : part[first];
  w[first] -= sign * take, corr[first] += sign * take;
  excess -= take;
  w[second] -= sign * excess, corr[second] += sign * excess;
}

void qcc_dot_pair_split(int32_t w0, int32_t w1, int32_t main[2], int32_t corr[2]) {
  main[0] = w0, main[1] = w1, corr[0] = 0, corr[1] = 0;
  split_side(main, corr, 1);
  split_side(main, corr, -1);
}

uint8_t qcc_dot_x_xor(const qcc_dot *d, qcc_elem x) {
  if (d->w16)
    return 0;
  bool x_signed = x == QCC_I8;
  return x_signed == d->x_signed ? 0 : 0x80;
}

int32_t qcc_dot_x_offset(const qcc_dot *d, qcc_elem x) {
  if (!qcc_dot_x_xor(d, x))
    return 0;
  return x == QCC_U8 ? -128 : 128;
}

static LLVMValueRef call(qcc_cg *cg, const char *name, LLVMTypeRef *overloads, size_t n_over,
                         LLVMValueRef *args, unsigned n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMValueRef fn = LLVMGetIntrinsicDeclaration(cg->mod, id, overloads, n_over);
  LLVMTypeRef ft = LLVMIntrinsicGetType(cg->ctx, id, overloads, n_over);
  return LLVMBuildCall2(cg->b, ft, fn, args, n, "");
}

static LLVMValueRef byte_at(qcc_cg *cg, LLVMValueRef p, unsigned k) {
  LLVMValueRef off = qcc_cg_i64(cg, k);
  return LLVMBuildLoad2(cg->b, cg->i8, LLVMBuildInBoundsGEP2(cg->b, cg->i8, p, &off, 1, ""), "");
}

/* One activation widened to i16 as the sequence's i16 operand (u8 zero-, i8 sign-extended). */
static LLVMValueRef widen16(qcc_cg *cg, LLVMValueRef byte, qcc_elem x) {
  return x == QCC_I8 ? LLVMBuildSExt(cg->b, byte, cg->i16, "")
                     : LLVMBuildZExt(cg->b, byte, cg->i16, "");
}

LLVMValueRef qcc_dot_activation(qcc_cg *cg, const qcc_dot *d, qcc_elem x, LLVMValueRef p,
                                unsigned valid) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef word; /* the kc elements as one i32 */
  if (d->w16) {
    LLVMValueRef lo, hi;
    if (valid >= 2) {
      LLVMValueRef pair = LLVMBuildLoad2(b, cg->i16, p, "");
      LLVMSetAlignment(pair, 1);
      lo = LLVMBuildTrunc(b, pair, cg->i8, "");
      hi = LLVMBuildTrunc(b, LLVMBuildLShr(b, pair, LLVMConstInt(cg->i16, 8, 0), ""), cg->i8, "");
      hi = widen16(cg, hi, x);
    } else {
      lo = byte_at(cg, p, 0);
      hi = LLVMConstInt(cg->i16, 0, 0);
    }
    lo = widen16(cg, lo, x);
    LLVMValueRef lo32 = LLVMBuildZExt(b, lo, cg->i32, "");
    LLVMValueRef hi32 = LLVMBuildShl(b, LLVMBuildZExt(b, hi, cg->i32, ""), qcc_cg_i32(cg, 16), "");
    word = LLVMBuildOr(b, lo32, hi32, "");
  } else {
    if (valid >= 4) {
      word = LLVMBuildLoad2(b, cg->i32, p, "");
      LLVMSetAlignment(word, 1);
    } else {
      word = qcc_cg_i32(cg, 0);
      for (unsigned k = 0; k < valid; ++k) {
        LLVMValueRef v = LLVMBuildZExt(b, byte_at(cg, p, k), cg->i32, "");
        word = LLVMBuildOr(b, word, LLVMBuildShl(b, v, qcc_cg_i32(cg, 8 * k), ""), "");
      }
    }
    uint8_t xr = qcc_dot_x_xor(d, x);
    if (xr)
      word = LLVMBuildXor(b, word, qcc_cg_i32(cg, (int64_t)(xr * 0x01010101u)), "");
  }
  LLVMValueRef v = qcc_cg_splat(cg, word, d->lanes);
  if (d->kind == QCC_DOT_VPDPBUSD512 || d->kind == QCC_DOT_VPDPBUSD256)
    return v;
  LLVMTypeRef t =
      d->w16 ? LLVMVectorType(cg->i16, d->lanes * 2) : LLVMVectorType(cg->i8, d->lanes * 4);
  return LLVMBuildBitCast(b, v, t, "");
}

/* kc (8) bytes at p as an i64, only the first `valid` read. */
static LLVMValueRef bytes8(qcc_cg *cg, LLVMValueRef p, unsigned valid) {
  LLVMBuilderRef b = cg->b;
  if (valid >= 8) {
    LLVMValueRef v = LLVMBuildLoad2(b, cg->i64, p, "");
    LLVMSetAlignment(v, 1);
    return v;
  }
  LLVMValueRef v = qcc_cg_i64(cg, 0);
  for (unsigned k = 0; k < valid; ++k) {
    LLVMValueRef e = LLVMBuildZExt(b, byte_at(cg, p, k), cg->i64, "");
    v = LLVMBuildOr(b, v, LLVMBuildShl(b, e, qcc_cg_i64(cg, 8 * k), ""), "");
  }
  return v;
}

LLVMValueRef qcc_dot_activation_pair(qcc_cg *cg, const qcc_dot *d, qcc_elem x, LLVMValueRef p0,
                                     LLVMValueRef p1, unsigned valid) {
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef v2 = LLVMVectorType(cg->i64, 2);
  LLVMValueRef v = LLVMGetUndef(v2);
  v = LLVMBuildInsertElement(b, v, bytes8(cg, p0, valid), qcc_cg_i32(cg, 0), "");
  v = LLVMBuildInsertElement(b, v, bytes8(cg, p1, valid), qcc_cg_i32(cg, 1), "");
  uint8_t xr = qcc_dot_x_xor(d, x);
  if (xr)
    v = LLVMBuildXor(b, v,
                     qcc_cg_like(cg, v, qcc_cg_i64(cg, (int64_t)(xr * 0x0101010101010101ull))), "");
  return LLVMBuildBitCast(b, v, LLVMVectorType(cg->i8, 16), "");
}

LLVMValueRef qcc_dot_weights(qcc_cg *cg, const qcc_dot *d, LLVMValueRef p) {
  LLVMTypeRef t = d->kind == QCC_DOT_VPDPBUSD512 || d->kind == QCC_DOT_VPDPBUSD256
                      ? LLVMVectorType(cg->i32, d->lanes)
                  : d->w16 ? LLVMVectorType(cg->i16, d->lanes * 2)
                           : LLVMVectorType(cg->i8, d->lanes * 4);
  LLVMValueRef v = LLVMBuildLoad2(cg->b, t, p, "");
  LLVMSetAlignment(v, d->lanes * 4); /* a whole vector of the packed panel */
  return v;
}

/* Portable pairwise i16 products: sext, multiply, add even and odd lanes. */
static LLVMValueRef generic_madd(qcc_cg *cg, const qcc_dot *d, LLVMValueRef x, LLVMValueRef w) {
  LLVMBuilderRef b = cg->b;
  unsigned n = d->lanes;
  LLVMTypeRef wide = LLVMVectorType(cg->i32, 2 * n);
  LLVMValueRef prod =
      LLVMBuildMul(b, LLVMBuildSExt(b, x, wide, ""), LLVMBuildSExt(b, w, wide, ""), "");
  LLVMValueRef even[32], odd[32];
  for (unsigned i = 0; i < n; ++i) {
    even[i] = qcc_cg_i32(cg, 2 * i);
    odd[i] = qcc_cg_i32(cg, 2 * i + 1);
  }
  LLVMValueRef pe =
      LLVMBuildShuffleVector(b, prod, LLVMGetUndef(wide), LLVMConstVector(even, n), "");
  LLVMValueRef po =
      LLVMBuildShuffleVector(b, prod, LLVMGetUndef(wide), LLVMConstVector(odd, n), "");
  return LLVMBuildAdd(b, pe, po, "");
}

LLVMValueRef qcc_dot_step(qcc_cg *cg, const qcc_dot *d, LLVMValueRef acc, LLVMValueRef x,
                          LLVMValueRef w) {
  LLVMValueRef args[3] = {acc, x, w};
  LLVMTypeRef over[2] = {LLVMVectorType(cg->i32, 4), LLVMVectorType(cg->i8, 16)};
  switch (d->kind) {
  case QCC_DOT_VPDPBUSD512: return call(cg, "llvm.x86.avx512.vpdpbusd.512", NULL, 0, args, 3);
  case QCC_DOT_VPDPBUSD256: return call(cg, "llvm.x86.avx512.vpdpbusd.256", NULL, 0, args, 3);
  case QCC_DOT_VPMADDWD:
    return LLVMBuildAdd(cg->b, acc, call(cg, "llvm.x86.avx2.pmadd.wd", NULL, 0, args + 1, 2), "");
  case QCC_DOT_VPMADDUBSW: {
    LLVMValueRef pairs[2] = {call(cg, "llvm.x86.avx2.pmadd.ub.sw", NULL, 0, args + 1, 2),
                             qcc_cg_splat(cg, LLVMConstInt(cg->i16, 1, 0), 16)};
    return LLVMBuildAdd(cg->b, acc, call(cg, "llvm.x86.avx2.pmadd.wd", NULL, 0, pairs, 2), "");
  }
  case QCC_DOT_USDOT: return call(cg, "llvm.aarch64.neon.usdot", over, 2, args, 3);
  case QCC_DOT_SDOT: return call(cg, "llvm.aarch64.neon.sdot", over, 2, args, 3);
  case QCC_DOT_USMMLA: return call(cg, "llvm.aarch64.neon.usmmla", over, 2, args, 3);
  case QCC_DOT_SMMLA: return call(cg, "llvm.aarch64.neon.smmla", over, 2, args, 3);
  case QCC_DOT_GENERIC: break;
  }
  return LLVMBuildAdd(cg->b, acc, generic_madd(cg, d, x, w), "");
}
