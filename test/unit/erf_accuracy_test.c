/* Accuracy of qcc_erff (ir/ops/fmath.h) against the C library's double-precision erf, the
 * independent reference (run by test/ir/ops/erf-accuracy.test):
 *
 *   qcc-erf-accuracy-test [STRIDE]
 *
 * walks the non-negative finite floats (bit patterns 0, STRIDE, 2 * STRIDE, ... below +inf, and
 * the last one; STRIDE 1: all of them), measures |qcc_erff(x) - erf(x)| in ulps of the exact
 * result (ulp: the spacing of floats at |erf(x)|, 2^-149 among the subnormals), checks that
 * qcc_erff(-x) is -qcc_erff(x) bit for bit, the infinities and NaN, and prints the largest error,
 * how many results are above 0.5 and 1 ulp, and a hash of every result bit pattern (FNV-1a), so
 * that a build for another CPU (AArch64 under QEMU) can show it computes the same bits. Exits 1
 * when an error exceeds 2 ulp or a check fails. Built also with only ir/ops/fmath.c and libm, so
 * the cross compiler can build it without the rest of qcc. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ops/fmath.h"

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

/* The spacing of floats at |r| (r exact). */
static double ulp_at(double r) {
  r = fabs(r);
  if (r < 0x1p-126)
    return 0x1p-149;
  int e;
  frexp(r, &e); /* r in [2^(e-1), 2^e) */
  return ldexp(1.0, e - 24);
}

int main(int argc, char **argv) {
  uint32_t stride = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1;
  if (stride == 0)
    stride = 1;
  const uint32_t end = 0x7f800000u; /* +inf */
  double max_err = 0;
  float max_at = 0;
  uint64_t n = 0, above_half = 0, above_one = 0, hash = 1469598103934665603ull;
  int failed = 0;
  for (uint64_t u = 0; u < end; u += stride) {
    uint32_t b = (uint32_t)u;
    if (u + stride >= end)
      b = end - 1; /* FLT_MAX, the last */
    float x = float_of(b), y = qcc_erff(x);
    double err = fabs((double)y - erf((double)x)) / ulp_at(erf((double)x));
    ++n;
    above_half += err > 0.5;
    above_one += err > 1.0;
    if (err > max_err)
      max_err = err, max_at = x;
    if (bits_of(qcc_erff(-x)) != (bits_of(y) ^ 0x80000000u)) {
      if (failed++ < 5)
        printf("problem: erf(-%a) is not -erf(%a)\n", (double)x, (double)x);
    }
    uint32_t yb = bits_of(y);
    for (int i = 0; i < 4; ++i)
      hash = (hash ^ ((yb >> (8 * i)) & 0xffu)) * 1099511628211ull;
    if (b == end - 1)
      break;
  }
  float nan = float_of(0x7fc01234u), neg_nan = float_of(0xffc04321u);
  if (qcc_erff(INFINITY) != 1.0f || qcc_erff(-INFINITY) != -1.0f ||
      bits_of(qcc_erff(nan)) != bits_of(nan) || bits_of(qcc_erff(neg_nan)) != bits_of(neg_nan)) {
    printf("problem: erf of the infinities or of NaN\n");
    ++failed;
  }
  if (max_err > 2.0) {
    printf("problem: %.3f ulp above the bound of 2\n", max_err);
    ++failed;
  }
  printf("erf: %llu floats, max %.3f ulp at %a, %llu above 0.5 ulp, %llu above 1 ulp\n",
         (unsigned long long)n, max_err, (double)max_at, (unsigned long long)above_half,
         (unsigned long long)above_one);
  printf("erf: hash %016llx\n", (unsigned long long)hash);
  printf("erf-accuracy: %s\n", failed ? "FAIL" : "PASS");
  return failed ? 1 : 0;
}
