#include "passes/residual_quant.h"

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "passes/qdq_match.h"

enum { RQ_OK, RQ_SKIP, RQ_NOMEM };

/* True when `v` is computed by a non-DQ op that reads a DequantizeLinear's result. */
static bool from_quantized_op(const qcc_value *v) {
  const qcc_op *def = v->def;
  if (!def || qcc_op_is(def, QCC_OP_DequantizeLinear) || qcc_op_is(def, QCC_OP_Constant))
    return false;
  for (uint32_t i = 0; i < def->num_operands; ++i) {
    const qcc_value *o = def->operands[i].value;
    if (o && qcc_op_is(o->def, QCC_OP_DequantizeLinear))
      return true;
  }
  return false;
}

/* A copy of constant `v` placed before `before` (the output quantizer's parameters are defined
 * after the Add); cse merges equal constants again. */
static qcc_value *copy_const(qcc_graph *g, qcc_value *v, qcc_op *before) {
  qcc_op *c = qcc_const_create(g, NULL, v->def->konst, v->def->loc, before);
  return c ? c->results[0] : NULL;
}

/* The Add's output quantizer: its only consumer, or the only consumer of a Relu/Clip that is
 * the Add's only consumer (sink-clamp later turns that activation into an integer clamp). */
static qcc_op *output_quantizer(const qcc_op *add) {
  qcc_op *oq = qcc_match_single_q_consumer(add);
  const qcc_value *sum = add->results[0];
  if (oq || qcc_value_use_count(sum) != 1 || qcc_value_is_graph_output(sum))
    return oq;
  const qcc_op *act = sum->first_use->user;
  if (!qcc_op_is(act, QCC_OP_Relu) && !qcc_op_is(act, QCC_OP_Clip))
    return NULL;
  return qcc_match_single_q_consumer(act);
}

static int insert(qcc_graph *g, qcc_op *add) {
  qcc_op *oq = output_quantizer(add);
  double s;
  int64_t z;
  if (add->num_operands != 2 || !oq || !qcc_qdq_scalar_params(oq, &s, &z))
    return RQ_SKIP;
  for (uint32_t k = 0; k < 2; ++k) {
    qcc_op *dq = qcc_match_dq_operand(add, k);
    qcc_value *other = qcc_op_operand(add, 1 - k);
    if (!dq || !other || other->type.elem != QCC_F32 ||
        qcc_qdq_int_elem(dq) != qcc_qdq_int_elem(oq) || !from_quantized_op(other) ||
        qcc_value_use_count(other) != 1 || qcc_value_is_graph_output(other))
      continue;
    qcc_value *scale = copy_const(g, qcc_op_operand(oq, 1), add);
    qcc_value *zp = qcc_op_operand(oq, 2) ? copy_const(g, qcc_op_operand(oq, 2), add) : NULL;
    if (!scale || (qcc_op_operand(oq, 2) && !zp))
      return RQ_NOMEM;
    qcc_type qt = other->type;
    qt.elem = oq->results[0]->type.elem;
    qcc_op *q = qcc_build_qdq(g, QCC_OP_QuantizeLinear, other, scale, zp, -1, qt, add->loc, add);
    if (!q)
      return RQ_NOMEM;
    qcc_op *back = qcc_build_qdq(g, QCC_OP_DequantizeLinear, q->results[0], scale, zp, -1,
                                 other->type, add->loc, add);
    if (!back)
      return RQ_NOMEM;
    qcc_op_set_operand(add, 1 - k, back->results[0]);
    return RQ_OK;
  }
  return RQ_SKIP;
}

static qcc_status residual_quant_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t inserted = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    if (!qcc_op_is(op, QCC_OP_Add))
      continue;
    int r = insert(g, op);
    if (r == RQ_NOMEM) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    if (r == RQ_OK) {
      ++inserted;
      qcc_pass_remark(ctx, op, "residual quantizer inserted");
    }
  }
  qcc_pass_count(ctx, "residual quantizers inserted", inserted);
  ctx->changed = inserted > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_residual_quant = {
    .name = "residual-quant",
    .summary = "quantize a residual Add's conv branch with the Add's output parameters",
    .run = residual_quant_run,
};
