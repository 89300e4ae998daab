/* Resize (ir/ops/resize.c) on f32, u8 and i8 with constant roi, scales and sizes: the sampling
 * plan of the interpreter (qcc_resize_plan_make, the same function) is computed at compile time
 * and baked into one table pair per dim (input element offset and double weight per output
 * coordinate and tap, short tap lists padded with weight-0 taps, which the product test skips
 * like the interpreter's missing ones). Each output element then accumulates in double, the
 * taps in the interpreter's row-major order, `w = w_0 * w_1 * ...` in dim order and products
 * equal to 0 skipped; f32 results round once, integer ones go through nearbyint and saturate.
 * Run-time sizes alone (stretched, every dim): the plan of the declared dims, which the run checks
 * the sizes against (resize_runtime.c); other run-time roi, scales or sizes: resize_runtime.c. */
#include <stdlib.h>
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/interp.h"
#include "ir/ops/resize.h"

typedef struct resize_dim {
  int32_t n;            /* taps per output coordinate (padded) */
  bool trivial;         /* one tap of weight 1 at the output coordinate itself */
  bool unit;            /* every weight is 1: no multiply */
  LLVMValueRef off, w;  /* tables [o][k]: i64 element offsets into x, f64 weights */
  LLVMValueRef outside; /* i8 table [o], or NULL when no tap is outside */
} resize_dim;

typedef struct resize_job {
  qcc_lower_ctx *L;
  qcc_cg_tensor x, y;
  LLVMTypeRef f64;
  resize_dim dims[QCC_MAX_RANK];
  double extrapolation;
  LLVMValueRef acc;
  LLVMValueRef pos[QCC_MAX_RANK]; /* table index o * n + k of the current tap, per dim */
} resize_job;

static LLVMValueRef load_table(qcc_cg *cg, LLVMTypeRef t, LLVMValueRef table, LLVMValueRef i) {
  LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->b, t, table, &i, 1, "");
  return LLVMBuildLoad2(cg->b, t, p, "");
}

LLVMValueRef qcc_lower_resize_x_double(qcc_cg *cg, qcc_elem e, LLVMValueRef v) {
  LLVMTypeRef f64 = LLVMDoubleTypeInContext(cg->ctx);
  switch (e) {
  case QCC_F32: return LLVMBuildFPExt(cg->b, v, f64, "");
  case QCC_U8: return LLVMBuildUIToFP(cg->b, v, f64, "");
  default: return LLVMBuildSIToFP(cg->b, v, f64, "");
  }
}

/* The taps of dims d.. with the running weight w (NULL: 1) and input offset off. */
static void emit_taps(resize_job *j, int32_t d, LLVMValueRef *oidx, LLVMValueRef w,
                      LLVMValueRef off) {
  qcc_cg *cg = j->L->cg;
  LLVMBuilderRef b = cg->b;
  if (d == j->x.rank) {
    qcc_cg_if nz = {0};
    if (w)
      qcc_cg_if_begin(cg, &nz, LLVMBuildFCmp(b, LLVMRealUNE, w, LLVMConstReal(j->f64, 0), ""));
    LLVMValueRef v = qcc_lower_resize_x_double(cg, j->x.elem, qcc_cg_load_at(cg, &j->x, off));
    LLVMValueRef prod = w ? LLVMBuildFMul(b, w, v, "") : v;
    qcc_cg_set(cg, j->acc, LLVMBuildFAdd(b, qcc_cg_get(cg, j->f64, j->acc), prod, ""));
    if (w)
      qcc_cg_if_end(cg, &nz);
    return;
  }
  const resize_dim *rd = &j->dims[d];
  if (rd->trivial) {
    LLVMValueRef o = LLVMBuildNSWMul(b, oidx[d], qcc_cg_i64(cg, j->x.strides[d]), "");
    emit_taps(j, d + 1, oidx, w, LLVMBuildNSWAdd(b, off, o, ""));
    return;
  }
  qcc_cg_loop lk = {0};
  LLVMValueRef k = qcc_cg_loop_n(cg, &lk, rd->n);
  LLVMValueRef i =
      LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, oidx[d], qcc_cg_i64(cg, rd->n), ""), k, "");
  LLVMValueRef o = load_table(cg, cg->i64, rd->off, i);
  LLVMValueRef nw = w;
  if (!rd->unit) {
    LLVMValueRef wd = load_table(cg, j->f64, rd->w, i);
    /* The interpreter starts from w = 1; 1 * w_d is w_d exactly. */
    nw = w ? LLVMBuildFMul(b, w, wd, "") : wd;
  }
  emit_taps(j, d + 1, oidx, nw, LLVMBuildNSWAdd(b, off, o, ""));
  qcc_cg_loop_end(cg, &lk);
}

static LLVMValueRef call_nearbyint(qcc_cg *cg, LLVMTypeRef f64, LLVMValueRef v) {
  LLVMTypeRef ft = LLVMFunctionType(f64, &f64, 1, false);
  LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, "nearbyint");
  if (!fn)
    fn = LLVMAddFunction(cg->mod, "nearbyint", ft);
  return LLVMBuildCall2(cg->b, ft, fn, &v, 1, "");
}

static void emit_element(qcc_cg *cg, LLVMValueRef *oidx, void *user) {
  resize_job *j = user;
  LLVMBuilderRef b = cg->b;
  qcc_cg_set(cg, j->acc, LLVMConstReal(j->f64, 0));
  LLVMValueRef outside = NULL;
  for (int32_t d = 0; d < j->x.rank; ++d) {
    if (!j->dims[d].outside)
      continue;
    LLVMValueRef f =
        LLVMBuildICmp(b, LLVMIntNE, load_table(cg, cg->i8, j->dims[d].outside, oidx[d]),
                      LLVMConstInt(cg->i8, 0, false), "");
    outside = outside ? LLVMBuildOr(b, outside, f, "") : f;
  }
  qcc_cg_if out = {0};
  if (outside) {
    qcc_cg_if_begin(cg, &out, outside);
    qcc_cg_set(cg, j->acc, LLVMConstReal(j->f64, j->extrapolation));
    qcc_cg_if_else(cg, &out);
  }
  emit_taps(j, 0, oidx, NULL, qcc_cg_i64(cg, 0));
  if (outside)
    qcc_cg_if_end(cg, &out);
  qcc_cg_store(cg, &j->y, oidx,
               qcc_lower_resize_result(cg, j->y.elem, qcc_cg_get(cg, j->f64, j->acc)));
}

LLVMValueRef qcc_lower_resize_result(qcc_cg *cg, qcc_elem e, LLVMValueRef acc) {
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef f64 = LLVMDoubleTypeInContext(cg->ctx);
  if (e == QCC_F32)
    return LLVMBuildFPTrunc(b, acc, cg->f32, "");
  /* r <= lo ? lo : r >= hi ? hi : (int64_t)r, narrowed. */
  double lo = e == QCC_U8 ? 0 : -128, hi = e == QCC_U8 ? 255 : 127;
  LLVMValueRef rd = call_nearbyint(cg, f64, acc);
  LLVMValueRef iv = LLVMBuildFPToSI(b, rd, cg->i64, "");
  iv = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGE, rd, LLVMConstReal(f64, hi), ""),
                       qcc_cg_i64(cg, (int64_t)hi), iv, "");
  iv = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLE, rd, LLVMConstReal(f64, lo), ""),
                       qcc_cg_i64(cg, (int64_t)lo), iv, "");
  return LLVMBuildTrunc(b, iv, cg->i8, "");
}

/* Bakes dim d's taps into tables. */
static bool make_dim(resize_job *j, const qcc_resize_plan *p, int32_t d) {
  qcc_cg *cg = j->L->cg;
  resize_dim *rd = &j->dims[d];
  int64_t len = p->dims[d];
  const qcc_resize_taps *t = p->tables[d];
  rd->n = 1;
  rd->trivial = rd->unit = true;
  bool any_outside = false;
  for (int64_t o = 0; o < len; ++o) {
    if (t[o].n > rd->n)
      rd->n = t[o].n;
    if (t[o].n != 1 || t[o].outside || t[o].idx[0] != o || t[o].w[0] != 1)
      rd->trivial = false;
    for (int32_t k = 0; k < t[o].n; ++k)
      if (t[o].w[k] != 1)
        rd->unit = false;
    any_outside |= t[o].outside;
  }
  if (rd->trivial)
    return true;
  if (rd->n > 1)
    rd->unit = false;
  size_t cells = (size_t)(len ? len : 1) * (size_t)rd->n;
  int64_t *off = calloc(cells, sizeof(int64_t));
  double *w = calloc(cells, sizeof(double));
  int8_t *outside = calloc((size_t)(len ? len : 1), 1);
  bool ok = off && w && outside;
  for (int64_t o = 0; ok && o < len; ++o) {
    outside[o] = t[o].outside;
    for (int32_t k = 0; k < t[o].n && !t[o].outside; ++k) {
      off[o * rd->n + k] = t[o].idx[k] * j->x.strides[d];
      w[o * rd->n + k] = t[o].w[k];
    }
  }
  if (ok) {
    rd->off = qcc_cg_const_bytes(cg, "resize.off", off, cells * sizeof(int64_t), 64);
    if (!rd->unit)
      rd->w = qcc_cg_const_bytes(cg, "resize.w", w, cells * sizeof(double), 64);
    if (any_outside)
      rd->outside = qcc_cg_const_bytes(cg, "resize.outside", outside, (size_t)(len ? len : 1), 1);
  }
  free(off);
  free(w);
  free(outside);
  return ok;
}

qcc_status qcc_lower_resize(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  resize_job j;
  memset(&j, 0, sizeof j);
  j.L = L;
  j.f64 = LLVMDoubleTypeInContext(L->cg->ctx);
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32 && j.x.elem != QCC_U8 && j.x.elem != QCC_I8)
    return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(j.x.elem));
  /* The plan reads x's dims and the constant roi, scales and sizes. */
  qcc_tensor xt = {.elem = j.x.elem, .rank = j.x.rank, .numel = 1};
  for (int32_t d = 0; d < j.x.rank; ++d) {
    xt.dims[d] = j.x.dims[d];
    xt.numel *= j.x.dims[d];
  }
  qcc_tensor storage[4];
  const qcc_tensor *in[4] = {&xt, NULL, NULL, NULL};
  int64_t declared[QCC_MAX_RANK];
  for (uint32_t i = 1; i < op->num_operands && i < 4; ++i) {
    const qcc_value *v = qcc_op_operand(op, i);
    if (!v)
      continue;
    const qcc_const *k = qcc_value_const(v);
    if (!k && i == 3 && qcc_lower_resize_check_sizes(L)) {
      /* The plan of the sizes the run checks for: the declared dims. */
      memcpy(declared, j.y.dims, sizeof declared);
      storage[3] = (qcc_tensor){
          .elem = QCC_I64, .rank = 1, .dims = {j.y.rank}, .numel = j.y.rank, .data = declared};
      in[3] = &storage[3];
      continue;
    }
    if (!k)
      return qcc_lower_resize_runtime(L);
    in[i] = qcc_tensor_of_const(k, &storage[i]);
  }
  qcc_resize_plan plan;
  char err[160];
  if (!qcc_resize_plan_make(op, in, &plan, err, sizeof err)) {
    qcc_resize_plan_free(&plan);
    return qcc_lower_error(L, "%s", err);
  }
  for (int32_t d = 0; d < j.y.rank; ++d)
    if (plan.dims[d] != j.y.dims[d]) {
      qcc_resize_plan_free(&plan);
      return qcc_lower_error(L, "the result's shape differs from the plan's");
    }
  j.extrapolation = plan.extrapolation;
  bool ok = true;
  for (int32_t d = 0; ok && d < j.x.rank; ++d)
    ok = make_dim(&j, &plan, d);
  qcc_resize_plan_free(&plan);
  if (!ok)
    return qcc_lower_error(L, "out of memory");
  for (int32_t d = 0; d < j.y.rank; ++d)
    if (j.y.dims[d] == 0)
      return QCC_OK;
  j.acc = qcc_cg_var(L->cg, j.f64, NULL);
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, emit_element, &j);
  return QCC_OK;
}
