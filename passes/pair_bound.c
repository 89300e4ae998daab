#include "passes/pair_bound.h"

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "ir/tensor.h"
#include "passes/qdq_match.h"

/* The activation code range of `v`: narrowed by an integer clamp (a Clip with constant bounds, or
 * a fused conv's), looked through data movement; [0, 255] otherwise. */
static void activation_range(const qcc_value *v, int32_t *lo, int32_t *hi) {
  *lo = 0;
  *hi = 255;
  for (int depth = 0; v && v->def && depth < 16; ++depth) {
    const qcc_op *def = v->def;
    const qcc_value *blo = NULL, *bhi = NULL;
    if (qcc_op_is(def, QCC_OP_Clip)) {
      blo = qcc_op_operand(def, 1);
      bhi = qcc_op_operand(def, 2);
    } else if (qcc_op_is(def, QCC_OP_QLinearConvFused)) {
      blo = qcc_op_operand(def, 14);
      bhi = qcc_op_operand(def, 15);
    } else if (qcc_is_element_movement(def) || qcc_op_is(def, QCC_OP_Relayout)) {
      v = qcc_op_operand(def, 0);
      continue;
    }
    double l, h;
    if (blo && qcc_const_scalar(blo, &l))
      *lo = (int32_t)l;
    if (bhi && qcc_const_scalar(bhi, &h))
      *hi = (int32_t)h;
    return;
  }
}

static bool pair_safe(int32_t w1, int32_t w2, int32_t lo, int32_t hi) {
  int64_t pos = (w1 > 0 ? w1 : 0) + (w2 > 0 ? w2 : 0);
  int64_t neg = (w1 < 0 ? -w1 : 0) + (w2 < 0 ? -w2 : 0);
  return (int64_t)hi * pos - (int64_t)lo * neg <= 32767 &&
         (int64_t)lo * pos - (int64_t)hi * neg >= -32768;
}

static int32_t weight_at(const qcc_const *k, int64_t i) {
  qcc_tensor t = {.elem = k->type.elem,
                  .numel = (int64_t)(k->nbytes / qcc_elem_size(k->type.elem)),
                  .data = (void *)k->data};
  return (int32_t)qcc_tensor_get_i64(&t, i);
}

bool qcc_pair_bound_of(const qcc_op *op, qcc_pair_bound *out) {
  bool conv = qcc_op_is(op, QCC_OP_QLinearConv) || qcc_op_is(op, QCC_OP_QLinearConvFused) ||
              qcc_op_is(op, QCC_OP_ConvInteger);
  bool matmul = qcc_op_is(op, QCC_OP_QLinearMatMul) || qcc_op_is(op, QCC_OP_QGemm) ||
                qcc_op_is(op, QCC_OP_MatMulInteger);
  if (!conv && !matmul)
    return false;
  uint32_t xi = 0,
           wi = qcc_op_is(op, QCC_OP_ConvInteger) || qcc_op_is(op, QCC_OP_MatMulInteger) ? 1 : 3;
  const qcc_value *x = qcc_op_operand(op, xi), *wv = qcc_op_operand(op, wi);
  const qcc_const *w = wv ? qcc_value_const(wv) : NULL;
  if (!x || x->type.elem != QCC_U8 || !w || w->type.elem != QCC_I8 || w->type.rank < 2)
    return false;
  *out = (qcc_pair_bound){0};
  activation_range(x, &out->act_lo, &out->act_hi);
  int32_t lo = out->act_lo, hi = out->act_hi;
  const qcc_type t = w->type;
  if (conv) {
    /* W is [M, C/g, k...]: per output channel, taps outer, channels inner. */
    int64_t m = t.dims[0].size, c = t.dims[1].size, taps = 1;
    for (int32_t d = 2; d < t.rank; ++d)
      taps *= t.dims[d].size;
    int64_t kdim = c * taps;
    for (int64_t o = 0; o < m; ++o)
      for (int64_t k = 0; k < kdim; k += 2) {
        int64_t tap = k / c, ch = k % c;
        int32_t w1 = weight_at(w, (o * c + ch) * taps + tap), w2 = 0;
        if (k + 1 < kdim) {
          int64_t tap2 = (k + 1) / c, ch2 = (k + 1) % c;
          w2 = weight_at(w, (o * c + ch2) * taps + tap2);
        }
        out->pairs += 1;
        out->safe += pair_safe(w1, w2, lo, hi);
      }
    return true;
  }
  /* B is [K, N], or [N, K] for a QGemm with transB. */
  bool trans = qcc_op_is(op, QCC_OP_QGemm) && qcc_op_attr_int(op, "transB");
  if (t.rank != 2)
    return false;
  int64_t kdim = trans ? t.dims[1].size : t.dims[0].size,
          n = trans ? t.dims[0].size : t.dims[1].size;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t k = 0; k < kdim; k += 2) {
      int32_t w1 = weight_at(w, trans ? j * kdim + k : k * n + j), w2 = 0;
      if (k + 1 < kdim)
        w2 = weight_at(w, trans ? j * kdim + k + 1 : (k + 1) * n + j);
      out->pairs += 1;
      out->safe += pair_safe(w1, w2, lo, hi);
    }
  return true;
}
