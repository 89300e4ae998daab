#include "passes/promote_f16.h"

#include "ir/graph_util.h"
#include "ir/op_registry.h"

static bool is_cast(const qcc_op *op, qcc_elem to) {
  return qcc_op_is(op, QCC_OP_Cast) && op->num_results == 1 && op->results[0]->type.elem == to;
}

/* A Cast that widen-f16's rounding consists of: f32 -> f16, or f32 -> f32 once its operand
 * is promoted. Its consumers can read the operand, unless its result is a graph output. */
static bool bypassable(const qcc_op *op) {
  const qcc_value *x = qcc_op_operand(op, 0);
  if (!x || x->type.elem != QCC_F32 || qcc_value_is_graph_output(op->results[0]))
    return false;
  return is_cast(op, QCC_F16) || is_cast(op, QCC_F32);
}

/* An op that keeps its f16 operands: one (not a Cast) whose result is an f16 graph output. */
static bool keeps_interface(const qcc_op *op) {
  if (qcc_op_is(op, QCC_OP_Cast))
    return false;
  for (uint32_t r = 0; r < op->num_results; ++r)
    if (qcc_value_is_graph_output(op->results[r]) && op->results[r]->type.elem == QCC_F16)
      return true;
  return false;
}

/* Op's consumers read its operand instead, except those that keep f16 operands. */
static bool bypass(qcc_op *op) {
  bool any = false;
  for (qcc_use *u = op->results[0]->first_use, *next; u; u = next) {
    next = u->next;
    if (!keeps_interface(u->user)) {
      qcc_op_set_operand(u->user, u->index, qcc_op_operand(op, 0));
      any = true;
    }
  }
  return any;
}

static qcc_op *widening_cast(qcc_graph *g, qcc_value *x, qcc_op *before) {
  qcc_type t = x->type;
  t.elem = QCC_F32;
  t.quant = NULL;
  qcc_attr to = {.name = "to", .kind = QCC_ATTR_INT, .i = 1 /* FLOAT */};
  qcc_op_spec spec = {.def = qcc_op_get(QCC_OP_Cast),
                      .loc = before->loc,
                      .num_operands = 1,
                      .operands = &x,
                      .num_results = 1,
                      .result_types = &t,
                      .num_attrs = 1,
                      .attrs = &to};
  return qcc_op_create(g, &spec, before);
}

/* An op (widen-f16 left only element-moving ones on f16) with an f16 result: its f16 operands
 * widened by Casts, its results retyped by its shape rule; left as it was when a result is a
 * graph output or the rule rejects the f32 operands. */
static qcc_status promote_mover(qcc_graph *g, qcc_op *op, bool *done) {
  enum { MAX_OPERANDS = 64 };
  *done = false;
  bool f16_result = false;
  for (uint32_t r = 0; r < op->num_results; ++r) {
    if (qcc_value_is_graph_output(op->results[r]))
      return QCC_OK; /* the graph's interface keeps its types */
    f16_result |= op->results[r]->type.elem == QCC_F16;
  }
  if (!f16_result || op->num_operands > MAX_OPERANDS || qcc_op_is(op, QCC_OP_Constant))
    return QCC_OK;
  qcc_value *old[MAX_OPERANDS];
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    qcc_value *v = old[i] = op->operands[i].value;
    if (!v || v->type.elem != QCC_F16)
      continue;
    qcc_op *c = widening_cast(g, v, op);
    if (!c)
      return QCC_ERR_NOMEM;
    qcc_op_set_operand(op, i, c->results[0]);
  }
  *done = qcc_op_reinfer_quietly(op);
  if (!*done) {
    for (uint32_t i = 0; i < op->num_operands; ++i)
      qcc_op_set_operand(op, i, old[i]);
    qcc_op_reinfer_quietly(op);
  }
  return QCC_OK;
}

static qcc_status promote_f16_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t casts = 0, movers = 0;
  for (qcc_op *op = g->first; op; op = op->next) {
    if (qcc_op_is(op, QCC_OP_Cast)) {
      if (bypassable(op))
        casts += bypass(op);
      continue;
    }
    bool done;
    if (promote_mover(g, op, &done) != QCC_OK) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    movers += done;
  }
  qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "float16 roundings between ops dropped", casts);
  qcc_pass_count(ctx, "element-moving ops moved to float32", movers);
  ctx->changed = casts + movers > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_promote_f16 = {
    .name = "promote-f16",
    .summary = "compute float16 graphs in float32 inside (drops f16 rounding; for qcc quantize)",
    .run = promote_f16_run,
};
