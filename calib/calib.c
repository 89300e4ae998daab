/* The calibrator object: dispatch by method over minmax.c, histogram.c and choose.c. */
#include <math.h>
#include <stdlib.h>

#include "calib/calib_internal.h"

const char *qcc_calib_status_str(qcc_calib_status s) {
  switch (s) {
  case QCC_CALIB_OK: return "ok";
  case QCC_CALIB_ERR_NONFINITE: return "the data holds a NaN or an infinity";
  case QCC_CALIB_ERR_EMPTY: return "no value was observed";
  case QCC_CALIB_ERR_ARG: return "argument out of range";
  case QCC_CALIB_ERR_NOMEM: return "out of memory";
  }
  return "unknown status";
}

const char *qcc_calib_method_name(qcc_calib_method m) {
  switch (m) {
  case QCC_CALIB_MAX: return "max";
  case QCC_CALIB_EMA: return "ema";
  case QCC_CALIB_PERCENTILE: return "percentile";
  case QCC_CALIB_ENTROPY: return "entropy";
  case QCC_CALIB_MSE: return "mse";
  }
  return "unknown";
}

void qcc_calib_opts_default(qcc_calib_opts *opts) {
  opts->bins = 2048;
  opts->averaging = 0.01f;
  opts->percentile = 99.99;
  opts->symmetric = false;
}

static bool uses_histogram(qcc_calib_method m) {
  return m == QCC_CALIB_PERCENTILE || m == QCC_CALIB_ENTROPY || m == QCC_CALIB_MSE;
}

qcc_calib_status qcc_calib_new(qcc_calib_method method, const qcc_calib_opts *opts,
                               qcc_calib **out) {
  *out = NULL;
  qcc_calib_opts o;
  if (opts)
    o = *opts;
  else
    qcc_calib_opts_default(&o);
  if (method < QCC_CALIB_MAX || method > QCC_CALIB_MSE || o.bins < 256 || o.bins > 65536 ||
      !(o.averaging > 0 && o.averaging <= 1) || !(o.percentile > 0 && o.percentile <= 100))
    return QCC_CALIB_ERR_ARG;
  qcc_calib *c = calloc(1, sizeof *c);
  if (!c)
    return QCC_CALIB_ERR_NOMEM;
  c->method = method;
  c->opts = o;
  if (uses_histogram(method) && qcc_calib_histogram_init(&c->hist, o.bins) != QCC_CALIB_OK) {
    free(c);
    return QCC_CALIB_ERR_NOMEM;
  }
  *out = c;
  return QCC_CALIB_OK;
}

void qcc_calib_free(qcc_calib *c) {
  if (!c)
    return;
  qcc_calib_histogram_release(&c->hist);
  free(c);
}

qcc_calib_status qcc_calib_observe(qcc_calib *c, const float *x, size_t n) {
  if (n == 0)
    return QCC_CALIB_OK;
  float bmin, bmax;
  qcc_calib_status s = qcc_calib_batch_minmax(x, n, &bmin, &bmax);
  if (s != QCC_CALIB_OK)
    return s;
  qcc_calib_stats *st = &c->stats;
  if (st->values == 0) {
    st->min = bmin;
    st->max = bmax;
  } else {
    st->min = bmin < st->min ? bmin : st->min;
    st->max = bmax > st->max ? bmax : st->max;
  }
  st->values += n;
  st->batches += 1;
  if (c->method == QCC_CALIB_EMA)
    qcc_calib_ema_update(&c->ema, c->opts.averaging, bmin, bmax);
  if (c->hist.counts) {
    float amax = fabsf(bmin) > fabsf(bmax) ? fabsf(bmin) : fabsf(bmax);
    qcc_calib_histogram_add(&c->hist, x, n, amax);
  }
  return QCC_CALIB_OK;
}

void qcc_calib_get_stats(const qcc_calib *c, qcc_calib_stats *stats) { *stats = c->stats; }

int32_t qcc_calib_levels(const qcc_calib *c) {
  /* Non-negative data quantized asymmetrically spends all 256 levels on magnitudes. */
  return !c->opts.symmetric && c->stats.min >= 0 ? 256 : 128;
}

qcc_calib_status qcc_calib_get_hist(const qcc_calib *c, qcc_calib_hist *hist) {
  if (!c->hist.counts)
    return QCC_CALIB_ERR_ARG;
  hist->bins = c->hist.bins;
  hist->has_edge = c->hist.has_edge;
  hist->edge_exp = c->hist.edge_exp;
  hist->counts = c->hist.counts;
  return QCC_CALIB_OK;
}

/* The range of a magnitude threshold: the side that does not reach it keeps its extreme. */
static void clip_to(const qcc_calib_stats *st, float amax, float *lo, float *hi) {
  *lo = st->min > -amax ? st->min : -amax;
  *hi = st->max < amax ? st->max : amax;
}

qcc_calib_status qcc_calib_range_as(const qcc_calib *c, qcc_calib_method method, float *lo,
                                    float *hi) {
  const qcc_calib_stats *st = &c->stats;
  /* A histogram answers max and every histogram method; EMA only answers itself. */
  if (method != c->method && !(c->hist.counts && method != QCC_CALIB_EMA))
    return QCC_CALIB_ERR_ARG;
  if (st->values == 0)
    return QCC_CALIB_ERR_EMPTY;
  switch (method) {
  case QCC_CALIB_MAX:
    *lo = st->min;
    *hi = st->max;
    return QCC_CALIB_OK;
  case QCC_CALIB_EMA:
    *lo = c->ema.min;
    *hi = c->ema.max;
    return QCC_CALIB_OK;
  case QCC_CALIB_PERCENTILE:
  case QCC_CALIB_ENTROPY:
  case QCC_CALIB_MSE: break;
  }
  const qcc_calib_histogram *h = &c->hist;
  float absmax = fabsf(st->min) > fabsf(st->max) ? fabsf(st->min) : fabsf(st->max);
  if (!h->has_edge) { /* every value is 0 */
    *lo = *hi = 0.0f;
    return QCC_CALIB_OK;
  }
  int32_t levels = qcc_calib_levels(c);
  qcc_calib_choice ch;
  qcc_calib_status s =
      method == QCC_CALIB_PERCENTILE
          ? qcc_calib_choose_percentile(h->counts, h->bins, c->opts.percentile, &ch)
      : method == QCC_CALIB_ENTROPY ? qcc_calib_choose_entropy(h->counts, h->bins, levels, &ch)
                                    : qcc_calib_choose_mse(h->counts, h->bins, levels, &ch);
  if (s != QCC_CALIB_OK)
    return s;
  double t = ldexp((double)ch.bins_kept, h->edge_exp) / h->bins;
  float amax = t < absmax ? (float)t : absmax;
  clip_to(st, amax, lo, hi);
  return QCC_CALIB_OK;
}

qcc_calib_status qcc_calib_range(const qcc_calib *c, float *lo, float *hi) {
  return qcc_calib_range_as(c, c->method, lo, hi);
}
