#include "passes/qdq_match.h"

#include <string.h>

#include "ir/op_registry.h"
#include "ir/tensor.h"

bool qcc_op_is(const qcc_op *op, const char *name) {
  return op && strcmp(op->def->name, name) == 0;
}

bool qcc_value_is_graph_output(const qcc_value *v) {
  const qcc_graph *g = v->graph;
  for (uint32_t i = 0; i < g->num_outputs; ++i)
    if (g->outputs[i] == v)
      return true;
  return false;
}

qcc_op *qcc_match_dq_operand(const qcc_op *op, uint32_t i) {
  const qcc_value *v = qcc_op_operand(op, i);
  return v && qcc_op_is(v->def, "DequantizeLinear") ? v->def : NULL;
}

qcc_op *qcc_match_single_q_consumer(const qcc_op *op) {
  if (op->num_results != 1)
    return NULL;
  const qcc_value *v = op->results[0];
  if (!v->first_use || v->first_use->next || qcc_value_is_graph_output(v))
    return NULL;
  qcc_op *user = v->first_use->user;
  return qcc_op_is(user, "QuantizeLinear") && v->first_use->index == 0 ? user : NULL;
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

qcc_elem qcc_qdq_int_elem(const qcc_op *qdq) {
  if (qcc_op_is(qdq, "QuantizeLinear"))
    return qdq->results[0]->type.elem;
  return qdq->operands[0].value->type.elem;
}

bool qcc_qdq_scalar_params(const qcc_op *qdq, double *scale, int64_t *zero_point) {
  if (!qcc_const_scalar(qcc_op_operand(qdq, 1), scale))
    return false;
  double zp = 0;
  const qcc_value *z = qcc_op_operand(qdq, 2);
  if (z && !qcc_const_scalar(z, &zp))
    return false;
  *zero_point = (int64_t)zp;
  return true;
}

static bool op_is_dead(const qcc_op *op) {
  for (uint32_t r = 0; r < op->num_results; ++r)
    if (qcc_value_has_uses(op->results[r]) || qcc_value_is_graph_output(op->results[r]))
      return false;
  return true;
}

void qcc_erase_dead_ops(qcc_graph *g) {
  /* Walking backwards frees producers after their last consumer in one sweep. */
  for (qcc_op *op = g->last; op;) {
    qcc_op *prev = op->prev;
    if (op_is_dead(op))
      qcc_op_erase(op);
    op = prev;
  }
}
