#include "passes/quantize_insert.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "passes/qdq_match.h"

static bool kept_float(const qcc_op *op, const qcc_qdq_placement *o) {
  for (uint32_t i = 0; op->name && i < o->num_keep_float; ++i)
    if (strcmp(op->name, o->keep_float[i]) == 0)
      return true;
  return false;
}

static bool float_activation(const qcc_value *v) {
  return v && v->type.elem == QCC_F32 && !qcc_value_const(v);
}

/* The axis of the weights' output channels when `op` is a float Conv/ConvTranspose/Gemm/MatMul
 * with a constant f32 weight operand 1 and a float activation operand 0; -1 otherwise. */
static int32_t weight_axis(const qcc_op *op, const qcc_qdq_placement *o) {
  if (op->num_operands < 2 || !float_activation(qcc_op_operand(op, 0)) || kept_float(op, o))
    return -1;
  const qcc_const *w = qcc_value_const(qcc_op_operand(op, 1));
  if (!w || w->type.elem != QCC_F32 || !qcc_type_is_static(w->type))
    return -1;
  if (qcc_op_is(op, QCC_OP_Conv))
    return w->type.rank >= 3 ? 0 : -1;
  if (qcc_op_is(op, QCC_OP_ConvTranspose)) /* [C_in, C_out / group, k...] */
    return w->type.rank >= 3 ? 1 : -1;
  if (qcc_op_is(op, QCC_OP_Gemm))
    return w->type.rank == 2 && qcc_op_attr_int(op, "transA") == 0
               ? (qcc_op_attr_int(op, "transB") ? 0 : 1)
               : -1;
  if (qcc_op_is(op, QCC_OP_MatMul))
    return w->type.rank == 2 ? 1 : -1;
  return -1;
}

/* Per-tensor weights: asked for, or a grouped ConvTranspose, whose axis 1 spans only one
 * group's output channels. */
static bool per_tensor_weights(const qcc_op *op, const qcc_qdq_placement *o) {
  return o->per_tensor_weights ||
         (qcc_op_is(op, QCC_OP_ConvTranspose) && qcc_op_attr_int(op, "group") != 1);
}

static bool quantized_result(const qcc_value *v, const qcc_qdq_placement *o) {
  return v->def && weight_axis(v->def, o) >= 0 && qcc_value_use_count(v) == 1 &&
         !qcc_value_is_graph_output(v);
}

/* The operands of a residual Add that get a pair (bit k: operand k; see the header), or 0. */
static unsigned residual_operands(const qcc_op *op, const qcc_qdq_placement *o) {
  if (!qcc_op_is(op, QCC_OP_Add) || op->num_operands != 2 || kept_float(op, o))
    return 0;
  const qcc_value *a = qcc_op_operand(op, 0), *b = qcc_op_operand(op, 1);
  if (!float_activation(a) || !float_activation(b) || !qcc_type_equal(a->type, b->type))
    return 0;
  bool qa = quantized_result(a, o) || qcc_op_is(a->def, QCC_OP_DequantizeLinear);
  bool qb = quantized_result(b, o) || qcc_op_is(b->def, QCC_OP_DequantizeLinear);
  if (!qa && !qb)
    return 0;
  return o->both_residual_inputs ? 3u : qa ? 2u : 1u;
}

/* An average pool on a float activation: its input gets its own pair (see the header). */
static bool quantized_pool(const qcc_op *op, const qcc_qdq_placement *o) {
  return (qcc_op_is(op, QCC_OP_GlobalAveragePool) || qcc_op_is(op, QCC_OP_AveragePool)) &&
         op->num_operands >= 1 && float_activation(qcc_op_operand(op, 0)) && !kept_float(op, o);
}

/* The value standing for a quantized compute op's integer result: its result, or that of a
 * single Relu/Clip consumer, which qdq-fusion drops into the QuantizeLinear's saturation. */
static const qcc_value *compute_output(const qcc_op *op) {
  const qcc_value *r = op->results[0];
  if (qcc_value_use_count(r) != 1 || qcc_value_is_graph_output(r))
    return r;
  const qcc_op *u = r->first_use->user;
  if ((qcc_op_is(u, QCC_OP_Relu) || qcc_op_is(u, QCC_OP_Clip)) && r->first_use->index == 0 &&
      u->num_results == 1)
    return u->results[0];
  return r;
}

/* Whether a pair on v can serve its consumers: a float activation computed inside the graph. */
static bool pairable(const qcc_value *v) {
  return float_activation(v) && qcc_value_has_uses(v) && !qcc_value_is_graph_output(v);
}

/* Data movement on integers (drop_qdq_around in qdq-fusion): the result's pair takes the
 * operand's parameters. */
static bool moves_elements(const qcc_op *op) {
  return qcc_is_element_movement(op) && op->num_results >= 1 && op->num_operands >= 1;
}

/* One sweep of the rules over the graph; true when it marked a value. */
static bool place_sweep(const qcc_graph *g, const qcc_qdq_placement *o, bool *needs,
                        uint32_t *share) {
  bool changed = false;
#define MARK(v)                                                                                    \
  do {                                                                                             \
    if (!needs[(v)->id]) {                                                                         \
      needs[(v)->id] = true;                                                                       \
      changed = true;                                                                              \
    }                                                                                              \
  } while (0)
  qcc_graph_for_each_op(g, op) {
    /* What the integer ops read: compute and pool inputs, residual operands. */
    if (weight_axis(op, o) >= 0 || quantized_pool(op, o))
      MARK(qcc_op_operand(op, 0));
    unsigned mask = residual_operands(op, o);
    for (uint32_t k = 0; k < 2; ++k)
      if (mask & (1u << k))
        MARK(qcc_op_operand(op, k));
    /* What they write: the result of each quantized compute op (after its activation), so
     * that the op folds whatever its consumers are; with skip-only residuals the conv branch
     * of the Add stays float for residual-quant. */
    if (weight_axis(op, o) >= 0) {
      const qcc_value *r = compute_output(op);
      bool residual_branch = !o->both_residual_inputs && qcc_value_use_count(r) == 1 &&
                             residual_operands(r->first_use->user, o) != 0;
      if (pairable(r) && !residual_branch)
        MARK(r);
    }
    /* Integers flow on through data movement (with the operand's parameters) and Concat
     * (its own: QLinearConcat requantizes its inputs). */
    if (moves_elements(op) && needs[qcc_op_operand(op, 0)->id] && pairable(op->results[0])) {
      MARK(op->results[0]);
      share[op->results[0]->id] = share[qcc_op_operand(op, 0)->id];
    }
    if (qcc_op_is(op, QCC_OP_Concat) && op->num_operands && pairable(op->results[0]) &&
        !kept_float(op, o)) {
      bool all = true;
      for (uint32_t i = 0; i < op->num_operands && all; ++i) {
        const qcc_value *x = qcc_op_operand(op, i);
        all = x && float_activation(x) && needs[x->id];
      }
      if (all)
        MARK(op->results[0]);
    }
  }
#undef MARK
  return changed;
}

void qcc_qdq_place(const qcc_graph *g, const qcc_qdq_placement *o, bool *needs, uint32_t *share) {
  memset(needs, 0, g->num_values * sizeof *needs);
  for (uint32_t i = 0; i < g->num_values; ++i)
    share[i] = i;
  /* A rule may mark a value that an earlier op reads (a consumer's input need reaching back):
   * sweep to the fixed point; each sweep only adds marks, so at most num_values sweeps. */
  for (uint32_t sweep = 0; sweep <= g->num_values && place_sweep(g, o, needs, share); ++sweep)
    ;
}

/* Q/DQ after v; every consumer reads the DQ (a tensor is quantized once for all its
 * consumers, as TensorRT reads a Q/DQ pair), so v's producer folds. */
static qcc_status insert_pair(qcc_graph *g, qcc_value *v, const qcc_qdq_act *a) {
  qcc_op *before = v->def ? v->def->next : g->first;
  qcc_value *scale = qcc_build_const(g, NULL, QCC_F32, 0, NULL, &a->scale, sizeof a->scale, before);
  uint8_t zp_byte = (uint8_t)a->zero_point;
  qcc_value *zp = qcc_build_const(g, NULL, a->elem, 0, NULL, &zp_byte, 1, before);
  if (!scale || !zp)
    return QCC_ERR_NOMEM;
  qcc_type qt = v->type;
  qt.elem = a->elem;
  qt.quant = NULL;
  qcc_op *q = qcc_build_qdq(g, QCC_OP_QuantizeLinear, v, scale, zp, -1, qt, v->loc, before);
  qcc_op *dq = q ? qcc_build_qdq(g, QCC_OP_DequantizeLinear, q->results[0], scale, zp, -1, v->type,
                                 v->loc, before)
                 : NULL;
  if (!dq)
    return QCC_ERR_NOMEM;
  for (qcc_use *u = v->first_use, *next; u; u = next) {
    next = u->next;
    if (u->user != q)
      qcc_op_set_operand(u->user, u->index, dq->results[0]);
  }
  return QCC_OK;
}

/* Replaces operand 1 of op by DequantizeLinear(int8 codes, scales, 0) along `axis`. */
static qcc_status quantize_weights(qcc_graph *g, qcc_op *op, int32_t axis, bool per_tensor) {
  const qcc_value *wv = qcc_op_operand(op, 1);
  const qcc_const *w = qcc_value_const(wv);
  int64_t n = 1, dims[8], channels = per_tensor ? 1 : 0, inner = 1;
  int32_t rank = w->type.rank;
  if (rank > 8)
    return QCC_OK;
  for (int32_t d = 0; d < rank; ++d) {
    dims[d] = w->type.dims[d].size;
    n *= dims[d];
    if (d > axis)
      inner *= dims[d];
  }
  if (!per_tensor)
    channels = dims[axis];
  const float *x = w->data;
  float *scale = calloc((size_t)channels, sizeof *scale);
  int8_t *codes = malloc((size_t)(n ? n : 1));
  int8_t *zeros = calloc((size_t)channels, 1);
  qcc_status st = QCC_ERR_NOMEM;
  if (!scale || !codes || !zeros)
    goto done;
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = per_tensor ? 0 : (i / inner) % channels;
    float m = fabsf(x[i]);
    if (m > scale[c])
      scale[c] = m;
  }
  for (int64_t c = 0; c < channels; ++c)
    scale[c] = scale[c] > 0 ? scale[c] / 127.0f : 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = per_tensor ? 0 : (i / inner) % channels;
    float q = nearbyintf(x[i] / scale[c]);
    codes[i] = (int8_t)(q > 127.0f ? 127 : q < -127.0f ? -127 : q);
  }
  int64_t cdims[1] = {channels};
  int32_t crank = per_tensor ? 0 : 1;
  qcc_value *wq = qcc_build_const(g, NULL, QCC_I8, rank, dims, codes, (size_t)n, op);
  qcc_value *s =
      qcc_build_const(g, NULL, QCC_F32, crank, cdims, scale, (size_t)channels * sizeof *scale, op);
  qcc_value *z = qcc_build_const(g, NULL, QCC_I8, crank, cdims, zeros, (size_t)channels, op);
  qcc_op *dq = wq && s && z ? qcc_build_qdq(g, QCC_OP_DequantizeLinear, wq, s, z,
                                            per_tensor ? -1 : axis, wv->type, op->loc, op)
                            : NULL;
  if (dq) {
    qcc_op_set_operand(op, 1, dq->results[0]);
    st = QCC_OK;
  }
done:
  free(scale), free(codes), free(zeros);
  return st;
}

qcc_status qcc_qdq_insert(qcc_graph *g, const qcc_qdq_placement *o, const bool *needs,
                          const qcc_qdq_act *act, qcc_diag *diag, uint32_t *pairs,
                          uint32_t *weights) {
  *pairs = *weights = 0;
  uint32_t nv = g->num_values, nops = 0;
  qcc_graph_for_each_op(g, op)++ nops;
  /* The values first (inputs, then results in order): inserting adds values and ops. */
  qcc_value **todo = calloc(nv ? nv : 1, sizeof *todo);
  qcc_op **convs = calloc(nops ? nops : 1, sizeof *convs);
  int32_t *axes = calloc(nops ? nops : 1, sizeof *axes);
  uint32_t nt = 0, nc = 0;
  qcc_status st = QCC_ERR_NOMEM;
  if (!todo || !convs || !axes)
    goto done;
  for (uint32_t i = 0; i < g->num_inputs; ++i)
    if (needs[g->inputs[i]->id])
      todo[nt++] = g->inputs[i];
  qcc_graph_for_each_op(g, op) {
    for (uint32_t r = 0; r < op->num_results; ++r)
      if (op->results[r]->id < nv && needs[op->results[r]->id] && nt < nv)
        todo[nt++] = op->results[r];
    int32_t axis = weight_axis(op, o);
    if (axis >= 0 && nc < nops) {
      convs[nc] = op;
      axes[nc++] = axis;
    }
  }
  st = QCC_OK;
  for (uint32_t i = 0; i < nt && st == QCC_OK; ++i, ++*pairs)
    st = insert_pair(g, todo[i], &act[todo[i]->id]);
  for (uint32_t i = 0; i < nc && st == QCC_OK; ++i, ++*weights)
    st = quantize_weights(g, convs[i], axes[i], per_tensor_weights(convs[i], o));
done:
  if (st == QCC_ERR_NOMEM)
    qcc_diag_error(diag, (qcc_loc){0}, "out of memory while inserting Q/DQ pairs");
  free(todo), free(convs), free(axes);
  return st;
}
