/* Elementwise arithmetic with multidirectional (numpy) broadcasting: Add, Sub, Mul, Div.
 * Floats follow IEEE semantics (f16 computed in f32 and rounded back, qcc_eval_f16_via_f32);
 * integers wrap around like two's complement (as numpy does), and integer Div truncates toward zero
 * like C, with a zero divisor reported as an error. */
#include "ir/ops/op_util.h"

#include <string.h>

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } binary_kind;

static binary_kind kind_of(const qcc_op *op) {
  switch (op->def->kind) {
  case QCC_OP_Add: return BIN_ADD;
  case QCC_OP_Sub: return BIN_SUB;
  case QCC_OP_Mul: return BIN_MUL;
  default: return BIN_DIV;
  }
}

static bool binary_elem_supported(qcc_elem e) {
  return qcc_elem_is_float(e) || e == QCC_I32 || e == QCC_I64 || e == QCC_I8 || e == QCC_U8;
}

static qcc_status binary_infer(qcc_infer_ctx *ctx) {
  qcc_type t[2] = {qcc_operand_type(ctx, 0), qcc_operand_type(ctx, 1)};
  if (t[0].elem != t[1].elem)
    return qcc_infer_error(ctx, "operands must have the same element type (%s vs %s)",
                           qcc_elem_name(t[0].elem), qcc_elem_name(t[1].elem));
  if (!binary_elem_supported(t[0].elem))
    return qcc_infer_error(ctx, "element type %s is not supported", qcc_elem_name(t[0].elem));
  qcc_dim dims[QCC_MAX_RANK];
  int32_t rank;
  qcc_status st = qcc_infer_broadcast(ctx, t, 2, dims, &rank);
  if (st != QCC_OK)
    return st;
  return qcc_infer_set(ctx, 0, t[0].elem, rank, rank > 0 ? dims : NULL);
}

/* Element strides of `t` inside a broadcast result of shape `dims` (0 along broadcast dims). */
static void broadcast_strides(const qcc_tensor *t, int32_t rank, int64_t *strides) {
  int64_t s = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    int32_t td = d - (rank - t->rank);
    if (td < 0) {
      strides[d] = 0;
      continue;
    }
    strides[d] = t->dims[td] == 1 ? 0 : s;
    s *= t->dims[td];
  }
}

static void apply_f32(binary_kind k, const float *a, int64_t sa, const float *b, int64_t sb,
                      float *o, int64_t n) {
  switch (k) {
  case BIN_ADD:
    for (int64_t i = 0; i < n; ++i)
      o[i] = a[i * sa] + b[i * sb];
    break;
  case BIN_SUB:
    for (int64_t i = 0; i < n; ++i)
      o[i] = a[i * sa] - b[i * sb];
    break;
  case BIN_MUL:
    for (int64_t i = 0; i < n; ++i)
      o[i] = a[i * sa] * b[i * sb];
    break;
  case BIN_DIV:
    for (int64_t i = 0; i < n; ++i)
      o[i] = a[i * sa] / b[i * sb];
    break;
  }
}

/* Integer arithmetic in 64 bits with wraparound; the caller narrows to the element type. */
static bool int_op(binary_kind k, int64_t a, int64_t b, int64_t *r) {
  switch (k) {
  case BIN_ADD: *r = (int64_t)((uint64_t)a + (uint64_t)b); return true;
  case BIN_SUB: *r = (int64_t)((uint64_t)a - (uint64_t)b); return true;
  case BIN_MUL: *r = (int64_t)((uint64_t)a * (uint64_t)b); return true;
  case BIN_DIV:
    if (b == 0)
      return false;
    if (b == -1) /* INT64_MIN / -1 overflows in C; wrap like the other ops */
      *r = (int64_t)(0 - (uint64_t)a);
    else
      *r = a / b;
    return true;
  }
  return false;
}

static int64_t load_int(const void *p, qcc_elem e, int64_t i) {
  switch (e) {
  case QCC_I8: return ((const int8_t *)p)[i];
  case QCC_U8: return ((const uint8_t *)p)[i];
  case QCC_I32: return ((const int32_t *)p)[i];
  default: return ((const int64_t *)p)[i];
  }
}

/* Narrowing keeps the low bits (two's complement wraparound). */
static void store_int(void *p, qcc_elem e, int64_t i, int64_t v) {
  switch (e) {
  case QCC_I8: ((int8_t *)p)[i] = (int8_t)(uint8_t)(uint64_t)v; break;
  case QCC_U8: ((uint8_t *)p)[i] = (uint8_t)(uint64_t)v; break;
  case QCC_I32: ((int32_t *)p)[i] = (int32_t)(uint32_t)(uint64_t)v; break;
  default: ((int64_t *)p)[i] = v; break;
  }
}

static qcc_status binary_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                              qcc_tensor **out) {
  const qcc_tensor *a = in[0], *b = in[1];
  binary_kind k = kind_of(op);
  if (a->elem != b->elem || !binary_elem_supported(a->elem))
    return qcc_eval_error(ctx, "unsupported operand element types %s and %s",
                          qcc_elem_name(a->elem), qcc_elem_name(b->elem));
  if (a->elem == QCC_F16)
    return qcc_eval_f16_via_f32(ctx, op, in, out, binary_eval);
  int32_t rank;
  int64_t dims[QCC_MAX_RANK];
  if (!qcc_broadcast_shape(a, b, &rank, dims))
    return qcc_eval_error(ctx, "operand shapes cannot be broadcast");
  qcc_tensor *o = qcc_eval_alloc(ctx, a->elem, rank, dims);
  if (!o)
    return QCC_ERR_INPUT;
  out[0] = o;
  if (o->numel == 0)
    return QCC_OK;

  int64_t sa[QCC_MAX_RANK], sb[QCC_MAX_RANK];
  broadcast_strides(a, rank, sa);
  broadcast_strides(b, rank, sb);
  /* Rows along the innermost dim; rank 0 is a single row of one element. */
  int64_t inner = rank > 0 ? dims[rank - 1] : 1;
  int64_t isa = rank > 0 ? sa[rank - 1] : 0, isb = rank > 0 ? sb[rank - 1] : 0;
  int64_t rows = o->numel / inner;
  int64_t idx[QCC_MAX_RANK] = {0};
  for (int64_t row = 0; row < rows; ++row) {
    int64_t oa = 0, ob = 0;
    for (int32_t d = 0; d + 1 < rank; ++d) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    int64_t base = row * inner;
    if (a->elem == QCC_F32) {
      apply_f32(k, (const float *)a->data + oa, isa, (const float *)b->data + ob, isb,
                (float *)o->data + base, inner);
    } else {
      for (int64_t i = 0; i < inner; ++i) {
        int64_t r;
        if (!int_op(k, load_int(a->data, a->elem, oa + i * isa),
                    load_int(b->data, b->elem, ob + i * isb), &r))
          return qcc_eval_error(ctx, "integer division by zero");
        store_int(o->data, o->elem, base + i, r);
      }
    }
    if (rank > 1)
      qcc_index_next(idx, dims, rank - 1);
  }
  return QCC_OK;
}

#define BINARY_DEF(k)                                                                              \
  const qcc_op_def qcc_op_def_##k = {                                                              \
      .kind = QCC_OP_##k,                                                                          \
      QCC_OP_NAMES(k),                                                                             \
      .min_operands = 2,                                                                           \
      .max_operands = 2,                                                                           \
      .min_results = 1,                                                                            \
      .max_results = 1,                                                                            \
      .attrs = QCC_NO_ATTRS,                                                                       \
      .infer = binary_infer,                                                                       \
      .eval = binary_eval,                                                                         \
  }

BINARY_DEF(Add);
BINARY_DEF(Sub);
BINARY_DEF(Mul);
BINARY_DEF(Div);
