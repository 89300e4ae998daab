#include "passes/cse.h"

#include <stdlib.h>
#include <string.h>

#include "ir/graph_util.h"
#include "ir/hash.h"
#include "ir/op_registry.h"

static uint64_t op_hash(const qcc_op *op) {
  uint64_t h = qcc_hash_mix(QCC_HASH_SEED, (uint64_t)op->def->kind);
  for (uint32_t i = 0; i < op->num_operands; ++i)
    h = qcc_hash_mix(h, (uint64_t)(uintptr_t)op->operands[i].value);
  h = qcc_hash_mix(h, op->num_attrs);
  if (op->konst)
    h = qcc_hash_bytes(qcc_hash_mix(h, op->konst->nbytes), op->konst->data, op->konst->nbytes);
  return h;
}

static bool attr_equal(const qcc_attr *a, const qcc_attr *b) {
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case QCC_ATTR_INT: return a->i == b->i;
  case QCC_ATTR_FLOAT:
    return memcmp(&a->f, &b->f, sizeof a->f) == 0; /* bitwise: -0.0 and NaNs stay distinct */
  case QCC_ATTR_STRING: return strcmp(a->s, b->s) == 0;
  case QCC_ATTR_INTS:
    return a->ints.n == b->ints.n && memcmp(a->ints.v, b->ints.v, a->ints.n * sizeof(int64_t)) == 0;
  case QCC_ATTR_FLOATS:
    return a->floats.n == b->floats.n &&
           memcmp(a->floats.v, b->floats.v, a->floats.n * sizeof(float)) == 0;
  case QCC_ATTR_STRINGS:
    if (a->strings.n != b->strings.n)
      return false;
    for (uint32_t i = 0; i < a->strings.n; ++i)
      if (strcmp(a->strings.v[i], b->strings.v[i]) != 0)
        return false;
    return true;
  case QCC_ATTR_TENSOR:
    return qcc_type_equal(a->tensor->type, b->tensor->type) &&
           a->tensor->nbytes == b->tensor->nbytes &&
           memcmp(a->tensor->data, b->tensor->data, a->tensor->nbytes) == 0;
  }
  return false;
}

static bool ops_equal(const qcc_op *a, const qcc_op *b) {
  if (a->def != b->def || a->num_operands != b->num_operands || a->num_results != b->num_results ||
      a->num_attrs != b->num_attrs)
    return false;
  for (uint32_t i = 0; i < a->num_operands; ++i)
    if (a->operands[i].value != b->operands[i].value)
      return false;
  for (uint32_t i = 0; i < a->num_results; ++i)
    if (!qcc_type_equal(a->results[i]->type, b->results[i]->type) ||
        a->results[i]->layout != b->results[i]->layout)
      return false;
  for (uint32_t i = 0; i < a->num_attrs; ++i) {
    const qcc_attr *other = qcc_op_attr(b, a->attrs[i].name);
    if (!other || !attr_equal(&a->attrs[i], other))
      return false;
  }
  if ((a->konst == NULL) != (b->konst == NULL))
    return false;
  return !a->konst ||
         (qcc_type_equal(a->konst->type, b->konst->type) && a->konst->nbytes == b->konst->nbytes &&
          memcmp(a->konst->data, b->konst->data, a->konst->nbytes) == 0);
}

static bool has_output_result(const qcc_op *op) {
  for (uint32_t i = 0; i < op->num_results; ++i)
    if (qcc_value_is_graph_output(op->results[i]))
      return true;
  return false;
}

/* Open addressing over the ops seen so far; the table lives only for one run. */
typedef struct op_table {
  const qcc_op **slots;
  uint64_t *hashes;
  size_t cap;
} op_table;

static qcc_status cse_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  size_t n = qcc_graph_op_count(g);
  op_table t = {.cap = 16};
  while (t.cap < 2 * n)
    t.cap *= 2;
  t.slots = calloc(t.cap, sizeof *t.slots);
  t.hashes = calloc(t.cap, sizeof *t.hashes);
  if (!t.slots || !t.hashes) {
    free(t.slots);
    free(t.hashes);
    qcc_diag_error(ctx->diag, (qcc_loc){0}, "out of memory");
    return QCC_ERR_NOMEM;
  }
  uint64_t merged = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    uint64_t h = op_hash(op);
    size_t i = h & (t.cap - 1);
    while (t.slots[i] && !(t.hashes[i] == h && ops_equal(t.slots[i], op)))
      i = (i + 1) & (t.cap - 1);
    if (!t.slots[i]) {
      t.slots[i] = op;
      t.hashes[i] = h;
      continue;
    }
    if (has_output_result(op))
      continue;
    const qcc_op *keep = t.slots[i];
    for (uint32_t r = 0; r < op->num_results; ++r)
      qcc_value_replace_all_uses(op->results[r], keep->results[r]);
    qcc_op_erase(op);
    ++merged;
  }
  free(t.slots);
  free(t.hashes);
  ctx->changed = merged > 0;
  qcc_pass_count(ctx, "ops merged", merged);
  return QCC_OK;
}

const qcc_pass qcc_pass_cse = {
    .name = "cse",
    .summary = "merge ops that compute the same value (equal constants included)",
    .run = cse_run,
};
