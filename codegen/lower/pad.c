/* Pad (ir/ops/pad.c): constant, reflect, edge and wrap modes, pads and axes from the attribute or
 * constant operands, negative pads cropping; pads and constant_value operands that are not
 * constants (graph inputs) are loaded at the start of the kernel. Each result element maps to a
 * source index per dim; in constant mode an index outside the input selects the fill value (the
 * load is clamped into the input so it never reads outside it). */
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/interp.h"
#include "ir/op_registry.h"

typedef enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

typedef struct pad_job {
  qcc_cg_tensor x, y;
  pad_mode mode;
  int64_t begin[QCC_MAX_RANK];
  LLVMValueRef rt_begin[QCC_MAX_RANK]; /* run-time pads: the loaded begin (i64), else NULL */
  bool empty;                          /* the input has no elements: everything is fill */
  LLVMValueRef fill;
} pad_job;

/* src mapped into [0, n) for the non-constant modes (pad_source_index). */
static LLVMValueRef map_index(qcc_cg *cg, pad_mode mode, LLVMValueRef i, int64_t n) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef zero = qcc_cg_i64(cg, 0), nv = qcc_cg_i64(cg, n);
  switch (mode) {
  case PAD_EDGE: return qcc_cg_smin(cg, qcc_cg_smax(cg, i, zero), qcc_cg_i64(cg, n - 1));
  case PAD_WRAP: {
    LLVMValueRef r = LLVMBuildSRem(b, i, nv, "");
    return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, r, zero, ""), LLVMBuildAdd(b, r, nv, ""),
                           r, "");
  }
  case PAD_REFLECT: {
    if (n == 1)
      return zero;
    LLVMValueRef period = qcc_cg_i64(cg, 2 * (n - 1));
    LLVMValueRef r = LLVMBuildSRem(b, i, period, "");
    r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, r, zero, ""),
                        LLVMBuildAdd(b, r, period, ""), r, "");
    return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, r, nv, ""), r,
                           LLVMBuildSub(b, period, r, ""), "");
  }
  default: return i;
  }
}

static void pad_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  pad_job *j = user;
  if (j->empty) {
    qcc_cg_store(cg, &j->y, idx, j->fill);
    return;
  }
  LLVMValueRef src[QCC_MAX_RANK], inside = qcc_cg_i1(cg, true);
  for (int32_t d = 0; d < j->y.rank; ++d) {
    int64_t n = j->x.dims[d];
    if (j->rt_begin[d])
      src[d] = LLVMBuildSub(cg->b, idx[d], j->rt_begin[d], "");
    else
      src[d] = j->begin[d] ? LLVMBuildSub(cg->b, idx[d], qcc_cg_i64(cg, j->begin[d]), "") : idx[d];
    if (!j->rt_begin[d] && j->begin[d] == 0 && j->y.dims[d] <= n)
      continue; /* always inside */
    if (j->mode == PAD_CONSTANT) {
      inside = LLVMBuildAnd(cg->b, inside, qcc_cg_in_range(cg, src[d], 0, n), "");
      src[d] = map_index(cg, PAD_EDGE, src[d], n);
    } else {
      src[d] = map_index(cg, j->mode, src[d], n);
    }
  }
  LLVMValueRef v = qcc_cg_load(cg, &j->x, src);
  if (j->mode == PAD_CONSTANT)
    v = LLVMBuildSelect(cg->b, inside, v, j->fill, "");
  qcc_cg_store(cg, &j->y, idx, v);
}

/* The pads (and axes) as the interpreter reads them: the attribute, else constant operands. */
static qcc_status read_pads(qcc_lower_ctx *L, pad_job *j) {
  const qcc_op *op = L->op;
  int32_t rank = j->x.rank;
  int64_t pads[2 * QCC_MAX_RANK], npads = 0, axes[QCC_MAX_RANK], naxes = rank;
  const int64_t *attr;
  qcc_tensor storage;
  bool rt = false;
  if (qcc_op_attr(op, "pads")) {
    uint32_t na = qcc_op_attr_ints(op, "pads", &attr);
    if (na > 2 * QCC_MAX_RANK)
      return qcc_lower_error(L, "pads has too many entries");
    memcpy(pads, attr, na * sizeof(int64_t));
    npads = na;
  } else if (!qcc_value_const(qcc_op_operand(op, 1))) {
    rt = true;
  } else {
    const qcc_const *k = qcc_value_const(qcc_op_operand(op, 1));
    const qcc_tensor *t = qcc_tensor_of_const(k, &storage);
    if (t->numel > 2 * QCC_MAX_RANK)
      return qcc_lower_error(L, "pads has too many entries");
    for (npads = 0; npads < t->numel; ++npads)
      pads[npads] = qcc_tensor_get_i64(t, npads);
  }
  if (qcc_op_operand(op, 3)) {
    const qcc_const *k = qcc_value_const(qcc_op_operand(op, 3));
    if (!k)
      return qcc_lower_error(L, "the axes must be a constant");
    const qcc_tensor *t = qcc_tensor_of_const(k, &storage);
    if (t->numel > QCC_MAX_RANK)
      return qcc_lower_error(L, "axes has too many entries");
    for (naxes = 0; naxes < t->numel; ++naxes)
      axes[naxes] = qcc_tensor_get_i64(t, naxes);
  } else {
    for (int32_t d = 0; d < rank; ++d)
      axes[d] = d;
  }
  if (rt) { /* run-time pads: their count is static */
    qcc_cg_tensor pt;
    qcc_lower_operand(L, 1, &pt);
    if ((pt.elem != QCC_I64 && pt.elem != QCC_I32) || pt.rank != 1)
      return qcc_lower_error(L, "the pads must be a 1-D integer tensor");
    npads = pt.dims[0];
    if (npads == 2 * naxes)
      for (int64_t i = 0; i < naxes; ++i) {
        int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
        if (a < 0 || a >= rank)
          return qcc_lower_error(L, "an axis is out of range");
        LLVMValueRef v = qcc_cg_load_at(L->cg, &pt, qcc_cg_i64(L->cg, i * pt.strides[0]));
        j->rt_begin[a] = pt.elem == QCC_I64 ? v : LLVMBuildSExt(L->cg->b, v, L->cg->i64, "");
      }
  }
  if (npads != 2 * naxes)
    return qcc_lower_error(L, "pads does not have two entries per axis");
  for (int64_t i = 0; !rt && i < naxes; ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank)
      return qcc_lower_error(L, "an axis is out of range");
    j->begin[a] = pads[i];
  }
  return QCC_OK;
}

/* The fill value as an element of the result type (operand 2, else the `value` attribute). */
static qcc_status fill_value(qcc_lower_ctx *L, pad_job *j) {
  qcc_cg *cg = L->cg;
  unsigned char bytes[8] = {0};
  size_t es = qcc_elem_size(j->x.elem);
  const qcc_value *cv = qcc_op_operand(L->op, 2);
  const qcc_const *k = cv ? qcc_value_const(cv) : NULL;
  if (cv && !k) { /* run-time: its one element, loaded at the start of the kernel */
    qcc_cg_tensor t;
    int64_t n;
    qcc_lower_operand(L, 2, &t);
    if (!qcc_type_numel(cv->type, &n) || n != 1 || t.elem != j->x.elem)
      return qcc_lower_error(L, "constant_value must be one element of the input's type");
    j->fill = qcc_cg_load_at(cg, &t, qcc_cg_i64(cg, 0));
    return QCC_OK;
  }
  if (k && k->nbytes >= es) {
    memcpy(bytes, k->data, es);
  } else if (qcc_op_attr(L->op, "value")) {
    qcc_tensor t = {.elem = j->x.elem, .rank = 0, .numel = 1, .data = bytes};
    qcc_tensor_set_f64(&t, 0, qcc_op_attr_float(L->op, "value"));
  }
  switch (j->x.elem) {
  case QCC_F32: {
    float f;
    memcpy(&f, bytes, 4);
    j->fill = qcc_cg_f32(cg, f);
    break;
  }
  case QCC_I8:
  case QCC_U8:
  case QCC_BOOL: j->fill = LLVMConstInt(cg->i8, bytes[0], false); break;
  case QCC_I32: {
    int32_t v;
    memcpy(&v, bytes, 4);
    j->fill = qcc_cg_i32(cg, v);
    break;
  }
  case QCC_I64: {
    int64_t v;
    memcpy(&v, bytes, 8);
    j->fill = qcc_cg_i64(cg, v);
    break;
  }
  default: return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(j->x.elem));
  }
  return QCC_OK;
}

qcc_status qcc_lower_pad(qcc_lower_ctx *L) {
  static const char *const names[] = {"constant", "reflect", "edge", "wrap"};
  pad_job j;
  memset(&j, 0, sizeof j);
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  const char *mode = qcc_op_attr_string(L->op, "mode");
  bool known = false;
  for (int i = 0; i < 4 && !known; ++i)
    if (strcmp(mode, names[i]) == 0) {
      j.mode = (pad_mode)i;
      known = true;
    }
  if (!known)
    return qcc_lower_error(L, "unknown mode '%s'", mode);
  qcc_status st = read_pads(L, &j);
  if (st != QCC_OK)
    return st;
  for (int32_t d = 0; d < j.x.rank; ++d) {
    if (j.x.dims[d] == 0) {
      if (j.mode != PAD_CONSTANT && j.y.dims[d] > 0)
        return qcc_lower_error(L, "cannot pad an empty dimension in this mode");
      j.empty = true;
    }
  }
  if ((st = fill_value(L, &j)) != QCC_OK)
    return st;
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, pad_body, &j);
  return QCC_OK;
}
