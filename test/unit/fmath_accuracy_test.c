/* Accuracy of qcc_erff and qcc_tanhf (ir/ops/fmath.h) against the C library's double-precision
 * erf and tanh, the independent reference (run by test/ir/ops/fmath-accuracy.test):
 *
 *   qcc-fmath-accuracy-test erf|tanh [STRIDE]
 *
 * walks the non-negative finite floats (bit patterns 0, STRIDE, 2 * STRIDE, ... below +inf, and
 * the last one; STRIDE 1: all of them), measures |f(x) - ref(x)| in ulps of the exact
 * result (ulp: the spacing of floats at |ref(x)|, 2^-149 among the subnormals), checks that
 * f(-x) is -f(x) bit for bit, the infinities and NaN, and prints the largest error,
 * how many results are above 0.5 and 1 ulp, and a hash of every result bit pattern (FNV-1a), so
 * that a build for another CPU (AArch64 under QEMU) can show it computes the same bits. Exits 1
 * when an error exceeds 2 ulp or a check fails. Built also with only ir/ops/fmath.c and libm, so
 * the cross compiler can build it without the rest of qcc. */
#include <math.h>
#include <stdbool.h>
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
  bool is_tanh = argc > 1 && strcmp(argv[1], "tanh") == 0;
  if (argc < 2 || (!is_tanh && strcmp(argv[1], "erf") != 0)) {
    fprintf(stderr, "usage: qcc-fmath-accuracy-test erf|tanh [STRIDE]\n");
    return 2;
  }
  const char *name = argv[1];
  float (*f)(float) = is_tanh ? qcc_tanhf : qcc_erff;
  double (*ref)(double) = is_tanh ? tanh : erf;
  uint32_t stride = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1;
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
    float x = float_of(b), y = f(x);
    double r = ref((double)x), err = fabs((double)y - r) / ulp_at(r);
    ++n;
    above_half += err > 0.5;
    above_one += err > 1.0;
    if (err > max_err)
      max_err = err, max_at = x;
    if (bits_of(f(-x)) != (bits_of(y) ^ 0x80000000u)) {
      if (failed++ < 5)
        printf("problem: %s(-%a) is not -%s(%a)\n", name, (double)x, name, (double)x);
    }
    uint32_t yb = bits_of(y);
    for (int i = 0; i < 4; ++i)
      hash = (hash ^ ((yb >> (8 * i)) & 0xffu)) * 1099511628211ull;
    if (b == end - 1)
      break;
  }
  float nan = float_of(0x7fc01234u), neg_nan = float_of(0xffc04321u);
  if (f(INFINITY) != 1.0f || f(-INFINITY) != -1.0f || bits_of(f(nan)) != bits_of(nan) ||
      bits_of(f(neg_nan)) != bits_of(neg_nan)) {
    printf("problem: %s of the infinities or of NaN\n", name);
    ++failed;
  }
  if (max_err > 2.0) {
    printf("problem: %.3f ulp above the bound of 2\n", max_err);
    ++failed;
  }
  printf("%s: %llu floats, max %.3f ulp at %a, %llu above 0.5 ulp, %llu above 1 ulp\n", name,
         (unsigned long long)n, max_err, (double)max_at, (unsigned long long)above_half,
         (unsigned long long)above_one);
  printf("%s: hash %016llx\n", name, (unsigned long long)hash);
  printf("fmath-accuracy: %s\n", failed ? "FAIL" : "PASS");
  return failed ? 1 : 0;
}
