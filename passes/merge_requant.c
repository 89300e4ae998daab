#include "passes/merge_requant.h"

#include "ir/graph_util.h"
#include "ir/interp.h"
#include "ir/op_registry.h"
#include "ir/tensor.h"
#include "passes/qdq_match.h"

enum { RQ_SKIP, RQ_MERGED, RQ_TABLE, RQ_NOMEM, TABLE_ENTRIES = 256 };

/* `op` (a DQ or a Q with constant operands 1 and 2) evaluated on `x` with the interpreter's own
 * semantics; NULL when it fails. */
static qcc_tensor *eval_on(const qcc_op *op, qcc_tensor *x) {
  qcc_tensor storage[2];
  const qcc_tensor *in[3] = {x, NULL, NULL};
  for (uint32_t i = 1; i < 3; ++i) {
    const qcc_value *v = qcc_op_operand(op, i);
    in[i] = v ? qcc_tensor_of_const(qcc_value_const(v), &storage[i - 1]) : NULL;
  }
  qcc_tensor *out[1] = {NULL};
  qcc_diag *quiet = qcc_diag_create(NULL);
  qcc_status st = quiet ? qcc_interp_eval_op(op, quiet, in, out) : QCC_ERR_NOMEM;
  qcc_diag_destroy(quiet);
  if (st != QCC_OK) {
    qcc_tensor_free(out[0]);
    return NULL;
  }
  return out[0];
}

/* Q(DQ(x)) with other parameters, as one 256-entry table: the pair evaluated on every code. */
static int to_table(qcc_graph *g, qcc_op *dq, qcc_op *q, qcc_pass_ctx *ctx) {
  qcc_value *x = qcc_op_operand(dq, 0), *y = q->results[0];
  qcc_elem ex = x->type.elem, ey = y->type.elem;
  if ((ex != QCC_U8 && ex != QCC_I8) || (ey != QCC_U8 && ey != QCC_I8) ||
      !qcc_value_const(qcc_op_operand(dq, 1)) || !qcc_value_const(qcc_op_operand(q, 1)) ||
      (qcc_op_operand(dq, 2) && !qcc_value_const(qcc_op_operand(dq, 2))) ||
      (qcc_op_operand(q, 2) && !qcc_value_const(qcc_op_operand(q, 2))))
    return RQ_SKIP;
  int64_t n = TABLE_ENTRIES;
  qcc_tensor *codes = qcc_tensor_alloc(ex, 1, &n);
  if (!codes)
    return RQ_NOMEM;
  for (int64_t i = 0; i < n; ++i)
    qcc_tensor_set_i64(codes, i, ex == QCC_I8 ? i - 128 : i);
  qcc_tensor *real = eval_on(dq, codes), *table = real ? eval_on(q, real) : NULL;
  qcc_tensor_free(codes);
  qcc_tensor_free(real);
  if (!table || table->numel != TABLE_ENTRIES || table->elem != ey) {
    qcc_tensor_free(table);
    return RQ_SKIP;
  }
  qcc_value *tv = qcc_build_const(g, NULL, ey, 1, &n, table->data, TABLE_ENTRIES, q);
  qcc_tensor_free(table);
  if (!tv)
    return RQ_NOMEM;
  bool nomem;
  qcc_op *lut = qcc_build_lookup(g, dq, tv, q, q, &nomem);
  if (!lut) {
    qcc_op_erase(tv->def);
    return nomem ? RQ_NOMEM : RQ_SKIP;
  }
  qcc_pass_remark(ctx, q, "Q(DQ(x)) with other parameters as a 256-entry table");
  const char *name = y->name;
  qcc_value_replace_all_uses(y, lut->results[0]);
  qcc_op_erase(q);
  return qcc_value_rename(lut->results[0], name) ? RQ_TABLE : RQ_NOMEM;
}

static int merge(qcc_graph *g, qcc_op *q, qcc_pass_ctx *ctx) {
  qcc_value *v = qcc_op_operand(q, 0);
  qcc_op *dq = v ? v->def : NULL;
  double s1, s2;
  int64_t z1, z2;
  if (!qcc_op_is(dq, QCC_OP_DequantizeLinear) || !qcc_qdq_scalar_params(dq, &s1, &z1) ||
      !qcc_qdq_scalar_params(q, &s2, &z2))
    return RQ_SKIP;
  qcc_value *x = qcc_op_operand(dq, 0), *y = q->results[0];
  if (!x || x->type.rank < 0)
    return RQ_SKIP;
  if ((float)s1 != (float)s2 || z1 != z2 || x->type.elem != y->type.elem)
    return to_table(g, dq, q, ctx);
  if (qcc_value_is_graph_output(y))
    return RQ_SKIP;
  qcc_pass_remark(ctx, q, "Q(DQ(x)) with equal parameters merged");
  qcc_value_replace_all_uses(y, x);
  qcc_op_erase(q);
  return RQ_MERGED;
}

static qcc_status merge_requant_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t merged = 0, tables = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    if (!qcc_op_is(op, QCC_OP_QuantizeLinear))
      continue;
    int r = merge(g, op, ctx);
    if (r == RQ_NOMEM) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    merged += r == RQ_MERGED;
    tables += r == RQ_TABLE;
  }
  qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "Q(DQ(x)) pairs with equal parameters merged", merged);
  qcc_pass_count(ctx, "requantizations as 256-entry tables", tables);
  ctx->changed = merged + tables > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_merge_requant = {
    .name = "merge-requant",
    .summary = "replace Q(DQ(x)) by x (equal parameters) or by one lookup table (exact)",
    .run = merge_requant_run,
};
