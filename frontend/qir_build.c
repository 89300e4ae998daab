/* Graph builder behind the .qir grammar: resolves names, builds types, constants and ops, and
 * does every semantic check that needs the source location (the verifier re-checks the
 * finished graph). A statement that fails leaves its result names "poisoned" so later uses
 * stay silent instead of repeating the same mistake as new errors. */
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

bool qir_add_input(qir_ctx *ctx, const char *name, qir_loc loc, qcc_type type) {
  if (!check_fresh_name(ctx, name, loc))
    return true;
  qcc_value *v = qcc_graph_add_input(ctx->g, name, type, qir_qcc_loc(ctx, loc));
  if (!v) {
    qir_out_of_memory(ctx);
    return false;
  }
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

bool qir_push_rtype(qir_ctx *ctx, qcc_type type, qir_loc loc) {
  qir_rtype *r = qir_vec_push(ctx, &ctx->rtypes);
  if (!r)
    return false;
  r->type = type;
  r->loc = loc;
  return true;
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

/* ---- constants ----------------------------------------------------------------------------------
 */

static const char *literal_kind_name(int kind) {
  switch (kind) {
  case QIR_LIT_INT: return "an integer";
  case QIR_LIT_FLOAT: return "a float";
  case QIR_LIT_BOOL: return "a boolean";
  default: return "a string";
  }
}

/* Stores one dense element; false after reporting a bad one. */
static bool store_dense(qir_ctx *ctx, qcc_elem elem, const qir_sv *d, qir_loc loc,
                        unsigned char *dst) {
  const char *en = qcc_elem_name(elem);
  switch (elem) {
  case QCC_F32:
  case QCC_F16: {
    if (d->kind == QIR_LIT_BOOL) {
      qir_report_error(ctx, loc, "expected a number for %s, found %s", en,
                       literal_kind_name(d->kind));
      return false;
    }
    float f = d->kind == QIR_LIT_FLOAT ? d->f : (float)d->i;
    if (elem == QCC_F32) {
      memcpy(dst, &f, 4);
      return true;
    }
    uint16_t h = qcc_f32_to_f16(f);
    if (isfinite(f) && isinf(qcc_f16_to_f32(h))) {
      qir_report_error(ctx, loc, "value is out of range for f16");
      return false;
    }
    memcpy(dst, &h, 2);
    return true;
  }
  case QCC_BOOL:
    if (d->kind == QIR_LIT_BOOL || (d->kind == QIR_LIT_INT && (d->i == 0 || d->i == 1))) {
      *dst = d->i ? 1 : 0;
      return true;
    }
    qir_report_error(ctx, loc, "expected true or false for bool, found %s",
                     literal_kind_name(d->kind));
    return false;
  default: {
    if (d->kind != QIR_LIT_INT) {
      qir_report_error(ctx, loc, "expected an integer for %s, found %s", en,
                       literal_kind_name(d->kind));
      return false;
    }
    int64_t lo, hi;
    qcc_elem_int_range(elem, &lo, &hi);
    if (d->i < lo || d->i > hi) {
      qir_report_error(ctx, loc, "value %lld is out of range for %s [%lld, %lld]", (long long)d->i,
                       en, (long long)lo, (long long)hi);
      return false;
    }
    if (elem == QCC_I8 || elem == QCC_U8) {
      *dst = (unsigned char)(d->i & 0xff);
    } else if (elem == QCC_I32) {
      int32_t v = (int32_t)d->i;
      memcpy(dst, &v, 4);
    } else {
      memcpy(dst, &d->i, 8);
    }
    return true;
  }
  }
}

bool qir_push_dense(qir_ctx *ctx, int kind, const qir_sv *tok, qir_loc loc) {
  qir_dense_state *ds = &ctx->dstate;
  if (!ds->started) {
    /* The literal's type was the last one built. */
    qcc_type t = ctx->last_type;
    int64_t numel;
    size_t nbytes;
    ds->started = true;
    ds->valid = !ctx->type_bad && qcc_type_numel(t, &numel) && qcc_type_nbytes(t, &nbytes);
    ds->elem = t.elem;
    ds->numel = ds->valid ? (uint64_t)numel : 0;
  }
  if (ds->valid && !ds->bad && ds->count < ds->numel) {
    size_t es = qcc_elem_size(ds->elem);
    if (!qir_vec_reserve(ctx, &ctx->dense, (ds->count + 1) * es))
      return false;
    qir_sv lit = *tok;
    lit.kind = kind;
    if (!store_dense(ctx, ds->elem, &lit, loc, (unsigned char *)ctx->dense.data + ds->count * es))
      ds->bad = true;
  }
  ds->count++;
  return true;
}

static int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Reads `nbytes` of a side file into *dst (graph arena). The file's real size is checked first,
 * so the allocation is bounded by it whatever the type claims. *dst stays NULL after a
 * reported error; false only when out of memory. */
static bool read_side_file(qir_ctx *ctx, const qir_sv *payload, size_t nbytes,
                           unsigned char **dst) {
  *dst = NULL;
  const char *name = payload->str;
  if (payload->i < 0) {
    qir_report_error(ctx, payload->aux2, "side file offset must be non-negative");
    return true;
  }
  if (!*name) {
    qir_report_error(ctx, payload->aux, "side file name is empty");
    return true;
  }
  char *path;
  if (name[0] == '/' || !ctx->base_dir) {
    path = qcc_arena_strdup(ctx->scratch, name);
  } else {
    size_t a = strlen(ctx->base_dir), b = strlen(name);
    path = qcc_arena_alloc(ctx->scratch, a + b + 2);
    if (path) {
      memcpy(path, ctx->base_dir, a);
      path[a] = '/';
      memcpy(path + a + 1, name, b + 1);
    }
  }
  if (!path) {
    qir_out_of_memory(ctx);
    return false;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    qir_report_error(ctx, payload->aux, "cannot open side file '%s': %s", name, strerror(errno));
    return true;
  }
  struct stat st;
  uint64_t off = (uint64_t)payload->i;
  bool ok = true;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    qir_report_error(ctx, payload->aux, "side file '%s' is not a regular file", name);
  } else if ((uint64_t)st.st_size < off || (uint64_t)st.st_size - off < nbytes) {
    qir_report_error(ctx, payload->aux,
                     "side file '%s' is too short: %zu bytes needed at offset %llu, but the "
                     "file has %lld bytes",
                     name, nbytes, (unsigned long long)off, (long long)st.st_size);
  } else {
    unsigned char *buf = qcc_arena_alloc(ctx->g->arena, nbytes);
    if (!buf) {
      qir_out_of_memory(ctx);
      ok = false;
    } else if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fread(buf, 1, nbytes, f) != nbytes) {
      qir_report_error(ctx, payload->aux, "cannot read side file '%s'", name);
    } else {
      *dst = buf;
    }
  }
  fclose(f);
  return ok;
}

bool qir_make_const(qir_ctx *ctx, qcc_type type, qir_loc type_loc, const qir_sv *payload,
                    qir_loc payload_loc, const qcc_const **out) {
  (void)payload_loc;
  qir_dense_state ds = ctx->dstate;
  memset(&ctx->dstate, 0, sizeof ctx->dstate);
  size_t num_dense = ds.count;
  char tbuf[256];
  int64_t numel;
  size_t nbytes;
  if (ctx->type_bad)
    return true; /* reported at the type */
  if (!qcc_type_is_static(type)) {
    qir_report_error(ctx, type_loc, "constant type must have a static shape");
    return true;
  }
  if (!qcc_type_numel(type, &numel))
    return true; /* the overflow was reported at the type */
  if (!qcc_type_nbytes(type, &nbytes)) {
    qir_report_error(ctx, type_loc, "constant is too large");
    return true;
  }
  unsigned char *data = NULL;
  /* Every size is checked against the literal (or side file) before allocating. */
  if (payload->kind == QIR_PAYLOAD_DENSE) {
    if ((uint64_t)numel != num_dense) {
      qcc_type_format(type, tbuf, sizeof tbuf);
      qir_report_error(ctx, payload->aux, "dense literal has %zu element%s but type %s has %lld",
                       num_dense, num_dense == 1 ? "" : "s", tbuf, (long long)numel);
      return true;
    }
    if (!(data = qcc_arena_alloc(ctx->g->arena, nbytes))) {
      qir_out_of_memory(ctx);
      return false;
    }
    if (ds.bad)
      return true; /* reported at the element */
    if (nbytes)
      memcpy(data, ctx->dense.data, nbytes);
  } else if (payload->kind == QIR_PAYLOAD_HEX) {
    size_t digits = payload->len;
    if (digits % 2 != 0) {
      qir_report_error(ctx, payload->aux, "hex literal has an odd number of digits (%zu)", digits);
      return true;
    }
    if (digits / 2 != nbytes) {
      qcc_type_format(type, tbuf, sizeof tbuf);
      qir_report_error(ctx, payload->aux, "hex literal has %zu bytes but type %s needs %zu",
                       digits / 2, tbuf, nbytes);
      return true;
    }
    if (!(data = qcc_arena_alloc(ctx->g->arena, nbytes))) {
      qir_out_of_memory(ctx);
      return false;
    }
    const unsigned char *s = (const unsigned char *)payload->str;
    /* Digit columns are exact when the literal has no escapes (source text = 2 + digits). */
    bool exact = payload->aux.last_offset - payload->aux.first_offset == digits + 2 &&
                 payload->aux.first_line == payload->aux.last_line;
    for (size_t i = 0; i < digits; i += 2) {
      int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
      if (hi < 0 || lo < 0) {
        size_t bad = hi < 0 ? i : i + 1;
        qir_loc at = payload->aux;
        if (exact)
          at.first_column += (int)(bad + 1);
        char shown[8];
        if (s[bad] >= 0x20 && s[bad] < 0x7f)
          snprintf(shown, sizeof shown, "'%c'", s[bad]);
        else
          snprintf(shown, sizeof shown, "0x%02x", s[bad]);
        qir_report_error(ctx, at, "invalid hex digit %s in hex literal", shown);
        return true;
      }
      data[i / 2] = (unsigned char)(hi << 4 | lo);
    }
  } else {
    if (!read_side_file(ctx, payload, nbytes, &data))
      return false;
    if (!data)
      return true;
  }
  qcc_const *k = qcc_arena_alloc(ctx->g->arena, sizeof(*k));
  if (!k) {
    qir_out_of_memory(ctx);
    return false;
  }
  k->type = type;
  k->data = data;
  k->nbytes = nbytes;
  if (payload->kind == QIR_PAYLOAD_FILE) {
    if (!(k->file = qcc_arena_strdup(ctx->g->arena, payload->str))) {
      qir_out_of_memory(ctx);
      return false;
    }
    k->offset = (uint64_t)payload->i;
  }
  *out = k;
  return true;
}

/* ---- attributes ---------------------------------------------------------------------------------
 */

static qcc_attr *push_attr(qir_ctx *ctx, const char *name) {
  const char *copy = qcc_arena_strdup(ctx->g->arena, name);
  qcc_attr *a = copy ? qir_vec_push(ctx, &ctx->attrs) : NULL;
  if (!copy)
    qir_out_of_memory(ctx);
  if (a)
    a->name = copy;
  return a;
}

bool qir_push_attr_scalar(qir_ctx *ctx, const char *name, int kind, const qir_sv *val) {
  qcc_attr *a = push_attr(ctx, name);
  if (!a)
    return false;
  if (kind == QIR_LIT_INT) {
    a->kind = QCC_ATTR_INT;
    a->i = val->i;
  } else if (kind == QIR_LIT_FLOAT) {
    a->kind = QCC_ATTR_FLOAT;
    a->f = val->f;
  } else {
    a->kind = QCC_ATTR_STRING;
    if (!(a->s = qcc_arena_strdup(ctx->g->arena, val->str))) {
      qir_out_of_memory(ctx);
      return false;
    }
  }
  return true;
}

bool qir_push_list_item(qir_ctx *ctx, int kind, const qir_sv *tok, qir_loc loc) {
  qir_list_item *it = qir_vec_push(ctx, &ctx->list);
  if (!it)
    return false;
  it->kind = kind;
  it->i = tok->i;
  it->f = tok->f;
  it->s = tok->str;
  it->loc = loc;
  return true;
}

bool qir_push_attr_list(qir_ctx *ctx, const char *name, qir_loc loc) {
  size_t n = ctx->list.n;
  ctx->list.n = 0;
  const qir_list_item *items = ctx->list.data;
  bool any_float = false, any_string = false, any_number = false;
  for (size_t i = 0; i < n; ++i) {
    any_float |= items[i].kind == QIR_LIT_FLOAT;
    any_string |= items[i].kind == QIR_LIT_STRING;
    any_number |= items[i].kind != QIR_LIT_STRING;
  }
  if (any_string && any_number) {
    qir_report_error(ctx, loc, "attribute list mixes strings and numbers");
    return true;
  }
  if (n > UINT32_MAX) {
    qir_report_error(ctx, loc, "attribute list is too long");
    return true;
  }
  qcc_attr *a = push_attr(ctx, name);
  if (!a)
    return false;
  qcc_arena *ar = ctx->g->arena;
  uint32_t cnt = (uint32_t)n;
  if (any_string) {
    const char **v = qcc_arena_alloc_array(ar, n ? n : 1, sizeof(char *));
    if (!v)
      goto oom;
    for (size_t i = 0; i < n; ++i)
      if (!(v[i] = qcc_arena_strdup(ar, items[i].s)))
        goto oom;
    a->kind = QCC_ATTR_STRINGS;
    a->strings.v = v;
    a->strings.n = cnt;
  } else if (any_float) {
    float *v = qcc_arena_alloc_array(ar, n ? n : 1, sizeof(float));
    if (!v)
      goto oom;
    for (size_t i = 0; i < n; ++i)
      v[i] = items[i].kind == QIR_LIT_FLOAT ? items[i].f : (float)items[i].i;
    a->kind = QCC_ATTR_FLOATS;
    a->floats.v = v;
    a->floats.n = cnt;
  } else {
    int64_t *v = qcc_arena_alloc_array(ar, n ? n : 1, sizeof(int64_t));
    if (!v)
      goto oom;
    for (size_t i = 0; i < n; ++i)
      v[i] = items[i].i;
    a->kind = QCC_ATTR_INTS;
    a->ints.v = v;
    a->ints.n = cnt;
  }
  return true;
oom:
  qir_out_of_memory(ctx);
  return false;
}

bool qir_push_attr_tensor(qir_ctx *ctx, const char *name, const qcc_const *k) {
  if (!k)
    return true; /* the payload error was reported */
  qcc_attr *a = push_attr(ctx, name);
  if (!a)
    return false;
  a->kind = QCC_ATTR_TENSOR;
  a->tensor = k;
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
  for (size_t i = 0; i < nres; ++i)
    op->results[i]->loc = qir_qcc_loc(ctx, res[i].loc);

  bool ok;
  if (!has_types) {
    ok = qcc_infer_op_types(op, ctx->diag) == QCC_OK;
  } else {
    qcc_type inferred[MAX_RESULTS];
    ok = qcc_op_infer(op, ctx->scratch, ctx->diag, inferred) == QCC_OK;
    for (size_t i = 0; ok && i < nres; ++i) {
      qcc_value *v = op->results[i];
      if (v->type.quant &&
          qcc_verify_quant(v->type, qir_qcc_loc(ctx, rt[i].loc), ctx->diag) != QCC_OK) {
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
