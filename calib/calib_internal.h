/* The state behind a qcc_calib and the pieces calib.c ties together (not installed API). */
#ifndef QCC_CALIB_CALIB_INTERNAL_H
#define QCC_CALIB_CALIB_INTERNAL_H

#include "calib/calib.h"

/* The minimum and maximum of a batch; ERR_NONFINITE at the first NaN or infinity. n > 0. */
qcc_calib_status qcc_calib_batch_minmax(const float *x, size_t n, float *min, float *max);

/* Moving average, PyTorch's recurrence in float32: m += c * (batch - m); the first batch sets m. */
typedef struct {
  bool started;
  float min, max;
} qcc_calib_ema;
void qcc_calib_ema_update(qcc_calib_ema *e, float c, float bmin, float bmax);

/* The histogram of |x| (calib.h describes its bins). */
typedef struct {
  int32_t bins;
  bool has_edge;
  int32_t edge_exp;
  uint64_t *counts;
} qcc_calib_histogram;
qcc_calib_status qcc_calib_histogram_init(qcc_calib_histogram *h, int32_t bins);
void qcc_calib_histogram_release(qcc_calib_histogram *h);
/* Adds x[0..n) whose largest magnitude is amax (finite, checked by the caller). */
void qcc_calib_histogram_add(qcc_calib_histogram *h, const float *x, size_t n, float amax);
/* Width of one bin (0 without an edge). */
double qcc_calib_histogram_bin_width(const qcc_calib_histogram *h);

struct qcc_calib {
  qcc_calib_method method;
  qcc_calib_opts opts;
  qcc_calib_stats stats;
  qcc_calib_ema ema;
  qcc_calib_histogram hist; /* counts == NULL for MAX and EMA */
};

#endif
