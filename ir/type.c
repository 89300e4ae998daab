#include "ir/type.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  size_t size;
} elem_info[QCC_ELEM_COUNT] = {
    [QCC_F32] = {"f32", 4}, [QCC_F16] = {"f16", 2}, [QCC_I8] = {"i8", 1},     [QCC_U8] = {"u8", 1},
    [QCC_I32] = {"i32", 4}, [QCC_I64] = {"i64", 8}, [QCC_BOOL] = {"bool", 1},
};

const char *qcc_elem_name(qcc_elem e) { return e < QCC_ELEM_COUNT ? elem_info[e].name : "?"; }

bool qcc_elem_from_name(const char *name, size_t len, qcc_elem *out) {
  for (int e = 0; e < QCC_ELEM_COUNT; ++e) {
    if (strlen(elem_info[e].name) == len && memcmp(elem_info[e].name, name, len) == 0) {
      *out = (qcc_elem)e;
      return true;
    }
  }
  return false;
}

size_t qcc_elem_size(qcc_elem e) { return e < QCC_ELEM_COUNT ? elem_info[e].size : 0; }

bool qcc_elem_is_int(qcc_elem e) {
  return e == QCC_I8 || e == QCC_U8 || e == QCC_I32 || e == QCC_I64;
}

bool qcc_elem_is_quantizable(qcc_elem e) { return e == QCC_I8 || e == QCC_U8 || e == QCC_I32; }

void qcc_elem_int_range(qcc_elem e, int64_t *lo, int64_t *hi) {
  switch (e) {
  case QCC_I8:
    *lo = INT8_MIN;
    *hi = INT8_MAX;
    break;
  case QCC_U8:
    *lo = 0;
    *hi = UINT8_MAX;
    break;
  case QCC_I32:
    *lo = INT32_MIN;
    *hi = INT32_MAX;
    break;
  case QCC_BOOL:
    *lo = 0;
    *hi = 1;
    break;
  default:
    *lo = INT64_MIN;
    *hi = INT64_MAX;
    break;
  }
}

qcc_type qcc_type_make(qcc_elem elem, int32_t rank, const qcc_dim *dims) {
  return (qcc_type){.elem = elem, .rank = rank, .dims = dims, .quant = NULL};
}

bool qcc_type_make_static(qcc_arena *a, qcc_elem elem, int32_t rank, const int64_t *sizes,
                          qcc_type *out) {
  qcc_dim *dims = NULL;
  if (rank > 0) {
    dims = qcc_arena_alloc_array(a, (size_t)rank, sizeof(qcc_dim));
    if (!dims)
      return false;
    for (int32_t i = 0; i < rank; ++i)
      dims[i].size = sizes[i];
  }
  *out = qcc_type_make(elem, rank, dims);
  return true;
}

qcc_type qcc_type_unranked(qcc_elem elem) { return qcc_type_make(elem, QCC_RANK_UNKNOWN, NULL); }

bool qcc_dim_is_static(qcc_dim d) { return d.size >= 0; }

bool qcc_dim_equal(qcc_dim a, qcc_dim b) {
  if (a.size >= 0 || b.size >= 0)
    return a.size == b.size;
  if (a.sym && b.sym)
    return strcmp(a.sym, b.sym) == 0;
  return !a.sym && !b.sym;
}

bool qcc_type_is_static(qcc_type t) {
  if (t.rank < 0)
    return false;
  for (int32_t i = 0; i < t.rank; ++i)
    if (t.dims[i].size < 0)
      return false;
  return true;
}

bool qcc_quant_equal(const qcc_quant *a, const qcc_quant *b) {
  if (!a || !b)
    return a == b;
  if (a->axis != b->axis || a->count != b->count)
    return false;
  for (uint32_t i = 0; i < a->count; ++i) {
    if (memcmp(&a->scales[i], &b->scales[i], sizeof(float)) != 0 ||
        a->zero_points[i] != b->zero_points[i])
      return false;
  }
  return true;
}

bool qcc_type_equal(qcc_type a, qcc_type b) {
  if (a.elem != b.elem || a.rank != b.rank || !qcc_quant_equal(a.quant, b.quant))
    return false;
  for (int32_t i = 0; i < a.rank; ++i)
    if (!qcc_dim_equal(a.dims[i], b.dims[i]))
      return false;
  return true;
}

bool qcc_type_compatible(qcc_type a, qcc_type b) {
  if (a.elem != b.elem)
    return false;
  if (a.rank < 0 || b.rank < 0)
    return true;
  if (a.rank != b.rank)
    return false;
  for (int32_t i = 0; i < a.rank; ++i) {
    qcc_dim x = a.dims[i], y = b.dims[i];
    if (x.size >= 0 && y.size >= 0 && x.size != y.size)
      return false;
  }
  return true;
}

bool qcc_type_refines(qcc_type declared, qcc_type inferred) {
  if (declared.elem != inferred.elem)
    return false;
  if (inferred.rank < 0)
    return true;
  if (declared.rank != inferred.rank)
    return false;
  for (int32_t i = 0; i < inferred.rank; ++i) {
    qcc_dim w = inferred.dims[i], h = declared.dims[i];
    if (w.size >= 0 && h.size != w.size)
      return false;
    if (w.size < 0 && w.sym && h.size < 0 && h.sym && strcmp(w.sym, h.sym) != 0)
      return false;
  }
  return true;
}

bool qcc_shape_numel(const int64_t *dims, int32_t rank, int64_t *numel) {
  int64_t n = 1;
  for (int32_t i = 0; i < rank; ++i) {
    if (dims[i] < 0)
      return false;
    if (dims[i] != 0 && n > INT64_MAX / dims[i])
      return false;
    n *= dims[i];
  }
  *numel = n;
  return true;
}

bool qcc_type_numel(qcc_type t, int64_t *numel) {
  if (!qcc_type_is_static(t))
    return false;
  int64_t sizes[QCC_MAX_RANK];
  for (int32_t i = 0; i < t.rank; ++i)
    sizes[i] = t.dims[i].size;
  return qcc_shape_numel(sizes, t.rank, numel);
}

bool qcc_type_nbytes(qcc_type t, size_t *nbytes) {
  int64_t n;
  if (!qcc_type_numel(t, &n))
    return false;
  size_t es = qcc_elem_size(t.elem);
  if ((uint64_t)n > SIZE_MAX / es)
    return false;
  *nbytes = (size_t)n * es;
  return true;
}

void qcc_format_float(float v, char *buf) {
  if (isnan(v)) {
    strcpy(buf, "nan");
    return;
  }
  if (isinf(v)) {
    strcpy(buf, v < 0 ? "-inf" : "inf");
    return;
  }
  for (int prec = 1; prec <= 9; ++prec) {
    snprintf(buf, 32, "%.*g", prec, (double)v);
    if (strtof(buf, NULL) == v)
      break;
  }
  if (!strpbrk(buf, ".en"))
    strcat(buf, ".0");
}

void qcc_type_print(FILE *out, qcc_type t) {
  const qcc_quant *q = t.quant;
  if (q) {
    char buf[32];
    fprintf(out, "!q<%s", qcc_elem_name(t.elem));
    if (q->axis == QCC_PER_TENSOR) {
      qcc_format_float(q->scales[0], buf);
      fprintf(out, ", %s:%d>", buf, (int)q->zero_points[0]);
    } else {
      fprintf(out, ":%d, {", (int)q->axis);
      for (uint32_t i = 0; i < q->count; ++i) {
        qcc_format_float(q->scales[i], buf);
        fprintf(out, "%s%s:%d", i ? ", " : "", buf, (int)q->zero_points[i]);
      }
      fputs("}>", out);
    }
  } else {
    fputs(qcc_elem_name(t.elem), out);
  }
  if (t.rank < 0) {
    fputs("[*]", out);
    return;
  }
  fputc('[', out);
  for (int32_t i = 0; i < t.rank; ++i) {
    if (i)
      fputc(',', out);
    qcc_dim d = t.dims[i];
    if (d.size >= 0)
      fprintf(out, "%lld", (long long)d.size);
    else if (d.sym)
      fputs(d.sym, out);
    else
      fputc('?', out);
  }
  fputc(']', out);
}

void qcc_type_format(qcc_type t, char *buf, size_t cap) {
  FILE *f = fmemopen(buf, cap, "w");
  if (!f) {
    snprintf(buf, cap, "?");
    return;
  }
  qcc_type_print(f, t);
  fclose(f);
  buf[cap - 1] = '\0';
}
