#include "ir/interp.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

qcc_status qcc_eval_error(qcc_eval_ctx *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  qcc_status st = qcc_op_error_v(ctx->diag, ctx->op, fmt, ap);
  va_end(ap);
  return st;
}

qcc_tensor *qcc_eval_alloc(qcc_eval_ctx *ctx, qcc_elem elem, int32_t rank, const int64_t *dims) {
  qcc_tensor *t = qcc_tensor_alloc(elem, rank, dims);
  if (!t)
    qcc_eval_error(ctx,
                   "cannot allocate a rank-%d %s tensor (shape overflows, exceeds the "
                   "interpreter's limit, or memory is exhausted)",
                   (int)rank, qcc_elem_name(elem));
  return t;
}

const qcc_tensor *qcc_tensor_of_const(const qcc_const *k, qcc_tensor *storage) {
  memset(storage, 0, sizeof(*storage));
  storage->elem = k->type.elem;
  storage->rank = k->type.rank;
  for (int32_t d = 0; d < k->type.rank; ++d)
    storage->dims[d] = k->type.dims[d].size;
  storage->numel = (int64_t)(k->nbytes / qcc_elem_size(k->type.elem));
  storage->data = (void *)k->data;
  return storage;
}

static qcc_tensor *copy_tensor(const qcc_tensor *t) {
  qcc_tensor *c = qcc_tensor_alloc(t->elem, t->rank, t->dims);
  if (c)
    memcpy(c->data, t->data, (size_t)t->numel * qcc_elem_size(t->elem));
  return c;
}

qcc_status qcc_interp_eval_op(const qcc_op *op, qcc_diag *diag, const qcc_tensor *const *in,
                              qcc_tensor **out) {
  qcc_eval_ctx ctx = {.diag = diag, .op = op};
  if (op->konst) {
    const qcc_const *k = op->konst;
    int64_t dims[QCC_MAX_RANK];
    for (int32_t i = 0; i < k->type.rank; ++i)
      dims[i] = k->type.dims[i].size;
    out[0] = qcc_eval_alloc(&ctx, k->type.elem, k->type.rank, dims);
    if (!out[0])
      return QCC_ERR_INPUT;
    memcpy(out[0]->data, k->data, k->nbytes);
    return QCC_OK;
  }
  if (!op->def->eval)
    return qcc_eval_error(&ctx, "op has no reference semantics");
  for (uint32_t i = 0; i < op->num_results; ++i)
    out[i] = NULL;
  qcc_status st = op->def->eval(&ctx, op, in, out);
  if (st == QCC_OK) {
    for (uint32_t i = 0; i < op->num_results; ++i)
      if (!out[i])
        st = qcc_eval_error(&ctx, "internal error: result %u not produced", i);
  }
  if (st != QCC_OK) {
    for (uint32_t i = 0; i < op->num_results; ++i) {
      qcc_tensor_free(out[i]);
      out[i] = NULL;
    }
  }
  return st;
}

static bool input_matches(const qcc_value *v, const qcc_tensor *t) {
  if (t->elem != v->type.elem)
    return false;
  if (v->type.rank < 0)
    return true;
  if (t->rank != v->type.rank)
    return false;
  for (int32_t i = 0; i < t->rank; ++i)
    if (v->type.dims[i].size >= 0 && v->type.dims[i].size != t->dims[i])
      return false;
  return true;
}

qcc_status qcc_interp_run(const qcc_graph *g, qcc_diag *diag, const qcc_tensor *const *inputs,
                          qcc_tensor **outputs) {
  return qcc_interp_run_observed(g, diag, inputs, outputs, NULL, NULL);
}

qcc_status qcc_interp_run_observed(const qcc_graph *g, qcc_diag *diag,
                                   const qcc_tensor *const *inputs, qcc_tensor **outputs,
                                   qcc_interp_observer observe, void *user) {
  uint32_t nv = g->num_values;
  /* Tensors by value id, and the index of the op that reads each value last, so
   * intermediate tensors are freed as soon as they are dead. */
  qcc_tensor **vals = calloc(nv ? nv : 1, sizeof(*vals));
  bool *borrowed = calloc(nv ? nv : 1, sizeof(*borrowed));
  size_t *last_use = calloc(nv ? nv : 1, sizeof(*last_use));
  if (!vals || !borrowed || !last_use) {
    free(vals);
    free(borrowed);
    free(last_use);
    return QCC_ERR_NOMEM;
  }
  size_t n_ops = 0;
  qcc_graph_for_each_op(g, op) {
    ++n_ops;
    for (uint32_t i = 0; i < op->num_operands; ++i)
      if (op->operands[i].value)
        last_use[op->operands[i].value->id] = n_ops;
  }
  for (uint32_t i = 0; i < g->num_outputs; ++i)
    last_use[g->outputs[i]->id] = SIZE_MAX;

  qcc_status st = QCC_OK;
  for (uint32_t i = 0; i < g->num_inputs; ++i) {
    const qcc_value *v = g->inputs[i];
    if (!input_matches(v, inputs[i])) {
      qcc_loc loc = v->loc;
      qcc_diag_error(diag, loc, "input '%s' does not match its declared type", v->name);
      st = QCC_ERR_INPUT;
      goto done;
    }
    vals[v->id] = (qcc_tensor *)inputs[i];
    borrowed[v->id] = true;
    if (observe && (st = observe(user, v, inputs[i])) != QCC_OK)
      goto done;
  }

  const qcc_tensor *in_buf[64];
  qcc_tensor *out_buf[64];
  size_t index = 0;
  qcc_graph_for_each_op(g, op) {
    ++index;
    if (op->num_operands > 64 || op->num_results > 64) {
      qcc_diag_error(diag, op->loc, "%s: too many operands or results for the interpreter",
                     op->def->name);
      st = QCC_ERR_INPUT;
      goto done;
    }
    for (uint32_t i = 0; i < op->num_operands; ++i) {
      const qcc_value *v = op->operands[i].value;
      in_buf[i] = v ? vals[v->id] : NULL;
      if (v && !in_buf[i]) {
        qcc_diag_error(diag, op->loc, "%s: operand '%s' has no value", op->def->name, v->name);
        st = QCC_ERR_INPUT;
        goto done;
      }
    }
    st = qcc_interp_eval_op(op, diag, in_buf, out_buf);
    if (st != QCC_OK)
      goto done;
    for (uint32_t r = 0; r < op->num_results; ++r) {
      const qcc_value *v = op->results[r];
      if (observe && out_buf[r] && st == QCC_OK)
        st = observe(user, v, out_buf[r]);
      if (last_use[v->id] == 0) {
        qcc_tensor_free(out_buf[r]);
        continue;
      }
      vals[v->id] = out_buf[r];
    }
    if (st != QCC_OK)
      goto done;
    for (uint32_t i = 0; i < op->num_operands; ++i) {
      const qcc_value *v = op->operands[i].value;
      if (v && last_use[v->id] == index && vals[v->id]) {
        if (!borrowed[v->id])
          qcc_tensor_free(vals[v->id]);
        vals[v->id] = NULL;
      }
    }
  }
  for (uint32_t i = 0; i < g->num_outputs; ++i) {
    const qcc_value *v = g->outputs[i];
    if (!vals[v->id]) {
      qcc_diag_error(diag, v->loc, "graph output '%s' was never computed", v->name);
      st = QCC_ERR_INPUT;
    }
    /* The same value may be listed twice, or be a graph input: hand out private copies. */
    outputs[i] = st == QCC_OK ? copy_tensor(vals[v->id]) : NULL;
    if (!outputs[i]) {
      for (uint32_t j = 0; j < i; ++j) {
        qcc_tensor_free(outputs[j]);
        outputs[j] = NULL;
      }
      if (st == QCC_OK)
        st = QCC_ERR_NOMEM;
      goto done;
    }
  }
done:
  for (uint32_t i = 0; i < nv; ++i)
    if (vals[i] && !borrowed[i])
      qcc_tensor_free(vals[i]);
  free(vals);
  free(borrowed);
  free(last_use);
  return st;
}
