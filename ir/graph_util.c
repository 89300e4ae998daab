#include "ir/graph_util.h"

#include <math.h>
#include <string.h>

#include "ir/op_registry.h"
#include "ir/tensor.h"
#include "ir/verifier.h"

bool qcc_value_is_graph_output(const qcc_value *v) {
  const qcc_graph *g = v->graph;
  for (uint32_t i = 0; i < g->num_outputs; ++i)
    if (g->outputs[i] == v)
      return true;
  return false;
}

bool qcc_op_is_dead(const qcc_op *op) {
  for (uint32_t r = 0; r < op->num_results; ++r)
    if (qcc_value_has_uses(op->results[r]) || qcc_value_is_graph_output(op->results[r]))
      return false;
  return true;
}

void qcc_graph_erase_dead_ops(qcc_graph *g) {
  /* Walking backwards frees producers after their last consumer in one sweep. */
  for (qcc_op *op = g->last; op;) {
    qcc_op *prev = op->prev;
    if (qcc_op_is_dead(op))
      qcc_op_erase(op);
    op = prev;
  }
}

bool qcc_const_scalar(const qcc_value *v, double *out) {
  const qcc_const *k = qcc_value_const(v);
  int64_t n;
  if (!k || !qcc_type_numel(k->type, &n) || n != 1)
    return false;
  qcc_tensor t = {.elem = k->type.elem, .numel = 1, .data = (void *)k->data};
  *out = qcc_tensor_get_f64(&t, 0);
  return true;
}

bool qcc_op_reinfer_quietly(qcc_op *op) {
  qcc_diag *quiet = qcc_diag_create(NULL);
  qcc_status st = quiet ? qcc_infer_op_types(op, quiet) : QCC_ERR_NOMEM;
  qcc_diag_destroy(quiet);
  return st == QCC_OK;
}

enum { REFINE_MAX_RESULTS = 64 };

uint32_t qcc_type_dynamic_dims(qcc_type t) {
  uint32_t n = 0;
  for (int32_t d = 0; d < t.rank; ++d)
    n += t.dims[d].size < 0;
  return n;
}

/* Keeps each result type the shape rule refines; counts the dims that became static. */
static void refine_op(qcc_op *op, qcc_diag *quiet, uint32_t *made_static) {
  qcc_type inferred[REFINE_MAX_RESULTS];
  if (op->num_results > REFINE_MAX_RESULTS ||
      qcc_op_infer(op, op->graph->arena, quiet, inferred) != QCC_OK)
    return;
  for (uint32_t r = 0; r < op->num_results; ++r) {
    qcc_value *v = op->results[r];
    if (!qcc_type_refines(inferred[r], v->type))
      continue;
    uint32_t before = v->type.rank >= 0 ? qcc_type_dynamic_dims(v->type) : 0;
    uint32_t after = inferred[r].rank >= 0 ? qcc_type_dynamic_dims(inferred[r]) : 0;
    if (made_static && v->type.rank >= 0 && after < before)
      *made_static += before - after;
    inferred[r].quant = v->type.quant;
    v->type = inferred[r];
  }
}

qcc_status qcc_graph_refine_types(qcc_graph *g) {
  qcc_diag *quiet = qcc_diag_create(NULL);
  if (!quiet)
    return QCC_ERR_NOMEM;
  qcc_graph_for_each_op(g, op) refine_op(op, quiet, NULL);
  qcc_diag_destroy(quiet);
  return QCC_OK;
}

qcc_status qcc_op_refine_types(qcc_op *op, uint32_t *made_static) {
  qcc_diag *quiet = qcc_diag_create(NULL);
  if (!quiet)
    return QCC_ERR_NOMEM;
  refine_op(op, quiet, made_static);
  qcc_diag_destroy(quiet);
  return QCC_OK;
}

static bool type_has_symbol(qcc_type t, const char *sym) {
  for (int32_t d = 0; d < t.rank; ++d)
    if (t.dims[d].size < 0 && t.dims[d].sym && strcmp(t.dims[d].sym, sym) == 0)
      return true;
  return false;
}

bool qcc_graph_has_dim_symbol(const qcc_graph *g, const char *sym) {
  for (uint32_t i = 0; i < g->num_inputs; ++i)
    if (type_has_symbol(g->inputs[i]->type, sym))
      return true;
  qcc_graph_for_each_op(g, op) {
    for (uint32_t r = 0; r < op->num_results; ++r)
      if (type_has_symbol(op->results[r]->type, sym))
        return true;
  }
  return false;
}

/* `v`'s type with `sym` bound to `size` (new dims in the arena: types never change in place). */
static bool bind_in_value(qcc_arena *a, qcc_value *v, const char *sym, int64_t size) {
  qcc_type t = v->type;
  if (!type_has_symbol(t, sym))
    return true;
  qcc_dim *dims = qcc_arena_alloc_array(a, (size_t)t.rank, sizeof(qcc_dim));
  if (!dims)
    return false;
  for (int32_t d = 0; d < t.rank; ++d) {
    bool bound = t.dims[d].size < 0 && t.dims[d].sym && strcmp(t.dims[d].sym, sym) == 0;
    dims[d] = bound ? (qcc_dim){.size = size} : t.dims[d];
  }
  t.dims = dims;
  v->type = t;
  return true;
}

qcc_status qcc_graph_bind_dim(qcc_graph *g, const char *sym, int64_t size) {
  for (uint32_t i = 0; i < g->num_inputs; ++i)
    if (!bind_in_value(g->arena, g->inputs[i], sym, size))
      return QCC_ERR_NOMEM;
  qcc_graph_for_each_op(g, op) {
    for (uint32_t r = 0; r < op->num_results; ++r)
      if (!bind_in_value(g->arena, op->results[r], sym, size))
        return QCC_ERR_NOMEM;
  }
  return qcc_graph_refine_types(g);
}

uint32_t qcc_graph_op_count(const qcc_graph *g) {
  uint32_t n = 0;
  for (const qcc_op *op = g->first; op; op = op->next)
    ++n;
  return n;
}

bool qcc_clamp_const_bounds(const qcc_op *op, double *lo, double *hi) {
  *lo = -INFINITY;
  *hi = INFINITY;
  if (qcc_op_is(op, QCC_OP_Relu)) {
    *lo = 0;
    return true;
  }
  if (!qcc_op_is(op, QCC_OP_Clip))
    return false;
  const qcc_value *vlo = qcc_op_operand(op, 1), *vhi = qcc_op_operand(op, 2);
  if ((vlo && !qcc_const_scalar(vlo, lo)) || (vhi && !qcc_const_scalar(vhi, hi)))
    return false;
  if (!vlo && qcc_op_attr(op, "min"))
    *lo = qcc_op_attr_float(op, "min");
  if (!vhi && qcc_op_attr(op, "max"))
    *hi = qcc_op_attr_float(op, "max");
  return *lo <= *hi;
}
