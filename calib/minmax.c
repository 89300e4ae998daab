/* Running and moving-average minimum/maximum (docs/quantize.md, "max" and "ema"). */
#include <math.h>

#include "calib/calib_internal.h"

qcc_calib_status qcc_calib_batch_minmax(const float *x, size_t n, float *min, float *max) {
  float lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    float v = x[i];
    if (!isfinite(v))
      return QCC_CALIB_ERR_NONFINITE;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  *min = lo;
  *max = hi;
  return QCC_CALIB_OK;
}

void qcc_calib_ema_update(qcc_calib_ema *e, float c, float bmin, float bmax) {
  if (!e->started) {
    e->started = true;
    e->min = bmin;
    e->max = bmax;
    return;
  }
  /* Each operation rounds to float, as PyTorch's float32 tensors do (-ffp-contract=off). */
  float dmin = bmin - e->min, dmax = bmax - e->max;
  float smin = c * dmin, smax = c * dmax;
  e->min = e->min + smin;
  e->max = e->max + smax;
}
