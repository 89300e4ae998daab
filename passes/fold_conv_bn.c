#include "passes/fold_conv_bn.h"

#include <math.h>
#include <string.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "passes/qdq_match.h"

enum { FOLD_OK, FOLD_SKIP, FOLD_NOMEM };

/* The f32 payload of a constant operand with exactly `n` elements, or NULL. */
static const float *f32_operand(const qcc_op *op, uint32_t i, int64_t n) {
  const qcc_const *k = qcc_value_const(qcc_op_operand(op, i));
  return k && k->type.elem == QCC_F32 && k->nbytes == (size_t)n * sizeof(float) ? k->data : NULL;
}

/* The weight's DQ when it is the TensorRT idiom: constant int8 integers, constant f32 scales
 * per tensor or per output channel (axis 0), zero point 0 or absent. */
static const qcc_op *symmetric_weight_dq(const qcc_value *w, int64_t m) {
  const qcc_op *dq = w->def;
  if (!qcc_op_is(dq, QCC_OP_DequantizeLinear))
    return NULL;
  const qcc_const *wq = qcc_value_const(qcc_op_operand(dq, 0));
  const qcc_const *s = qcc_value_const(qcc_op_operand(dq, 1));
  const qcc_const *z = qcc_value_const(qcc_op_operand(dq, 2));
  if (!wq || wq->type.elem != QCC_I8 || !s || s->type.elem != QCC_F32)
    return NULL;
  size_t ns = s->nbytes / sizeof(float);
  if (ns != 1 && (ns != (size_t)m || s->type.rank != 1 || qcc_op_attr_int(dq, "axis") != 0))
    return NULL;
  if (qcc_op_operand(dq, 2) && !z)
    return NULL;
  for (size_t i = 0; z && i < z->nbytes; ++i)
    if (((const unsigned char *)z->data)[i] != 0)
      return NULL;
  return dq;
}

/* Folds `bn` into its Conv; FOLD_SKIP leaves the graph untouched. */
static int fold(qcc_graph *g, qcc_op *bn) {
  qcc_value *y = qcc_op_operand(bn, 0);
  qcc_op *conv = y ? y->def : NULL;
  if (!qcc_op_is(conv, QCC_OP_Conv) || bn->num_results != 1 || qcc_value_use_count(y) != 1 ||
      qcc_value_is_graph_output(y))
    return FOLD_SKIP;
  qcc_value *w = qcc_op_operand(conv, 1);
  if (!w || w->type.rank < 3 || !qcc_type_is_static(w->type))
    return FOLD_SKIP;
  int64_t m = w->type.dims[0].size, per_out;
  if (!qcc_type_numel(w->type, &per_out))
    return FOLD_SKIP;
  per_out /= m;
  const float *gamma = f32_operand(bn, 1, m), *beta = f32_operand(bn, 2, m);
  const float *mean = f32_operand(bn, 3, m), *var = f32_operand(bn, 4, m);
  const float *bias = qcc_op_operand(conv, 2) ? f32_operand(conv, 2, m) : NULL;
  if (!gamma || !beta || !mean || !var || (qcc_op_operand(conv, 2) && !bias))
    return FOLD_SKIP;
  const qcc_const *wf = qcc_value_const(w);
  const qcc_op *wdq = wf ? NULL : symmetric_weight_dq(w, m);
  if (!(wf && wf->type.elem == QCC_F32) && !wdq)
    return FOLD_SKIP;

  double eps = qcc_op_attr_float(bn, "epsilon");
  double *mult = qcc_arena_alloc(g->arena, (size_t)m * sizeof(double));
  float *new_bias = qcc_arena_alloc(g->arena, (size_t)m * sizeof(float));
  if (!mult || !new_bias)
    return FOLD_NOMEM;
  for (int64_t c = 0; c < m; ++c) {
    double v = (double)var[c] + eps;
    if (!(v > 0) || !isfinite(v))
      return FOLD_SKIP; /* the BN divides by zero or a NaN: keep it as the model wrote it */
    mult[c] = (double)gamma[c] / sqrt(v);
    new_bias[c] = (float)(((bias ? (double)bias[c] : 0.0) - mean[c]) * mult[c] + beta[c]);
  }

  qcc_value *new_w;
  if (wf) {
    float *nw = qcc_arena_alloc(g->arena, wf->nbytes);
    if (!nw)
      return FOLD_NOMEM;
    const float *ow = wf->data;
    for (int64_t c = 0; c < m; ++c)
      for (int64_t i = 0; i < per_out; ++i)
        nw[c * per_out + i] = (float)((double)ow[c * per_out + i] * mult[c]);
    new_w = qcc_build_const(g, &wf->type, QCC_F32, 0, NULL, nw, wf->nbytes, conv);
  } else {
    const qcc_const *wq = qcc_value_const(qcc_op_operand(wdq, 0));
    const qcc_const *s = qcc_value_const(qcc_op_operand(wdq, 1));
    const int8_t *q = wq->data;
    const float *sv = s->data;
    bool per_tensor = s->nbytes == sizeof(float);
    for (int64_t c = 0; c < m; ++c) {
      if (mult[c] == 0)
        return FOLD_SKIP;
      for (int64_t i = 0; mult[c] < 0 && i < per_out; ++i)
        if (q[c * per_out + i] == -128)
          return FOLD_SKIP;
    }
    int8_t *nq = qcc_arena_alloc(g->arena, wq->nbytes);
    float *ns = qcc_arena_alloc(g->arena, (size_t)m * sizeof(float));
    if (!nq || !ns)
      return FOLD_NOMEM;
    for (int64_t c = 0; c < m; ++c) {
      ns[c] = (float)((double)sv[per_tensor ? 0 : c] * fabs(mult[c]));
      for (int64_t i = 0; i < per_out; ++i)
        nq[c * per_out + i] = (int8_t)(mult[c] < 0 ? -q[c * per_out + i] : q[c * per_out + i]);
    }
    int64_t dims[1] = {m};
    qcc_value *qv = qcc_build_const(g, &wq->type, QCC_I8, 0, NULL, nq, wq->nbytes, conv);
    qcc_value *sc = qcc_build_const(g, NULL, QCC_F32, 1, dims, ns, (size_t)m * sizeof(float), conv);
    if (!qv || !sc)
      return FOLD_NOMEM;
    qcc_op *dq =
        qcc_build_qdq(g, QCC_OP_DequantizeLinear, qv, sc, NULL, 0, w->type, wdq->loc, conv);
    new_w = dq ? dq->results[0] : NULL;
  }
  int64_t bdims[1] = {m};
  qcc_value *bv =
      qcc_build_const(g, NULL, QCC_F32, 1, bdims, new_bias, (size_t)m * sizeof(float), conv);
  if (!new_w || !bv)
    return FOLD_NOMEM;

  qcc_value *operands[3] = {qcc_op_operand(conv, 0), new_w, bv};
  const char *name = bn->results[0]->name;
  qcc_op_spec spec = {.def = conv->def,
                      .node_name = conv->name,
                      .loc = conv->loc,
                      .num_operands = 3,
                      .operands = operands,
                      .num_results = 1,
                      .result_types = &bn->results[0]->type,
                      .num_attrs = conv->num_attrs,
                      .attrs = conv->attrs};
  qcc_op *folded = qcc_op_create(g, &spec, bn);
  if (!folded)
    return FOLD_NOMEM;
  qcc_value_replace_all_uses(bn->results[0], folded->results[0]);
  qcc_op_erase(bn);
  qcc_op_erase(conv);
  /* The folded Conv computes what the BN did: it keeps the BN's result name (graph outputs). */
  qcc_value_rename(folded->results[0], name);
  return FOLD_OK;
}

static qcc_status fold_conv_bn_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t folded = 0, kept = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    if (!qcc_op_is(op, QCC_OP_BatchNormalization))
      continue;
    int r = fold(g, op);
    if (r == FOLD_NOMEM) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    folded += r == FOLD_OK;
    kept += r == FOLD_SKIP;
  }
  qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "BatchNormalization folded into Conv", folded);
  qcc_pass_count(ctx, "BatchNormalization kept", kept);
  ctx->changed = folded > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_fold_conv_bn = {
    .name = "fold-conv-bn",
    .summary =
        "fold BatchNormalization into the Conv before it (float or per-channel Q/DQ weights)",
    .run = fold_conv_bn_run,
};
