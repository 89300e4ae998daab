#include "ir/verifier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/op_registry.h"

qcc_status qcc_verify_quant(qcc_type t, qcc_loc loc, qcc_diag *diag) {
  const qcc_quant *q = t.quant;
  if (!q)
    return QCC_OK;
  if (!qcc_elem_is_quantizable(t.elem)) {
    qcc_diag_error(diag, loc, "quantized type must be stored as i8, u8 or i32, not %s",
                   qcc_elem_name(t.elem));
    return QCC_ERR_INPUT;
  }
  if (q->axis != QCC_PER_TENSOR) {
    if (t.rank >= 0 && (q->axis < 0 || q->axis >= t.rank)) {
      qcc_diag_error(diag, loc, "quantization axis %d is out of range for rank %d", (int)q->axis,
                     (int)t.rank);
      return QCC_ERR_INPUT;
    }
    if (t.rank >= 0 && t.dims[q->axis].size >= 0 && (int64_t)q->count != t.dims[q->axis].size) {
      qcc_diag_error(diag, loc,
                     "per-axis quantization has %u scales but dimension %d has size %lld", q->count,
                     (int)q->axis, (long long)t.dims[q->axis].size);
      return QCC_ERR_INPUT;
    }
  } else if (q->count != 1) {
    qcc_diag_error(diag, loc, "per-tensor quantization needs exactly one scale");
    return QCC_ERR_INPUT;
  }
  int64_t lo, hi;
  qcc_elem_int_range(t.elem, &lo, &hi);
  for (uint32_t i = 0; i < q->count; ++i) {
    float s = q->scales[i];
    if (!isfinite(s) || s <= 0.0f) {
      char buf[32];
      qcc_format_float(s, buf);
      qcc_diag_error(diag, loc, "quantization scale must be finite and positive, got %s", buf);
      return QCC_ERR_INPUT;
    }
    if (q->zero_points[i] < lo || q->zero_points[i] > hi) {
      qcc_diag_error(diag, loc, "zero point %d is out of range for %s [%lld, %lld]",
                     (int)q->zero_points[i], qcc_elem_name(t.elem), (long long)lo, (long long)hi);
      return QCC_ERR_INPUT;
    }
  }
  return QCC_OK;
}

qcc_status qcc_infer_op_types(qcc_op *op, qcc_diag *diag) {
  qcc_type results[64];
  if (op->num_results > 64)
    return QCC_ERR_INPUT;
  qcc_status st = qcc_op_infer(op, op->graph->arena, diag, results);
  if (st != QCC_OK)
    return st;
  for (uint32_t r = 0; r < op->num_results; ++r) {
    qcc_type old = op->results[r]->type;
    /* A quantization annotation is not something shape rules derive: keep it. */
    if (old.quant && old.elem == results[r].elem)
      results[r].quant = old.quant;
    op->results[r]->type = results[r];
  }
  return QCC_OK;
}

/* A layout the value's type can carry; NHWC needs rank 4. */
static qcc_status verify_layout(const qcc_value *v, qcc_diag *diag) {
  if (qcc_layout_fits(v->layout, v->type))
    return QCC_OK;
  char have[256];
  qcc_type_format(v->type, have, sizeof have);
  qcc_diag_error(diag, v->loc, "value '%s' has layout '%s', which needs a rank-4 type, not %s",
                 v->name, qcc_layout_name(v->layout), have);
  return QCC_ERR_INPUT;
}

/* Constants are row-major (the code generator packs weights itself) and a Relayout's result
 * has the layout its attribute names. */
static qcc_status verify_op_layouts(const qcc_op *op, qcc_diag *diag) {
  for (uint32_t r = 0; r < op->num_results; ++r)
    if (verify_layout(op->results[r], diag) != QCC_OK)
      return QCC_ERR_INPUT;
  const qcc_value *v = op->num_results ? op->results[0] : NULL;
  if (op->konst && v->layout != QCC_LAYOUT_ROW_MAJOR) {
    qcc_diag_error(diag, v->loc, "constant '%s' has layout '%s': constants are row-major", v->name,
                   qcc_layout_name(v->layout));
    return QCC_ERR_INPUT;
  }
  qcc_layout target;
  if (qcc_op_is(op, QCC_OP_Relayout) && qcc_relayout_target(op, &target) && v->layout != target) {
    qcc_diag_error(diag, v->loc,
                   "Relayout: result '%s' has layout '%s' but the op converts to '%s'", v->name,
                   qcc_layout_name(v->layout), qcc_layout_name(target));
    return QCC_ERR_INPUT;
  }
  return QCC_OK;
}

static qcc_status verify_op(const qcc_op *op, const bool *defined, qcc_arena *scratch,
                            qcc_diag *diag) {
  const qcc_graph *g = op->graph;
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    const qcc_value *v = op->operands[i].value;
    if (!v)
      continue;
    if (v->graph != g || v->id >= g->num_values || !defined[v->id]) {
      qcc_diag_error(diag, op->loc, "%s: operand '%s' is used before it is defined", op->def->name,
                     v->name);
      return QCC_ERR_INPUT;
    }
  }
  qcc_type inferred[64];
  if (op->num_results > 64) {
    qcc_diag_error(diag, op->loc, "%s: too many results", op->def->name);
    return QCC_ERR_INPUT;
  }
  qcc_status st = qcc_op_infer(op, scratch, diag, inferred);
  if (st != QCC_OK)
    return st;
  for (uint32_t r = 0; r < op->num_results; ++r) {
    const qcc_value *v = op->results[r];
    if (qcc_verify_quant(v->type, v->loc, diag) != QCC_OK)
      return QCC_ERR_INPUT;
    if (!qcc_type_refines(v->type, inferred[r])) {
      char have[256], want[256];
      qcc_type_format(v->type, have, sizeof have);
      qcc_type_format(inferred[r], want, sizeof want);
      qcc_diag_error(diag, v->loc, "%s: result '%s' declared as %s but the op produces %s",
                     op->def->name, v->name, have, want);
      return QCC_ERR_INPUT;
    }
  }
  return verify_op_layouts(op, diag);
}

qcc_status qcc_verify_graph(const qcc_graph *g, qcc_diag *diag) {
  bool *defined = calloc(g->num_values ? g->num_values : 1, sizeof(bool));
  qcc_arena *scratch = qcc_arena_create();
  if (!defined || !scratch) {
    free(defined);
    qcc_arena_destroy(scratch);
    return QCC_ERR_NOMEM;
  }
  qcc_status st = QCC_OK;
  for (uint32_t i = 0; i < g->num_inputs; ++i) {
    const qcc_value *v = g->inputs[i];
    if (qcc_verify_quant(v->type, v->loc, diag) != QCC_OK || verify_layout(v, diag) != QCC_OK)
      st = QCC_ERR_INPUT;
    defined[v->id] = true;
  }
  qcc_graph_for_each_op(g, op) {
    if (verify_op(op, defined, scratch, diag) != QCC_OK) {
      st = QCC_ERR_INPUT;
      if (qcc_diag_limit_reached(diag))
        break;
    }
    /* Define results even after an error so one mistake is reported once. */
    for (uint32_t r = 0; r < op->num_results; ++r)
      if (op->results[r]->id < g->num_values)
        defined[op->results[r]->id] = true;
  }
  for (uint32_t i = 0; i < g->num_outputs; ++i) {
    const qcc_value *v = g->outputs[i];
    if (v->id >= g->num_values || !defined[v->id]) {
      qcc_diag_error(diag, v->loc, "graph output '%s' is not defined", v->name);
      st = QCC_ERR_INPUT;
    }
  }
  if (g->num_outputs == 0) {
    qcc_diag_error(diag, (qcc_loc){0}, "graph '%s' has no outputs", g->name);
    st = QCC_ERR_INPUT;
  }
  free(defined);
  qcc_arena_destroy(scratch);
  return st;
}
