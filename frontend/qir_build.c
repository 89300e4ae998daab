/* Graph builder behind the .qir grammar: resolves names, builds types, constants and ops, and
 * does every semantic check that needs the source location (the verifier re-checks the
 * finished graph). A statement that fails leaves its result names "poisoned" so later uses
 * stay silent instead of repeating the same mistake as new errors. Constant payloads and
 * attribute values are read in qir_literals.c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/qir_internal.h"
#include "ir/hash.h"
#include "ir/op_registry.h"
#include "ir/tensor.h"
#include "ir/verifier.h"

enum { MAX_RESULTS = 64 }; /* what qcc_infer_op_types supports */

/* ---- vectors and diagnostics ------------------------------------------------------------------
 */

bool qir_vec_reserve(qir_ctx *ctx, qir_vec *v, size_t n) {
  if (n <= v->cap)
    return true;
  size_t cap = v->cap ? v->cap : 16;
  while (cap < n) {
    if (cap > SIZE_MAX / 2 / v->elem_size) {
      qir_out_of_memory(ctx);
      return false;
    }
    cap *= 2;
  }
  void *p = realloc(v->data, cap * v->elem_size);
  if (!p) {
    qir_out_of_memory(ctx);
    return false;
  }
  v->data = p;
  v->cap = cap;
  return true;
}

void *qir_vec_push(qir_ctx *ctx, qir_vec *v) {
  if (!qir_vec_reserve(ctx, v, v->n + 1))
    return NULL;
  void *slot = (char *)v->data + v->n * v->elem_size;
  memset(slot, 0, v->elem_size);
  v->n++;
  return slot;
}

void qir_vec_free(qir_vec *v) {
  free(v->data);
  v->data = NULL;
  v->n = v->cap = 0;
}

qcc_loc qir_qcc_loc(const qir_ctx *ctx, qir_loc loc) {
  return (qcc_loc){.file = ctx->file,
                   .node = NULL,
                   .line = (uint32_t)loc.first_line,
                   .col = (uint32_t)loc.first_column};
}

void qir_report_error(qir_ctx *ctx, qir_loc loc, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  qcc_diag_error(ctx->diag, qir_qcc_loc(ctx, loc), "%s", msg);
}

void qir_report_note(qir_ctx *ctx, qir_loc loc, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  qcc_diag_note(ctx->diag, qir_qcc_loc(ctx, loc), "%s", msg);
}

void qir_out_of_memory(qir_ctx *ctx) {
  if (!ctx->oom)
    qcc_diag_error(ctx->diag, (qcc_loc){.file = ctx->file}, "out of memory");
  ctx->oom = true;
}

static bool is_bare_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '$' || c == '/' || c == '-';
}

/* "%name" or "%\"quoted name\"" as the source would spell it, shortened for messages. */
static const char *spell_name(char *buf, size_t cap, char sigil, const char *name) {
  bool bare = *name != '\0';
  for (const char *p = name; *p && bare; ++p)
    bare = is_bare_char((unsigned char)*p);
  size_t o = 0;
  buf[o++] = sigil;
  if (!bare)
    buf[o++] = '"';
  for (const unsigned char *p = (const unsigned char *)name; *p && o + 8 < cap; ++p) {
    if (*p == '"' || *p == '\\') {
      buf[o++] = '\\';
      buf[o++] = (char)*p;
    } else if (*p < 0x20 || *p == 0x7f) {
      o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", *p);
    } else {
      buf[o++] = (char)*p;
    }
  }
  if (!bare)
    buf[o++] = '"';
  buf[o] = '\0';
  return buf;
}

/* ---- poisoned names and values ----------------------------------------------------------------
 */

static bool name_poisoned(const qir_ctx *ctx, const char *name) {
  if (!ctx->poison_cap)
    return false;
  size_t mask = ctx->poison_cap - 1;
  for (size_t i = qcc_hash_str(name) & mask; ctx->poison[i]; i = (i + 1) & mask)
    if (strcmp(ctx->poison[i], name) == 0)
      return true;
  return false;
}

static bool poison_name(qir_ctx *ctx, const char *name) {
  if (name_poisoned(ctx, name))
    return true;
  if ((ctx->poison_count + 1) * 2 > ctx->poison_cap) {
    size_t cap = ctx->poison_cap ? ctx->poison_cap * 2 : 64;
    const char **slots = calloc(cap, sizeof(*slots));
    if (!slots) {
      qir_out_of_memory(ctx);
      return false;
    }
    for (size_t i = 0; i < ctx->poison_cap; ++i) {
      const char *s = ctx->poison[i];
      if (!s)
        continue;
      size_t j = qcc_hash_str(s) & (cap - 1);
      while (slots[j])
        j = (j + 1) & (cap - 1);
      slots[j] = s;
    }
    free(ctx->poison);
    ctx->poison = slots;
    ctx->poison_cap = cap;
  }
  const char *copy = qcc_arena_strdup(ctx->scratch, name);
  if (!copy) {
    qir_out_of_memory(ctx);
    return false;
  }
  size_t j = qcc_hash_str(copy) & (ctx->poison_cap - 1);
  while (ctx->poison[j])
    j = (j + 1) & (ctx->poison_cap - 1);
  ctx->poison[j] = copy;
  ctx->poison_count++;
  return true;
}

static bool value_poisoned(const qir_ctx *ctx, const qcc_value *v) {
  return v->id < ctx->poisoned_cap && ctx->poisoned_ids[v->id];
}

static bool poison_value(qir_ctx *ctx, const qcc_value *v) {
  if (v->id >= ctx->poisoned_cap) {
    size_t cap = ctx->poisoned_cap ? ctx->poisoned_cap : 64;
    while (cap <= v->id)
      cap *= 2;
    bool *p = realloc(ctx->poisoned_ids, cap * sizeof(bool));
    if (!p) {
      qir_out_of_memory(ctx);
      return false;
    }
    memset(p + ctx->poisoned_cap, 0, (cap - ctx->poisoned_cap) * sizeof(bool));
    ctx->poisoned_ids = p;
    ctx->poisoned_cap = cap;
  }
  ctx->poisoned_ids[v->id] = true;
  return true;
}

/* ---- statements ---------------------------------------------------------------------------------
 */

void qir_stmt_reset(qir_ctx *ctx) {
  ctx->results.n = ctx->operands.n = ctx->attrs.n = ctx->rtypes.n = 0;
  ctx->dims.n = ctx->qpairs.n = ctx->dense.n = ctx->list.n = 0;
  memset(&ctx->dstate, 0, sizeof ctx->dstate);
  ctx->stmt_bad = ctx->dims_bad = false;
}

bool qir_set_graph_name(qir_ctx *ctx, const char *name) {
  const char *copy = qcc_arena_strdup(ctx->g->arena, name);
  if (!copy) {
    qir_out_of_memory(ctx);
    return false;
  }
  ctx->g->name = copy;
  return true;
}

/* Reports a second definition of `name`; true when the name is free. */
static bool check_fresh_name(qir_ctx *ctx, const char *name, qir_loc loc) {
  const qcc_value *old = qcc_graph_lookup(ctx->g, name);
  if (!old)
    return true;
  char buf[160];
  spell_name(buf, sizeof buf, '%', name);
  qir_report_error(ctx, loc, "redefinition of value '%s'", buf);
  qcc_diag_note(ctx->diag, old->loc, "previous definition of '%s' is here", buf);
  return false;
}

static void verify_quant_at(qir_ctx *ctx, qcc_type t, qir_loc loc, const qcc_value *v) {
  if (t.quant && qcc_verify_quant(t, qir_qcc_loc(ctx, loc), ctx->diag) != QCC_OK && v)
    poison_value(ctx, v);
}

bool qir_add_input(qir_ctx *ctx, const char *name, qir_loc loc, qcc_type type, qcc_layout layout) {
  if (!check_fresh_name(ctx, name, loc))
    return true;
  qcc_value *v = qcc_graph_add_input(ctx->g, name, type, qir_qcc_loc(ctx, loc));
  if (!v) {
    qir_out_of_memory(ctx);
    return false;
  }
  v->layout = layout;
  verify_quant_at(ctx, type, loc, v);
  return true;
}

bool qir_push_result(qir_ctx *ctx, const char *name, qir_loc loc) {
  qir_named *r = qir_vec_push(ctx, &ctx->results);
  if (!r)
    return false;
  r->name = name;
  r->loc = loc;
  return true;
}

/* Resolves a use; NULL (with stmt_bad set) when undefined or poisoned. */
static qcc_value *resolve_use(qir_ctx *ctx, const char *name, qir_loc loc) {
  qcc_value *v = qcc_graph_lookup(ctx->g, name);
  if (v && !value_poisoned(ctx, v))
    return v;
  ctx->stmt_bad = true;
  if (!v && !name_poisoned(ctx, name)) {
    char buf[160];
    qir_report_error(ctx, loc, "use of undefined value '%s'",
                     spell_name(buf, sizeof buf, '%', name));
    poison_name(ctx, name); /* one report per name */
  }
  return NULL;
}

bool qir_push_operand(qir_ctx *ctx, const char *name, qir_loc loc) {
  qcc_value *v = name ? resolve_use(ctx, name, loc) : NULL;
  qir_operand *o = qir_vec_push(ctx, &ctx->operands);
  if (!o)
    return false;
  o->value = v;
  return true;
}

bool qir_push_rtype(qir_ctx *ctx, qcc_type type, qcc_layout layout, qir_loc loc) {
  qir_rtype *r = qir_vec_push(ctx, &ctx->rtypes);
  if (!r)
    return false;
  r->type = type;
  r->layout = layout;
  r->loc = loc;
  return true;
}

void qir_check_layout(qir_ctx *ctx, qir_sv *t, const char *name, qir_loc name_loc,
                      qir_loc brace_loc) {
  qcc_layout l;
  if (!qcc_layout_from_name(name, strlen(name), &l)) {
    qir_report_error(ctx, name_loc, "unknown layout '%s' (expected 'nhwc' or 'row_major')", name);
    return;
  }
  if (!qcc_layout_fits(l, t->type)) {
    char have[256];
    qcc_type_format(t->type, have, sizeof have);
    qir_report_error(ctx, brace_loc, "layout '%s' needs a rank-4 type, not %s", name, have);
    return;
  }
  t->layout = l;
}

/* ---- types -------------------------------------------------------------------------------------
 */

bool qir_push_dim(qir_ctx *ctx, qir_sv *tok, int tok_kind, qir_loc loc) {
  qcc_dim *d = qir_vec_push(ctx, &ctx->dims);
  if (!d)
    return false;
  d->size = -1;
  if (tok_kind == QIR_DIM_STATIC) {
    if (tok->i < 0) {
      qir_report_error(ctx, loc, "dimension must be non-negative, got %lld", (long long)tok->i);
      ctx->dims_bad = true;
    } else
      d->size = tok->i;
  } else if (tok_kind == QIR_DIM_SYMBOL) {
    if (!(d->sym = qcc_arena_strdup(ctx->g->arena, tok->str))) {
      qir_out_of_memory(ctx);
      return false;
    }
  }
  return true;
}

bool qir_make_type(qir_ctx *ctx, const char *elem_name, qir_loc elem_loc, bool unranked,
                   qir_loc shape_loc, const qcc_quant *quant, qcc_type *out) {
  size_t rank = ctx->dims.n;
  ctx->dims.n = 0;
  ctx->type_bad = ctx->dims_bad;
  ctx->dims_bad = false;
  qcc_elem elem = QCC_F32;
  if (!qcc_elem_from_name(elem_name, strlen(elem_name), &elem)) {
    qir_report_error(ctx, elem_loc, "unknown element type '%s'", elem_name);
    ctx->type_bad = true;
    quant = NULL;
  } else if (quant && !qcc_elem_is_quantizable(elem)) {
    qir_report_error(ctx, elem_loc, "quantized type must be stored as i8, u8 or i32, not %s",
                     elem_name);
    ctx->type_bad = true;
    quant = NULL;
  }
  if (unranked) {
    *out = qcc_type_unranked(elem);
    out->quant = quant;
    ctx->last_type = *out;
    return true;
  }
  if (rank > QCC_MAX_RANK) {
    qir_report_error(ctx, shape_loc, "rank %zu exceeds the maximum rank %d", rank, QCC_MAX_RANK);
    ctx->type_bad = true;
    *out = qcc_type_unranked(elem);
    ctx->last_type = *out;
    return true;
  }
  const qcc_dim *src = ctx->dims.data;
  int64_t numel = 1;
  for (size_t i = 0; i < rank; ++i) {
    int64_t s = src[i].size;
    if (s > 0 && numel > INT64_MAX / s) {
      qir_report_error(ctx, shape_loc, "dimension product overflows int64");
      ctx->type_bad = true;
      break;
    }
    if (s >= 0)
      numel *= s;
  }
  qcc_dim *dims = NULL;
  if (rank) {
    dims = qcc_arena_memdup(ctx->g->arena, src, rank * sizeof(qcc_dim));
    if (!dims) {
      qir_out_of_memory(ctx);
      return false;
    }
  }
  *out = qcc_type_make(elem, (int32_t)rank, dims);
  out->quant = quant;
  ctx->last_type = *out;
  return true;
}

bool qir_push_qpair(qir_ctx *ctx, const qir_sv *scale, const qir_sv *zp, qir_loc zp_loc) {
  qir_qpair *p = qir_vec_push(ctx, &ctx->qpairs);
  if (!p)
    return false;
  p->scale = scale->kind == QIR_LIT_FLOAT ? scale->f : (float)scale->i;
  if (zp->i < INT32_MIN || zp->i > INT32_MAX)
    qir_report_error(ctx, zp_loc, "zero point %lld is out of int32 range", (long long)zp->i);
  else
    p->zero_point = (int32_t)zp->i;
  return true;
}

bool qir_make_quant(qir_ctx *ctx, bool per_axis, const qir_sv *axis, qir_loc axis_loc,
                    const qcc_quant **out) {
  size_t n = ctx->qpairs.n;
  ctx->qpairs.n = 0;
  *out = NULL;
  int32_t ax = QCC_PER_TENSOR;
  if (per_axis) {
    if (axis->i < 0 || axis->i >= QCC_MAX_RANK) {
      qir_report_error(ctx, axis_loc, "quantization axis %lld is out of range [0, %d)",
                       (long long)axis->i, QCC_MAX_RANK);
      return true;
    }
    ax = (int32_t)axis->i;
  }
  if (n > UINT32_MAX) {
    qir_report_error(ctx, axis_loc, "too many quantization parameters");
    return true;
  }
  qcc_quant *q = qcc_arena_alloc(ctx->g->arena, sizeof(*q));
  float *scales = qcc_arena_alloc_array(ctx->g->arena, n, sizeof(float));
  int32_t *zps = qcc_arena_alloc_array(ctx->g->arena, n, sizeof(int32_t));
  if (!q || !scales || !zps) {
    qir_out_of_memory(ctx);
    return false;
  }
  const qir_qpair *pairs = ctx->qpairs.data;
  for (size_t i = 0; i < n; ++i) {
    scales[i] = pairs[i].scale;
    zps[i] = pairs[i].zero_point;
  }
  q->axis = ax;
  q->count = (uint32_t)n;
  q->scales = scales;
  q->zero_points = zps;
  *out = q;
  return true;
}

/* ---- ops ----------------------------------------------------------------------------------------
 */

/* Checks the statement's result names: fresh, and distinct from each other. */
static bool check_result_names(qir_ctx *ctx) {
  const qir_named *res = ctx->results.data;
  size_t n = ctx->results.n;
  bool ok = true;
  for (size_t i = 0; i < n; ++i) {
    if (!check_fresh_name(ctx, res[i].name, res[i].loc)) {
      ok = false;
      continue;
    }
    /* Results are few (at most MAX_RESULTS reach here), so a quadratic scan is fine. */
    for (size_t j = 0; j < i && j < MAX_RESULTS; ++j) {
      if (strcmp(res[j].name, res[i].name) == 0) {
        char buf[160];
        spell_name(buf, sizeof buf, '%', res[i].name);
        qir_report_error(ctx, res[i].loc, "redefinition of value '%s'", buf);
        qir_report_note(ctx, res[j].loc, "previous definition of '%s' is here", buf);
        ok = false;
        break;
      }
    }
  }
  return ok;
}

static bool poison_results(qir_ctx *ctx) {
  const qir_named *res = ctx->results.data;
  for (size_t i = 0; i < ctx->results.n; ++i)
    if (!qcc_graph_lookup(ctx->g, res[i].name) && !poison_name(ctx, res[i].name))
      return false;
  return true;
}

bool qir_poison_pending(qir_ctx *ctx) { return poison_results(ctx); }

void qir_check_not_after_return(qir_ctx *ctx, qir_loc loc) {
  if (ctx->returned && !ctx->reported_after_return) {
    qir_report_error(ctx, loc, "statement after 'return'");
    ctx->reported_after_return = true;
  }
}

bool qir_build_op(qir_ctx *ctx, const char *op_name, qir_loc op_loc, const char *node_name,
                  bool has_types, qir_loc types_loc) {
  size_t nres = ctx->results.n;
  bool bad = ctx->stmt_bad;
  const qcc_op_def *def = qcc_op_lookup_n(op_name, strlen(op_name));
  if (!def) {
    qir_report_error(ctx, op_loc, "unknown op '%s'", op_name);
    bad = true;
  } else if (def->kind == QCC_OP_Constant) {
    qir_report_error(ctx, op_loc,
                     "constants are written '%%name = const TYPE dense<[...]>', not "
                     "as a 'Constant' op");
    bad = true;
  }
  if (!check_result_names(ctx))
    bad = true;
  if (nres > MAX_RESULTS) {
    qir_report_error(ctx, op_loc, "too many results (%zu, at most %d)", nres, MAX_RESULTS);
    bad = true;
  } else if (has_types && ctx->rtypes.n != nres) {
    qir_report_error(ctx, types_loc, "%zu result type%s given for %zu result%s", ctx->rtypes.n,
                     ctx->rtypes.n == 1 ? "" : "s", nres, nres == 1 ? "" : "s");
    bad = true;
  }
  if (ctx->operands.n > UINT32_MAX) {
    qir_report_error(ctx, op_loc, "too many operands");
    bad = true;
  }
  if (bad)
    return poison_results(ctx);

  const qir_named *res = ctx->results.data;
  const qir_rtype *rt = ctx->rtypes.data;
  const char *names[MAX_RESULTS];
  qcc_type types[MAX_RESULTS];
  for (size_t i = 0; i < nres; ++i) {
    names[i] = res[i].name;
    if (has_types)
      types[i] = rt[i].type;
  }
  qcc_op_spec spec = {.def = def,
                      .node_name = node_name,
                      .loc = qir_qcc_loc(ctx, op_loc),
                      .num_operands = (uint32_t)ctx->operands.n,
                      .operands = (qcc_value *const *)ctx->operands.data,
                      .num_results = (uint32_t)nres,
                      .result_names = names,
                      .result_types = has_types ? types : NULL,
                      .num_attrs = (uint32_t)ctx->attrs.n,
                      .attrs = ctx->attrs.data};
  _Static_assert(sizeof(qir_operand) == sizeof(qcc_value *), "operand slots are value pointers");
  qcc_op *op = qcc_op_create(ctx->g, &spec, NULL);
  if (!op) {
    qir_out_of_memory(ctx);
    return false;
  }
  for (size_t i = 0; i < nres; ++i) {
    op->results[i]->loc = qir_qcc_loc(ctx, res[i].loc);
    if (has_types)
      op->results[i]->layout = rt[i].layout;
  }

  bool ok;
  qcc_layout target;
  if (!has_types) {
    ok = qcc_infer_op_types(op, ctx->diag) == QCC_OK;
    /* Without a written type a Relayout's result takes the layout it converts to. */
    if (ok && qcc_op_is(op, QCC_OP_Relayout) && qcc_relayout_target(op, &target))
      op->results[0]->layout = target;
  } else {
    qcc_type inferred[MAX_RESULTS];
    ok = qcc_op_infer(op, ctx->scratch, ctx->diag, inferred) == QCC_OK;
    for (size_t i = 0; ok && i < nres; ++i) {
      qcc_value *v = op->results[i];
      if (v->type.quant &&
          qcc_verify_quant(v->type, qir_qcc_loc(ctx, rt[i].loc), ctx->diag) != QCC_OK) {
        ok = false;
      } else if (qcc_op_is(op, QCC_OP_Relayout) && qcc_relayout_target(op, &target) &&
                 v->layout != target) {
        qir_report_error(ctx, rt[i].loc,
                         "Relayout: result '%s' declared as %s but the op converts to %s", v->name,
                         qcc_layout_name(v->layout), qcc_layout_name(target));
        ok = false;
      } else if (!qcc_type_refines(v->type, inferred[i])) {
        char have[256], want[256], vn[160];
        qcc_type_format(v->type, have, sizeof have);
        qcc_type_format(inferred[i], want, sizeof want);
        spell_name(vn, sizeof vn, '%', v->name);
        qir_report_error(ctx, rt[i].loc, "%s: result '%s' declared as %s but the op produces %s",
                         def->name, v->name, have, want);
        ok = false;
      }
    }
  }
  if (!ok)
    for (size_t i = 0; i < nres; ++i)
      if (!poison_value(ctx, op->results[i]))
        return false;
  return true;
}

bool qir_build_const(qir_ctx *ctx, qir_loc const_loc, const qcc_const *k) {
  const qir_named *res = ctx->results.data;
  if (ctx->results.n != 1) {
    qir_report_error(ctx, res[1].loc, "'const' defines exactly one value");
    return poison_results(ctx);
  }
  if (!check_fresh_name(ctx, res[0].name, res[0].loc))
    return true;
  if (!k || ctx->stmt_bad)
    return poison_results(ctx);
  qcc_op *op = qcc_const_create(ctx->g, res[0].name, k, qir_qcc_loc(ctx, const_loc), NULL);
  if (!op) {
    qir_out_of_memory(ctx);
    return false;
  }
  qcc_value *v = op->results[0];
  v->loc = qir_qcc_loc(ctx, res[0].loc);
  verify_quant_at(ctx, k->type, res[0].loc, v);
  return true;
}

void qir_note_return(qir_ctx *ctx, qir_loc loc) {
  qir_check_not_after_return(ctx, loc);
  ctx->returned = true;
}

bool qir_add_output(qir_ctx *ctx, const char *name, qir_loc loc) {
  qcc_value *v = resolve_use(ctx, name, loc);
  if (v && !qcc_graph_add_output(ctx->g, v)) {
    qir_out_of_memory(ctx);
    return false;
  }
  return true;
}

void qir_finish_graph(qir_ctx *ctx, qir_loc close_loc) {
  if (!ctx->returned)
    qir_report_error(ctx, close_loc, "graph has no 'return' statement");
}
