/* assign-layout: NHWC for integer image kernels, row-major where logical order is read, one
 * Relayout per value and layout where they meet (precondition and effect: assign_layout.h).
 *
 * 1. Forward, in op order: each result gets the layout its producer writes (rule_of); an
 *    elementwise op takes the layout most of its rank-4 activation operands have.
 * 2. Backward: an elementwise op with one rank-4 activation operand whose consumers all want
 *    another layout switches to it when that moves the conversion to a narrower element type
 *    (a DequantizeLinear converts its u8 input, not its f32 result) or onto a value that is
 *    converted for another consumer anyway.
 * 3. Every operand and graph output in a layout its consumer does not accept gets a Relayout,
 *    placed before the first consumer that needs it. */
#include "passes/assign_layout.h"

#include <stdlib.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"

/* What an op needs of the layouts of its rank-4 activation operands and results. */
typedef enum {
  NEED_ROW_MAJOR, /* reads and writes logical order: float ops, reshapes, Transpose, Gather, ... */
  NEED_NHWC,      /* an integer image kernel: its activations with channels innermost */
  NEED_SAME,      /* elementwise: any layout, the same for its activations and its result */
  NEED_NONE,      /* Relayout: reads any layout, writes the one its attribute names */
} layout_need;

enum { ALL = UINT32_MAX };

/* An op's need, and which operands are activations: first, first + stride, ... (count of them).
 * The others (scales, zero points, weights, biases, bounds) are read in logical order. */
typedef struct layout_rule {
  layout_need need;
  uint32_t first, stride, count;
} layout_rule;

static const layout_rule row_major = {NEED_ROW_MAJOR, 0, 0, 0};

static bool rank4(const qcc_value *v) { return v && v->type.rank == 4; }

/* An image kernel when its first activation and its result are rank 4. */
static layout_rule kernel(const qcc_op *op, uint32_t first, uint32_t stride, uint32_t count) {
  if (!rank4(qcc_op_operand(op, first)) || op->num_results != 1 || !rank4(op->results[0]))
    return row_major;
  return (layout_rule){NEED_NHWC, first, stride, count};
}

static layout_rule elementwise(uint32_t first, uint32_t stride, uint32_t count) {
  return (layout_rule){NEED_SAME, first, stride, count};
}

/* Operand 0 and the result are integers (u8, i8, i32: quantized data, not shapes). */
static bool on_integers(const qcc_op *op) {
  const qcc_value *x = qcc_op_operand(op, 0);
  for (uint32_t r = 0; r < op->num_results; ++r)
    if (!qcc_elem_is_int(op->results[r]->type.elem) || op->results[r]->type.elem == QCC_I64)
      return false;
  return x && qcc_elem_is_int(x->type.elem) && x->type.elem != QCC_I64;
}

/* A concat of rank-4 values along the channel axis. */
static bool channel_concat(const qcc_op *op) {
  int64_t axis = qcc_op_attr_int(op, "axis");
  return op->num_results == 1 && rank4(op->results[0]) && (axis == 1 || axis == -3);
}

/* The one table of what each op kind needs; an op kind not listed reads logical order. */
static layout_rule rule_of(const qcc_op *op) {
  switch (op->def->kind) {
  case QCC_OP_QLinearConv:
  case QCC_OP_ConvInteger: return kernel(op, 0, 0, 1);
  case QCC_OP_QLinearConvFused: return kernel(op, 0, 9, 2); /* the input and the residual */
  case QCC_OP_QLinearAveragePool:
  case QCC_OP_QLinearGlobalAveragePool:
    return qcc_op_attr_int(op, "channels_last") ? row_major : kernel(op, 0, 0, 1);
  case QCC_OP_MaxPool: /* with Indices (logical offsets) kernel() says row-major */
  case QCC_OP_Pad:
  case QCC_OP_Resize: return on_integers(op) ? kernel(op, 0, 0, 1) : row_major;
  case QCC_OP_QLinearConcat: return channel_concat(op) ? kernel(op, 2, 3, ALL) : row_major;
  case QCC_OP_Concat:
    return on_integers(op) && channel_concat(op) ? kernel(op, 0, 1, ALL) : row_major;
  case QCC_OP_QLinearAdd:
  case QCC_OP_QLinearMul: return elementwise(0, 3, 2);
  case QCC_OP_QLinearSigmoid:
  case QCC_OP_QLinearLeakyRelu:
  case QCC_OP_QLinearLookup:
  case QCC_OP_QuantizeLinear:
  case QCC_OP_DequantizeLinear:
  case QCC_OP_Identity: return elementwise(0, 0, 1);
  case QCC_OP_Relu:
  case QCC_OP_Clip:
  case QCC_OP_Cast: return on_integers(op) ? elementwise(0, 0, 1) : row_major;
  case QCC_OP_Relayout: return (layout_rule){NEED_NONE, 0, 0, 1};
  default: return row_major;
  }
}

static bool is_activation(layout_rule r, uint32_t i) {
  if (r.count == 0 || i < r.first)
    return false;
  if (r.stride == 0)
    return i == r.first;
  return (i - r.first) % r.stride == 0 && (i - r.first) / r.stride < r.count;
}

/* True when the value's bytes depend on its layout (rank 4, C > 1 and H * W > 1). */
static bool layout_matters(const qcc_value *v) {
  return rank4(v) && !qcc_layout_same_bytes(v->type, QCC_LAYOUT_ROW_MAJOR, QCC_LAYOUT_NHWC);
}

/* The layout an elementwise op runs in: its rank-4 result's. */
static qcc_layout op_layout(const qcc_op *op) {
  return op->num_results && rank4(op->results[0]) ? op->results[0]->layout : QCC_LAYOUT_ROW_MAJOR;
}

/* The layout `op` needs its operand i in, or QCC_LAYOUT_COUNT when any will do. */
static qcc_layout operand_need(const qcc_op *op, uint32_t i) {
  layout_rule r = rule_of(op);
  switch (r.need) {
  case NEED_NONE: return QCC_LAYOUT_COUNT;
  case NEED_NHWC: return is_activation(r, i) ? QCC_LAYOUT_NHWC : QCC_LAYOUT_ROW_MAJOR;
  case NEED_SAME: return is_activation(r, i) ? op_layout(op) : QCC_LAYOUT_ROW_MAJOR;
  default: return QCC_LAYOUT_ROW_MAJOR;
  }
}

/* Step 1: the layout of op's results. */
static void assign_results(qcc_op *op) {
  layout_rule r = rule_of(op);
  qcc_layout l = QCC_LAYOUT_ROW_MAJOR;
  if (r.need == NEED_NHWC) {
    l = QCC_LAYOUT_NHWC;
  } else if (r.need == NEED_NONE) {
    if (!qcc_relayout_target(op, &l))
      l = QCC_LAYOUT_ROW_MAJOR;
  } else if (r.need == NEED_SAME) {
    /* The layout most rank-4 activations have (NHWC on a tie); without a vote, the first's. */
    uint32_t votes[QCC_LAYOUT_COUNT] = {0};
    const qcc_value *first = NULL;
    for (uint32_t i = 0; i < op->num_operands; ++i) {
      const qcc_value *v = op->operands[i].value;
      if (!is_activation(r, i) || !rank4(v))
        continue;
      first = first ? first : v;
      votes[v->layout] += layout_matters(v);
    }
    if (votes[QCC_LAYOUT_NHWC] + votes[QCC_LAYOUT_ROW_MAJOR])
      l = votes[QCC_LAYOUT_NHWC] >= votes[QCC_LAYOUT_ROW_MAJOR] ? QCC_LAYOUT_NHWC
                                                                : QCC_LAYOUT_ROW_MAJOR;
    else if (first)
      l = first->layout;
  }
  for (uint32_t k = 0; k < op->num_results; ++k) {
    qcc_value *v = op->results[k];
    v->layout =
        qcc_layout_fits(l, v->type) && !qcc_op_is(op, QCC_OP_Constant) ? l : QCC_LAYOUT_ROW_MAJOR;
  }
}

/* True when a consumer of `v` other than `except` (or the graph output) needs `v` in layout `l`,
 * which `v` does not already have. */
static bool needed_in(const qcc_value *v, qcc_layout l, const qcc_op *except) {
  if (qcc_layout_same_bytes(v->type, v->layout, l))
    return false;
  if (l == QCC_LAYOUT_ROW_MAJOR && v->def && qcc_value_is_graph_output(v))
    return true;
  for (const qcc_use *u = v->first_use; u; u = u->next)
    if (u->user != except && operand_need(u->user, u->index) == l)
      return true;
  return false;
}

/* The one layout every consumer of `v` needs, or QCC_LAYOUT_COUNT when they differ or some
 * accept v's own layout. */
static qcc_layout single_demand(const qcc_value *v) {
  qcc_layout want =
      v->def && qcc_value_is_graph_output(v) ? QCC_LAYOUT_ROW_MAJOR : QCC_LAYOUT_COUNT;
  for (const qcc_use *u = v->first_use; u; u = u->next) {
    qcc_layout l = operand_need(u->user, u->index);
    if (l == QCC_LAYOUT_COUNT)
      continue;
    if (l == v->layout || (want != QCC_LAYOUT_COUNT && l != want))
      return QCC_LAYOUT_COUNT;
    want = l;
  }
  return want == v->layout ? QCC_LAYOUT_COUNT : want;
}

/* Step 2 for one op: switch an elementwise op to the layout its consumers want when that moves
 * the conversion onto a narrower or already converted operand. */
static void pull_back(qcc_op *op) {
  layout_rule r = rule_of(op);
  if (r.need != NEED_SAME || op->num_results != 1 || !layout_matters(op->results[0]))
    return;
  qcc_value *x = NULL, *y = op->results[0];
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    qcc_value *v = op->operands[i].value;
    if (!is_activation(r, i) || !layout_matters(v))
      continue;
    if (x)
      return; /* two operands would each need a conversion */
    x = v;
  }
  qcc_layout want = single_demand(y);
  if (!x || want == QCC_LAYOUT_COUNT)
    return;
  if (qcc_elem_size(x->type.elem) < qcc_elem_size(y->type.elem) || needed_in(x, want, op))
    y->layout = want;
}

/* A Relayout of `v` to `l` before `before`, named `name` (NULL: a fresh one from v's). */
static qcc_value *relayout(qcc_graph *g, qcc_value *v, qcc_layout l, const char *name,
                           qcc_op *before) {
  qcc_attr attr = {.name = "layout", .kind = QCC_ATTR_STRING, .s = qcc_layout_name(l)};
  const char *names[1] = {name ? name : qcc_graph_fresh_name(g, v->name)};
  if (!names[0])
    return NULL;
  qcc_op_spec spec = {.def = qcc_op_get(QCC_OP_Relayout),
                      .loc = v->loc,
                      .num_operands = 1,
                      .operands = &v,
                      .num_results = 1,
                      .result_names = names,
                      .result_types = &v->type,
                      .num_attrs = 1,
                      .attrs = &attr};
  qcc_op *op = qcc_op_create(g, &spec, before);
  if (!op)
    return NULL;
  op->results[0]->layout = l;
  return op->results[0];
}

typedef struct layout_state {
  qcc_graph *g;
  qcc_pass_ctx *ctx;
  uint32_t num_values;     /* values before the pass; only those are ever converted */
  qcc_value **conversions; /* [id * QCC_LAYOUT_COUNT + layout]: v in that layout, or NULL */
  uint64_t inserted;
} layout_state;

/* `v` in layout `l`, converted before `before` the first time it is asked for. */
static qcc_value *converted(layout_state *s, qcc_value *v, qcc_layout l, qcc_op *before) {
  qcc_value **slot = &s->conversions[(size_t)v->id * QCC_LAYOUT_COUNT + l];
  if (!*slot && (*slot = relayout(s->g, v, l, NULL, before)))
    ++s->inserted;
  return *slot;
}

/* Step 3 for one graph output in another layout than row-major: the output's name moves to a
 * row-major copy (the conversion other consumers already share, or a new one after the def). */
static bool convert_output(layout_state *s, qcc_value *v) {
  qcc_graph *g = s->g;
  const char *name = v->name;
  qcc_value **slot = &s->conversions[(size_t)v->id * QCC_LAYOUT_COUNT + QCC_LAYOUT_ROW_MAJOR];
  const char *fresh = qcc_graph_fresh_name(g, name);
  if (!fresh || !qcc_value_rename(v, fresh))
    return false;
  if (*slot) {
    if (!qcc_value_rename(*slot, name))
      return false;
  } else {
    if (!(*slot = relayout(g, v, QCC_LAYOUT_ROW_MAJOR, name, v->def->next)))
      return false;
    ++s->inserted;
  }
  qcc_pass_remark(s->ctx, v->def, "graph output '%s' converted to row_major", name);
  for (uint32_t k = 0; k < g->num_outputs; ++k)
    if (g->outputs[k] == v)
      g->outputs[k] = *slot;
  return true;
}

static bool insert_conversions(layout_state *s) {
  qcc_graph *g = s->g;
  for (qcc_op *op = g->first; op; op = op->next) {
    for (uint32_t i = 0; i < op->num_operands; ++i) {
      qcc_value *v = op->operands[i].value;
      qcc_layout l = operand_need(op, i);
      if (!v || l == QCC_LAYOUT_COUNT || v->id >= s->num_values ||
          qcc_layout_same_bytes(v->type, v->layout, l))
        continue;
      bool fresh = !s->conversions[(size_t)v->id * QCC_LAYOUT_COUNT + l];
      qcc_value *c = converted(s, v, l, op);
      if (!c)
        return false;
      if (fresh)
        qcc_pass_remark(s->ctx, op, "'%s' converted to %s", v->name, qcc_layout_name(l));
      qcc_op_set_operand(op, i, c);
    }
  }
  for (uint32_t k = 0; k < g->num_outputs; ++k) {
    qcc_value *v = g->outputs[k];
    if (v->def && v->id < s->num_values &&
        !qcc_layout_same_bytes(v->type, v->layout, QCC_LAYOUT_ROW_MAJOR) && !convert_output(s, v))
      return false;
  }
  return true;
}

static void count_values(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t n[QCC_LAYOUT_COUNT] = {0};
  for (uint32_t i = 0; i < g->num_inputs; ++i)
    n[g->inputs[i]->layout] += rank4(g->inputs[i]);
  qcc_graph_for_each_op(g, op) {
    for (uint32_t r = 0; r < op->num_results && !op->konst; ++r)
      n[op->results[r]->layout] += rank4(op->results[r]);
  }
  qcc_pass_count(ctx, "rank-4 values in NHWC", n[QCC_LAYOUT_NHWC]);
  qcc_pass_count(ctx, "rank-4 values row-major", n[QCC_LAYOUT_ROW_MAJOR]);
}

static qcc_status assign_layout_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint32_t nv = qcc_graph_renumber(g);
  layout_state s = {.g = g, .ctx = ctx, .num_values = nv};
  s.conversions = calloc((size_t)nv * QCC_LAYOUT_COUNT + 1, sizeof *s.conversions);
  qcc_layout *before = calloc((size_t)nv + 1, sizeof *before);
  if (!s.conversions || !before) {
    free(s.conversions), free(before);
    qcc_diag_error(ctx->diag, (qcc_loc){0}, "out of memory");
    return QCC_ERR_NOMEM;
  }
  qcc_graph_for_each_op(g, op) {
    for (uint32_t r = 0; r < op->num_results; ++r)
      before[op->results[r]->id] = op->results[r]->layout;
    assign_results(op);
  }
  for (qcc_op *op = g->last; op; op = op->prev)
    pull_back(op);
  bool changed = false;
  qcc_graph_for_each_op(g, op) {
    for (uint32_t r = 0; r < op->num_results; ++r)
      changed = changed || before[op->results[r]->id] != op->results[r]->layout;
  }
  bool ok = insert_conversions(&s);
  free(s.conversions), free(before);
  if (!ok) {
    qcc_diag_error(ctx->diag, (qcc_loc){0}, "out of memory");
    return QCC_ERR_NOMEM;
  }
  qcc_pass_count(ctx, "Relayout ops inserted", s.inserted);
  count_values(g, ctx);
  ctx->changed = changed || s.inserted > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_assign_layout = {
    .name = "assign-layout",
    .summary = "NHWC for integer image kernels, row-major elsewhere, Relayout where they meet",
    .run = assign_layout_run,
};
