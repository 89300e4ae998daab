/* qcc's own float32 erf and tanh, the same bits on every CPU: the interpreter calls qcc_erff and
 * qcc_tanhf, the code generator (codegen/lower/activation.c) emits the same operations in the
 * same order from the same coefficient tables. Plain IEEE multiplications, additions and
 * divisions in float32, no fma (the build passes -ffp-contract=off), no libm call, so neither
 * the C library nor the instruction set changes a bit. NaN returns x itself; the sign is x's
 * (copysign), so both are odd bit for bit.
 *
 * exp of a reduced argument, shared: k an integer (as a float) near v * log2(e), found by
 * adding and subtracting 1.5 * 2^23; r = v - k * ln 2 with ln 2 = LN2_HI + LN2_LO (LN2_HI has
 * 16 significant bits, so k * LN2_HI is exact and so is the difference with v's high part);
 * exp(v) = E(r) * 2^k, E (qcc_exp_poly, degree 6, Horner) and 2^k built from its exponent bits.
 *
 * erf, with a = |x|:
 *   a < 15/16:  a + a * P(a * a)                        (P: qcc_erf_small)
 *   a < 63/16:  1 - (exp(-a * a) * G(1 / a - 5/8)) / a  (G: qcc_erf_tail)
 *   otherwise:  1                                       (erf rounds to 1 from 3.92 on)
 * exp(-a * a): a's high 12 bits ah (a & 0xfffff000) make a * a = ah * ah + (a - ah) * (a + ah),
 * the first product exact; k from -ah * ah, r = (-ah * ah - k * LN2_HI) - (k * LN2_LO +
 * (a - ah) * (a + ah)).
 *
 * tanh, with a = |x|:
 *   a < 1:      a + a * (s * Q(s)), s = a * a           (Q: qcc_tanh_small)
 *   a < 73/8:   1 - 2 / (exp(2a) + 1)                   (2a exact; r = (2a - k * LN2_HI) -
 *                                                         k * LN2_LO)
 *   otherwise:  1                                       (tanh rounds to 1 from 9.01 on)
 *
 * The polynomials are fitted to erf(a)/a - 1, a * exp(a * a) * erfc(a), (tanh(a)/a - 1)/a^2
 * and exp on their intervals, their coefficients rounded to float one at a time with a refit of
 * the rest. Measured against double precision over every finite float
 * (test/unit/fmath_accuracy_test.c): erf at most 1.107 ulp, tanh at most 1.047 ulp. */
#ifndef QCC_IR_OPS_FMATH_H
#define QCC_IR_OPS_FMATH_H

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

enum {
  QCC_EXP_POLY_N = 7,
  QCC_ERF_SMALL_N = 7,
  QCC_ERF_TAIL_N = 11,
  QCC_TANH_SMALL_N = 11,
};

#define QCC_EXP_LOG2E 0x1.715476p+0f
#define QCC_EXP_LN2_HI 0x1.62e4p-1f /* 16 significant bits: k * LN2_HI is exact */
#define QCC_EXP_LN2_LO 0x1.7f7d1cp-20f
#define QCC_EXP_ROUNDER 0x1.8p+23f
#define QCC_ERF_SMALL_END 0x1.ep-1f /* 15/16 */
#define QCC_ERF_ONE_FROM 0x1.f8p+1f /* 63/16 */
#define QCC_ERF_TAIL_CENTER 0.625f
#define QCC_ERF_HIGH_MASK 0xfffff000u
#define QCC_TANH_SMALL_END 1.0f
#define QCC_TANH_ONE_FROM 0x1.24p+3f /* 73/8 */

/* Coefficients from degree 0 up. */
extern const float qcc_exp_poly[QCC_EXP_POLY_N];
extern const float qcc_erf_small[QCC_ERF_SMALL_N];
extern const float qcc_erf_tail[QCC_ERF_TAIL_N];
extern const float qcc_tanh_small[QCC_TANH_SMALL_N];

float qcc_erff(float x);
float qcc_tanhf(float x);

#endif
