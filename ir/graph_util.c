#include "ir/graph_util.h"

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

qcc_status qcc_graph_refine_types(qcc_graph *g) {
  qcc_diag *quiet = qcc_diag_create(NULL);
  if (!quiet)
    return QCC_ERR_NOMEM;
  qcc_graph_for_each_op(g, op) {
    qcc_type inferred[REFINE_MAX_RESULTS];
    if (op->num_results > REFINE_MAX_RESULTS ||
        qcc_op_infer(op, g->arena, quiet, inferred) != QCC_OK)
      continue;
    for (uint32_t r = 0; r < op->num_results; ++r) {
      qcc_value *v = op->results[r];
      if (!qcc_type_refines(inferred[r], v->type))
        continue;
      inferred[r].quant = v->type.quant;
      v->type = inferred[r];
    }
  }
  qcc_diag_destroy(quiet);
  return QCC_OK;
}

uint32_t qcc_graph_op_count(const qcc_graph *g) {
  uint32_t n = 0;
  for (const qcc_op *op = g->first; op; op = op->next)
    ++n;
  return n;
}
