#include "passes/s8_to_u8.h"

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "passes/qdq_match.h"

enum { MAX_CHAIN = 16 };

/* The only consumer of `v` when it reads it as operand 0; NULL otherwise. */
static qcc_op *single_user(const qcc_value *v) {
  const qcc_use *u = v->first_use;
  if (!u || u->next || u->index != 0 || qcc_value_is_graph_output(v))
    return NULL;
  return u->user;
}

qcc_status qcc_convert_s8_to_u8(qcc_graph *g, bool through_movement, uint64_t *n) {
  for (qcc_op *q = g->first; q; q = q->next) {
    if (!qcc_op_is(q, QCC_OP_QuantizeLinear) || q->results[0]->type.elem != QCC_I8)
      continue;
    qcc_value *qv = q->results[0];
    /* Q -> (data movement on the integers ->)* DQ, each link used once. */
    qcc_op *chain[MAX_CHAIN];
    uint32_t num_chain = 0;
    qcc_op *dq = single_user(qv);
    while (dq && through_movement && num_chain < MAX_CHAIN && qcc_is_element_movement(dq) &&
           dq->results[0]->type.elem == QCC_I8) {
      chain[num_chain++] = dq;
      dq = single_user(dq->results[0]);
    }
    if (!dq || !qcc_op_is(dq, QCC_OP_DequantizeLinear))
      continue;
    double s1, s2;
    int64_t z1, z2;
    if (!qcc_op_operand(q, 2) || !qcc_op_operand(dq, 2) || !qcc_qdq_scalar_params(q, &s1, &z1) ||
        !qcc_qdq_scalar_params(dq, &s2, &z2) || z1 != z2)
      continue;
    uint8_t *byte = qcc_arena_alloc(g->arena, 1);
    if (!byte)
      return QCC_ERR_NOMEM;
    *byte = (uint8_t)(z1 + 128);
    qcc_const k = {.type = qcc_type_make(QCC_U8, 0, NULL), .data = byte, .nbytes = 1};
    qcc_op *zero = qcc_const_create(g, NULL, &k, q->loc, q);
    if (!zero)
      return QCC_ERR_NOMEM;
    qcc_value *old_qz = qcc_op_operand(q, 2), *old_dqz = qcc_op_operand(dq, 2);
    qcc_type old_type = qv->type;
    qcc_op_set_operand(q, 2, zero->results[0]);
    qcc_op_set_operand(dq, 2, zero->results[0]);
    qv->type.quant = NULL;
    bool ok = qcc_op_reinfer_quietly(q);
    for (uint32_t i = 0; ok && i < num_chain; ++i) {
      chain[i]->results[0]->type.quant = NULL;
      ok = qcc_op_reinfer_quietly(chain[i]);
    }
    if (!ok || !qcc_op_reinfer_quietly(dq)) {
      /* Cannot happen for a verified graph; leave the pair as it was. */
      qcc_op_set_operand(q, 2, old_qz);
      qcc_op_set_operand(dq, 2, old_dqz);
      qv->type = old_type;
      for (uint32_t i = 0; i < num_chain; ++i)
        qcc_op_reinfer_quietly(chain[i]);
      qcc_op_reinfer_quietly(dq);
      qcc_op_erase(zero);
    } else {
      ++*n;
    }
  }
  return QCC_OK;
}

static qcc_status s8_to_u8_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t n = 0;
  if (qcc_convert_s8_to_u8(g, true, &n) != QCC_OK) {
    qcc_diag_error(ctx->diag, (qcc_loc){0}, "out of memory");
    return QCC_ERR_NOMEM;
  }
  qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "int8 Q->DQ pairs rewritten to uint8", n);
  ctx->changed = n > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_s8_to_u8 = {
    .name = "s8-to-u8",
    .summary = "rewrite int8 Q->DQ pairs to uint8 (+128), as ONNX Runtime does on x86",
    .run = s8_to_u8_run,
};
