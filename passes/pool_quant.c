#include "passes/pool_quant.h"

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "passes/qdq_match.h"

enum { PQ_OK, PQ_SKIP, PQ_NOMEM };

/* True when every element of `v` is >= 0 by construction (a few ops deep). */
static bool non_negative(const qcc_value *v, int depth) {
  const qcc_op *def = v->def;
  if (!def || depth > 8)
    return false;
  switch (def->def->kind) {
  case QCC_OP_Relu:
  case QCC_OP_Clip: {
    double lo, hi;
    return qcc_clamp_const_bounds(def, &lo, &hi) && lo >= 0;
  }
  default:
    return qcc_is_element_movement(def) && qcc_op_operand(def, 0) &&
           non_negative(qcc_op_operand(def, 0), depth + 1);
  }
}

static int insert(qcc_graph *g, qcc_op *pool) {
  qcc_value *x = qcc_op_operand(pool, 0);
  qcc_op *q = qcc_match_single_q_consumer(pool);
  double s;
  int64_t z;
  if (!x || !q || x->type.elem != QCC_F32 || !x->def ||
      qcc_op_is(x->def, QCC_OP_DequantizeLinear) || qcc_op_is(x->def, QCC_OP_Constant) ||
      qcc_value_use_count(x) != 1 || qcc_value_is_graph_output(x) ||
      !qcc_qdq_scalar_params(q, &s, &z) || !(s > 0))
    return PQ_SKIP;
  qcc_elem e = qcc_qdq_int_elem(q);
  int64_t lo, hi;
  qcc_elem_int_range(e, &lo, &hi);
  int64_t zp = non_negative(x, 0) ? lo : z;
  float scale_f = (float)s;
  qcc_value *scale = qcc_build_const(g, NULL, QCC_F32, 0, NULL, &scale_f, sizeof scale_f, pool);
  unsigned char zb = (unsigned char)(e == QCC_I8 ? (unsigned char)(int8_t)zp : (unsigned char)zp);
  qcc_value *zpv = qcc_build_const(g, NULL, e, 0, NULL, &zb, 1, pool);
  if (!scale || !zpv)
    return PQ_NOMEM;
  qcc_type qt = x->type;
  qt.elem = e;
  qcc_op *nq = qcc_build_qdq(g, QCC_OP_QuantizeLinear, x, scale, zpv, -1, qt, pool->loc, pool);
  if (!nq)
    return PQ_NOMEM;
  qcc_op *dq = qcc_build_qdq(g, QCC_OP_DequantizeLinear, nq->results[0], scale, zpv, -1, x->type,
                             pool->loc, pool);
  if (!dq)
    return PQ_NOMEM;
  qcc_op_set_operand(pool, 0, dq->results[0]);
  return PQ_OK;
}

static qcc_status pool_quant_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t inserted = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    if (!qcc_op_is(op, QCC_OP_GlobalAveragePool) && !qcc_op_is(op, QCC_OP_AveragePool))
      continue;
    int r = insert(g, op);
    if (r == PQ_NOMEM) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    if (r == PQ_OK) {
      ++inserted;
      qcc_pass_remark(ctx, op, "input quantizer inserted");
    }
  }
  qcc_pass_count(ctx, "average-pool input quantizers inserted", inserted);
  ctx->changed = inserted > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_pool_quant = {
    .name = "pool-quant",
    .summary = "quantize an average pool's float input with its output quantizer's scale",
    .run = pool_quant_run,
};
