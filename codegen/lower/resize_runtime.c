/* Resize (ir/ops/resize.c) whose scales, sizes or roi are run-time operands (graph inputs), on
 * f32, u8 and i8, compiled for the result's declared shape.
 *
 * Precondition: no `axes` attribute, keep_aspect_ratio_policy stretch, no antialias.
 * Effect: the run function first computes the output dims the operands give (qcc_resize_plan_make's
 * arithmetic in double: floor(len * extent * scale), or the sizes) and returns QCC_RT_ERR_SHAPE
 * when they differ from the compiled ones or the operands are invalid (qcc_lower_run_check). The
 * kernel then computes, for each output coordinate of each dim (in the loop over that dim), the
 * interpreter's taps: source_coord, make_taps (the nearest rounding modes, linear and cubic
 * weights with exclude_outside, tf_crop_and_resize's outside test) and the untouched-dim rule,
 * with the same double operations in the same order, so the bits match. Taps are padded to the
 * mode's count with weight-0 taps (skipped like the missing ones: products equal to 0 are), and
 * each output element accumulates as the static kernel does (codegen/lower/resize.c).
 * Run-time sizes alone (constant or no roi, stretch, no axes) need none of this: resize.c bakes
 * the plan of the declared dims, and qcc_lower_resize_check_sizes has the run check the sizes
 * against them. */
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/interp.h"
#include "ir/op_registry.h"

typedef enum { RM_NEAREST, RM_LINEAR, RM_CUBIC } rt_mode;
typedef enum {
  RC_HALF_PIXEL,
  RC_HALF_PIXEL_SYMMETRIC,
  RC_PYTORCH_HALF_PIXEL,
  RC_ALIGN_CORNERS,
  RC_ASYMMETRIC,
  RC_TF_HALF_PIXEL_FOR_NN,
  RC_TF_CROP_AND_RESIZE,
} rt_coord;
typedef enum { RN_ROUND_PREFER_FLOOR, RN_ROUND_PREFER_CEIL, RN_FLOOR, RN_CEIL } rt_nearest;

/* One of roi, scales, sizes: absent (or empty), constant values, or a run-time 1-D tensor. */
typedef struct rt_list {
  bool given, rt;
  uint32_t operand;
  int64_t n;
  double k[2 * QCC_MAX_RANK];
} rt_list;

typedef struct rt_resize {
  qcc_lower_ctx *L;
  qcc_cg_tensor x, y;
  LLVMTypeRef f64;
  rt_mode mode;
  rt_coord coord;
  rt_nearest nearest;
  double cubic_a, extrapolation;
  bool exclude_outside;
  rt_list roi, scales, sizes;
  int32_t taps;                                          /* per dim: 1, 2 or 4 */
  LLVMValueRef scale[QCC_MAX_RANK];                      /* f64 */
  LLVMValueRef roi_s[QCC_MAX_RANK], roi_e[QCC_MAX_RANK]; /* f64 (crop only) */
  LLVMValueRef untouched[QCC_MAX_RANK];                  /* i1 */
  LLVMValueRef idx, w, outside; /* stack arrays [rank][4]: i64, f64; i1 [rank] */
  LLVMValueRef acc;
} rt_resize;

static int lookup(const char *s, const char *const *names, int n) {
  for (int i = 0; i < n; ++i)
    if (strcmp(s, names[i]) == 0)
      return i;
  return -1;
}

/* read_attrs of ir/ops/resize.c. */
static qcc_status read_attrs(rt_resize *r) {
  static const char *const modes[] = {"nearest", "linear", "cubic"};
  static const char *const coords[] = {
      "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
      "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
  static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                         "ceil"};
  qcc_lower_ctx *L = r->L;
  const qcc_op *op = L->op;
  bool legacy = op->num_operands == 2 && op->operands[1].value;
  const char *coord = legacy && !qcc_op_attr(op, "coordinate_transformation_mode")
                          ? "asymmetric"
                          : qcc_op_attr_string(op, "coordinate_transformation_mode");
  const char *nearest =
      legacy && !qcc_op_attr(op, "nearest_mode") ? "floor" : qcc_op_attr_string(op, "nearest_mode");
  int m = lookup(qcc_op_attr_string(op, "mode"), modes, 3), c = lookup(coord, coords, 7);
  int n = lookup(nearest, nearests, 4);
  if (m < 0 || c < 0 || n < 0)
    return qcc_lower_error(L, "unknown mode, coordinate_transformation_mode or nearest_mode");
  if (qcc_op_attr_int(op, "antialias") != 0 || qcc_op_attr(op, "axes") ||
      strcmp(qcc_op_attr_string(op, "keep_aspect_ratio_policy"), "stretch") != 0)
    return qcc_lower_error(L, "with run-time scales or sizes, antialias, axes and "
                              "keep_aspect_ratio_policy other than stretch are not supported");
  r->mode = (rt_mode)m;
  r->coord = (rt_coord)c;
  r->nearest = (rt_nearest)n;
  r->cubic_a = qcc_op_attr_float(op, "cubic_coeff_a");
  r->extrapolation = qcc_op_attr_float(op, "extrapolation_value");
  r->exclude_outside = qcc_op_attr_int(op, "exclude_outside") != 0;
  r->taps = r->mode == RM_NEAREST ? 1 : r->mode == RM_LINEAR ? 2 : 4;
  return QCC_OK;
}

static qcc_status read_list(rt_resize *r, rt_list *l, int slot, bool is_float) {
  qcc_lower_ctx *L = r->L;
  memset(l, 0, sizeof *l);
  const qcc_value *v = slot >= 0 ? qcc_op_operand(L->op, (uint32_t)slot) : NULL;
  int64_t n;
  if (!v || !qcc_type_numel(v->type, &n) || n == 0)
    return QCC_OK;
  if (v->type.rank != 1 || n > 2 * QCC_MAX_RANK)
    return qcc_lower_error(L, "roi, scales and sizes must be 1-D tensors");
  l->given = true;
  l->operand = (uint32_t)slot;
  l->n = n;
  const qcc_const *k = qcc_value_const(v);
  if (!k) {
    l->rt = true;
    if (is_float ? v->type.elem != QCC_F32 : (v->type.elem != QCC_I64 && v->type.elem != QCC_I32))
      return qcc_lower_error(L, "run-time %s must be %s", is_float ? "roi and scales" : "sizes",
                             is_float ? "f32" : "i64 or i32");
    return QCC_OK;
  }
  qcc_tensor storage;
  const qcc_tensor *t = qcc_tensor_of_const(k, &storage);
  for (int64_t i = 0; i < n; ++i)
    l->k[i] = is_float ? qcc_tensor_get_f64(t, i) : (double)qcc_tensor_get_i64(t, i);
  return QCC_OK;
}

/* Entry i of a list as f64 (float lists) or i64 (sizes). */
static LLVMValueRef list_f64(rt_resize *r, const rt_list *l, const qcc_cg_tensor *t, int64_t i) {
  qcc_cg *cg = r->L->cg;
  if (!l->rt)
    return LLVMConstReal(r->f64, l->k[i]);
  LLVMValueRef v = qcc_cg_load_at(cg, t, qcc_cg_i64(cg, i * t->strides[0]));
  return LLVMBuildFPExt(cg->b, v, r->f64, "");
}

static LLVMValueRef list_i64(rt_resize *r, const rt_list *l, const qcc_cg_tensor *t, int64_t i) {
  return l->rt ? qcc_lower_rt_int(r->L->cg, t, i) : qcc_cg_i64(r->L->cg, (int64_t)l->k[i]);
}

static LLVMValueRef fcmp(qcc_cg *cg, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFCmp(cg->b, p, a, b, "");
}

/* Per dim: the scale and roi (r->scale, roi_s, roi_e, untouched) as qcc_resize_plan_make computes
 * them; the returned i1 is set when the operands are invalid or give another output shape than
 * y's. In the kernel, or with run = true in the run function. */
static LLVMValueRef dim_params(rt_resize *r, bool run) {
  qcc_lower_ctx *L = r->L;
  qcc_cg *cg = L->cg;
  LLVMBuilderRef b = cg->b;
  qcc_cg_tensor tr, ts, tz;
  bool crop = r->coord == RC_TF_CROP_AND_RESIZE;
  rt_list *lists[3] = {&r->roi, &r->scales, &r->sizes};
  qcc_cg_tensor *views[3] = {&tr, &ts, &tz};
  for (int k = 0; k < 3; ++k)
    if (lists[k]->rt) {
      if (run)
        qcc_lower_run_operand(L, lists[k]->operand, views[k]);
      else
        qcc_lower_operand(L, lists[k]->operand, views[k]);
    }
  LLVMValueRef bad = qcc_cg_i1(cg, false), one = LLVMConstReal(r->f64, 1.0);
  int32_t rank = r->x.rank;
  for (int32_t d = 0; d < rank; ++d) {
    LLVMValueRef xd = LLVMConstReal(r->f64, (double)r->x.dims[d]);
    r->roi_s[d] = LLVMConstReal(r->f64, 0.0);
    r->roi_e[d] = one;
    if (crop && r->roi.given) {
      r->roi_s[d] = list_f64(r, &r->roi, &tr, d);
      r->roi_e[d] = list_f64(r, &r->roi, &tr, d + rank);
    }
    LLVMValueRef size; /* the output size, f64 before floor */
    if (r->sizes.given) {
      LLVMValueRef v = list_i64(r, &r->sizes, &tz, d);
      bad = LLVMBuildOr(b, bad,
                        LLVMBuildNot(b, qcc_cg_in_range(cg, v, 0, ((int64_t)1 << 50) + 1), ""), "");
      size = LLVMBuildSIToFP(b, v, r->f64, "");
      r->scale[d] = LLVMBuildFDiv(b, size, xd, "");
    } else {
      LLVMValueRef s = list_f64(r, &r->scales, &ts, d);
      bad = LLVMBuildOr(
          b, bad, LLVMBuildNot(b, fcmp(cg, LLVMRealOGT, s, LLVMConstReal(r->f64, 0)), ""), "");
      bad = LLVMBuildOr(b, bad, fcmp(cg, LLVMRealOGT, s, LLVMConstReal(r->f64, 1e12)), "");
      LLVMValueRef extent = crop ? LLVMBuildFSub(b, r->roi_e[d], r->roi_s[d], "") : one;
      size = LLVMBuildFMul(b, LLVMBuildFMul(b, xd, extent, ""), s, "");
      r->scale[d] = s;
    }
    /* size_from_double: 0 <= size <= 4e18 (NaN fails), then floor. */
    bad = LLVMBuildOr(
        b, bad, LLVMBuildNot(b, fcmp(cg, LLVMRealOGE, size, LLVMConstReal(r->f64, 0)), ""), "");
    bad = LLVMBuildOr(b, bad, fcmp(cg, LLVMRealOGT, size, LLVMConstReal(r->f64, 4e18)), "");
    LLVMValueRef fl = qcc_lower_libm_call(cg, "floor", r->f64, &size, 1);
    LLVMValueRef want = LLVMConstReal(r->f64, (double)r->y.dims[d]);
    bad = LLVMBuildOr(b, bad, fcmp(cg, LLVMRealUNE, fl, want), "");
    r->untouched[d] = qcc_cg_i1(cg, false);
    if (!crop && r->y.dims[d] == r->x.dims[d])
      r->untouched[d] = fcmp(cg, LLVMRealOEQ, r->scale[d], one);
  }
  return bad;
}

/* source_coord of ir/ops/resize.c for output coordinate xo (f64) along dim d. */
static LLVMValueRef source_coord(rt_resize *r, int32_t d, LLVMValueRef xo) {
  qcc_cg *cg = r->L->cg;
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef t = r->f64;
  LLVMValueRef scale = r->scale[d], half = LLVMConstReal(t, 0.5), one = LLVMConstReal(t, 1);
  LLVMValueRef zero = LLVMConstReal(t, 0);
  int64_t len_in = r->x.dims[d];
  LLVMValueRef len_resized = LLVMBuildFMul(b, scale, LLVMConstReal(t, (double)len_in), "");
  LLVMValueRef hp =
      LLVMBuildFSub(b, LLVMBuildFDiv(b, LLVMBuildFAdd(b, xo, half, ""), scale, ""), half, "");
  LLVMValueRef lm1 = LLVMConstReal(t, (double)(len_in - 1));
  switch (r->coord) {
  case RC_HALF_PIXEL: return hp;
  case RC_HALF_PIXEL_SYMMETRIC: {
    LLVMValueRef adj = LLVMBuildFDiv(b, LLVMConstReal(t, (double)r->y.dims[d]), len_resized, "");
    LLVMValueRef center = LLVMConstReal(t, (double)len_in / 2);
    LLVMValueRef c = LLVMBuildFMul(b, center, LLVMBuildFSub(b, one, adj, ""), "");
    LLVMValueRef q = LLVMBuildFDiv(b, LLVMBuildFAdd(b, xo, half, ""), scale, "");
    return LLVMBuildFSub(b, LLVMBuildFAdd(b, c, q, ""), half, "");
  }
  case RC_PYTORCH_HALF_PIXEL:
    return LLVMBuildSelect(b, fcmp(cg, LLVMRealOGT, len_resized, one), hp, zero, "");
  case RC_ALIGN_CORNERS: {
    LLVMValueRef v =
        LLVMBuildFDiv(b, LLVMBuildFMul(b, xo, lm1, ""), LLVMBuildFSub(b, len_resized, one, ""), "");
    return LLVMBuildSelect(b, fcmp(cg, LLVMRealOEQ, len_resized, one), zero, v, "");
  }
  case RC_ASYMMETRIC: return LLVMBuildFDiv(b, xo, scale, "");
  case RC_TF_HALF_PIXEL_FOR_NN: return LLVMBuildFDiv(b, LLVMBuildFAdd(b, xo, half, ""), scale, "");
  case RC_TF_CROP_AND_RESIZE: {
    LLVMValueRef rs = r->roi_s[d], re = r->roi_e[d];
    LLVMValueRef q =
        LLVMBuildFMul(b, LLVMBuildFMul(b, xo, LLVMBuildFSub(b, re, rs, ""), ""), lm1, "");
    q = LLVMBuildFDiv(b, q, LLVMBuildFSub(b, len_resized, one, ""), "");
    LLVMValueRef v = LLVMBuildFAdd(b, LLVMBuildFMul(b, rs, lm1, ""), q, "");
    LLVMValueRef mid =
        LLVMBuildFMul(b, LLVMBuildFMul(b, half, LLVMBuildFAdd(b, rs, re, ""), ""), lm1, "");
    return LLVMBuildSelect(b, fcmp(cg, LLVMRealOGT, len_resized, one), v, mid, "");
  }
  }
  return zero;
}

/* cubic_weight of ir/ops/resize.c. */
static LLVMValueRef cubic_weight(rt_resize *r, LLVMValueRef t) {
  qcc_cg *cg = r->L->cg;
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef f = r->f64;
  double a = r->cubic_a;
  t = qcc_lower_libm_call(cg, "fabs", f, &t, 1);
  /* ((a + 2) * t - (a + 3)) * t * t + 1 */
  LLVMValueRef near =
      LLVMBuildFMul(b,
                    LLVMBuildFSub(b, LLVMBuildFMul(b, LLVMConstReal(f, a + 2), t, ""),
                                  LLVMConstReal(f, a + 3), ""),
                    t, "");
  near = LLVMBuildFAdd(b, LLVMBuildFMul(b, near, t, ""), LLVMConstReal(f, 1), "");
  /* ((a * t - 5 * a) * t + 8 * a) * t - 4 * a */
  LLVMValueRef far =
      LLVMBuildFSub(b, LLVMBuildFMul(b, LLVMConstReal(f, a), t, ""), LLVMConstReal(f, 5 * a), "");
  far = LLVMBuildFAdd(b, LLVMBuildFMul(b, far, t, ""), LLVMConstReal(f, 8 * a), "");
  far = LLVMBuildFSub(b, LLVMBuildFMul(b, far, t, ""), LLVMConstReal(f, 4 * a), "");
  LLVMValueRef v = LLVMBuildSelect(b, fcmp(cg, LLVMRealOLT, t, LLVMConstReal(f, 2)), far,
                                   LLVMConstReal(f, 0), "");
  return LLVMBuildSelect(b, fcmp(cg, LLVMRealOLE, t, LLVMConstReal(f, 1)), near, v, "");
}

static void set_tap(rt_resize *r, int32_t d, int32_t k, LLVMValueRef idx, LLVMValueRef w) {
  qcc_cg *cg = r->L->cg;
  LLVMValueRef i = qcc_cg_i64(cg, d * 4 + k);
  LLVMBuildStore(cg->b, idx, LLVMBuildInBoundsGEP2(cg->b, cg->i64, r->idx, &i, 1, ""));
  LLVMBuildStore(cg->b, w, LLVMBuildInBoundsGEP2(cg->b, r->f64, r->w, &i, 1, ""));
}

/* make_taps (and the untouched-dim rule) for output coordinate o of dim d, into the stack
 * arrays: element offsets into x (index times stride) and weights. */
static void dim_taps(rt_resize *r, int32_t d, LLVMValueRef o) {
  qcc_cg *cg = r->L->cg;
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef f = r->f64;
  int64_t len = r->x.dims[d];
  LLVMValueRef xo = LLVMBuildSIToFP(b, o, f, "");
  LLVMValueRef src = source_coord(r, d, xo);
  LLVMValueRef outside = qcc_cg_i1(cg, false);
  if (r->coord == RC_TF_CROP_AND_RESIZE)
    outside = LLVMBuildOr(b, fcmp(cg, LLVMRealOLT, src, LLVMConstReal(f, 0)),
                          fcmp(cg, LLVMRealOGT, src, LLVMConstReal(f, (double)(len - 1))), "");
  LLVMValueRef di = qcc_cg_i64(cg, d);
  LLVMBuildStore(b, outside, LLVMBuildInBoundsGEP2(b, cg->i1, r->outside, &di, 1, ""));
  LLVMValueRef lo = LLVMConstReal(f, -1e15), hi = LLVMConstReal(f, 1e15);
  src = LLVMBuildSelect(b, fcmp(cg, LLVMRealOLT, src, lo), lo, src, "");
  src = LLVMBuildSelect(b, fcmp(cg, LLVMRealOGT, src, hi), hi, src, "");
  LLVMValueRef base = qcc_lower_libm_call(cg, "floor", f, &src, 1);
  LLVMValueRef frac = LLVMBuildFSub(b, src, base, "");
  /* A NaN coordinate (a NaN roi) reads index 0: never a poison index. */
  LLVMValueRef i0 = LLVMBuildSelect(b, fcmp(cg, LLVMRealUNO, base, base), qcc_cg_i64(cg, 0),
                                    LLVMBuildFPToSI(b, base, cg->i64, ""), "");
  LLVMValueRef zero = qcc_cg_i64(cg, 0), last = qcc_cg_i64(cg, len - 1);
  LLVMValueRef stride = qcc_cg_i64(cg, r->x.strides[d]);
  LLVMValueRef fzero = LLVMConstReal(f, 0), fone = LLVMConstReal(f, 1);
  LLVMValueRef idx[4], w[4];
#define CLAMP(v) qcc_cg_smin(cg, qcc_cg_smax(cg, (v), zero), last)
  switch (r->mode) {
  case RM_NEAREST: {
    LLVMValueRef up, i1 = LLVMBuildAdd(b, i0, qcc_cg_i64(cg, 1), "");
    LLVMValueRef halfv = LLVMConstReal(f, 0.5);
    switch (r->nearest) {
    case RN_ROUND_PREFER_FLOOR: up = fcmp(cg, LLVMRealUGT, frac, halfv); break;
    case RN_ROUND_PREFER_CEIL: up = fcmp(cg, LLVMRealUGE, frac, halfv); break;
    case RN_FLOOR: up = qcc_cg_i1(cg, false); break;
    default: up = qcc_cg_i1(cg, true); break;
    }
    up = LLVMBuildAnd(b, up, fcmp(cg, LLVMRealUNE, frac, fzero), "");
    idx[0] = CLAMP(LLVMBuildSelect(b, up, i1, i0, ""));
    w[0] = fone;
    break;
  }
  case RM_LINEAR:
    idx[0] = CLAMP(i0);
    w[0] = LLVMBuildFSub(b, fone, frac, "");
    idx[1] = CLAMP(LLVMBuildAdd(b, i0, qcc_cg_i64(cg, 1), ""));
    w[1] = frac; /* 0 when frac is: the interpreter's single tap */
    break;
  case RM_CUBIC: {
    LLVMValueRef sum = fzero;
    for (int k = 0; k < 4; ++k) {
      LLVMValueRef i = LLVMBuildAdd(b, i0, qcc_cg_i64(cg, k - 1), "");
      w[k] = cubic_weight(r, LLVMBuildFSub(b, frac, LLVMConstReal(f, (double)(k - 1)), ""));
      if (r->exclude_outside)
        w[k] = LLVMBuildSelect(b, qcc_cg_in_range(cg, i, 0, len), w[k], fzero, "");
      idx[k] = CLAMP(i);
      sum = k == 0 ? LLVMBuildFAdd(b, fzero, w[k], "") : LLVMBuildFAdd(b, sum, w[k], "");
    }
    if (r->exclude_outside) {
      LLVMValueRef nz = fcmp(cg, LLVMRealUNE, sum, fzero);
      for (int k = 0; k < 4; ++k)
        w[k] = LLVMBuildSelect(b, nz, LLVMBuildFDiv(b, w[k], sum, ""), w[k], "");
    }
    break;
  }
  }
#undef CLAMP
  for (int k = 0; k < r->taps; ++k) {
    idx[k] = LLVMBuildSelect(b, r->untouched[d], k == 0 ? o : zero, idx[k], "");
    w[k] = LLVMBuildSelect(b, r->untouched[d], k == 0 ? fone : fzero, w[k], "");
    set_tap(r, d, k, LLVMBuildMul(b, idx[k], stride, ""), w[k]);
  }
}

static LLVMValueRef load_slot(qcc_cg *cg, LLVMTypeRef t, LLVMValueRef array, int64_t i,
                              LLVMValueRef k) {
  LLVMValueRef at = LLVMBuildAdd(cg->b, qcc_cg_i64(cg, i), k, "");
  return LLVMBuildLoad2(cg->b, t, LLVMBuildInBoundsGEP2(cg->b, t, array, &at, 1, ""), "");
}

/* The taps of dims d.. (row-major), running weight w (NULL: 1) and offset off. */
static void emit_taps(rt_resize *r, int32_t d, LLVMValueRef w, LLVMValueRef off) {
  qcc_cg *cg = r->L->cg;
  LLVMBuilderRef b = cg->b;
  if (d == r->x.rank) {
    qcc_cg_if nz = {0};
    qcc_cg_if_begin(cg, &nz, fcmp(cg, LLVMRealUNE, w, LLVMConstReal(r->f64, 0)));
    LLVMValueRef v = qcc_lower_resize_x_double(cg, r->x.elem, qcc_cg_load_at(cg, &r->x, off));
    qcc_cg_set(cg, r->acc,
               LLVMBuildFAdd(b, qcc_cg_get(cg, r->f64, r->acc), LLVMBuildFMul(b, w, v, ""), ""));
    qcc_cg_if_end(cg, &nz);
    return;
  }
  qcc_cg_loop lk = {0};
  LLVMValueRef k = qcc_cg_loop_n(cg, &lk, r->taps);
  LLVMValueRef wd = load_slot(cg, r->f64, r->w, d * 4, k);
  LLVMValueRef o = load_slot(cg, cg->i64, r->idx, d * 4, k);
  emit_taps(r, d + 1, w ? LLVMBuildFMul(b, w, wd, "") : wd, LLVMBuildAdd(b, off, o, ""));
  qcc_cg_loop_end(cg, &lk);
}

static void emit_element(rt_resize *r, LLVMValueRef *oidx) {
  qcc_cg *cg = r->L->cg;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef outside = qcc_cg_i1(cg, false);
  if (r->coord == RC_TF_CROP_AND_RESIZE)
    for (int32_t d = 0; d < r->x.rank; ++d) {
      LLVMValueRef di = qcc_cg_i64(cg, d);
      outside = LLVMBuildOr(
          b, outside,
          LLVMBuildLoad2(b, cg->i1, LLVMBuildInBoundsGEP2(b, cg->i1, r->outside, &di, 1, ""), ""),
          "");
    }
  qcc_cg_set(cg, r->acc, LLVMConstReal(r->f64, 0));
  qcc_cg_if out = {0};
  qcc_cg_if_begin(cg, &out, outside);
  qcc_cg_set(cg, r->acc, LLVMConstReal(r->f64, r->extrapolation));
  qcc_cg_if_else(cg, &out);
  emit_taps(r, 0, NULL, qcc_cg_i64(cg, 0));
  qcc_cg_if_end(cg, &out);
  qcc_cg_store(cg, &r->y, oidx,
               qcc_lower_resize_result(cg, r->y.elem, qcc_cg_get(cg, r->f64, r->acc)));
}

/* The loops over y's dims in order, dim d's taps computed once its coordinate is known. */
static void emit_loops(rt_resize *r, int32_t d, LLVMValueRef *oidx) {
  qcc_cg *cg = r->L->cg;
  if (d == r->y.rank) {
    emit_element(r, oidx);
    return;
  }
  qcc_cg_loop l = {0};
  oidx[d] = qcc_cg_loop_n(cg, &l, r->y.dims[d]);
  dim_taps(r, d, oidx[d]);
  emit_loops(r, d + 1, oidx);
  qcc_cg_loop_end(cg, &l);
}

qcc_status qcc_lower_resize_runtime(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  qcc_cg *cg = L->cg;
  rt_resize r;
  memset(&r, 0, sizeof r);
  r.L = L;
  r.f64 = LLVMDoubleTypeInContext(cg->ctx);
  qcc_lower_operand(L, 0, &r.x);
  qcc_lower_result(L, 0, &r.y);
  if (r.x.elem != QCC_F32 && r.x.elem != QCC_U8 && r.x.elem != QCC_I8)
    return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(r.x.elem));
  qcc_status st = read_attrs(&r);
  if (st != QCC_OK)
    return st;
  bool legacy = op->num_operands == 2 && op->operands[1].value;
  if ((st = read_list(&r, &r.roi, legacy ? -1 : 1, true)) != QCC_OK ||
      (st = read_list(&r, &r.scales, legacy ? 1 : 2, true)) != QCC_OK ||
      (st = read_list(&r, &r.sizes, legacy ? -1 : 3, false)) != QCC_OK)
    return st;
  int32_t rank = r.x.rank;
  if (r.scales.given == r.sizes.given)
    return qcc_lower_error(L, "exactly one of scales and sizes must be given");
  if ((r.scales.given && r.scales.n != rank) || (r.sizes.given && r.sizes.n != rank))
    return qcc_lower_error(L, "scales or sizes must have one entry per dim");
  if (r.coord == RC_TF_CROP_AND_RESIZE && r.roi.given && r.roi.n != 2 * rank)
    return qcc_lower_error(L, "roi must have two entries per dim");
  if (r.y.rank != rank)
    return qcc_lower_error(L, "the result's rank differs from the input's");
  for (int32_t d = 0; d < rank; ++d)
    if (r.x.dims[d] == 0)
      return qcc_lower_error(L, "cannot resize an empty dimension");
  qcc_lower_run_check c;
  qcc_lower_run_check_begin(L, &c);
  qcc_lower_run_check_fail_if(L, &c, dim_params(&r, true));
  qcc_lower_run_check_end(L, &c);
  for (int32_t d = 0; d < rank; ++d)
    if (r.y.dims[d] == 0)
      return QCC_OK;
  dim_params(&r, false);
  int32_t slots = rank > 0 ? rank : 1;
  r.idx = qcc_cg_var(cg, LLVMArrayType2(cg->i64, (uint64_t)slots * 4), NULL);
  r.w = qcc_cg_var(cg, LLVMArrayType2(r.f64, (uint64_t)slots * 4), NULL);
  r.outside = qcc_cg_var(cg, LLVMArrayType2(cg->i1, (uint64_t)slots), NULL);
  r.acc = qcc_cg_var(cg, r.f64, NULL);
  LLVMValueRef oidx[QCC_MAX_RANK];
  emit_loops(&r, 0, oidx);
  return QCC_OK;
}

bool qcc_lower_resize_check_sizes(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  const qcc_value *v = qcc_op_operand(op, 3);
  const qcc_value *y = op->results[0];
  if (!v || qcc_op_attr(op, "axes") || qcc_op_attr_int(op, "antialias") != 0 ||
      strcmp(qcc_op_attr_string(op, "keep_aspect_ratio_policy"), "stretch") != 0 ||
      v->type.rank != 1 || (v->type.elem != QCC_I64 && v->type.elem != QCC_I32) ||
      y->type.rank != qcc_op_operand(op, 0)->type.rank || v->type.dims[0].size != y->type.rank)
    return false;
  qcc_cg *cg = L->cg;
  qcc_lower_run_check c;
  qcc_cg_tensor t;
  qcc_lower_run_check_begin(L, &c);
  qcc_lower_run_operand(L, 3, &t);
  for (int32_t d = 0; d < y->type.rank; ++d)
    qcc_lower_run_check_fail_if(L, &c,
                                LLVMBuildICmp(cg->b, LLVMIntNE, qcc_lower_rt_int(cg, &t, d),
                                              qcc_cg_i64(cg, y->type.dims[d].size), ""));
  qcc_lower_run_check_end(L, &c);
  return true;
}
