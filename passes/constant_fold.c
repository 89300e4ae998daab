#include "passes/constant_fold.h"

#include <string.h>

#include "ir/interp.h"
#include "ir/op_registry.h"
#include "passes/qdq_match.h"

/* Folded results larger than this, and larger than the op's constant operands together, stay
 * computed at run time: folding must not blow up the model (ConstantOfShape or Expand can make
 * large tensors out of tiny ones), while a QuantizeLinear of a big float weight shrinks it. */
enum { FOLD_MAX_BYTES = 1 << 20 };

static bool foldable(qcc_op *op) {
  /* ONNX Runtime keeps DQ of constants for its QDQ fusion; a Q of a constant weight folds. */
  if (op->konst || !op->def->eval || qcc_op_is(op, QCC_OP_DequantizeLinear))
    return false;
  size_t operand_bytes = 0;
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    const qcc_value *v = op->operands[i].value;
    const qcc_const *k = v ? qcc_value_const(v) : NULL;
    if (v && !k)
      return false;
    operand_bytes += k ? k->nbytes : 0;
  }
  /* Operands folded earlier in the sweep can give the op the static result size folding needs
   * (a ConstantOfShape of a computed shape). Out of memory here only means no folding. */
  qcc_op_refine_types(op, NULL);
  size_t result_bytes = 0;
  for (uint32_t r = 0; r < op->num_results; ++r) {
    size_t nbytes;
    /* Constants are row-major: a result in another layout (a Relayout's) stays an op. */
    if (!qcc_type_nbytes(op->results[r]->type, &nbytes) ||
        op->results[r]->layout != QCC_LAYOUT_ROW_MAJOR)
      return false;
    result_bytes += nbytes;
  }
  return result_bytes <= FOLD_MAX_BYTES || result_bytes <= operand_bytes;
}

enum { FOLD_MAX_ARITY = 64 };

/* Evaluates `op` on its constant operands and replaces it by Constant ops that keep its result
 * names. An op whose evaluation fails is left for run time, where the error is reported. */
static bool fold_op(qcc_graph *g, qcc_op *op) {
  if (op->num_operands > FOLD_MAX_ARITY || op->num_results > FOLD_MAX_ARITY)
    return false;
  qcc_tensor storage[FOLD_MAX_ARITY];
  const qcc_tensor *in[FOLD_MAX_ARITY];
  qcc_tensor *out[FOLD_MAX_ARITY] = {0};
  qcc_op *made[FOLD_MAX_ARITY] = {0};
  const char *names[FOLD_MAX_ARITY];
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    const qcc_value *v = op->operands[i].value;
    in[i] = v ? qcc_tensor_of_const(qcc_value_const(v), &storage[i]) : NULL;
  }
  qcc_diag *quiet = qcc_diag_create(NULL);
  qcc_status st = quiet ? qcc_interp_eval_op(op, quiet, in, out) : QCC_ERR_NOMEM;
  qcc_diag_destroy(quiet);
  bool ok = st == QCC_OK;
  for (uint32_t r = 0; ok && r < op->num_results; ++r) {
    const qcc_tensor *t = out[r];
    size_t nbytes = (size_t)t->numel * qcc_elem_size(t->elem);
    qcc_const k = {.nbytes = nbytes};
    void *data = qcc_arena_memdup(g->arena, t->data, nbytes); /* foldable() bounded it */
    ok = data && qcc_type_make_static(g->arena, t->elem, t->rank, t->dims, &k.type);
    if (ok) {
      k.data = data;
      if (op->results[r]->type.elem == k.type.elem)
        k.type.quant = op->results[r]->type.quant;
      ok = (made[r] = qcc_const_create(g, NULL, &k, op->loc, op)) != NULL;
    }
  }
  if (ok) {
    for (uint32_t r = 0; r < op->num_results; ++r) {
      names[r] = op->results[r]->name;
      qcc_value_replace_all_uses(op->results[r], made[r]->results[0]);
    }
    qcc_op_erase(op);
    for (uint32_t r = 0; r < op->num_results; ++r)
      qcc_value_rename(made[r]->results[0], names[r]);
  } else {
    for (uint32_t r = 0; r < op->num_results; ++r)
      if (made[r])
        qcc_op_erase(made[r]);
  }
  for (uint32_t r = 0; r < op->num_results; ++r)
    qcc_tensor_free(out[r]);
  return ok;
}

bool qcc_constant_fold_op(qcc_graph *g, qcc_op *op) { return foldable(op) && fold_op(g, op); }

/* Identity forwards its operand; one that is not a graph output can go. */
static bool remove_identity(qcc_op *op) {
  qcc_value *src = op->operands[0].value, *res = op->results[0];
  if (!src || qcc_value_is_graph_output(res))
    return false;
  qcc_value_replace_all_uses(res, src);
  qcc_op_erase(op);
  return true;
}

/* A Cast to the element type its operand already has (torch.onnx writes one after every
 * QuantizeLinear) forwards its operand, like Identity (ONNX Runtime's CastElimination). */
static bool is_noop_cast(const qcc_op *op) {
  const qcc_value *src = op->operands[0].value;
  return src && src->type.elem == op->results[0]->type.elem && src->type.rank >= 0;
}

static qcc_status constant_fold_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t folded = 0, identities = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next; /* folding only inserts Constants before `op` and erases `op` */
    if (qcc_op_is(op, QCC_OP_Identity) || (qcc_op_is(op, QCC_OP_Cast) && is_noop_cast(op)))
      identities += remove_identity(op);
    else
      folded += qcc_constant_fold_op(g, op);
  }
  qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "ops folded to constants", folded);
  qcc_pass_count(ctx, "Identity ops (and no-op Casts) removed", identities);
  ctx->changed = folded + identities > 0;
  /* Operands that became constants can make shape rules more precise (a Reshape whose shape
   * operand is now known); keep the old types where a rule has nothing better to say. */
  qcc_status st = qcc_graph_refine_types(g);
  if (st == QCC_ERR_NOMEM)
    qcc_diag_error(ctx->diag, (qcc_loc){0}, "out of memory");
  return st;
}

const qcc_pass qcc_pass_constant_fold = {
    .name = "constant-fold",
    .summary = "evaluate ops whose operands are all constants; remove Identity",
    .run = constant_fold_run,
};
