#include "passes/widen_f16.h"

#include "ir/graph_util.h"
#include "ir/op_registry.h"

/* Ops that move, select or describe elements without arithmetic: exact on f16 as they are. */
static bool keeps_f16(const qcc_op *op) {
  switch (op->def->kind) {
  case QCC_OP_Cast:
  case QCC_OP_Constant:
  case QCC_OP_Reshape:
  case QCC_OP_Flatten:
  case QCC_OP_Transpose:
  case QCC_OP_Squeeze:
  case QCC_OP_Unsqueeze:
  case QCC_OP_Concat:
  case QCC_OP_Split:
  case QCC_OP_Slice:
  case QCC_OP_Gather:
  case QCC_OP_Expand:
  case QCC_OP_Identity:
  case QCC_OP_Shape:
  case QCC_OP_Where: return true;
  default: return false;
  }
}

static bool computes_f16(const qcc_op *op) {
  if (keeps_f16(op))
    return false;
  for (uint32_t i = 0; i < op->num_operands; ++i)
    if (op->operands[i].value && op->operands[i].value->type.elem == QCC_F16)
      return true;
  for (uint32_t r = 0; r < op->num_results; ++r)
    if (op->results[r]->type.elem == QCC_F16)
      return true;
  return false;
}

static qcc_op *cast(qcc_graph *g, qcc_value *x, qcc_elem to, const char *name, qcc_loc loc,
                    qcc_op *before) {
  qcc_type t = x->type;
  t.elem = to;
  t.quant = NULL;
  qcc_attr attr = {.name = "to", .kind = QCC_ATTR_INT, .i = to == QCC_F32 ? 1 : 10};
  qcc_op_spec spec = {.def = qcc_op_get(QCC_OP_Cast),
                      .loc = loc,
                      .num_operands = 1,
                      .operands = &x,
                      .num_results = 1,
                      .result_names = &name,
                      .result_types = &t,
                      .num_attrs = 1,
                      .attrs = &attr};
  return qcc_op_create(g, &spec, before);
}

static qcc_status widen(qcc_graph *g, qcc_op *op) {
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    qcc_value *v = op->operands[i].value;
    if (!v || v->type.elem != QCC_F16)
      continue;
    qcc_op *c = cast(g, v, QCC_F32, NULL, op->loc, op);
    if (!c)
      return QCC_ERR_NOMEM;
    qcc_op_set_operand(op, i, c->results[0]);
  }
  qcc_op *after = op->next;
  for (uint32_t r = 0; r < op->num_results; ++r) {
    qcc_value *y = op->results[r];
    if (y->type.elem != QCC_F16)
      continue;
    y->type.elem = QCC_F32;
    /* the rounded value keeps the name (graph outputs, files and headers are named by it) */
    const char *name = y->name;
    const char *wide = qcc_graph_fresh_name(g, name);
    if (!wide || !qcc_value_rename(y, wide))
      return QCC_ERR_NOMEM;
    qcc_op *c = cast(g, y, QCC_F16, name, op->loc, after);
    if (!c)
      return QCC_ERR_NOMEM;
    /* every use of y (and a graph output) now reads the rounded value; the Cast reads y */
    qcc_value_replace_all_uses(y, c->results[0]);
    qcc_op_set_operand(c, 0, y);
  }
  return QCC_OK;
}

static qcc_status widen_f16_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t widened = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    if (!computes_f16(op))
      continue;
    if (widen(g, op) != QCC_OK) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    ++widened;
  }
  qcc_pass_count(ctx, "float16 ops computed as float32 between Casts", widened);
  ctx->changed = widened > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_widen_f16 = {
    .name = "widen-f16",
    .summary = "run float16 ops as float32 ops between Casts (the interpreter's semantics)",
    .run = widen_f16_run,
};
