#include "passes/merge_requant.h"

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "passes/qdq_match.h"

static bool merge(qcc_op *q, qcc_pass_ctx *ctx) {
  qcc_value *v = qcc_op_operand(q, 0);
  qcc_op *dq = v ? v->def : NULL;
  double s1, s2;
  int64_t z1, z2;
  if (!qcc_op_is(dq, QCC_OP_DequantizeLinear) || !qcc_qdq_scalar_params(dq, &s1, &z1) ||
      !qcc_qdq_scalar_params(q, &s2, &z2) || (float)s1 != (float)s2 || z1 != z2)
    return false;
  qcc_value *x = qcc_op_operand(dq, 0), *y = q->results[0];
  if (!x || x->type.elem != y->type.elem || qcc_value_is_graph_output(y))
    return false;
  qcc_pass_remark(ctx, q, "Q(DQ(x)) with equal parameters merged");
  qcc_value_replace_all_uses(y, x);
  qcc_op_erase(q);
  return true;
}

static qcc_status merge_requant_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t merged = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    if (qcc_op_is(op, QCC_OP_QuantizeLinear) && merge(op, ctx))
      ++merged;
  }
  qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "Q(DQ(x)) pairs with equal parameters merged", merged);
  ctx->changed = merged > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_merge_requant = {
    .name = "merge-requant",
    .summary = "replace Q(DQ(x)) with equal parameters by x (exact)",
    .run = merge_requant_run,
};
