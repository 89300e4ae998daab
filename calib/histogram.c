/* The histogram of |x| with power-of-two range (calib.h, docs/quantize.md "The histogram"):
 * growing the range by 2^k merges 2^k old bins into one, exactly, so no mass is lost and the
 * counts do not depend on the batching. */
#include <math.h>
#include <stdlib.h>

#include "calib/calib_internal.h"

qcc_calib_status qcc_calib_histogram_init(qcc_calib_histogram *h, int32_t bins) {
  h->bins = bins;
  h->has_edge = false;
  h->edge_exp = 0;
  h->counts = calloc((size_t)bins, sizeof *h->counts);
  return h->counts ? QCC_CALIB_OK : QCC_CALIB_ERR_NOMEM;
}

void qcc_calib_histogram_release(qcc_calib_histogram *h) {
  free(h->counts);
  h->counts = NULL;
}

double qcc_calib_histogram_bin_width(const qcc_calib_histogram *h) {
  return h->has_edge ? ldexp(1.0, h->edge_exp) / h->bins : 0.0;
}

/* New bin j holds old bins [j << k, (j + 1) << k); ascending j only reads old bins >= j. */
static void merge(qcc_calib_histogram *h, int32_t k) {
  int32_t n = h->bins;
  if (k >= 31 || ((int64_t)1 << k) >= n) {
    uint64_t all = 0;
    for (int32_t i = 0; i < n; ++i) {
      all += h->counts[i];
      h->counts[i] = 0;
    }
    h->counts[0] = all;
    return;
  }
  for (int32_t j = 0; j < n; ++j) {
    int64_t first = (int64_t)j << k;
    uint64_t sum = 0;
    for (int64_t i = first; i < first + ((int64_t)1 << k) && i < n; ++i)
      sum += h->counts[i];
    h->counts[j] = sum;
  }
}

void qcc_calib_histogram_add(qcc_calib_histogram *h, const float *x, size_t n, float amax) {
  if (amax > 0) {
    int e;
    (void)frexp(amax, &e); /* amax = m * 2^e, m in [0.5, 1): 2^e is the edge strictly above */
    if (!h->has_edge) {
      h->has_edge = true;
      h->edge_exp = e;
    } else if (e > h->edge_exp) {
      merge(h, e - h->edge_exp);
      h->edge_exp = e;
    }
  }
  if (!h->has_edge) { /* every value is 0 */
    h->counts[0] += n;
    return;
  }
  /* |x| * bins is exact in double (24 + 16 bits) and so is the power-of-two scaling. */
  double per_unit = ldexp((double)h->bins, -h->edge_exp);
  int64_t last = h->bins - 1;
  for (size_t i = 0; i < n; ++i) {
    double a = fabs((double)x[i]) * per_unit;
    int64_t b = (int64_t)a; /* a >= 0: truncation is floor */
    h->counts[b > last ? last : b] += 1;
  }
}
