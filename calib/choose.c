/* Choosing a magnitude threshold from the histogram of |x| (docs/quantize.md defines each
 * objective; test/utils/calib_ref.py recomputes them in numpy). Thresholds are whole bins: a
 * candidate keeps bins [0, k) and clips everything above k bin widths. Ties go to the smallest k.
 */
#include <math.h>

#include "calib/calib.h"

static uint64_t total_of(const uint64_t *counts, int32_t bins) {
  uint64_t t = 0;
  for (int32_t i = 0; i < bins; ++i)
    t += counts[i];
  return t;
}

qcc_calib_status qcc_calib_choose_percentile(const uint64_t *counts, int32_t bins, double p,
                                             qcc_calib_choice *choice) {
  if (!(p > 0 && p <= 100) || bins < 1)
    return QCC_CALIB_ERR_ARG;
  uint64_t total = total_of(counts, bins);
  if (total == 0)
    return QCC_CALIB_ERR_EMPTY;
  /* The smallest k whose bins [0, k) hold at least P percent of the values. */
  double target = (double)total * (p / 100.0);
  uint64_t cum = 0;
  int32_t k = bins;
  for (int32_t i = 0; i < bins; ++i) {
    cum += counts[i];
    if ((double)cum >= target) {
      k = i + 1;
      break;
    }
  }
  choice->bins_kept = k;
  choice->cost = (double)cum / (double)total;
  return QCC_CALIB_OK;
}

/* Count i of the entropy histogram: h with bin 0 replaced by `zero`. */
static uint64_t count_at(const uint64_t *h, uint64_t zero, int32_t i) { return i ? h[i] : zero; }

/* KL(P || Q) of the candidate keeping k bins (TensorRT's procedure), on counts h (bin 0: zero):
 * P = h[0..k) with the outliers h[k..) added to P[k-1];
 * Q = h[0..k) merged into `levels` groups of k / levels bins (the last group takes the
 * remainder), each group's sum spread evenly over its bins where P is non-zero.
 * Both are normalized; a bin with P > 0 and Q == 0 makes the divergence infinite. */
static double divergence(const uint64_t *h, uint64_t zero, int32_t k, int32_t levels,
                         uint64_t total) {
  uint64_t outliers = 0, kept = 0;
  for (int32_t i = 0; i < k; ++i)
    kept += count_at(h, zero, i);
  outliers = total - kept;
  if (kept == 0)
    return INFINITY;
  int32_t per = k / levels;
  double kl = 0;
  for (int32_t g = 0; g < levels; ++g) {
    int32_t first = g * per, end = g == levels - 1 ? k : first + per;
    uint64_t sum = 0;
    int32_t nonzero = 0;
    for (int32_t i = first; i < end; ++i) {
      uint64_t hc = count_at(h, zero, i), pc = hc + (i == k - 1 ? outliers : 0);
      sum += hc;
      nonzero += pc != 0;
    }
    for (int32_t i = first; i < end; ++i) {
      uint64_t pc = count_at(h, zero, i) + (i == k - 1 ? outliers : 0);
      if (pc == 0)
        continue;
      if (sum == 0)
        return INFINITY;
      double pv = (double)pc / (double)total;
      double qv = ((double)sum / (double)nonzero) / (double)kept;
      kl += pv * log(pv / qv);
    }
  }
  return kl;
}

qcc_calib_status qcc_calib_choose_entropy(const uint64_t *counts, int32_t bins, int32_t levels,
                                          qcc_calib_choice *choice) {
  if ((levels != 128 && levels != 256) || bins < levels)
    return QCC_CALIB_ERR_ARG;
  /* Bin 0 counts as bin 1: the exact zeros of ReLU outputs or padding would otherwise be a spike
   * that any merging of bin 0 with its neighbours smears, and the smallest threshold (no
   * merging) would win whatever the tail (pytorch-quantization's entropy calibrator does the
   * same). */
  uint64_t zero = counts[1], total = total_of(counts, bins) - counts[0] + zero;
  if (total == 0)
    return QCC_CALIB_ERR_EMPTY;
  int32_t best = bins;
  double best_kl = INFINITY;
  for (int32_t k = levels; k <= bins; ++k) {
    double kl = divergence(counts, zero, k, levels, total);
    if (kl < best_kl) {
      best_kl = kl;
      best = k;
    }
  }
  choice->bins_kept = best;
  choice->cost = best_kl;
  return QCC_CALIB_OK;
}

/* Expected squared error, in squared bin widths, of quantizing with threshold k bin widths onto
 * levels - 1 steps: every value stands at its bin's center c = j + 1/2; a center below k rounds
 * (half to even) to the nearest multiple of k / (levels - 1), one at or above k clips to k. */
static double squared_error(const uint64_t *counts, int32_t bins, int32_t k, int32_t steps,
                            uint64_t total) {
  double sum = 0;
  for (int32_t j = 0; j < bins; ++j) {
    if (!counts[j])
      continue;
    double c = j + 0.5, err;
    if (j >= k) {
      err = c - k;
    } else {
      double q = nearbyint((c * steps) / k);
      err = c - (q * k) / steps;
    }
    sum += (double)counts[j] * (err * err);
  }
  return sum / (double)total;
}

qcc_calib_status qcc_calib_choose_mse(const uint64_t *counts, int32_t bins, int32_t levels,
                                      qcc_calib_choice *choice) {
  if ((levels != 128 && levels != 256) || bins < 1)
    return QCC_CALIB_ERR_ARG;
  uint64_t total = total_of(counts, bins);
  if (total == 0)
    return QCC_CALIB_ERR_EMPTY;
  int32_t best = bins;
  double best_err = INFINITY;
  for (int32_t k = 1; k <= bins; ++k) {
    double err = squared_error(counts, bins, k, levels - 1, total);
    if (err < best_err) {
      best_err = err;
      best = k;
    }
  }
  choice->bins_kept = best;
  choice->cost = best_err;
  return QCC_CALIB_OK;
}
