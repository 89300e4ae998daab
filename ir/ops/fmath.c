/* qcc_erff and qcc_tanhf (ir/ops/fmath.h): the one scalar definition; codegen/lower/activation.c
 * emits the same operations. */
#include "ir/ops/fmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

const float qcc_exp_poly[QCC_EXP_POLY_N] = {
    0x1p+0f,        0x1p+0f,        0x1.fffff8p-2f,  0x1.55548ep-3f,
    0x1.555b96p-5f, 0x1.123bd0p-7f, 0x1.685356p-10f,
};
const float qcc_erf_small[QCC_ERF_SMALL_N] = {
    0x1.06eba8p-3f, -0x1.812742p-2f,  0x1.ce2deap-4f,  -0x1.b80c84p-6f,
    0x1.54b692p-8f, -0x1.a9afc2p-11f, 0x1.5b0cd6p-14f,
};
const float qcc_erf_tail[QCC_ERF_TAIL_N] = {
    0x1.f545fcp-2f,  -0x1.5f684cp-3f, -0x1.533428p-10f, 0x1.275418p-4f,
    -0x1.3fb3d0p-4f, 0x1.967cacp-5f,  -0x1.482810p-7f,  -0x1.9491a2p-6f,
    0x1.76847ap-5f,  -0x1.8516d4p-5f, 0x1.98b4cep-6f,
};
const float qcc_tanh_small[QCC_TANH_SMALL_N] = {
    -0x1.555556p-2f, 0x1.111170p-3f, -0x1.ba3ae6p-5f,  0x1.68ae08p-6f,
    -0x1.3bc8f8p-7f, 0x1.8ecda4p-8f, -0x1.a9dbd0p-8f,  0x1.cce9b8p-8f,
    -0x1.5a1c24p-8f, 0x1.2c3b42p-9f, -0x1.c2ee1ep-12f,
};

static float horner(const float *c, int n, float t) {
  float p = c[n - 1];
  for (int i = n - 2; i >= 0; --i)
    p = p * t + c[i];
  return p;
}

static uint32_t bits_of(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float float_of(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* The nearest integer to v * log2(e) (|v| < 2^22), as a float. */
static float exp_k(float v) { return (v * QCC_EXP_LOG2E + QCC_EXP_ROUNDER) - QCC_EXP_ROUNDER; }

/* E(r) * 2^k (k in [-126, 127]). */
static float exp_scale(float r, float k) {
  return horner(qcc_exp_poly, QCC_EXP_POLY_N, r) * float_of((uint32_t)((int32_t)k + 127) << 23);
}

float qcc_erff(float x) {
  if (x != x)
    return x;
  float a = fabsf(x), r;
  if (a < QCC_ERF_SMALL_END) {
    r = a + a * horner(qcc_erf_small, QCC_ERF_SMALL_N, a * a);
  } else if (a < QCC_ERF_ONE_FROM) {
    float ah = float_of(bits_of(a) & QCC_ERF_HIGH_MASK);
    float hi = ah * ah, lo = (a - ah) * (a + ah);
    float k = exp_k(-hi);
    float e = exp_scale((-hi - k * QCC_EXP_LN2_HI) - (k * QCC_EXP_LN2_LO + lo), k);
    float g = horner(qcc_erf_tail, QCC_ERF_TAIL_N, 1.0f / a - QCC_ERF_TAIL_CENTER);
    r = 1.0f - (e * g) / a;
  } else {
    r = 1.0f;
  }
  return copysignf(r, x);
}

float qcc_tanhf(float x) {
  if (x != x)
    return x;
  float a = fabsf(x), r;
  if (a < QCC_TANH_SMALL_END) {
    float s = a * a;
    r = a + a * (s * horner(qcc_tanh_small, QCC_TANH_SMALL_N, s));
  } else if (a < QCC_TANH_ONE_FROM) {
    float v = a + a, k = exp_k(v);
    float e = exp_scale((v - k * QCC_EXP_LN2_HI) - k * QCC_EXP_LN2_LO, k);
    r = 1.0f - 2.0f / (e + 1.0f);
  } else {
    r = 1.0f;
  }
  return copysignf(r, x);
}
