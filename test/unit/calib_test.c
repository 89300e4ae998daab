/* qcc-calib-test: drives calib/ for the lit tests of test/calib/ (test/utils/calib_ref.py checks
 * what it prints against numpy). It streams a float32 .npy in batches of --batch rows (the
 * leading dimension), so its memory is one batch plus the calibrator whatever the file's size.
 *
 *   qcc-calib-test [--method max|ema|percentile[:P]|entropy|mse] [--bins N] [--batch B]
 *                  [--averaging C] [--dtype uint8|int8] [--symmetric] [--hist] [--as M]
 *                  [--skip-bad] FILE.npy
 *   qcc-calib-test --qparams LO HI [--dtype uint8|int8] [--symmetric]
 *   qcc-calib-test --per-channel AXIS FILE.npy        (symmetric int8 weights)
 *
 * --skip-bad reports a rejected batch (NaN or infinity) and goes on with the next one;
 * --hist lists the non-empty bins; --as M also prints the range method M gives from the same
 * calibrator (qcc_calib_range_as).
 * Errors go to stderr as "error: ..." with exit status 1; bad usage exits with 2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calib/calib.h"

enum { MAX_RANK = 8 };

/* ---- a streaming reader of little-endian float32 C-order .npy files ----------------------- */
typedef struct {
  FILE *f;
  int rank;
  int64_t dims[MAX_RANK];
  int64_t rows, row_elems; /* rows: dims[0] (1 for a 0-d array) */
} npy_file;

static int fail(const char *path, const char *msg) {
  fprintf(stderr, "error: %s: %s\n", path, msg);
  return 1;
}

/* The value of `key` in the header dict, or NULL. */
static const char *dict_value(const char *hdr, const char *key) {
  const char *p = strstr(hdr, key);
  if (!p)
    return NULL;
  p = strchr(p + strlen(key), ':');
  if (!p)
    return NULL;
  for (++p; *p == ' '; ++p) {
  }
  return p;
}

static int npy_read_header(npy_file *n, const char *path) {
  memset(n, 0, sizeof *n);
  n->f = fopen(path, "rb");
  if (!n->f)
    return fail(path, strerror(errno));
  unsigned char pre[10];
  if (fread(pre, 1, 8, n->f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0)
    return fail(path, "not a .npy file");
  size_t hlen, lbytes = pre[6] == 1 ? 2 : 4;
  if (pre[6] < 1 || pre[6] > 3 || fread(pre + 8, 1, lbytes, n->f) != lbytes)
    return fail(path, "unsupported .npy version");
  hlen = lbytes == 2 ? (size_t)pre[8] | (size_t)pre[9] << 8
                     : (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)fgetc(n->f) << 16 |
                           (size_t)fgetc(n->f) << 24;
  if (hlen > 1 << 20)
    return fail(path, "header too long");
  char *hdr = calloc(hlen + 1, 1);
  if (!hdr || fread(hdr, 1, hlen, n->f) != hlen) {
    free(hdr);
    return fail(path, "truncated header");
  }
  const char *descr = dict_value(hdr, "'descr'"), *order = dict_value(hdr, "'fortran_order'"),
             *shape = dict_value(hdr, "'shape'");
  int rc = 0;
  if (!descr || (strncmp(descr, "'<f4'", 5) != 0 && strncmp(descr, "'=f4'", 5) != 0))
    rc = fail(path, "wrong dtype: calibration data must be float32 ('<f4')");
  else if (!order || strncmp(order, "False", 5) != 0)
    rc = fail(path, "Fortran-ordered arrays are not supported");
  else if (!shape || *shape != '(')
    rc = fail(path, "no shape in the header");
  for (const char *p = shape + 1; rc == 0 && *p && *p != ')';) {
    char *end;
    long long d = strtoll(p, &end, 10);
    if (end == p || d < 0 || n->rank == MAX_RANK) {
      rc = fail(path, "bad shape");
      break;
    }
    n->dims[n->rank++] = d;
    for (p = end; *p == ',' || *p == ' '; ++p) {
    }
  }
  free(hdr);
  if (rc)
    return rc;
  n->rows = n->rank ? n->dims[0] : 1;
  n->row_elems = 1;
  int64_t bytes;
  for (int i = 1; i < n->rank; ++i)
    if (__builtin_mul_overflow(n->row_elems, n->dims[i], &n->row_elems))
      return fail(path, "the shape is too large");
  if (__builtin_mul_overflow(n->rows, n->row_elems, &bytes) ||
      __builtin_mul_overflow(bytes, (int64_t)4, &bytes))
    return fail(path, "the shape is too large");
  struct stat sb;
  long pos = ftell(n->f);
  if (fstat(fileno(n->f), &sb) != 0 || pos < 0 || (int64_t)sb.st_size - pos != bytes)
    return fail(path, "the data size does not match the shape");
  return 0;
}

/* The file positioned at its data; closed again when the header is bad. */
static int npy_open(npy_file *n, const char *path) {
  int rc = npy_read_header(n, path);
  if (rc && n->f) {
    fclose(n->f);
    n->f = NULL;
  }
  return rc;
}

/* ---- options ----------------------------------------------------------------------------- */
typedef struct {
  qcc_calib_method method;
  bool has_as;
  qcc_calib_method as;
  qcc_calib_opts opts;
  int64_t batch;
  qcc_calib_dtype dtype;
  bool hist, skip_bad;
  const char *path;
  const char *qp_lo, *qp_hi;
  int per_channel_axis; /* -1: not per channel */
} options;

static int usage(const char *msg) {
  fprintf(stderr, "qcc-calib-test: %s\n", msg);
  return 2;
}

static int parse(int argc, char **argv, options *o) {
  qcc_calib_opts_default(&o->opts);
  o->method = QCC_CALIB_MAX;
  o->batch = 1;
  o->dtype = QCC_CALIB_UINT8;
  o->per_channel_axis = -1;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--symmetric") == 0) {
      o->opts.symmetric = true;
      continue;
    }
    if (strcmp(a, "--hist") == 0) {
      o->hist = true;
      continue;
    }
    if (strcmp(a, "--skip-bad") == 0) {
      o->skip_bad = true;
      continue;
    }
    if (a[0] != '-') {
      o->path = a;
      continue;
    }
    if (!v)
      return usage("an option lacks its value");
    ++i;
    if (strcmp(a, "--method") == 0 || strcmp(a, "--as") == 0) {
      qcc_calib_method m;
      if (strcmp(v, "max") == 0)
        m = QCC_CALIB_MAX;
      else if (strcmp(v, "ema") == 0)
        m = QCC_CALIB_EMA;
      else if (strcmp(v, "entropy") == 0)
        m = QCC_CALIB_ENTROPY;
      else if (strcmp(v, "mse") == 0)
        m = QCC_CALIB_MSE;
      else if (strncmp(v, "percentile", 10) == 0 && (v[10] == 0 || v[10] == ':')) {
        m = QCC_CALIB_PERCENTILE;
        if (v[10] == ':')
          o->opts.percentile = strtod(v + 11, NULL);
      } else
        return usage("unknown method");
      if (a[2] == 'a') {
        o->has_as = true;
        o->as = m;
      } else {
        o->method = m;
      }
    } else if (strcmp(a, "--bins") == 0) {
      o->opts.bins = (int32_t)strtol(v, NULL, 10);
    } else if (strcmp(a, "--batch") == 0) {
      o->batch = strtoll(v, NULL, 10);
      if (o->batch < 1)
        return usage("--batch needs a positive row count");
    } else if (strcmp(a, "--averaging") == 0) {
      o->opts.averaging = strtof(v, NULL);
    } else if (strcmp(a, "--dtype") == 0) {
      if (strcmp(v, "uint8") == 0)
        o->dtype = QCC_CALIB_UINT8;
      else if (strcmp(v, "int8") == 0)
        o->dtype = QCC_CALIB_INT8;
      else
        return usage("--dtype is uint8 or int8");
    } else if (strcmp(a, "--qparams") == 0) {
      if (i + 1 >= argc)
        return usage("--qparams LO HI");
      o->qp_lo = v;
      o->qp_hi = argv[++i];
    } else if (strcmp(a, "--per-channel") == 0) {
      o->per_channel_axis = (int)strtol(v, NULL, 10);
    } else {
      return usage("unknown option");
    }
  }
  if (!o->qp_lo && !o->path)
    return usage("no input file");
  return 0;
}

static int print_qparams(float lo, float hi, const options *o) {
  qcc_calib_qparams q;
  qcc_calib_status s = qcc_calib_qparams_from_range(lo, hi, o->dtype, o->opts.symmetric, &q);
  if (s != QCC_CALIB_OK) {
    fprintf(stderr, "error: qparams: %s\n", qcc_calib_status_str(s));
    return 1;
  }
  printf("qparams: %s%s scale=%.9g zero_point=%d qmin=%d qmax=%d\n",
         o->dtype == QCC_CALIB_UINT8 ? "uint8" : "int8", o->opts.symmetric ? " symmetric" : "",
         q.scale, q.zero_point, q.qmin, q.qmax);
  return 0;
}

static int per_channel(const options *o) {
  npy_file n;
  int rc = npy_open(&n, o->path);
  if (rc)
    return rc;
  if (o->per_channel_axis < 0 || o->per_channel_axis >= n.rank) {
    fclose(n.f);
    return fail(o->path, "the channel axis is not an axis of the array");
  }
  size_t outer = 1, inner = 1, channels = (size_t)n.dims[o->per_channel_axis];
  for (int i = 0; i < n.rank; ++i) {
    if (i < o->per_channel_axis)
      outer *= (size_t)n.dims[i];
    if (i > o->per_channel_axis)
      inner *= (size_t)n.dims[i];
  }
  size_t count = outer * channels * inner;
  float *w = malloc(count * sizeof *w + 1), *scales = malloc(channels * sizeof *scales + 1);
  int32_t *zps = malloc(channels * sizeof *zps + 1);
  rc = !w || !scales || !zps ? fail(o->path, "out of memory") : 0;
  if (!rc && fread(w, sizeof *w, count, n.f) != count)
    rc = fail(o->path, "truncated data");
  qcc_calib_status s =
      rc ? QCC_CALIB_OK : qcc_calib_qparams_per_channel(w, outer, channels, inner, scales, zps);
  if (s != QCC_CALIB_OK)
    rc = fail(o->path, qcc_calib_status_str(s));
  for (size_t c = 0; !rc && c < channels; ++c)
    printf("channel %zu: scale=%.9g zero_point=%d\n", c, scales[c], zps[c]);
  free(w);
  free(scales);
  free(zps);
  fclose(n.f);
  return rc;
}

static int calibrate(const options *o) {
  npy_file n;
  int rc = npy_open(&n, o->path);
  if (rc)
    return rc;
  qcc_calib *c;
  qcc_calib_status s = qcc_calib_new(o->method, &o->opts, &c);
  if (s != QCC_CALIB_OK) {
    fclose(n.f);
    return fail(o->path, qcc_calib_status_str(s));
  }
  size_t cap = (size_t)(o->batch < n.rows ? o->batch : n.rows) * (size_t)n.row_elems;
  float *buf = malloc(cap * sizeof *buf + 1);
  if (!buf)
    rc = fail(o->path, "out of memory");
  for (int64_t r = 0; !rc && r < n.rows; r += o->batch) {
    int64_t rows = n.rows - r < o->batch ? n.rows - r : o->batch;
    size_t count = (size_t)(rows * n.row_elems);
    if (fread(buf, sizeof *buf, count, n.f) != count) {
      rc = fail(o->path, "truncated data");
      break;
    }
    s = qcc_calib_observe(c, buf, count);
    if (s != QCC_CALIB_OK) {
      bool skip = o->skip_bad && s == QCC_CALIB_ERR_NONFINITE;
      fprintf(stderr, "%s: %s: rows %lld..%lld: %s\n", skip ? "skipped" : "error", o->path,
              (long long)r, (long long)(r + rows - 1), qcc_calib_status_str(s));
      rc = skip ? 0 : 1;
    }
  }
  float lo = 0, hi = 0;
  if (!rc && (s = qcc_calib_range(c, &lo, &hi)) != QCC_CALIB_OK)
    rc = fail(o->path, qcc_calib_status_str(s));
  if (!rc) {
    qcc_calib_stats st;
    qcc_calib_get_stats(c, &st);
    printf("method: %s\n", qcc_calib_method_name(o->method));
    printf("values: %llu batches: %llu\n", (unsigned long long)st.values,
           (unsigned long long)st.batches);
    printf("min: %.9g max: %.9g\n", st.min, st.max);
    qcc_calib_hist h;
    if (qcc_calib_get_hist(c, &h) == QCC_CALIB_OK) {
      printf("hist: bins=%d edge=%s%d\n", h.bins, h.has_edge ? "2^" : "none ", h.edge_exp);
      for (int32_t i = 0; o->hist && i < h.bins; ++i)
        if (h.counts[i])
          printf("bin %d %llu\n", i, (unsigned long long)h.counts[i]);
      qcc_calib_choice ch = {0, 0};
      int32_t levels = qcc_calib_levels(c);
      if (!h.has_edge)
        s = QCC_CALIB_OK;
      else if (o->method == QCC_CALIB_PERCENTILE)
        s = qcc_calib_choose_percentile(h.counts, h.bins, o->opts.percentile, &ch);
      else if (o->method == QCC_CALIB_ENTROPY)
        s = qcc_calib_choose_entropy(h.counts, h.bins, levels, &ch);
      else
        s = qcc_calib_choose_mse(h.counts, h.bins, levels, &ch);
      printf("choice: levels=%d bins_kept=%d cost=%.17g\n", levels, ch.bins_kept, ch.cost);
    }
    printf("range: %.9g %.9g\n", lo, hi);
    rc = print_qparams(lo, hi, o);
    float alo, ahi;
    if (!rc && o->has_as && (s = qcc_calib_range_as(c, o->as, &alo, &ahi)) != QCC_CALIB_OK)
      rc = fail(o->path, qcc_calib_status_str(s));
    else if (!rc && o->has_as)
      printf("range as %s: %.9g %.9g\n", qcc_calib_method_name(o->as), alo, ahi);
  }
  free(buf);
  qcc_calib_free(c);
  fclose(n.f);
  return rc;
}

int main(int argc, char **argv) {
  options o;
  memset(&o, 0, sizeof o);
  int rc = parse(argc, argv, &o);
  if (rc)
    return rc;
  if (o.qp_lo)
    return print_qparams(strtof(o.qp_lo, NULL), strtof(o.qp_hi, NULL), &o);
  if (o.per_channel_axis >= 0)
    return per_channel(&o);
  return calibrate(&o);
}
