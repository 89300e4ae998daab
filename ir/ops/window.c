#include "ir/ops/window.h"

#include <stdio.h>
#include <string.h>

const qcc_window_rules qcc_window_rules_float = {
    .attr_max = (int64_t)1 << 31,
    .in_max = (int64_t)1 << 60,
    .weight_kernel_min = 1,
    .dilations = true,
    .same_from_span = false,
    .group_max = INT64_MAX,
};

const qcc_window_rules qcc_window_rules_qconv = {
    .attr_max = INT32_MAX,
    .in_max = (int64_t)INT32_MAX * 4,
    .weight_kernel_min = 0,
    .dilations = true,
    .same_from_span = true,
    .group_max = INT32_MAX,
};

const qcc_window_rules qcc_window_rules_qpool = {
    .attr_max = INT32_MAX,
    .in_max = (int64_t)INT32_MAX * 4,
    .weight_kernel_min = 1,
    .dilations = false,
    .same_from_span = false,
};

/* Reads the ints attribute `name` into out[0..want): `dflt` everywhere when absent, else exactly
 * `want` values in [min, max]. */
static bool read_ints(qcc_window *w, const qcc_op *op, const char *name, int32_t want, int64_t dflt,
                      int64_t min, int64_t max, int64_t *out) {
  const int64_t *v;
  uint32_t n = qcc_op_attr_ints(op, name, &v);
  if (n == 0) {
    for (int32_t i = 0; i < want; ++i)
      out[i] = dflt;
    return true;
  }
  if ((int32_t)n != want) {
    snprintf(w->err, sizeof w->err, "attribute '%s' has %u values, expected %d", name, n,
             (int)want);
    return false;
  }
  for (int32_t i = 0; i < want; ++i) {
    if (v[i] < min || v[i] > max) {
      snprintf(w->err, sizeof w->err, "attribute '%s' value %lld is out of range [%lld, %lld]",
               name, (long long)v[i], (long long)min, (long long)max);
      return false;
    }
    out[i] = v[i];
  }
  return true;
}

static bool read_auto_pad(qcc_window *w, const qcc_op *op) {
  static const char *const names[] = {
      [QCC_AUTO_PAD_NOTSET] = "NOTSET",
      [QCC_AUTO_PAD_VALID] = "VALID",
      [QCC_AUTO_PAD_SAME_UPPER] = "SAME_UPPER",
      [QCC_AUTO_PAD_SAME_LOWER] = "SAME_LOWER",
  };
  const char *ap = qcc_op_attr_string(op, "auto_pad");
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
    if (strcmp(ap, names[i]) == 0) {
      w->auto_pad = (qcc_auto_pad)i;
      return true;
    }
  snprintf(w->err, sizeof w->err,
           "attribute 'auto_pad' must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, not '%s'", ap);
  return false;
}

static bool read_kernel(qcc_window *w, const qcc_op *op, const qcc_window_rules *rules,
                        const int64_t *weight_kernel) {
  const int64_t *ks;
  if (qcc_op_attr_ints(op, "kernel_shape", &ks) > 0) {
    if (!read_ints(w, op, "kernel_shape", w->nsp, 1, 1, rules->attr_max, w->kernel))
      return false;
    for (int32_t d = 0; weight_kernel && d < w->nsp; ++d)
      if (weight_kernel[d] >= 0 && weight_kernel[d] != w->kernel[d]) {
        snprintf(w->err, sizeof w->err,
                 "kernel_shape[%d] = %lld does not match the weight's spatial size %lld", (int)d,
                 (long long)w->kernel[d], (long long)weight_kernel[d]);
        return false;
      }
    return true;
  }
  if (!weight_kernel) {
    snprintf(w->err, sizeof w->err, "attribute 'kernel_shape' is required");
    return false;
  }
  for (int32_t d = 0; d < w->nsp; ++d) {
    int64_t k = weight_kernel[d];
    if (k >= 0 && (k < rules->weight_kernel_min || k > rules->attr_max)) {
      snprintf(w->err, sizeof w->err, "weight's spatial size %lld is out of range [%lld, %lld]",
               (long long)k, (long long)rules->weight_kernel_min, (long long)rules->attr_max);
      return false;
    }
    w->kernel[d] = k;
  }
  return true;
}

bool qcc_window_read(qcc_window *w, const qcc_op *op, const qcc_window_rules *rules, int32_t nsp,
                     const int64_t *weight_kernel) {
  memset(w, 0, sizeof *w);
  w->nsp = nsp;
  if (nsp < 1 || nsp > QCC_WINDOW_MAX_SPATIAL) {
    snprintf(w->err, sizeof w->err, "%d spatial dims are not supported (1 to %d)", (int)nsp,
             QCC_WINDOW_MAX_SPATIAL);
    return false;
  }
  if (!read_auto_pad(w, op) || !read_kernel(w, op, rules, weight_kernel) ||
      !read_ints(w, op, "strides", nsp, 1, 1, rules->attr_max, w->stride) ||
      !read_ints(w, op, "pads", 2 * nsp, 0, 0, rules->attr_max, w->pads))
    return false;
  if (rules->dilations)
    return read_ints(w, op, "dilations", nsp, 1, 1, rules->attr_max, w->dilation);
  for (int32_t d = 0; d < nsp; ++d)
    w->dilation[d] = 1;
  return true;
}

bool qcc_window_out(qcc_window *w, const qcc_window_rules *rules, int32_t d, int64_t in,
                    bool ceil_mode, int64_t *out, int64_t *pad_begin, int64_t *pad_end) {
  if (in < 0 || in > rules->in_max) {
    snprintf(w->err, sizeof w->err, "spatial dim %d: input size %lld is out of range", (int)d,
             (long long)in);
    return false;
  }
  /* Both factors are below 2^31, so the dilated kernel stays below 2^62. */
  int64_t ek = (w->kernel[d] - 1) * w->dilation[d] + 1;
  int64_t s = w->stride[d];
  int64_t pb = 0, pe = 0;
  if (w->auto_pad == QCC_AUTO_PAD_SAME_UPPER || w->auto_pad == QCC_AUTO_PAD_SAME_LOWER) {
    int64_t o = (in + s - 1) / s;
    int64_t total = o > 0 ? (o - 1) * s + ek - in : 0;
    if (total < 0)
      total = 0;
    /* SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning. */
    pb = w->auto_pad == QCC_AUTO_PAD_SAME_UPPER ? total / 2 : total - total / 2;
    pe = total - pb;
    if (!rules->same_from_span) {
      *out = o;
      *pad_begin = pb;
      *pad_end = pe;
      return true;
    }
    ceil_mode = false;
  } else if (w->auto_pad == QCC_AUTO_PAD_NOTSET) {
    pb = w->pads[d];
    pe = w->pads[w->nsp + d];
  }
  int64_t span = in + pb + pe - ek;
  if (span < 0) {
    snprintf(w->err, sizeof w->err,
             "spatial dim %d: input size %lld with padding is smaller than the dilated kernel "
             "size %lld",
             (int)d, (long long)in, (long long)ek);
    return false;
  }
  int64_t o = ceil_mode ? (span + s - 1) / s + 1 : span / s + 1;
  /* In ceil mode the last window must still start inside the input or the leading pad. */
  if (ceil_mode && (o - 1) * s >= in + pb)
    --o;
  *out = o;
  *pad_begin = pb;
  *pad_end = pe;
  return true;
}

bool qcc_window_infer_dims(qcc_window *w, const qcc_window_rules *rules, const qcc_dim *in,
                           bool ceil_mode, qcc_dim *out) {
  for (int32_t d = 0; d < w->nsp; ++d) {
    out[d] = (qcc_dim){.size = -1};
    int64_t size = in ? in[d].size : -1, o, pb, pe;
    if (size < 0 || w->kernel[d] < 0)
      continue;
    if (!qcc_window_out(w, rules, d, size, ceil_mode, &o, &pb, &pe))
      return false;
    out[d].size = o;
  }
  return true;
}

bool qcc_window_expand3(qcc_window *w, const qcc_window_rules *rules, const int64_t *in,
                        bool ceil_mode, qcc_window3 *n, int64_t *out) {
  int32_t shift = QCC_WINDOW3_DIMS - w->nsp;
  for (int32_t e = 0; e < QCC_WINDOW3_DIMS; ++e) {
    n->in[e] = n->kernel[e] = n->out[e] = n->stride[e] = n->dilation[e] = 1;
    n->pad_begin[e] = n->pad_end[e] = 0;
  }
  for (int32_t d = 0; d < w->nsp; ++d) {
    int32_t e = d + shift;
    n->in[e] = in[d];
    n->kernel[e] = w->kernel[d];
    n->stride[e] = w->stride[d];
    n->dilation[e] = w->dilation[d];
    if (!qcc_window_out(w, rules, d, in[d], ceil_mode, &n->out[e], &n->pad_begin[e],
                        &n->pad_end[e]))
      return false;
    out[d] = n->out[e];
  }
  return true;
}

bool qcc_conv_group_read(const qcc_op *op, const qcc_window_rules *rules, int64_t *group,
                         char err[200]) {
  *group = qcc_op_attr_int(op, "group");
  if (*group < 1) {
    snprintf(err, 200, "group must be >= 1, not %lld", (long long)*group);
    return false;
  }
  if (*group > rules->group_max) {
    snprintf(err, 200, "group %lld is larger than %lld", (long long)*group,
             (long long)rules->group_max);
    return false;
  }
  return true;
}

bool qcc_conv_geom_read(qcc_conv_geom *g, const qcc_op *op, const qcc_window_rules *rules,
                        int32_t nsp, const int64_t *weight_kernel) {
  if (!qcc_conv_group_read(op, rules, &g->group, g->w.err))
    return false;
  return qcc_window_read(&g->w, op, rules, nsp, weight_kernel);
}

bool qcc_product_within(const int64_t *v, int32_t n, int64_t limit, int64_t *out) {
  int64_t p = 1;
  for (int32_t i = 0; i < n; ++i) {
    if (v[i] < 0 || (v[i] != 0 && p > limit / v[i]))
      return false;
    p *= v[i];
  }
  *out = p;
  return true;
}
