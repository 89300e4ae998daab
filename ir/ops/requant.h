/* The one definition of quantized arithmetic shared by the reference ops, passes and the
 * code generator's runtime. Every formula mirrors ONNX Runtime's CPU kernels bit for bit:
 * float32 throughout (never double), the same operation order, round half to even, and
 * clamping in float before the zero point is added (see docs/ort-arithmetic.md). */
#ifndef QCC_IR_OPS_REQUANT_H
#define QCC_IR_OPS_REQUANT_H

#include <math.h>
#include <stdint.h>

/* Contracting a*b+c into an FMA would change results; ISO-mode gcc never contracts, clang
 * may when the target has FMA. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* Integer range of a quantized storage type given by its signedness and bit width. */
typedef struct qcc_qrange {
  int32_t lo, hi;
} qcc_qrange;

static inline qcc_qrange qcc_qrange_u8(void) { return (qcc_qrange){0, 255}; }
static inline qcc_qrange qcc_qrange_i8(void) { return (qcc_qrange){-128, 127}; }

/* Clamps `v` (already in units of the output scale, zero point not yet added) to
 * [lo - zp, hi - zp], rounds half to even and adds the zero point. NaN maps to `lo`, as the
 * SIMD max/min sequence of ONNX Runtime does. */
static inline int32_t qcc_clamp_round_add_zp(float v, int32_t zp, qcc_qrange r) {
  float lo = (float)(r.lo - zp), hi = (float)(r.hi - zp);
  if (!(v >= lo)) /* also NaN */
    v = lo;
  if (v > hi)
    v = hi;
  return (int32_t)nearbyintf(v) + zp;
}

/* QuantizeLinear: saturate(round(x / scale) + zp), the division done in float32. */
static inline int32_t qcc_quantize_value(float x, float scale, int32_t zp, qcc_qrange r) {
  return qcc_clamp_round_add_zp(x / scale, zp, r);
}

/* DequantizeLinear: (q - zp) * scale in float32 (difference formed exactly in integers). */
static inline float qcc_dequantize_value(int32_t q, int32_t zp, float scale) {
  return (float)((int64_t)q - zp) * scale;
}

/* Requantization multiplier of an int32 accumulator of a product of two quantized
 * operands: (in_scale * w_scale) / out_scale, evaluated left to right in float32. */
static inline float qcc_requant_multiplier(float in_scale, float w_scale, float out_scale) {
  float prod = in_scale * w_scale;
  return prod / out_scale;
}

/* Requantizes an int32 accumulator (bias already added): float(acc) * multiplier, clamped
 * in float, rounded half to even, plus the output zero point. */
static inline int32_t qcc_requantize(int32_t acc, float multiplier, int32_t zp, qcc_qrange r) {
  return qcc_clamp_round_add_zp((float)acc * multiplier, zp, r);
}

/* float -> int32 like x86 cvtps2dq: round half to even; NaN and out-of-range values give
 * INT32_MIN (the "integer indefinite" value). */
static inline int32_t qcc_cvt_f32_i32(float v) {
  if (!(v >= -2147483648.0f && v < 2147483648.0f))
    return INT32_MIN;
  return (int32_t)nearbyintf(v);
}

static inline int32_t qcc_saturate_q(int32_t v, qcc_qrange r) {
  return v < r.lo ? r.lo : v > r.hi ? r.hi : v;
}

/* Wrapping int32 addition, matching the two's-complement accumulators of the kernels (and
 * keeping hostile inputs free of undefined behaviour). */
static inline int32_t qcc_add_wrap_i32(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* DynamicQuantizeLinear's parameters (ONNX Runtime, core/util/qmath.h): the range of `x` widened
 * to include 0, scale = (max - min) / 255 (1 when max == min), zero point =
 * round_half_even(clamp(0 - min / scale, 0, 255)), all in float32. */
static inline void qcc_dynamic_qparams_u8(const float *x, int64_t n, float *scale, int32_t *zp) {
  float lo = 0.0f, hi = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  *scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
  float initial = 0.0f - lo / *scale;
  initial = initial < 0.0f ? 0.0f : initial > 255.0f ? 255.0f : initial;
  *zp = (int32_t)nearbyintf(initial);
}

#endif
