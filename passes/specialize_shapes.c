#include "passes/specialize_shapes.h"

#include <stdio.h>
#include <string.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "ir/ops/layout_util.h"
#include "ir/tensor.h"
#include "passes/constant_fold.h"
#include "passes/qdq_match.h"

enum { SPEC_OK, SPEC_SKIP, SPEC_NOMEM };

/* Indices of one Gather folded here at most; a shape has at most QCC_MAX_RANK entries anyway. */
enum { GATHER_MAX_INDICES = 64 };

typedef struct spec_counts {
  uint64_t shapes, gathers, folded, spelled, removed;
  uint32_t made_static;
} spec_counts;

/* "[1, 32]" (truncated to the buffer). */
static void format_ints(char *buf, size_t cap, const int64_t *v, int64_t n) {
  size_t len = (size_t)snprintf(buf, cap, "[");
  for (int64_t i = 0; i < n && len < cap; ++i)
    len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? ", " : "", (long long)v[i]);
  if (len < cap)
    snprintf(buf + len, cap - len, "]");
}

/* The entries of an i64 or i32 constant, at most `cap`; false otherwise. */
static bool const_ints(const qcc_const *k, int64_t cap, int64_t *out, int64_t *n) {
  if (!k || (k->type.elem != QCC_I64 && k->type.elem != QCC_I32) || !qcc_type_numel(k->type, n) ||
      *n > cap)
    return false;
  qcc_tensor t = {.elem = k->type.elem, .numel = *n, .data = (void *)k->data};
  for (int64_t i = 0; i < *n; ++i)
    out[i] = qcc_tensor_get_i64(&t, i);
  return true;
}

/* Replaces the single result of `op` by an i64 constant of shape dims[0..rank) holding
 * vals[0..n); the constant keeps the result's name, so graph outputs keep theirs. */
static int replace_with_ints(qcc_graph *g, qcc_op *op, int32_t rank, const int64_t *dims,
                             const int64_t *vals, int64_t n) {
  qcc_value *res = op->results[0];
  const char *name = res->name;
  qcc_value *k =
      qcc_build_const(g, NULL, QCC_I64, rank, dims, vals, (size_t)n * sizeof(int64_t), op);
  if (!k)
    return SPEC_NOMEM;
  qcc_value_replace_all_uses(res, k);
  qcc_op_erase(op);
  return qcc_value_rename(k, name) ? SPEC_OK : SPEC_NOMEM;
}

/* Shape(x) whose queried dims [start, end) are all static. */
static int fold_shape(qcc_graph *g, qcc_op *op, qcc_pass_ctx *ctx) {
  qcc_value *x = qcc_op_operand(op, 0);
  if (!x || x->type.rank < 0)
    return SPEC_SKIP;
  int64_t s, e, vals[QCC_MAX_RANK];
  qcc_shape_op_range(op, x->type.rank, &s, &e);
  int64_t n = e - s;
  for (int64_t i = 0; i < n; ++i) {
    if (x->type.dims[s + i].size < 0)
      return SPEC_SKIP;
    vals[i] = x->type.dims[s + i].size;
  }
  char text[256];
  format_ints(text, sizeof text, vals, n);
  qcc_pass_remark(ctx, op, "Shape of '%s' is the constant %s", x->name, text);
  return replace_with_ints(g, op, 1, &n, vals, n);
}

/* Gather(Shape(x), indices) on axis 0 with constant indices that pick only static dims of x,
 * whatever the other dims are (torch.onnx's `x.size(1)`). Out-of-range indices stay, so the
 * error surfaces at run time. */
static int fold_gather_of_shape(qcc_graph *g, qcc_op *op, qcc_pass_ctx *ctx) {
  qcc_value *data = qcc_op_operand(op, 0);
  qcc_op *shape = data ? data->def : NULL;
  int64_t axis = qcc_op_attr_int(op, "axis");
  if (!qcc_op_is(shape, QCC_OP_Shape) || (axis != 0 && axis != -1))
    return SPEC_SKIP;
  qcc_value *x = qcc_op_operand(shape, 0);
  const qcc_const *k = qcc_value_const(qcc_op_operand(op, 1));
  int64_t idx[GATHER_MAX_INDICES], vals[GATHER_MAX_INDICES], n, s, e;
  if (!x || x->type.rank < 0 || !const_ints(k, GATHER_MAX_INDICES, idx, &n))
    return SPEC_SKIP;
  qcc_shape_op_range(shape, x->type.rank, &s, &e);
  int64_t len = e - s;
  for (int64_t j = 0; j < n; ++j) {
    int64_t i = idx[j];
    if (i < -len || i >= len)
      return SPEC_SKIP;
    qcc_dim d = x->type.dims[s + (i < 0 ? i + len : i)];
    if (d.size < 0)
      return SPEC_SKIP;
    vals[j] = d.size;
  }
  int64_t dims[QCC_MAX_RANK];
  for (int32_t d = 0; d < k->type.rank; ++d)
    dims[d] = k->type.dims[d].size;
  char text[256];
  format_ints(text, sizeof text, vals, n);
  qcc_pass_remark(ctx, op, "static dims of '%s' gathered from its Shape: the constant %s", x->name,
                  text);
  int r = replace_with_ints(g, op, k->type.rank, dims, vals, n);
  if (r == SPEC_OK && qcc_op_is_dead(shape))
    qcc_op_erase(shape);
  return r;
}

/* True when an operand of `op` is a constant this pass made (ids are handed out in order). */
static bool reads_new_constant(const qcc_op *op, uint32_t first_new) {
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    const qcc_value *v = op->operands[i].value;
    if (v && v->id >= first_new && qcc_value_const(v))
      return true;
  }
  return false;
}

/* Reshape(x, constant shape) whose result the shape rule knows statically: the shape is spelled
 * out, or the Reshape goes when its result has x's shape. *removed says which. */
static int specialize_reshape(qcc_graph *g, qcc_op *op, qcc_pass_ctx *ctx, bool *removed) {
  *removed = false;
  qcc_value *x = qcc_op_operand(op, 0), *y = op->results[0];
  int64_t given[QCC_MAX_RANK], n;
  if (!x || !const_ints(qcc_value_const(qcc_op_operand(op, 1)), QCC_MAX_RANK, given, &n))
    return SPEC_SKIP;
  /* The rule's own result, not a declared type that may say more than it can. */
  qcc_diag *quiet = qcc_diag_create(NULL);
  if (!quiet)
    return SPEC_NOMEM;
  qcc_type t;
  qcc_status st = qcc_op_infer(op, g->arena, quiet, &t);
  qcc_diag_destroy(quiet);
  if (st == QCC_ERR_NOMEM)
    return SPEC_NOMEM;
  if (st != QCC_OK || !qcc_type_is_static(t) || t.rank != n)
    return SPEC_SKIP;
  int64_t dims[QCC_MAX_RANK];
  bool same = true, zero = false;
  for (int32_t d = 0; d < t.rank; ++d) {
    dims[d] = t.dims[d].size;
    same &= dims[d] == given[d];
    zero |= dims[d] == 0;
  }
  char text[256];
  format_ints(text, sizeof text, dims, n);
  if (qcc_type_is_static(x->type) && x->type.rank == t.rank && !qcc_value_is_graph_output(y) &&
      qcc_quant_equal(x->type.quant, y->type.quant)) {
    bool identity = true;
    for (int32_t d = 0; d < t.rank; ++d)
      identity &= x->type.dims[d].size == dims[d];
    if (identity) {
      qcc_pass_remark(ctx, op, "Reshape of '%s' to its own shape %s removed", x->name, text);
      qcc_value_replace_all_uses(y, x);
      qcc_op_erase(op);
      *removed = true;
      return SPEC_OK;
    }
  }
  /* With allowzero = 0 a 0 entry copies the input's dim: a 0-sized result keeps its spelling. */
  if (same || (zero && qcc_op_attr_int(op, "allowzero") == 0))
    return SPEC_SKIP;
  char was[256];
  format_ints(was, sizeof was, given, n);
  qcc_value *k = qcc_build_const(g, NULL, QCC_I64, 1, &n, dims, (size_t)n * sizeof(int64_t), op);
  if (!k)
    return SPEC_NOMEM;
  qcc_pass_remark(ctx, op, "shape %s spelled out as %s", was, text);
  qcc_op_set_operand(op, 1, k);
  return SPEC_OK;
}

static int specialize_op(qcc_graph *g, qcc_op *op, uint32_t first_new, qcc_pass_ctx *ctx,
                         spec_counts *c) {
  int r = SPEC_SKIP;
  if (qcc_op_is(op, QCC_OP_Shape) && (r = fold_shape(g, op, ctx)) == SPEC_OK)
    ++c->shapes;
  else if (qcc_op_is(op, QCC_OP_Gather) && (r = fold_gather_of_shape(g, op, ctx)) == SPEC_OK)
    ++c->gathers;
  if (r != SPEC_SKIP)
    return r;
  if (reads_new_constant(op, first_new)) {
    const char *name = op->results[0]->name;
    if (qcc_constant_fold_op(g, op)) {
      qcc_value *v = qcc_graph_lookup(g, name);
      if (v)
        qcc_pass_remark(ctx, v->def, "folded to a constant");
      ++c->folded;
      return SPEC_OK;
    }
  }
  if (qcc_op_is(op, QCC_OP_Reshape)) {
    bool removed;
    if ((r = specialize_reshape(g, op, ctx, &removed)) == SPEC_OK)
      ++*(removed ? &c->removed : &c->spelled);
  }
  return r;
}

static qcc_status specialize_shapes_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  spec_counts c = {0};
  uint32_t first_new = g->num_values;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next; /* rewrites insert before `op` and may erase it */
    /* Operands earlier in the sweep may have become constants or more precise. */
    if (qcc_op_refine_types(op, &c.made_static) != QCC_OK ||
        specialize_op(g, op, first_new, ctx, &c) == SPEC_NOMEM) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
  }
  uint64_t rewrites = c.shapes + c.gathers + c.folded + c.spelled + c.removed;
  if (rewrites)
    qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "Shape ops replaced by constants", c.shapes);
  qcc_pass_count(ctx, "Gathers of static dims of a Shape replaced by constants", c.gathers);
  qcc_pass_count(ctx, "shape computations folded", c.folded);
  qcc_pass_count(ctx, "Reshape shapes spelled out", c.spelled);
  qcc_pass_count(ctx, "Reshapes to their input's shape removed", c.removed);
  qcc_pass_count(ctx, "result dims made static", c.made_static);
  ctx->changed = rewrites + c.made_static > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_specialize_shapes = {
    .name = "specialize-shapes",
    .summary = "Shape of static dims to constants, fold shape chains, spell out Reshape shapes",
    .run = specialize_shapes_run,
};
