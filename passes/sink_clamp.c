#include "passes/sink_clamp.h"

#include <float.h>
#include <math.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "ir/ops/requant.h"
#include "passes/qdq_match.h"

enum { SINK_OK, SINK_SKIP, SINK_NOMEM };

static qcc_value *int_scalar(qcc_graph *g, qcc_elem e, int32_t v, qcc_op *before) {
  unsigned char b = (unsigned char)(e == QCC_I8 ? (unsigned char)(int8_t)v : (unsigned char)v);
  return qcc_build_const(g, NULL, e, 0, NULL, &b, 1, before);
}

static int sink(qcc_graph *g, qcc_op *act) {
  qcc_value *x = qcc_op_operand(act, 0), *a = act->results[0];
  if (!x || x->type.elem != QCC_F32 || qcc_value_use_count(a) != 1 || qcc_value_is_graph_output(a))
    return SINK_SKIP;
  qcc_op *q = a->first_use->user;
  double lo, hi, scale;
  int64_t zp;
  if (!qcc_op_is(q, QCC_OP_QuantizeLinear) || a->first_use->index != 0 ||
      !qcc_qdq_scalar_params(q, &scale, &zp) || !qcc_clamp_const_bounds(act, &lo, &hi))
    return SINK_SKIP;
  qcc_value *qv = q->results[0];
  qcc_elem e = qv->type.elem;
  if ((e != QCC_U8 && e != QCC_I8) || qcc_value_is_graph_output(qv))
    return SINK_SKIP;
  qcc_qrange r = e == QCC_U8 ? qcc_qrange_u8() : qcc_qrange_i8();
  /* The quantizer's own arithmetic on the bounds (float32, as QuantizeLinear computes it). */
  int32_t qlo =
      lo == -INFINITY ? r.lo : qcc_quantize_value((float)lo, (float)scale, (int32_t)zp, r);
  int32_t qhi = hi == INFINITY ? r.hi : qcc_quantize_value((float)hi, (float)scale, (int32_t)zp, r);
  if (qlo <= r.lo && qhi >= r.hi) {
    /* The quantizer's saturation already clamps as hard: no integer clamp needed. */
    qcc_op_set_operand(q, 0, x);
    qcc_op_erase(act);
    return SINK_OK;
  }
  qcc_op *after = q->next;
  qcc_value *vlo = int_scalar(g, e, qlo, after ? after : q),
            *vhi = int_scalar(g, e, qhi, after ? after : q);
  if (!vlo || !vhi)
    return SINK_NOMEM;
  qcc_value *operands[3] = {qv, vlo, vhi};
  qcc_op_spec spec = {.def = qcc_op_get(QCC_OP_Clip),
                      .node_name = act->name,
                      .loc = act->loc,
                      .num_operands = 3,
                      .operands = operands,
                      .num_results = 1,
                      .result_types = &qv->type};
  qcc_op *clip = qcc_op_create(g, &spec, vhi->def->next);
  if (!clip)
    return SINK_NOMEM;
  for (qcc_use *u = qv->first_use, *next; u; u = next) {
    next = u->next;
    if (u->user != clip)
      qcc_op_set_operand(u->user, u->index, clip->results[0]);
  }
  qcc_op_set_operand(q, 0, x);
  qcc_op_erase(act);
  return SINK_OK;
}

static qcc_status sink_clamp_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t moved = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    if (!qcc_op_is(op, QCC_OP_Relu) && !qcc_op_is(op, QCC_OP_Clip))
      continue;
    int r = sink(g, op);
    if (r == SINK_NOMEM) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    moved += r == SINK_OK;
  }
  qcc_pass_count(ctx, "activations moved below their quantizer as integer clamps", moved);
  ctx->changed = moved > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_sink_clamp = {
    .name = "sink-clamp",
    .summary = "turn Relu/Clip -> Q into Q -> integer Clip (exact), so the op before folds",
    .run = sink_clamp_run,
};
