/* Calibrators of post-training quantization: one object per float tensor observes that tensor
 * batch after batch and answers the range [lo, hi] to quantize it with, and qparams.c turns a
 * range into ONNX Runtime's scale and zero point. docs/quantize.md ("Calibration methods")
 * defines every method; this header states the contract.
 *
 * The library depends on nothing of qcc and on no global state. Memory is fixed when a
 * calibrator is created (the histogram's bins, 8 bytes each) and observe() never allocates, so a
 * calibration over any number of samples needs the calibrators plus one batch of activations. */
#ifndef QCC_CALIB_CALIB_H
#define QCC_CALIB_CALIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  QCC_CALIB_OK = 0,
  QCC_CALIB_ERR_NONFINITE, /* a NaN or an infinity in the data; the calibrator is unchanged */
  QCC_CALIB_ERR_EMPTY,     /* a range was asked before any value was observed */
  QCC_CALIB_ERR_ARG,       /* an option or argument out of its domain */
  QCC_CALIB_ERR_NOMEM,
} qcc_calib_status;

/* A short English description of a status, for the caller's diagnostic. */
const char *qcc_calib_status_str(qcc_calib_status s);

typedef enum {
  QCC_CALIB_MAX,        /* running minimum and maximum */
  QCC_CALIB_EMA,        /* moving-average minimum and maximum (one update per observe()) */
  QCC_CALIB_PERCENTILE, /* histogram of |x|: the P-th percentile of the magnitudes */
  QCC_CALIB_ENTROPY,    /* histogram of |x|: smallest KL divergence (TensorRT's entropy) */
  QCC_CALIB_MSE,        /* histogram of |x|: smallest expected squared error */
} qcc_calib_method;

/* "max", "ema", "percentile", "entropy", "mse". */
const char *qcc_calib_method_name(qcc_calib_method m);

typedef struct {
  int32_t bins;      /* histogram bins, 256 .. 65536; default 2048 */
  float averaging;   /* EMA constant c in (0, 1]; default 0.01 (PyTorch's) */
  double percentile; /* P in (0, 100]; default 99.99 */
  bool symmetric;    /* the range will be quantized symmetrically: entropy and MSE use 128
                      * levels of magnitude then, even for non-negative data; default false */
} qcc_calib_opts;

void qcc_calib_opts_default(qcc_calib_opts *opts);

typedef struct qcc_calib qcc_calib;

/* A calibrator of `method` with `opts` (NULL: the defaults). ERR_ARG for options out of range. */
qcc_calib_status qcc_calib_new(qcc_calib_method method, const qcc_calib_opts *opts,
                               qcc_calib **out);
void qcc_calib_free(qcc_calib *c);

/* One batch of n values (any shape, flattened). n == 0 is no batch at all. A NaN or infinity
 * anywhere rejects the whole batch with ERR_NONFINITE and leaves the calibrator unchanged. */
qcc_calib_status qcc_calib_observe(qcc_calib *c, const float *x, size_t n);

/* The range of the calibrator's method; ERR_EMPTY when no value was observed. lo <= hi always;
 * a constant tensor gives lo == hi == that constant (qparams then include zero, see below). */
qcc_calib_status qcc_calib_range(const qcc_calib *c, float *lo, float *hi);
/* The range `method` would choose from this calibrator's statistics: a histogram calibrator
 * answers every method but EMA; MAX and EMA calibrators answer only their own (else ERR_ARG). */
qcc_calib_status qcc_calib_range_as(const qcc_calib *c, qcc_calib_method method, float *lo,
                                    float *hi);

/* What the calibrator has seen: values, batches, exact minimum and maximum (0 when empty). */
typedef struct {
  uint64_t values, batches;
  float min, max;
} qcc_calib_stats;
void qcc_calib_get_stats(const qcc_calib *c, qcc_calib_stats *stats);

/* ---- the histogram of |x| (histogram.c) ------------------------------------------------------
 * bins equal bins of [0, 2^edge_exp): |x| falls in bin floor(|x| * bins / 2^edge_exp), computed
 * exactly in double. 2^edge_exp is the smallest power of two strictly above the largest |x| seen;
 * when a batch raises it by k, 2^k old bins merge into one new bin exactly, so the histogram
 * depends on the values observed and not on how they were batched. Zeros go to bin 0 before any
 * non-zero value fixes the edge. */
typedef struct {
  int32_t bins;
  bool has_edge; /* false while every value seen is 0 */
  int32_t edge_exp;
  const uint64_t *counts; /* bins entries, owned by the calibrator */
} qcc_calib_hist;
/* ERR_ARG for a calibrator without histogram. */
qcc_calib_status qcc_calib_get_hist(const qcc_calib *c, qcc_calib_hist *hist);

/* The magnitude levels entropy and MSE assume for this calibrator's data: 256 when the data seen
 * is non-negative and opts.symmetric is false (an asymmetric grid then starts at 0), else 128. */
int32_t qcc_calib_levels(const qcc_calib *c);

/* ---- choosing a magnitude threshold from a histogram (choose.c) -------------------------------
 * On counts[0..bins) of equal bins; the threshold is bins_kept bin widths. cost is the method's
 * objective at that threshold (percentile: the mass kept; entropy: KL divergence in nats; MSE:
 * squared error per value in squared bin widths). `levels` is 128 or 256 (magnitude levels of
 * the quantized grid, docs/quantize.md). Entropy counts bin 0 as bin 1 (the zeros of ReLU outputs
 * are a spike that would decide the divergence alone). ERR_EMPTY when every count is 0. */
typedef struct {
  int32_t bins_kept;
  double cost;
} qcc_calib_choice;
qcc_calib_status qcc_calib_choose_percentile(const uint64_t *counts, int32_t bins, double p,
                                             qcc_calib_choice *choice);
qcc_calib_status qcc_calib_choose_entropy(const uint64_t *counts, int32_t bins, int32_t levels,
                                          qcc_calib_choice *choice);
qcc_calib_status qcc_calib_choose_mse(const uint64_t *counts, int32_t bins, int32_t levels,
                                      qcc_calib_choice *choice);

/* ---- scale and zero point (qparams.c), ONNX Runtime's quantizer formulas -----------------------
 */
typedef enum { QCC_CALIB_UINT8, QCC_CALIB_INT8 } qcc_calib_dtype;

typedef struct {
  float scale;
  int32_t zero_point;
  int32_t qmin, qmax;
} qcc_calib_qparams;

/* The integer range: uint8 [0, 255]; int8 [-128, 127], symmetric int8 [-127, 127]. */
void qcc_calib_qrange(qcc_calib_dtype dtype, bool symmetric, int32_t *qmin, int32_t *qmax);

/* rmin = min(0, lo), rmax = max(0, hi) (symmetric: -+max(|rmin|, |rmax|)); scale = (rmax - rmin)
 * / (qmax - qmin); zero point round-half-even(qmin - rmin / scale) (symmetric: of (qmin + qmax)
 * / 2), clamped. A scale below FLT_MIN (lo == hi == 0) falls back to scale 1, zero point 0.
 * ERR_ARG for a non-finite bound, lo > hi, or a range whose width overflows float. */
qcc_calib_status qcc_calib_qparams_from_range(float lo, float hi, qcc_calib_dtype dtype,
                                              bool symmetric, qcc_calib_qparams *out);

/* Per-channel symmetric int8 weights ([-127, 127], zero point 0): w holds outer x channels x
 * inner values, channel c being w[(o * channels + c) * inner + i]; scales[c] and
 * zero_points[c] (all 0) for each channel. ERR_NONFINITE for a NaN or infinite weight. */
qcc_calib_status qcc_calib_qparams_per_channel(const float *w, size_t outer, size_t channels,
                                               size_t inner, float *scales, int32_t *zero_points);

#endif
