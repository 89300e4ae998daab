#include "passes/qdq_match.h"

#include <string.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "ir/tensor.h"
#include "ir/verifier.h"

qcc_op *qcc_match_dq_operand(const qcc_op *op, uint32_t i) {
  const qcc_value *v = qcc_op_operand(op, i);
  return v && qcc_op_is(v->def, QCC_OP_DequantizeLinear) ? v->def : NULL;
}

qcc_op *qcc_match_single_q_consumer(const qcc_op *op) {
  if (op->num_results != 1)
    return NULL;
  const qcc_value *v = op->results[0];
  if (!v->first_use || v->first_use->next || qcc_value_is_graph_output(v))
    return NULL;
  qcc_op *user = v->first_use->user;
  return qcc_op_is(user, QCC_OP_QuantizeLinear) && v->first_use->index == 0 ? user : NULL;
}

qcc_elem qcc_qdq_int_elem(const qcc_op *qdq) {
  if (qcc_op_is(qdq, QCC_OP_QuantizeLinear))
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

const qcc_quant *qcc_quant_of_qdq(qcc_graph *g, const qcc_op *qdq, qcc_type t) {
  const qcc_const *scale = qcc_value_const(qcc_op_operand(qdq, 1));
  const qcc_value *zv = qcc_op_operand(qdq, 2);
  const qcc_const *zp = qcc_value_const(zv);
  int64_t n, nz = 0;
  if (!scale || scale->type.elem != QCC_F32 || !qcc_type_numel(scale->type, &n) || n < 1 ||
      n > UINT32_MAX || (zv && (!zp || !qcc_type_numel(zp->type, &nz) || nz != n)) || t.rank < 0)
    return NULL;
  int32_t axis = QCC_PER_TENSOR;
  if (n > 1) {
    int64_t a = qcc_op_attr_int(qdq, "axis");
    if (a < 0)
      a += t.rank;
    if (a < 0 || a >= t.rank)
      return NULL;
    axis = (int32_t)a;
  }
  qcc_quant *q = qcc_arena_alloc(g->arena, sizeof(*q));
  float *scales = qcc_arena_alloc_array(g->arena, (size_t)n, sizeof(float));
  int32_t *zps = qcc_arena_alloc_array(g->arena, (size_t)n, sizeof(int32_t));
  if (!q || !scales || !zps)
    return NULL;
  qcc_tensor zt = {
      .elem = zp ? zp->type.elem : QCC_I32, .numel = nz, .data = zp ? (void *)zp->data : NULL};
  for (int64_t i = 0; i < n; ++i) {
    memcpy(&scales[i], (const char *)scale->data + 4 * i, 4);
    zps[i] = zp ? (int32_t)qcc_tensor_get_i64(&zt, i) : 0;
  }
  *q = (qcc_quant){.axis = axis, .count = (uint32_t)n, .scales = scales, .zero_points = zps};
  t.quant = q;
  /* Parameters the verifier would reject (zero scale, zero point out of range) stay unannotated. */
  qcc_diag *quiet = qcc_diag_create(NULL);
  bool ok = quiet && qcc_verify_quant(t, (qcc_loc){0}, quiet) == QCC_OK;
  qcc_diag_destroy(quiet);
  return ok ? q : NULL;
}

qcc_value *qcc_build_const(qcc_graph *g, const qcc_type *like, qcc_elem elem, int32_t rank,
                           const int64_t *dims, const void *data, size_t nbytes, qcc_op *before) {
  qcc_const k = {.nbytes = nbytes};
  if (like) {
    k.type = *like;
    k.type.quant = NULL;
  } else if (!qcc_type_make_static(g->arena, elem, rank, dims, &k.type)) {
    return NULL;
  }
  if (!(k.data = qcc_arena_memdup(g->arena, data, nbytes ? nbytes : 1)))
    return NULL;
  qcc_op *op = qcc_const_create(g, NULL, &k, before->loc, before);
  return op ? op->results[0] : NULL;
}

qcc_op *qcc_build_qdq(qcc_graph *g, qcc_op_kind kind, qcc_value *x, qcc_value *scale, qcc_value *zp,
                      int64_t axis, qcc_type type, qcc_loc loc, qcc_op *before) {
  qcc_value *operands[3] = {x, scale, zp};
  qcc_attr attr = {.name = "axis", .kind = QCC_ATTR_INT, .i = axis};
  type.quant = NULL;
  qcc_op_spec spec = {.def = qcc_op_get(kind),
                      .loc = loc,
                      .num_operands = zp ? 3 : 2,
                      .operands = operands,
                      .num_results = 1,
                      .result_types = &type,
                      .num_attrs = axis >= 0 ? 1 : 0,
                      .attrs = &attr};
  return qcc_op_create(g, &spec, before);
}

bool qcc_is_element_movement(const qcc_op *op) {
  switch (op->def->kind) {
  case QCC_OP_MaxPool:
  case QCC_OP_Reshape:
  case QCC_OP_Flatten:
  case QCC_OP_Transpose:
  case QCC_OP_Squeeze:
  case QCC_OP_Unsqueeze:
  case QCC_OP_Slice: break;
  default: return false;
  }
  for (uint32_t i = 1; i < op->num_results; ++i)
    if (qcc_value_has_uses(op->results[i]) || qcc_value_is_graph_output(op->results[i]))
      return false;
  return true;
}

bool qcc_qdq_weight_axis_is(const qcc_op *dw, int32_t axis) {
  const qcc_value *w = qcc_op_operand(dw, 0);
  const qcc_const *scale = qcc_value_const(qcc_op_operand(dw, 1));
  int64_t n;
  if (!w || !scale || !qcc_type_numel(scale->type, &n) || w->type.rank < 1)
    return false;
  if (n == 1 && scale->type.rank <= 1)
    return true;
  int64_t a = qcc_op_attr_int(dw, "axis"), want = axis;
  if (a < 0)
    a += w->type.rank;
  if (want < 0)
    want += w->type.rank;
  return a == want && scale->type.rank == 1 && w->type.dims[a].size == n;
}

qcc_op *qcc_build_lookup(qcc_graph *g, qcc_op *dq, qcc_value *table, qcc_op *q, const qcc_op *node,
                         bool *nomem) {
  *nomem = false;
  qcc_value *operands[6] = {qcc_op_operand(dq, 0), qcc_op_operand(dq, 1),
                            qcc_op_operand(dq, 2), table,
                            qcc_op_operand(q, 1),  qcc_op_operand(q, 2)};
  qcc_type type = q->results[0]->type;
  if (!type.quant)
    type.quant = qcc_quant_of_qdq(g, q, type);
  qcc_op_spec spec = {.def = qcc_op_get(QCC_OP_QLinearLookup),
                      .node_name = node->name,
                      .loc = node->loc,
                      .num_operands = 6,
                      .operands = operands,
                      .num_results = 1,
                      .result_types = &type};
  qcc_op *lut = qcc_op_create(g, &spec, q);
  if (!lut) {
    *nomem = true;
    return NULL;
  }
  if (!qcc_op_reinfer_quietly(lut)) {
    qcc_op_erase(lut);
    return NULL;
  }
  return lut;
}
