/* qcc's own float32 erf, the same bits on every CPU: the interpreter calls qcc_erff, the code
 * generator (codegen/lower/activation.c) emits the same operations in the same order from the
 * same coefficient tables. Plain IEEE multiplications, additions and divisions in float32, no
 * fma (the build passes -ffp-contract=off), no libm call, so neither the C library nor the
 * instruction set changes a bit.
 *
 * With a = |x|, erf(x) = copysign(r, x) and
 *   a < 15/16:      r = a + a * P(a * a)                     (P: QCC_ERF_SMALL, Horner)
 *   a < 63/16:      r = 1 - (exp(-a * a) * G(1 / a - 5/8)) / a (G: QCC_ERF_TAIL)
 *   otherwise:      r = 1                                    (erf rounds to 1 from 3.92 on)
 * and NaN returns x itself. exp(-a * a): a's high 12 bits ah (a & 0xfffff000) make
 * a * a = ah * ah + (a - ah) * (a + ah) with the first product exact; k = nearest integer to
 * -ah * ah * log2(e) by adding and subtracting 1.5 * 2^23; r = (-ah * ah - k * LN2_HI) -
 * (k * LN2_LO + (a - ah) * (a + ah)) (the first difference exact); exp(-a * a) = E(r) * 2^k with
 * E (QCC_ERF_EXP, Horner) and 2^k built from its exponent bits. The polynomials are fitted to
 * erf(a)/a - 1, a * exp(a * a) * erfc(a) and exp on their intervals, their coefficients rounded
 * to float one at a time with a refit of the rest. Measured against double-precision erf over
 * every finite float (test/unit/erf_accuracy_test.c): at most 1.107 ulp. */
#ifndef QCC_IR_OPS_FMATH_H
#define QCC_IR_OPS_FMATH_H

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

enum { QCC_ERF_SMALL_N = 7, QCC_ERF_TAIL_N = 11, QCC_ERF_EXP_N = 7 };

#define QCC_ERF_SMALL_END 0x1.ep-1f /* 15/16 */
#define QCC_ERF_ONE_FROM 0x1.f8p+1f /* 63/16 */
#define QCC_ERF_TAIL_CENTER 0.625f
#define QCC_ERF_LOG2E 0x1.715476p+0f
#define QCC_ERF_LN2_HI 0x1.62e4p-1f /* 16 significant bits: k * LN2_HI is exact */
#define QCC_ERF_LN2_LO 0x1.7f7d1cp-20f
#define QCC_ERF_ROUNDER 0x1.8p+23f
#define QCC_ERF_HIGH_MASK 0xfffff000u

/* Coefficients from degree 0 up. */
extern const float qcc_erf_small[QCC_ERF_SMALL_N];
extern const float qcc_erf_tail[QCC_ERF_TAIL_N];
extern const float qcc_erf_exp[QCC_ERF_EXP_N];

float qcc_erff(float x);

#endif
