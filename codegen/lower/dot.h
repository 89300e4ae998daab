/* The int8 dot-product instruction sequences the packed kernels are built on, one per instruction
 * set, each with the contract its name states (XNNPACK-style): accumulator lanes per vector, K
 * elements per lane per instruction, operand types. Every sequence is exact (int32 wrapping
 * accumulation of exact products), so every one computes the same bits.
 *
 *   vpdpbusd512  AVX-512 VNNI, zmm: 16 lanes, 4 u8 x s8 products per lane
 *   vpdpbusd256  AVX-VNNI or AVX-512 VNNI+VL, ymm: 8 lanes, 4 u8 x s8
 *   vpmaddwd     AVX2, ymm: 8 lanes, 2 i16 x i16 products (operands widened to i16)
 *   vpmaddubsw   AVX2, ymm: 8 lanes, 4 u8 x s8 products as two saturating i16 pair sums
 *                (bytes 0,1 and 2,3 of a lane) widened by vpmaddwd with ones; exact only for
 *                weight pairs within qcc_dot_pair_fits (conv_packed.c splits the others into
 *                an exact i16 correction)
 *   usdot        AArch64 i8mm: 4 lanes, 4 u8 x s8
 *   sdot         AArch64 dotprod: 4 lanes, 4 s8 x s8 (u8 activations shifted by -128)
 *   usmmla       AArch64 i8mm, u8 activations: a 2x8 (u8) by 8x2 (s8) matrix product per
 *                instruction, the accumulator a 2x2 tile [p0c0 p0c1 p1c0 p1c1] of two pixels
 *   smmla        the same for i8 activations (s8 x s8)
 *   generic      any target: 4 lanes, 2 i16 x i16 in portable vector IR
 *
 * The activation operand of a byte sequence is the raw code XOR x_xor (u8 <-> s8 by flipping the
 * top bit: v + 128 or v - 128); the kernel folds -(x_zp + x_offset) * sum(w') into its bias, so
 * sum((x' ) * w') - (x_zp + x_offset) * sum(w') = sum((x - x_zp) * w') exactly. */
#ifndef QCC_CODEGEN_LOWER_DOT_H
#define QCC_CODEGEN_LOWER_DOT_H

#include "codegen/emit.h"
#include "codegen/isa.h"

typedef enum {
  QCC_DOT_VPDPBUSD512,
  QCC_DOT_VPDPBUSD256,
  QCC_DOT_VPMADDWD,
  QCC_DOT_VPMADDUBSW,
  QCC_DOT_USDOT,
  QCC_DOT_SDOT,
  QCC_DOT_GENERIC,
  QCC_DOT_USMMLA,
  QCC_DOT_SMMLA,
} qcc_dot_kind;

typedef struct qcc_dot {
  qcc_dot_kind kind;
  const char *name;
  unsigned lanes;    /* i32 accumulators per vector */
  unsigned kc;       /* K elements per lane per instruction */
  bool w16;          /* weights and activations as i16 (kc 2) */
  bool x_signed;     /* the byte activation operand is signed */
  unsigned regs;     /* vector registers of the target */
  unsigned vec_bits; /* vector width, for the function's min-legal-vector-width */
  unsigned acc_rows; /* pixels per accumulator: 1, or 2 for the matrix products */
  unsigned acc_cols; /* channels per accumulator: lanes, or 2 for the matrix products */
} qcc_dot;

/* The fastest exact sequence of the target for activations of type x and `rows` pixels (one row
 * would waste half of every matrix product); w_fits8: every w' is in [-128, 127] (else i16). */
const qcc_dot *qcc_dot_choose(const qcc_isa *isa, qcc_elem x, bool w_fits8, int64_t rows);
/* The saturating AVX2 byte sequence (vpmaddubsw) when the target has AVX2 and the exact choice
 * would be vpmaddwd on i8 weights; NULL otherwise. The caller proves exactness per pair. */
const qcc_dot *qcc_dot_maddubs(const qcc_isa *isa, bool w_fits8);
/* With the activation operand in [0, 255], x0 * w0 + x1 * w1 stays in int16 for every x iff the
 * positive parts of (w0, w1) sum to at most 128 and the negative parts too (255 * 128 = 32640). */
bool qcc_dot_pair_fits(int32_t w0, int32_t w1);
/* Splits the pair w into main + corr with main within qcc_dot_pair_fits (corr 0 when w already
 * is), taking the excess from the larger part first. */
void qcc_dot_pair_split(int32_t w0, int32_t w1, int32_t main[2], int32_t corr[2]);
/* The byte XOR applied to activations of type `x` and the value it adds to them (+128, -128, 0). */
uint8_t qcc_dot_x_xor(const qcc_dot *d, qcc_elem x);
int32_t qcc_dot_x_offset(const qcc_dot *d, qcc_elem x);

/* The activation operand for one K group: the `kc` elements at p (all valid), or only the first
 * `valid` of them (the rest as 0) without reading beyond them. */
LLVMValueRef qcc_dot_activation(qcc_cg *cg, const qcc_dot *d, qcc_elem x, LLVMValueRef p,
                                unsigned valid);
/* The matrix-product operand of two pixels: kc bytes at p0 (row 0) and at p1 (row 1), only the
 * first `valid` of each read. */
LLVMValueRef qcc_dot_activation_pair(qcc_cg *cg, const qcc_dot *d, qcc_elem x, LLVMValueRef p0,
                                     LLVMValueRef p1, unsigned valid);
/* The packed weight vector at p (lanes * kc elements, aligned to its size). */
LLVMValueRef qcc_dot_weights(qcc_cg *cg, const qcc_dot *d, LLVMValueRef p);
/* acc (<lanes x i32>) + the dot products of activation and weights, per lane. */
LLVMValueRef qcc_dot_step(qcc_cg *cg, const qcc_dot *d, LLVMValueRef acc, LLVMValueRef x,
                          LLVMValueRef w);

#endif
