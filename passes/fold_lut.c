#include "passes/fold_lut.h"

#include "ir/interp.h"
#include "ir/op_registry.h"
#include "passes/qdq_match.h"

enum { LUT_MAX_OPS = 64, LUT_ENTRIES = 256, LUT_MAX_OPERANDS = 3 };
enum { LUT_OK, LUT_SKIP, LUT_NOMEM };

/* One candidate: the output quantizer, the DQ leaf and the float ops R between them. */
typedef struct lut_region {
  qcc_op *q, *dq;
  qcc_op *ops[LUT_MAX_OPS];
  uint32_t n;
} lut_region;

static int32_t region_index(const lut_region *r, const qcc_op *op) {
  for (uint32_t i = 0; i < r->n; ++i)
    if (r->ops[i] == op)
      return (int32_t)i;
  return -1;
}

/* Unary float activations: every result element is a function of the same input element. */
static bool is_activation(const qcc_op *op) {
  switch (op->def->kind) {
  case QCC_OP_Relu:
  case QCC_OP_LeakyRelu:
  case QCC_OP_Sigmoid:
  case QCC_OP_HardSigmoid:
  case QCC_OP_HardSwish:
  case QCC_OP_Tanh:
  case QCC_OP_Exp:
  case QCC_OP_Erf:
  case QCC_OP_Gelu: return true;
  default: return false;
  }
}

static bool is_arithmetic(const qcc_op *op) {
  switch (op->def->kind) {
  case QCC_OP_Add:
  case QCC_OP_Sub:
  case QCC_OP_Mul:
  case QCC_OP_Div: return true;
  default: return false;
  }
}

/* A one-element f32 constant: broadcasting it changes no value of the other operand. */
static bool is_scalar_const(const qcc_value *v) {
  const qcc_const *k = qcc_value_const(v);
  int64_t n;
  return k && k->type.elem == QCC_F32 && qcc_type_numel(k->type, &n) && n == 1;
}

/* Checks the operands of `op` (a candidate member of R) and pushes its non-constant ones. */
static bool push_operands(const qcc_op *op, qcc_value **stack, uint32_t *top) {
  if (is_activation(op)) {
    qcc_value *x = qcc_op_operand(op, 0);
    if (op->num_operands != 1 || !x || qcc_value_const(x))
      return false;
    stack[(*top)++] = x;
    return true;
  }
  if (qcc_op_is(op, QCC_OP_Clip)) {
    qcc_value *x = qcc_op_operand(op, 0);
    if (!x || qcc_value_const(x))
      return false;
    for (uint32_t i = 1; i < op->num_operands; ++i)
      if (op->operands[i].value && !qcc_value_const(op->operands[i].value))
        return false; /* a bound computed at run time */
    stack[(*top)++] = x;
    return true;
  }
  if (!is_arithmetic(op) || op->num_operands != 2)
    return false;
  uint32_t pushed = 0;
  for (uint32_t i = 0; i < 2; ++i) {
    qcc_value *v = op->operands[i].value;
    if (!v)
      return false;
    if (qcc_value_const(v)) {
      if (!is_scalar_const(v))
        return false;
    } else {
      stack[(*top)++] = v;
      ++pushed;
    }
  }
  return pushed > 0;
}

/* Fills `r` with the ops computing `root` back to one DequantizeLinear. Every op is added once
 * and pushes at most two operands, so the stack holds at most 2 * LUT_MAX_OPS + 1 values. */
static bool collect(lut_region *r, qcc_value *root) {
  qcc_value *stack[2 * LUT_MAX_OPS + 1];
  uint32_t top = 0;
  stack[top++] = root;
  while (top) {
    qcc_value *v = stack[--top];
    qcc_op *def = v->def;
    if (!def)
      return false; /* a float graph input */
    if (qcc_op_is(def, QCC_OP_DequantizeLinear)) {
      if (r->dq && r->dq != def)
        return false; /* a second quantized leaf */
      r->dq = def;
      continue;
    }
    if (region_index(r, def) >= 0)
      continue;
    if (r->n == LUT_MAX_OPS || def->num_results != 1 || v->type.elem != QCC_F32 ||
        !push_operands(def, stack, &top))
      return false;
    r->ops[r->n++] = def;
  }
  return r->dq && r->n > 0;
}

/* The DQ leaf: per-tensor constant parameters on a u8/i8 value. No constant of R may have a
 * higher rank than its input, so the broadcasts inside R keep the input's shape. Every value of
 * R is used only inside R or by the Q. */
static bool region_fits(const lut_region *r) {
  double scale;
  int64_t zp;
  qcc_value *x = qcc_op_operand(r->dq, 0);
  qcc_elem ex = qcc_qdq_int_elem(r->dq);
  if (!x || (ex != QCC_U8 && ex != QCC_I8) || x->type.rank < 0 ||
      !qcc_qdq_scalar_params(r->dq, &scale, &zp))
    return false;
  for (uint32_t i = 0; i < r->n; ++i) {
    const qcc_op *op = r->ops[i];
    for (uint32_t k = 0; is_arithmetic(op) && k < op->num_operands; ++k) {
      const qcc_const *c = qcc_value_const(op->operands[k].value);
      if (c && c->type.rank > x->type.rank)
        return false;
    }
    const qcc_value *v = op->results[0];
    if (qcc_value_is_graph_output(v))
      return false;
    for (const qcc_use *u = v->first_use; u; u = u->next)
      if (u->user != r->q && region_index(r, u->user) < 0)
        return false; /* also used in float elsewhere */
  }
  return true;
}

/* ---- the table: DQ -> R -> Q evaluated on every code ---- */

typedef struct lut_eval {
  const lut_region *r;
  qcc_diag *quiet;
  qcc_tensor *dq_out;
  qcc_tensor *vals[LUT_MAX_OPS]; /* result of r->ops[i], once evaluated */
} lut_eval;

static bool eval_op(lut_eval *e, const qcc_op *op, const qcc_tensor *x, qcc_tensor **out);

/* The tensor of `v` over all codes: a constant, the DQ's result or a member of R (evaluated on
 * first use; the recursion is at most LUT_MAX_OPS deep). */
static const qcc_tensor *eval_value(lut_eval *e, const qcc_value *v, qcc_tensor *storage) {
  const qcc_const *k = qcc_value_const(v);
  if (k)
    return qcc_tensor_of_const(k, storage);
  if (v->def == e->r->dq)
    return e->dq_out;
  int32_t i = region_index(e->r, v->def);
  if (i < 0)
    return NULL;
  if (!e->vals[i] && !eval_op(e, v->def, NULL, &e->vals[i]))
    return NULL;
  return e->vals[i];
}

/* Evaluates `op` with the interpreter's semantics; operand 0 is `x` when given. */
static bool eval_op(lut_eval *e, const qcc_op *op, const qcc_tensor *x, qcc_tensor **out) {
  qcc_tensor storage[LUT_MAX_OPERANDS];
  const qcc_tensor *in[LUT_MAX_OPERANDS];
  if (op->num_operands > LUT_MAX_OPERANDS)
    return false;
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    const qcc_value *v = op->operands[i].value;
    if (i == 0 && x)
      in[i] = x;
    else if (!v)
      in[i] = NULL;
    else if (!(in[i] = eval_value(e, v, &storage[i])))
      return false;
  }
  return qcc_interp_eval_op(op, e->quiet, in, out) == QCC_OK;
}

/* The 256 result codes of the region, indexed by input code (i8: code + 128), or NULL. */
static qcc_tensor *build_table(const lut_region *r) {
  lut_eval e = {.r = r, .quiet = qcc_diag_create(NULL)};
  qcc_elem ex = qcc_qdq_int_elem(r->dq);
  int64_t n = LUT_ENTRIES;
  qcc_tensor *codes = qcc_tensor_alloc(ex, 1, &n), *table = NULL;
  if (e.quiet && codes) {
    for (int64_t i = 0; i < n; ++i)
      qcc_tensor_set_i64(codes, i, ex == QCC_I8 ? i - 128 : i);
    if (eval_op(&e, r->dq, codes, &e.dq_out) && !eval_op(&e, r->q, NULL, &table))
      table = NULL;
  }
  if (table && (table->numel != LUT_ENTRIES || table->elem != qcc_qdq_int_elem(r->q))) {
    qcc_tensor_free(table);
    table = NULL;
  }
  for (uint32_t i = 0; i < r->n; ++i)
    qcc_tensor_free(e.vals[i]);
  qcc_tensor_free(e.dq_out);
  qcc_tensor_free(codes);
  qcc_diag_destroy(e.quiet);
  return table;
}

/* ---- the rewrite ---- */

static int fold(qcc_graph *g, qcc_op *q, qcc_pass_ctx *ctx) {
  double scale;
  int64_t zp;
  qcc_value *root = qcc_op_operand(q, 0), *y = q->results[0];
  qcc_elem ey = y->type.elem;
  if (!root || !root->def || qcc_op_is(root->def, QCC_OP_DequantizeLinear) ||
      (ey != QCC_U8 && ey != QCC_I8) || !qcc_qdq_scalar_params(q, &scale, &zp))
    return LUT_SKIP;
  lut_region r = {.q = q};
  if (!collect(&r, root) || !region_fits(&r) || r.dq->operands[0].value->type.rank != y->type.rank)
    return LUT_SKIP;
  qcc_tensor *t = build_table(&r);
  if (!t)
    return LUT_SKIP;
  int64_t n = LUT_ENTRIES;
  qcc_value *table = qcc_build_const(g, NULL, ey, 1, &n, t->data, LUT_ENTRIES, q);
  qcc_tensor_free(t);
  const char *table_name = table ? qcc_graph_fresh_name(g, "lut") : NULL;
  if (!table_name || !qcc_value_rename(table, table_name))
    return LUT_NOMEM;
  bool nomem;
  qcc_op *lut = qcc_build_lookup(g, r.dq, table, q, root->def, &nomem);
  if (!lut) {
    qcc_op_erase(table->def);
    return nomem ? LUT_NOMEM : LUT_SKIP;
  }
  qcc_pass_remark(ctx, root->def, "%u float op%s between DQ and Q folded into a 256-entry table",
                  r.n, r.n == 1 ? "" : "s");
  const char *name = y->name;
  qcc_value_replace_all_uses(y, lut->results[0]);
  qcc_op_erase(q);
  qcc_value_rename(lut->results[0], name);
  return LUT_OK;
}

static qcc_status fold_lut_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t folded = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next; /* a fold inserts before the Q and erases it */
    if (!qcc_op_is(op, QCC_OP_QuantizeLinear))
      continue;
    int st = fold(g, op, ctx);
    if (st == LUT_NOMEM) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    folded += st == LUT_OK;
  }
  qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "DQ -> elementwise float ops -> Q folded into lookup tables", folded);
  ctx->changed = folded > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_fold_lut = {
    .name = "fold-lut",
    .summary = "fold DQ -> elementwise float ops -> Q into one 256-entry lookup table (exact)",
    .run = fold_lut_run,
};
