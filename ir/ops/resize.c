/* Resize (opset 10-19): nearest, N-D linear and cubic interpolation with the ONNX coordinate
 * transformation modes. Each output coordinate of each dim maps to a few weighted input taps;
 * an output element is the separable product of its dims' taps. */
#include "ir/ops/resize.h"

#include "ir/ops/op_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { MODE_NEAREST, MODE_LINEAR, MODE_CUBIC } resize_mode;
typedef enum {
  CT_HALF_PIXEL,
  CT_HALF_PIXEL_SYMMETRIC,
  CT_PYTORCH_HALF_PIXEL,
  CT_ALIGN_CORNERS,
  CT_ASYMMETRIC,
  CT_TF_HALF_PIXEL_FOR_NN,
  CT_TF_CROP_AND_RESIZE,
} coord_mode;
typedef enum {
  NEAR_ROUND_PREFER_FLOOR,
  NEAR_ROUND_PREFER_CEIL,
  NEAR_FLOOR,
  NEAR_CEIL
} nearest_mode;
typedef enum { KEEP_STRETCH, KEEP_NOT_LARGER, KEEP_NOT_SMALLER } keep_policy;

typedef struct resize_attrs {
  resize_mode mode;
  coord_mode coord;
  nearest_mode nearest;
  keep_policy keep;
  double cubic_a, extrapolation;
  bool exclude_outside;
  const int64_t *axes; /* NULL: all dims */
  uint32_t naxes;
} resize_attrs;

/* Operand slots: opset 10 has (X, scales); opset 11+ has (X, roi, scales, sizes). */
typedef struct resize_slots {
  int roi, scales, sizes; /* -1 when the form has no such operand */
} resize_slots;

static resize_slots slots_of(const qcc_op *op) {
  if (op->num_operands == 2 && op->operands[1].value)
    return (resize_slots){.roi = -1, .scales = 1, .sizes = -1};
  return (resize_slots){.roi = 1, .scales = 2, .sizes = 3};
}

static int lookup_name(const char *s, const char *const *names, int n) {
  for (int i = 0; i < n; ++i)
    if (strcmp(s, names[i]) == 0)
      return i;
  return -1;
}

/* Reads and validates the attributes; returns an error message or NULL. */
static const char *read_attrs(const qcc_op *op, resize_attrs *a) {
  static const char *const modes[] = {"nearest", "linear", "cubic"};
  static const char *const coords[] = {
      "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
      "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
  static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                         "ceil"};
  static const char *const keeps[] = {"stretch", "not_larger", "not_smaller"};
  bool legacy = op->num_operands == 2 && op->operands[1].value;
  int m = lookup_name(qcc_op_attr_string(op, "mode"), modes, 3);
  /* Opset 10 Resize (two operands) sampled like Upsample: asymmetric, floor. */
  const char *coord = legacy && !qcc_op_attr(op, "coordinate_transformation_mode")
                          ? "asymmetric"
                          : qcc_op_attr_string(op, "coordinate_transformation_mode");
  const char *nearest =
      legacy && !qcc_op_attr(op, "nearest_mode") ? "floor" : qcc_op_attr_string(op, "nearest_mode");
  int c = lookup_name(coord, coords, 7);
  int n = lookup_name(nearest, nearests, 4);
  int k = lookup_name(qcc_op_attr_string(op, "keep_aspect_ratio_policy"), keeps, 3);
  if (m < 0)
    return "unknown mode (expected nearest, linear or cubic)";
  if (c < 0)
    return "unknown coordinate_transformation_mode";
  if (n < 0)
    return "unknown nearest_mode";
  if (k < 0)
    return "unknown keep_aspect_ratio_policy";
  if (qcc_op_attr_int(op, "antialias") != 0)
    return "antialias is not supported";
  a->mode = (resize_mode)m;
  a->coord = (coord_mode)c;
  a->nearest = (nearest_mode)n;
  a->keep = (keep_policy)k;
  a->cubic_a = qcc_op_attr_float(op, "cubic_coeff_a");
  a->extrapolation = qcc_op_attr_float(op, "extrapolation_value");
  a->exclude_outside = qcc_op_attr_int(op, "exclude_outside") != 0;
  a->axes = NULL;
  a->naxes = 0;
  if (qcc_op_attr(op, "axes"))
    a->naxes = qcc_op_attr_ints(op, "axes", &a->axes);
  return NULL;
}

/* Maps the entries of scales/sizes/roi to dims: axis_of[i] is the dim of entry i. */
static const char *resolve_axes(const resize_attrs *a, int32_t rank, int32_t *axis_of,
                                int32_t *count) {
  if (!a->axes) {
    for (int32_t d = 0; d < rank; ++d)
      axis_of[d] = d;
    *count = rank;
    return NULL;
  }
  if (a->naxes > (uint32_t)rank)
    return "axes has more entries than the input has dims";
  bool seen[QCC_MAX_RANK] = {false};
  for (uint32_t i = 0; i < a->naxes; ++i) {
    int64_t ax = a->axes[i] < 0 ? a->axes[i] + rank : a->axes[i];
    if (ax < 0 || ax >= rank || seen[ax])
      return "axes are out of range or repeated";
    seen[ax] = true;
    axis_of[i] = (int32_t)ax;
  }
  *count = (int32_t)a->naxes;
  return NULL;
}

/* floor(v) as a dimension size; false when v is not a sane size. */
static bool size_from_double(double v, int64_t *out) {
  if (!(v >= 0) || v > 4e18)
    return false;
  *out = (int64_t)floor(v);
  return true;
}

/* ---- shape rule ------------------------------------------------------------------------- */

/* Reads a constant float operand (scales/roi) into the arena. */
static bool const_floats(qcc_infer_ctx *ctx, int slot, double **vals, int64_t *count) {
  const qcc_const *k = qcc_value_const(qcc_op_operand(ctx->op, (uint32_t)slot));
  int64_t n;
  if (!k || !qcc_type_numel(k->type, &n))
    return false;
  if (k->type.elem != QCC_F32 && k->type.elem != QCC_F16)
    return false;
  qcc_tensor view = {.elem = k->type.elem, .numel = n, .data = (void *)k->data};
  if ((size_t)n * qcc_elem_size(k->type.elem) > k->nbytes)
    return false;
  double *v = qcc_arena_alloc_array(ctx->arena, (size_t)(n ? n : 1), sizeof(double));
  if (!v)
    return false;
  for (int64_t i = 0; i < n; ++i)
    v[i] = qcc_tensor_get_f64(&view, i);
  *vals = v;
  *count = n;
  return true;
}

/* Whether an optional operand is given: 1 yes, 0 no (absent or empty), -1 cannot tell. */
static int operand_given(const qcc_infer_ctx *ctx, int slot) {
  if (slot < 0 || !qcc_has_operand(ctx->op, (uint32_t)slot))
    return 0;
  qcc_type t = qcc_operand_type(ctx, (uint32_t)slot);
  if (t.rank == 1 && t.dims[0].size >= 0)
    return t.dims[0].size > 0;
  if (t.rank == 0)
    return 1;
  return -1;
}

static qcc_status resize_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  qcc_type x = qcc_operand_type(ctx, 0);
  resize_attrs a;
  const char *err = read_attrs(op, &a);
  if (err)
    return qcc_infer_error(ctx, "%s", err);
  resize_slots s = slots_of(op);
  if (s.sizes >= 0 && qcc_has_operand(op, (uint32_t)s.sizes) &&
      qcc_operand_type(ctx, (uint32_t)s.sizes).elem != QCC_I64)
    return qcc_infer_error(ctx, "sizes must be i64");
  if (qcc_has_operand(op, (uint32_t)s.scales) &&
      !qcc_elem_is_float(qcc_operand_type(ctx, (uint32_t)s.scales).elem))
    return qcc_infer_error(ctx, "scales must be f32");
  if (x.rank < 0) {
    ctx->results[0] = qcc_type_unranked(x.elem);
    return QCC_OK;
  }
  int32_t axis_of[QCC_MAX_RANK], naxes;
  if ((err = resolve_axes(&a, x.rank, axis_of, &naxes)))
    return qcc_infer_error(ctx, "%s", err);
  qcc_dim dims[QCC_MAX_RANK];
  memcpy(dims, x.dims, (size_t)x.rank * sizeof(qcc_dim));
  for (int32_t i = 0; i < naxes; ++i)
    dims[axis_of[i]] = (qcc_dim){.size = -1};
  int sizes_given = operand_given(ctx, s.sizes), scales_given = operand_given(ctx, s.scales);
  if (sizes_given == 1 && scales_given == 1)
    return qcc_infer_error(ctx, "only one of scales and sizes may be given");
  if (sizes_given == 0 && scales_given == 0)
    return qcc_infer_error(ctx, "one of scales and sizes is required");
  const int64_t *sizes;
  double *scales, *roi = NULL;
  int64_t n, nroi = 0;
  if (sizes_given == 1 && a.keep == KEEP_STRETCH &&
      qcc_infer_const_ints(ctx, (uint32_t)s.sizes, &sizes, &n)) {
    if (n != naxes)
      return qcc_infer_error(ctx, "sizes has %lld entries, expected %d", (long long)n, (int)naxes);
    for (int32_t i = 0; i < naxes; ++i) {
      if (sizes[i] < 0)
        return qcc_infer_error(ctx, "sizes entry %lld is negative", (long long)sizes[i]);
      dims[axis_of[i]] = (qcc_dim){.size = sizes[i]};
    }
  } else if (scales_given == 1 && const_floats(ctx, s.scales, &scales, &n)) {
    if (n != naxes)
      return qcc_infer_error(ctx, "scales has %lld entries, expected %d", (long long)n, (int)naxes);
    bool crop = a.coord == CT_TF_CROP_AND_RESIZE;
    if (crop && !(s.roi >= 0 && qcc_has_operand(op, (uint32_t)s.roi) &&
                  const_floats(ctx, s.roi, &roi, &nroi) && nroi == 2 * naxes))
      return qcc_infer_set(ctx, 0, x.elem, x.rank, dims);
    for (int32_t i = 0; i < naxes; ++i) {
      int32_t d = axis_of[i];
      if (!(scales[i] > 0))
        return qcc_infer_error(ctx, "scales must be positive");
      if (x.dims[d].size < 0)
        continue;
      double extent = crop ? roi[naxes + i] - roi[i] : 1.0;
      int64_t size;
      if (!size_from_double((double)x.dims[d].size * extent * scales[i], &size))
        return qcc_infer_error(ctx, "output size along dimension %d is out of range", (int)d);
      dims[d] = (qcc_dim){.size = size};
    }
  }
  return qcc_infer_set(ctx, 0, x.elem, x.rank, dims);
}

/* ---- reference semantics ---------------------------------------------------------------- */

typedef qcc_resize_taps resize_taps;

static double cubic_weight(double t, double a) {
  t = fabs(t);
  if (t <= 1)
    return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2)
    return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

static int64_t clamp_index(int64_t i, int64_t len) { return i < 0 ? 0 : i >= len ? len - 1 : i; }

/* Source coordinate of output coordinate `x` along a dim of input length `len_in`. The
 * resized length is taken as scale * len_in (not the floored output size), as the ONNX
 * reference implementation does. */
static double source_coord(const resize_attrs *a, double x, double scale, int64_t len_in,
                           int64_t len_out, double roi_start, double roi_end) {
  double len_resized = scale * (double)len_in;
  switch (a->coord) {
  case CT_HALF_PIXEL: return (x + 0.5) / scale - 0.5;
  case CT_HALF_PIXEL_SYMMETRIC: {
    double adjustment = (double)len_out / len_resized;
    double center = (double)len_in / 2;
    return center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
  }
  case CT_PYTORCH_HALF_PIXEL: return len_resized > 1 ? (x + 0.5) / scale - 0.5 : 0;
  case CT_ALIGN_CORNERS: return len_resized == 1 ? 0 : x * (double)(len_in - 1) / (len_resized - 1);
  case CT_ASYMMETRIC: return x / scale;
  case CT_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / scale;
  case CT_TF_CROP_AND_RESIZE:
    if (len_resized > 1)
      return roi_start * (double)(len_in - 1) +
             x * (roi_end - roi_start) * (double)(len_in - 1) / (len_resized - 1);
    return 0.5 * (roi_start + roi_end) * (double)(len_in - 1);
  }
  return 0;
}

static resize_taps make_taps(const resize_attrs *a, double src, int64_t len_in) {
  resize_taps t = {.n = 1};
  if (a->coord == CT_TF_CROP_AND_RESIZE && (src < 0 || src > (double)(len_in - 1))) {
    t.outside = true;
    t.w[0] = 1;
    return t;
  }
  /* Far-out coordinates (hostile scales) all clamp to the edge anyway. */
  if (src < -1e15)
    src = -1e15;
  if (src > 1e15)
    src = 1e15;
  double base = floor(src), frac = src - base;
  int64_t i0 = (int64_t)base;
  switch (a->mode) {
  case MODE_NEAREST: {
    int64_t i = i0;
    if (frac != 0) {
      switch (a->nearest) {
      case NEAR_ROUND_PREFER_FLOOR: i = frac <= 0.5 ? i0 : i0 + 1; break;
      case NEAR_ROUND_PREFER_CEIL: i = frac < 0.5 ? i0 : i0 + 1; break;
      case NEAR_FLOOR: i = i0; break;
      case NEAR_CEIL: i = i0 + 1; break;
      }
    }
    t.idx[0] = clamp_index(i, len_in);
    t.w[0] = 1;
    break;
  }
  case MODE_LINEAR:
    t.idx[0] = clamp_index(i0, len_in);
    t.w[0] = 1 - frac;
    if (frac != 0) {
      t.n = 2;
      t.idx[1] = clamp_index(i0 + 1, len_in);
      t.w[1] = frac;
    }
    break;
  case MODE_CUBIC: {
    t.n = 4;
    double sum = 0;
    for (int k = 0; k < 4; ++k) {
      int64_t i = i0 - 1 + k;
      double w = cubic_weight(frac - (double)(k - 1), a->cubic_a);
      if (a->exclude_outside && (i < 0 || i >= len_in))
        w = 0;
      t.idx[k] = clamp_index(i, len_in);
      t.w[k] = w;
      sum += w;
    }
    if (a->exclude_outside && sum != 0)
      for (int k = 0; k < 4; ++k)
        t.w[k] /= sum;
    break;
  }
  }
  return t;
}

/* Runtime float vector (scales/roi). */
static bool read_floats(const qcc_tensor *t, const char *what, double *out, int64_t cap, int64_t *n,
                        char *err, size_t errlen) {
  if (t->rank > 1 || !qcc_elem_is_float(t->elem)) {
    snprintf(err, errlen, "%s must be a 1-D float tensor", what);
    return false;
  }
  if (t->numel > cap) {
    snprintf(err, errlen, "%s has too many entries", what);
    return false;
  }
  for (int64_t i = 0; i < t->numel; ++i)
    out[i] = qcc_tensor_get_f64(t, i);
  *n = t->numel;
  return true;
}

#define PLAN_FAIL(...)                                                                             \
  do {                                                                                             \
    snprintf(err, errlen, __VA_ARGS__);                                                            \
    return false;                                                                                  \
  } while (0)

bool qcc_resize_plan_make(const qcc_op *op, const qcc_tensor *const *in, qcc_resize_plan *p,
                          char *err, size_t errlen) {
  memset(p, 0, sizeof *p);
  const qcc_tensor *x = in[0];
  int32_t rank = x->rank;
  resize_attrs a;
  const char *msg = read_attrs(op, &a);
  if (msg)
    PLAN_FAIL("%s", msg);
  int32_t axis_of[QCC_MAX_RANK], naxes;
  if ((msg = resolve_axes(&a, rank, axis_of, &naxes)))
    PLAN_FAIL("%s", msg);
  resize_slots s = slots_of(op);
  const qcc_tensor *roi_t = s.roi >= 0 && (uint32_t)s.roi < op->num_operands ? in[s.roi] : NULL;
  const qcc_tensor *scales_t = (uint32_t)s.scales < op->num_operands ? in[s.scales] : NULL;
  const qcc_tensor *sizes_t =
      s.sizes >= 0 && (uint32_t)s.sizes < op->num_operands ? in[s.sizes] : NULL;
  if (scales_t && scales_t->numel == 0)
    scales_t = NULL;
  if (sizes_t && sizes_t->numel == 0)
    sizes_t = NULL;
  if (!scales_t == !sizes_t)
    PLAN_FAIL("exactly one of scales and sizes must be given");

  double scale[QCC_MAX_RANK], roi[2 * QCC_MAX_RANK], given[QCC_MAX_RANK];
  int64_t *dims = p->dims, n;
  for (int32_t d = 0; d < rank; ++d) {
    scale[d] = 1;
    dims[d] = x->dims[d];
    roi[d] = 0;
    roi[d + QCC_MAX_RANK] = 1;
  }
  if (roi_t && roi_t->numel > 0 && a.coord == CT_TF_CROP_AND_RESIZE) {
    double r[2 * QCC_MAX_RANK];
    if (!read_floats(roi_t, "roi", r, 2 * QCC_MAX_RANK, &n, err, errlen))
      return false;
    if (n != 2 * naxes)
      PLAN_FAIL("roi has %lld entries, expected %d", (long long)n, (int)(2 * naxes));
    for (int32_t i = 0; i < naxes; ++i) {
      roi[axis_of[i]] = r[i];
      roi[axis_of[i] + QCC_MAX_RANK] = r[i + naxes];
    }
  }
  for (int32_t i = 0; i < naxes; ++i)
    if (x->dims[axis_of[i]] == 0)
      PLAN_FAIL("cannot resize an empty dimension");
  if (sizes_t) {
    if (sizes_t->rank > 1 || !qcc_elem_is_int(sizes_t->elem) || sizes_t->numel != naxes)
      PLAN_FAIL("sizes must be a 1-D integer tensor with %d entries", (int)naxes);
    for (int32_t i = 0; i < naxes; ++i) {
      int64_t v = qcc_tensor_get_i64(sizes_t, i);
      if (v < 0 || v > ((int64_t)1 << 50))
        PLAN_FAIL("sizes entry %lld is out of range", (long long)v);
      given[i] = (double)v;
    }
    if (a.keep != KEEP_STRETCH) {
      /* One common scale keeps the aspect ratio; sizes are recomputed from it. */
      double common = 0;
      for (int32_t i = 0; i < naxes; ++i) {
        double r = given[i] / (double)x->dims[axis_of[i]];
        if (i == 0 || (a.keep == KEEP_NOT_LARGER ? r < common : r > common))
          common = r;
      }
      for (int32_t i = 0; i < naxes; ++i)
        given[i] = nearbyint(common * (double)x->dims[axis_of[i]]);
    }
    for (int32_t i = 0; i < naxes; ++i) {
      int32_t d = axis_of[i];
      if (!size_from_double(given[i], &dims[d]))
        PLAN_FAIL("output size along dimension %d is out of range", (int)d);
      scale[d] = given[i] / (double)x->dims[d];
    }
  } else {
    if (!read_floats(scales_t, "scales", given, QCC_MAX_RANK, &n, err, errlen))
      return false;
    if (n != naxes)
      PLAN_FAIL("scales has %lld entries, expected %d", (long long)n, (int)naxes);
    for (int32_t i = 0; i < naxes; ++i) {
      int32_t d = axis_of[i];
      if (!(given[i] > 0) || given[i] > 1e12)
        PLAN_FAIL("scale %g is out of range", given[i]);
      double extent = a.coord == CT_TF_CROP_AND_RESIZE ? roi[d + QCC_MAX_RANK] - roi[d] : 1.0;
      if (!size_from_double((double)x->dims[d] * extent * given[i], &dims[d]))
        PLAN_FAIL("output size along dimension %d is out of range", (int)d);
      scale[d] = given[i];
    }
  }
  p->rank = rank;
  p->extrapolation = a.extrapolation;

  /* Tap tables, one entry per output coordinate of each dim. */
  int64_t total = 0;
  for (int32_t d = 0; d < rank; ++d)
    total += dims[d]; /* each dims[d] <= y->numel */
  resize_taps *all = p->all = calloc((size_t)(total ? total : 1), sizeof(resize_taps));
  if (!all)
    PLAN_FAIL("out of memory");
  resize_taps *next = all;
  for (int32_t d = 0; d < rank; ++d) {
    p->tables[d] = next;
    for (int64_t o = 0; o < dims[d]; ++o) {
      if (scale[d] == 1 && dims[d] == x->dims[d] && a.coord != CT_TF_CROP_AND_RESIZE)
        next[o] = (resize_taps){.n = 1, .idx = {o}, .w = {1}}; /* untouched dim */
      else
        next[o] = make_taps(&a,
                            source_coord(&a, (double)o, scale[d], x->dims[d], dims[d], roi[d],
                                         roi[d + QCC_MAX_RANK]),
                            x->dims[d]);
    }
    next += dims[d];
  }

  return true;
}

void qcc_resize_plan_free(qcc_resize_plan *p) {
  free(p->all);
  p->all = NULL;
}

static qcc_status resize_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                              qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  int32_t rank = x->rank;
  qcc_resize_plan plan;
  char err[160];
  if (!qcc_resize_plan_make(op, in, &plan, err, sizeof err)) {
    qcc_resize_plan_free(&plan);
    return qcc_eval_error(ctx, "%s", err);
  }
  const int64_t *dims = plan.dims;
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, x->elem, rank, dims);
  if (!y || y->numel == 0) {
    qcc_resize_plan_free(&plan);
    return y ? QCC_OK : QCC_ERR_INPUT;
  }
  resize_taps *const *tables = plan.tables;
  int64_t strides[QCC_MAX_RANK], sz = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    strides[d] = sz;
    sz *= x->dims[d];
  }
  bool as_float = qcc_elem_is_float(x->elem);
  int64_t idx[QCC_MAX_RANK] = {0}, o = 0;
  do {
    const resize_taps *t[QCC_MAX_RANK];
    bool outside = false;
    for (int32_t d = 0; d < rank; ++d) {
      t[d] = &tables[d][idx[d]];
      outside |= t[d]->outside;
    }
    double acc = 0;
    if (outside) {
      acc = plan.extrapolation;
    } else {
      int32_t k[QCC_MAX_RANK] = {0};
      for (;;) {
        double w = 1;
        int64_t off = 0;
        for (int32_t d = 0; d < rank; ++d) {
          w *= t[d]->w[k[d]];
          off += t[d]->idx[k[d]] * strides[d];
        }
        if (w != 0)
          acc += w * qcc_tensor_get_f64(x, off);
        int32_t d = rank - 1;
        while (d >= 0 && ++k[d] == t[d]->n)
          k[d--] = 0;
        if (d < 0)
          break;
      }
    }
    if (as_float) {
      qcc_tensor_set_f64(y, o, acc);
    } else {
      /* Integer data: round and saturate to the element range. */
      int64_t lo, hi;
      qcc_elem_int_range(x->elem, &lo, &hi);
      double r = nearbyint(acc);
      qcc_tensor_set_i64(y, o, r <= (double)lo ? lo : r >= (double)hi ? hi : (int64_t)r);
    }
    ++o;
  } while (qcc_index_next(idx, dims, rank));
  qcc_resize_plan_free(&plan);
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Resize = {
    .kind = QCC_OP_Resize,
    QCC_OP_NAMES(Resize),
    .min_operands = 1,
    .max_operands = 4,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(
        QCC_ATTR_S("mode", "nearest"), QCC_ATTR_S("coordinate_transformation_mode", "half_pixel"),
        QCC_ATTR_S("nearest_mode", "round_prefer_floor"), QCC_ATTR_F("cubic_coeff_a", -0.75f),
        QCC_ATTR_I("exclude_outside", 0), QCC_ATTR_F("extrapolation_value", 0.0f),
        QCC_ATTR_I("antialias", 0), QCC_ATTR_OPT("axes", QCC_ATTR_INTS),
        QCC_ATTR_S("keep_aspect_ratio_policy", "stretch")),
    .infer = resize_infer,
    .eval = resize_eval,
};
