/* Literals of the .qir grammar: dense and hex constant payloads (inline or in a side file)
 * and attribute values, checked against their declared types with source locations. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/qir_internal.h"
#include "ir/tensor.h"

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
