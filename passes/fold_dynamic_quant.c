#include "passes/fold_dynamic_quant.h"

#include "ir/graph_util.h"
#include "ir/op_registry.h"

/* The only user of `v` when it is an op of kind `k` and `v` is not a graph output. */
static qcc_op *single_user(const qcc_value *v, qcc_op_kind k) {
  if (!v || !v->first_use || v->first_use->next || qcc_value_is_graph_output(v))
    return NULL;
  qcc_op *u = v->first_use->user;
  return qcc_op_is(u, k) ? u : NULL;
}

/* The operand of binary `op` other than `v`, or NULL when `v` is not an operand. */
static qcc_value *other_operand(const qcc_op *op, const qcc_value *v) {
  qcc_value *a = qcc_op_operand(op, 0), *b = qcc_op_operand(op, 1);
  return a == v ? b : b == v ? a : NULL;
}

static bool is_const(const qcc_value *v) { return v && qcc_value_const(v); }

/* True when constant `bias` holds one value per output channel of a conv result of rank
 * `out_rank` with `m` channels, broadcast along the channel axis: [1, M, 1, ...] or [M, 1, ...]. */
static bool channel_bias(const qcc_value *bias, int32_t out_rank, int64_t m) {
  qcc_type t = bias->type;
  int32_t channel_axis = t.rank == out_rank ? 1 : t.rank == out_rank - 1 ? 0 : -1;
  if (channel_axis < 0)
    return false;
  for (int32_t d = 0; d < t.rank; ++d)
    if (t.dims[d].size != (d == channel_axis ? m : 1))
      return false;
  return true;
}

/* Folds the chain that starts at MatMulInteger or ConvInteger `mm`; returns the new op or
 * NULL. */
static qcc_op *fold(qcc_graph *g, qcc_op *mm) {
  bool conv = qcc_op_is(mm, QCC_OP_ConvInteger);
  qcc_value *xq = qcc_op_operand(mm, 0), *xz = qcc_op_operand(mm, 2);
  qcc_op *dql = xq ? xq->def : NULL;
  if (!qcc_op_is(dql, QCC_OP_DynamicQuantizeLinear) || xq != dql->results[0] ||
      xz != dql->results[2])
    return NULL;
  qcc_value *b = qcc_op_operand(mm, 1), *bz = qcc_op_operand(mm, 3);
  if (!is_const(b) || (bz && !is_const(bz)) || (!conv && b->type.rank != 2) ||
      (conv && (b->type.rank < 3 || b->type.dims[0].size < 0)))
    return NULL;
  qcc_op *cast = single_user(mm->results[0], QCC_OP_Cast);
  if (!cast || cast->results[0]->type.elem != QCC_F32)
    return NULL;
  qcc_op *mul = single_user(cast->results[0], QCC_OP_Mul);
  qcc_value *scale = mul ? other_operand(mul, cast->results[0]) : NULL;
  qcc_op *smul = scale ? scale->def : NULL;
  qcc_value *ws = qcc_op_is(smul, QCC_OP_Mul) ? other_operand(smul, dql->results[1]) : NULL;
  if (!ws || !is_const(ws) || ws->type.elem != QCC_F32 || (conv && ws->type.rank > 1) ||
      (conv && bz && bz->type.rank > 1))
    return NULL;
  qcc_op *last = mul, *add = single_user(mul->results[0], QCC_OP_Add);
  qcc_value *bias = add ? other_operand(add, mul->results[0]) : NULL;
  bool bias_ok = bias && is_const(bias) && bias->type.elem == QCC_F32 &&
                 (conv ? channel_bias(bias, mm->results[0]->type.rank, b->type.dims[0].size)
                       : bias->type.rank == 1);
  if (bias_ok)
    last = add;
  else
    bias = NULL;
  qcc_value *operands[5] = {qcc_op_operand(dql, 0), b, ws, bz, bias};
  const qcc_value *out = last->results[0];
  qcc_op_spec spec = {
      .def = qcc_op_get(conv ? QCC_OP_DynamicQuantizeConv : QCC_OP_DynamicQuantizeMatMul),
      .node_name = mm->name,
      .loc = mm->loc,
      .num_operands = bias ? 5
                      : bz ? 4
                           : 3,
      .operands = operands,
      .num_results = 1,
      .result_types = &out->type,
      .num_attrs = conv ? mm->num_attrs : 0,
      .attrs = conv ? mm->attrs : NULL};
  qcc_op *fused = qcc_op_create(g, &spec, last);
  if (!fused || !qcc_op_reinfer_quietly(fused)) {
    if (fused)
      qcc_op_erase(fused);
    return NULL;
  }
  const char *name = out->name;
  qcc_value_replace_all_uses(last->results[0], fused->results[0]);
  qcc_op_erase(last);
  if (last != mul)
    qcc_op_erase(mul);
  qcc_op_erase(cast);
  qcc_op_erase(mm);
  qcc_value_rename(fused->results[0], name);
  return fused;
}

static qcc_status fold_dynamic_quant_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t folded = 0, folded_convs = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    bool conv = qcc_op_is(op, QCC_OP_ConvInteger);
    if ((conv || qcc_op_is(op, QCC_OP_MatMulInteger)) && fold(g, op)) {
      ++*(conv ? &folded_convs : &folded);
      next = g->first; /* the chain's ops after `op` are gone; start over */
    }
  }
  qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "dynamic-quantization MatMuls folded", folded);
  qcc_pass_count(ctx, "dynamic-quantization convs folded", folded_convs);
  ctx->changed = folded + folded_convs > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_fold_dynamic_quant = {
    .name = "fold-dynamic-quant",
    .summary = "fold DynamicQuantizeLinear -> MatMulInteger/ConvInteger -> Cast -> Mul (-> Add) "
               "into one op",
    .run = fold_dynamic_quant_run,
};
