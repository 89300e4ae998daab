#include "passes/propagate_qdq.h"

#include <string.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "ir/ops/requant.h"
#include "passes/qdq_match.h"

enum { MOVE_OK, MOVE_SKIP, MOVE_NOMEM };

/* A copy of constant `v` placed before `before` (parameters may be defined after it); cse
 * merges equal constants again. */
static qcc_value *copy_const(qcc_graph *g, qcc_value *v, qcc_op *before) {
  if (!v)
    return NULL;
  qcc_op *c = qcc_const_create(g, NULL, v->def->konst, v->def->loc, before);
  return c ? c->results[0] : NULL;
}

/* Sets operand 0 of `m` to `x` and re-runs its shape rule; restores it when the rule rejects. */
static bool retarget(qcc_op *m, qcc_value *x) {
  qcc_value *old = qcc_op_operand(m, 0);
  qcc_op_set_operand(m, 0, x);
  if (qcc_op_reinfer_quietly(m))
    return true;
  qcc_op_set_operand(m, 0, old);
  qcc_op_reinfer_quietly(m);
  return false;
}

/* A new QuantizeLinear of `x` with q's parameters (copied before `before`). */
static qcc_op *quantize_like(qcc_graph *g, qcc_op *q, qcc_value *x, qcc_op *before) {
  qcc_value *scale = copy_const(g, qcc_op_operand(q, 1), before);
  qcc_value *zp = qcc_op_operand(q, 2) ? copy_const(g, qcc_op_operand(q, 2), before) : NULL;
  if (!scale || (qcc_op_operand(q, 2) && !zp))
    return NULL;
  qcc_type t = x->type;
  t.elem = q->results[0]->type.elem;
  qcc_op *nq = qcc_build_qdq(g, QCC_OP_QuantizeLinear, x, scale, zp, -1, t, q->loc, before);
  if (nq)
    nq->name = q->name;
  return nq;
}

/* m's result (now integer) takes over q's result: its uses and its name. */
static void take_over(qcc_op *q, qcc_op *m) {
  qcc_value *r = q->results[0];
  const char *name = r->name;
  if (r->type.quant && m->results[0]->type.elem == r->type.elem)
    m->results[0]->type.quant = r->type.quant;
  qcc_value_replace_all_uses(r, m->results[0]);
  qcc_op_erase(q);
  qcc_value_rename(m->results[0], name);
}

/* Q(Concat(x1, ..., xn)) -> Concat(Q(x1), ..., Q(xn)): one quantizer per input, all with q's
 * parameters, so the concat runs on integers with equal parameters. */
static int move_q_above_concat(qcc_graph *g, qcc_op *q, qcc_op *cat) {
  for (uint32_t i = 0; i < cat->num_operands; ++i) {
    const qcc_value *x = qcc_op_operand(cat, i);
    if (!x || x->type.elem != QCC_F32)
      return MOVE_SKIP;
  }
  enum { MAX_INPUTS = 64 };
  if (cat->num_operands > MAX_INPUTS)
    return MOVE_SKIP;
  qcc_value *old[MAX_INPUTS];
  for (uint32_t i = 0; i < cat->num_operands; ++i) {
    old[i] = qcc_op_operand(cat, i);
    qcc_op *nq = quantize_like(g, q, old[i], cat);
    if (!nq)
      return MOVE_NOMEM;
    qcc_op_set_operand(cat, i, nq->results[0]);
  }
  if (!qcc_op_reinfer_quietly(cat)) {
    for (uint32_t i = 0; i < cat->num_operands; ++i)
      qcc_op_set_operand(cat, i, old[i]);
    qcc_op_reinfer_quietly(cat);
    qcc_graph_erase_dead_ops(g);
    return MOVE_SKIP;
  }
  take_over(q, cat);
  return MOVE_OK;
}

/* Q(Pad(x, pads, p)) -> Pad(Q(x), pads, Q(p)): the padding value quantized with the quantizer's
 * own arithmetic (any mode: reflect, edge and wrap only copy elements). */
static int move_q_above_pad(qcc_graph *g, qcc_op *q, qcc_op *pad, double s, int64_t z) {
  qcc_value *x = qcc_op_operand(pad, 0), *pv = qcc_op_operand(pad, 2);
  double p = 0;
  if (!x || x->type.elem != QCC_F32 || (pv && !qcc_const_scalar(pv, &p)))
    return MOVE_SKIP;
  qcc_elem e = q->results[0]->type.elem;
  if (e != QCC_U8 && e != QCC_I8)
    return MOVE_SKIP;
  qcc_qrange r = e == QCC_U8 ? qcc_qrange_u8() : qcc_qrange_i8();
  int32_t code = qcc_quantize_value((float)p, (float)s, (int32_t)z, r);
  unsigned char b =
      (unsigned char)(e == QCC_I8 ? (unsigned char)(int8_t)code : (unsigned char)code);
  qcc_value *qp = qcc_build_const(g, NULL, e, 0, NULL, &b, 1, pad);
  qcc_op *nq = qp ? quantize_like(g, q, x, pad) : NULL;
  if (!nq)
    return MOVE_NOMEM;
  /* A new Pad with the integer operand and padding value (operand 2 may be absent on `pad`). */
  qcc_value *ops[4] = {nq->results[0], qcc_op_operand(pad, 1), qp, qcc_op_operand(pad, 3)};
  qcc_op_spec spec = {.def = pad->def,
                      .node_name = pad->name,
                      .loc = pad->loc,
                      .num_operands = pad->num_operands > 3 ? 4 : 3,
                      .operands = ops,
                      .num_results = 1,
                      .num_attrs = pad->num_attrs,
                      .attrs = pad->attrs};
  qcc_op *ipad = qcc_op_create(g, &spec, q);
  if (!ipad)
    return MOVE_NOMEM;
  if (!qcc_op_reinfer_quietly(ipad)) {
    qcc_op_erase(ipad);
    qcc_graph_erase_dead_ops(g);
    return MOVE_SKIP;
  }
  take_over(q, ipad);
  qcc_op_erase(pad);
  return MOVE_OK;
}

/* Q(M(x)) -> M(Q(x)): `q` is a QuantizeLinear. */
static int move_q_up(qcc_graph *g, qcc_op *q) {
  double s;
  int64_t z;
  qcc_value *y = qcc_op_operand(q, 0), *r = q->results[0];
  qcc_op *m = y ? y->def : NULL;
  qcc_value *x = m ? qcc_op_operand(m, 0) : NULL;
  if (m && y && qcc_qdq_scalar_params(q, &s, &z) && qcc_value_use_count(y) == 1 &&
      !qcc_value_is_graph_output(y) && m->num_results == 1) {
    if (qcc_op_is(m, QCC_OP_Concat))
      return move_q_above_concat(g, q, m);
    if (qcc_op_is(m, QCC_OP_Pad))
      return move_q_above_pad(g, q, m, s, z);
  }
  if (!m || !qcc_is_element_movement(m) || !x || x->type.elem != QCC_F32 ||
      !qcc_qdq_scalar_params(q, &s, &z) || qcc_value_use_count(y) != 1 ||
      qcc_value_is_graph_output(y))
    return MOVE_SKIP;
  qcc_value *scale = copy_const(g, qcc_op_operand(q, 1), m);
  qcc_value *zp = qcc_op_operand(q, 2) ? copy_const(g, qcc_op_operand(q, 2), m) : NULL;
  if (!scale || (qcc_op_operand(q, 2) && !zp))
    return MOVE_NOMEM;
  qcc_type t = x->type;
  t.elem = r->type.elem;
  qcc_op *nq = qcc_build_qdq(g, QCC_OP_QuantizeLinear, x, scale, zp, -1, t, q->loc, m);
  if (!nq)
    return MOVE_NOMEM;
  nq->name = q->name;
  if (!retarget(m, nq->results[0])) {
    qcc_op_erase(nq);
    return MOVE_SKIP;
  }
  const char *name = r->name;
  if (r->type.quant && m->results[0]->type.elem == r->type.elem)
    m->results[0]->type.quant = r->type.quant;
  qcc_value_replace_all_uses(r, m->results[0]);
  qcc_op_erase(q);
  qcc_value_rename(m->results[0], name);
  return MOVE_OK;
}

/* M(DQ(x)) -> DQ(M(x)): `dq` is a DequantizeLinear. */
static int move_dq_down(qcc_graph *g, qcc_op *dq) {
  double s;
  int64_t z;
  qcc_value *d = dq->results[0];
  if (!qcc_qdq_scalar_params(dq, &s, &z) || qcc_value_use_count(d) != 1 ||
      qcc_value_is_graph_output(d))
    return MOVE_SKIP;
  qcc_op *m = d->first_use->user;
  qcc_value *y = m->results[0];
  if (d->first_use->index != 0 || !qcc_is_element_movement(m) || y->type.elem != QCC_F32)
    return MOVE_SKIP;
  qcc_type float_type = y->type;
  if (!retarget(m, qcc_op_operand(dq, 0)))
    return MOVE_SKIP;
  qcc_op *after = m->next;
  qcc_value *scale = copy_const(g, qcc_op_operand(dq, 1), after);
  qcc_value *zp = qcc_op_operand(dq, 2) ? copy_const(g, qcc_op_operand(dq, 2), after) : NULL;
  if (!scale || (qcc_op_operand(dq, 2) && !zp))
    return MOVE_NOMEM;
  qcc_op *ndq =
      qcc_build_qdq(g, QCC_OP_DequantizeLinear, y, scale, zp, -1, float_type, dq->loc, after);
  if (!ndq)
    return MOVE_NOMEM;
  ndq->name = dq->name;
  /* y's consumers (and its place among the graph outputs) move to the new DQ, which takes
   * y's name; y, now integer, takes a fresh one. */
  const char *name = y->name;
  for (qcc_use *u = y->first_use, *next; u; u = next) {
    next = u->next;
    if (u->user != ndq)
      qcc_op_set_operand(u->user, u->index, ndq->results[0]);
  }
  for (uint32_t i = 0; i < g->num_outputs; ++i)
    if (g->outputs[i] == y)
      g->outputs[i] = ndq->results[0];
  qcc_op_erase(dq);
  if (!qcc_value_rename(y, qcc_graph_fresh_name(g, name)) ||
      !qcc_value_rename(ndq->results[0], name))
    return MOVE_NOMEM;
  return MOVE_OK;
}

static qcc_status propagate_qdq_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t up = 0, down = 0;
  for (bool again = true; again;) {
    again = false;
    for (qcc_op *op = g->first, *next; op; op = next) {
      next = op->next;
      int r;
      bool r_is_q = qcc_op_is(op, QCC_OP_QuantizeLinear);
      if (r_is_q)
        r = move_q_up(g, op);
      else if (qcc_op_is(op, QCC_OP_DequantizeLinear))
        r = move_dq_down(g, op);
      else
        continue;
      if (r == MOVE_NOMEM) {
        qcc_diag_error(ctx->diag, op->loc, "out of memory");
        return QCC_ERR_NOMEM;
      }
      if (r == MOVE_OK) {
        again = true;
        /* op is gone; `next` was not touched. A moved Q now sits before the scan position:
         * the next round moves it further. */
        ++*(r_is_q ? &up : &down);
      }
    }
  }
  if (up + down)
    qcc_graph_erase_dead_ops(g); /* the parameters left behind */
  qcc_pass_count(ctx, "QuantizeLinear moved above data movement", up);
  qcc_pass_count(ctx, "DequantizeLinear moved below data movement", down);
  ctx->changed = up + down > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_propagate_qdq = {
    .name = "propagate-qdq",
    .summary = "move per-tensor Q above and DQ below data movement (exact)",
    .run = propagate_qdq_run,
};
