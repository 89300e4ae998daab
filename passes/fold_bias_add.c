#include "passes/fold_bias_add.h"

#include "ir/graph_util.h"
#include "ir/op_registry.h"

/* The constant operand of `add` other than `v`, when it holds one f32 per column of an [M, N]
 * product: shape [N] or [1, N]. */
static qcc_value *column_bias(const qcc_op *add, const qcc_value *v, int64_t n) {
  qcc_value *a = qcc_op_operand(add, 0), *b = qcc_op_operand(add, 1);
  qcc_value *c = a == v ? b : b == v ? a : NULL;
  if (!c || c == v || !qcc_value_const(c) || c->type.elem != QCC_F32)
    return NULL;
  qcc_type t = c->type;
  if (t.rank == 1 && t.dims[0].size == n)
    return c;
  if (t.rank == 2 && t.dims[0].size == 1 && t.dims[1].size == n)
    return c;
  return NULL;
}

static bool fold(qcc_graph *g, qcc_op *mm, qcc_pass_ctx *ctx) {
  qcc_value *y = mm->results[0];
  bool gemm = qcc_op_is(mm, QCC_OP_Gemm);
  if (y->type.rank != 2 || y->type.dims[1].size < 0 || qcc_value_use_count(y) != 1 ||
      qcc_value_is_graph_output(y) || (gemm && qcc_op_operand(mm, 2)))
    return false;
  qcc_value *a = qcc_op_operand(mm, 0), *b = qcc_op_operand(mm, 1);
  if (!a || !b || a->type.rank != 2 || b->type.rank != 2)
    return false;
  qcc_op *add = y->first_use->user;
  qcc_value *c = qcc_op_is(add, QCC_OP_Add) ? column_bias(add, y, y->type.dims[1].size) : NULL;
  if (!c || add->results[0]->type.rank != 2)
    return false;
  qcc_value *operands[3] = {a, b, c};
  qcc_op_spec spec = {.def = qcc_op_get(QCC_OP_Gemm),
                      .node_name = mm->name,
                      .loc = mm->loc,
                      .num_operands = 3,
                      .operands = operands,
                      .num_results = 1,
                      .result_types = &add->results[0]->type,
                      .num_attrs = gemm ? mm->num_attrs : 0,
                      .attrs = gemm ? mm->attrs : NULL};
  qcc_op *fused = qcc_op_create(g, &spec, add);
  if (!fused || !qcc_op_reinfer_quietly(fused)) {
    if (fused)
      qcc_op_erase(fused);
    return false;
  }
  qcc_pass_remark(ctx, add, "bias add folded into its matrix product");
  qcc_value *out = add->results[0];
  const char *name = out->name;
  qcc_value_replace_all_uses(out, fused->results[0]);
  qcc_op_erase(add);
  qcc_op_erase(mm);
  qcc_value_rename(fused->results[0], name);
  return true;
}

static qcc_status fold_bias_add_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t folded = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    if (!qcc_op_is(op, QCC_OP_MatMul) && !qcc_op_is(op, QCC_OP_Gemm))
      continue;
    qcc_op *add = qcc_value_use_count(op->results[0]) == 1 ? op->results[0]->first_use->user : NULL;
    qcc_op *after = add ? add->next : next;
    if (fold(g, op, ctx)) {
      ++folded;
      next = after;
    }
  }
  qcc_pass_count(ctx, "bias adds folded into Gemm", folded);
  ctx->changed = folded > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_fold_bias_add = {
    .name = "fold-bias-add",
    .summary = "fold Add(MatMul/Gemm(A, B), per-column constant) into Gemm(A, B, c)",
    .run = fold_bias_add_run,
};
