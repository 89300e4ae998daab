/* TensorProto decoding shared by the ONNX loader and the tensor file reader. */
#include "frontend/onnx_tensor.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool qcc_onnx_elem_from_dtype(int32_t dtype, qcc_elem *out) {
  switch (dtype) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: *out = QCC_F32; return true;
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: *out = QCC_F16; return true;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: *out = QCC_I8; return true;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: *out = QCC_U8; return true;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: *out = QCC_I32; return true;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: *out = QCC_I64; return true;
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: *out = QCC_BOOL; return true;
  default: return false;
  }
}

int32_t qcc_onnx_dtype_from_elem(qcc_elem e) {
  switch (e) {
  case QCC_F32: return ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  case QCC_F16: return ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
  case QCC_I8: return ONNX__TENSOR_PROTO__DATA_TYPE__INT8;
  case QCC_U8: return ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
  case QCC_I32: return ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
  case QCC_I64: return ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  case QCC_BOOL: return ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
  default: return ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED;
  }
}

const char *qcc_onnx_dtype_name(int32_t dtype, char *buf) {
  static const char *const names[] = {"UNDEFINED",  "FLOAT",   "UINT8",  "INT8",   "UINT16",
                                      "INT16",      "INT32",   "INT64",  "STRING", "BOOL",
                                      "FLOAT16",    "DOUBLE",  "UINT32", "UINT64", "COMPLEX64",
                                      "COMPLEX128", "BFLOAT16"};
  if (dtype >= 0 && (size_t)dtype < sizeof names / sizeof names[0])
    return names[dtype];
  snprintf(buf, 24, "type %" PRId32, dtype);
  return buf;
}

qcc_status qcc_onnx_read_file(const char *path, qcc_diag *diag, qcc_loc loc, uint8_t **data,
                              size_t *size) {
  *data = NULL;
  *size = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    qcc_diag_error(diag, loc, "cannot open '%s': %s", path, strerror(errno));
    return QCC_ERR_IO;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    qcc_diag_error(diag, loc, "'%s' is not a regular file", path);
    fclose(f);
    return QCC_ERR_IO;
  }
  if ((uint64_t)st.st_size > QCC_ONNX_MAX_FILE_BYTES) {
    qcc_diag_error(diag, loc, "'%s' is too large (%" PRIu64 " bytes; the limit is 2 GiB)", path,
                   (uint64_t)st.st_size);
    fclose(f);
    return QCC_ERR_INPUT;
  }
  size_t n = (size_t)st.st_size;
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) {
    fclose(f);
    qcc_diag_error(diag, loc, "out of memory reading '%s'", path);
    return QCC_ERR_NOMEM;
  }
  if (fread(buf, 1, n, f) != n) {
    qcc_diag_error(diag, loc, "cannot read '%s'", path);
    free(buf);
    fclose(f);
    return QCC_ERR_IO;
  }
  fclose(f);
  *data = buf;
  *size = n;
  return QCC_OK;
}

/* Strict non-negative decimal. */
static bool parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s)
    return false;
  uint64_t v = 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
      return false;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = v;
  return true;
}

/* The external file must stay inside the model's directory: relative, no '..' component. */
static bool external_path_ok(const char *loc) {
  if (!*loc || loc[0] == '/')
    return false;
  for (const char *p = loc; *p;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return false;
    p += n;
    if (*p == '/')
      ++p;
  }
  return true;
}

static qcc_status read_external(const Onnx__TensorProto *t, const char *what, const char *base_dir,
                                size_t nbytes, qcc_arena *arena, qcc_diag *diag, qcc_loc loc,
                                void **data) {
  const char *location = NULL;
  uint64_t offset = 0, length = 0;
  bool has_length = false;
  for (size_t i = 0; i < t->n_external_data; ++i) {
    const Onnx__StringStringEntryProto *e = t->external_data[i];
    const char *key = e->key ? e->key : "";
    const char *value = e->value ? e->value : "";
    if (strcmp(key, "location") == 0) {
      location = value;
    } else if (strcmp(key, "offset") == 0) {
      if (!parse_u64(value, &offset)) {
        qcc_diag_error(diag, loc, "tensor '%s': invalid external data offset '%s'", what, value);
        return QCC_ERR_INPUT;
      }
    } else if (strcmp(key, "length") == 0) {
      if (!parse_u64(value, &length)) {
        qcc_diag_error(diag, loc, "tensor '%s': invalid external data length '%s'", what, value);
        return QCC_ERR_INPUT;
      }
      has_length = true;
    }
  }
  if (!location) {
    qcc_diag_error(diag, loc, "tensor '%s': external data has no 'location'", what);
    return QCC_ERR_INPUT;
  }
  if (!base_dir) {
    qcc_diag_error(diag, loc, "tensor '%s': external data is not allowed here", what);
    return QCC_ERR_INPUT;
  }
  if (!external_path_ok(location)) {
    qcc_diag_error(diag, loc,
                   "tensor '%s': external data location '%s' must be a relative path inside "
                   "the model's directory",
                   what, location);
    return QCC_ERR_INPUT;
  }
  if (has_length && length != nbytes) {
    qcc_diag_error(diag, loc,
                   "tensor '%s': external data length is %" PRIu64 " bytes, expected %zu", what,
                   length, nbytes);
    return QCC_ERR_INPUT;
  }
  size_t plen = strlen(base_dir) + 1 + strlen(location) + 1;
  char *path = malloc(plen);
  if (!path)
    return QCC_ERR_NOMEM;
  snprintf(path, plen, "%s/%s", base_dir, location);
  qcc_status st = QCC_ERR_INPUT;
  FILE *f = fopen(path, "rb");
  struct stat sb;
  if (!f) {
    qcc_diag_error(diag, loc, "tensor '%s': cannot open external data file '%s': %s", what, path,
                   strerror(errno));
  } else if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    qcc_diag_error(diag, loc, "tensor '%s': external data '%s' is not a regular file", what, path);
  } else if (offset > (uint64_t)sb.st_size || (uint64_t)sb.st_size - offset < nbytes) {
    qcc_diag_error(diag, loc,
                   "tensor '%s': external data file '%s' is too short (%" PRIu64
                   " bytes; need %zu at offset %" PRIu64 ")",
                   what, path, (uint64_t)sb.st_size, nbytes, offset);
  } else if (offset > (uint64_t)INT64_MAX || fseeko(f, (off_t)offset, SEEK_SET) != 0) {
    qcc_diag_error(diag, loc, "tensor '%s': cannot seek in '%s'", what, path);
  } else if (!(*data = qcc_arena_alloc(arena, nbytes))) {
    st = QCC_ERR_NOMEM;
  } else if (fread(*data, 1, nbytes, f) != nbytes) {
    qcc_diag_error(diag, loc, "tensor '%s': cannot read external data file '%s'", what, path);
  } else {
    st = QCC_OK;
  }
  if (f)
    fclose(f);
  free(path);
  return st;
}

static qcc_status typed_count_error(qcc_diag *diag, qcc_loc loc, const char *what,
                                    const char *field, size_t got, int64_t want) {
  qcc_diag_error(diag, loc, "tensor '%s': %s has %zu values, expected %" PRId64, what, field, got,
                 want);
  return QCC_ERR_INPUT;
}

/* Values of `elem` in the typed field that holds them: float_data, int64_data or int32_data. */
static size_t typed_count(const Onnx__TensorProto *t, qcc_elem elem, const char **field) {
  switch (elem) {
  case QCC_F32: *field = "float_data"; return t->n_float_data;
  case QCC_I64: *field = "int64_data"; return t->n_int64_data;
  default: *field = "int32_data"; return t->n_int32_data;
  }
}

static qcc_status decode_typed(const Onnx__TensorProto *t, const char *what, qcc_elem elem,
                               int64_t numel, void *dst, qcc_diag *diag, qcc_loc loc) {
  size_t n = (size_t)numel;
  switch (elem) {
  case QCC_F32:
    if (t->n_float_data != n)
      return typed_count_error(diag, loc, what, "float_data", t->n_float_data, numel);
    if (n)
      memcpy(dst, t->float_data, n * sizeof(float));
    return QCC_OK;
  case QCC_I64:
    if (t->n_int64_data != n)
      return typed_count_error(diag, loc, what, "int64_data", t->n_int64_data, numel);
    if (n)
      memcpy(dst, t->int64_data, n * sizeof(int64_t));
    return QCC_OK;
  case QCC_I32:
    if (t->n_int32_data != n)
      return typed_count_error(diag, loc, what, "int32_data", t->n_int32_data, numel);
    if (n)
      memcpy(dst, t->int32_data, n * sizeof(int32_t));
    return QCC_OK;
  case QCC_F16:
  case QCC_I8:
  case QCC_U8:
  case QCC_BOOL:
    /* int32_data carries the narrow values one per entry (f16 as its bit pattern). */
    if (t->n_int32_data != n)
      return typed_count_error(diag, loc, what, "int32_data", t->n_int32_data, numel);
    for (size_t i = 0; i < n; ++i) {
      uint32_t v = (uint32_t)t->int32_data[i];
      if (elem == QCC_F16)
        ((uint16_t *)dst)[i] = (uint16_t)(v & 0xffffu);
      else if (elem == QCC_BOOL)
        ((uint8_t *)dst)[i] = v != 0;
      else
        ((uint8_t *)dst)[i] = (uint8_t)(v & 0xffu);
    }
    return QCC_OK;
  default: break;
  }
  return QCC_ERR_INPUT;
}

qcc_status qcc_onnx_decode_tensor(const Onnx__TensorProto *t, const char *what,
                                  const char *base_dir, qcc_arena *arena, qcc_diag *diag,
                                  qcc_loc loc, qcc_const *out) {
  memset(out, 0, sizeof(*out));
  char buf[24];
  qcc_elem elem;
  if (!t->has_data_type || t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED) {
    qcc_diag_error(diag, loc, "tensor '%s' has no data type", what);
    return QCC_ERR_INPUT;
  }
  if (!qcc_onnx_elem_from_dtype(t->data_type, &elem)) {
    qcc_diag_error(diag, loc, "tensor '%s' has unsupported element type %s", what,
                   qcc_onnx_dtype_name(t->data_type, buf));
    return QCC_ERR_INPUT;
  }
  if (t->segment) {
    qcc_diag_error(diag, loc, "tensor '%s': segmented tensors are not supported", what);
    return QCC_ERR_INPUT;
  }
  if (t->n_dims > QCC_MAX_RANK) {
    qcc_diag_error(diag, loc, "tensor '%s' has rank %zu; at most %d is supported", what, t->n_dims,
                   QCC_MAX_RANK);
    return QCC_ERR_INPUT;
  }
  int32_t rank = (int32_t)t->n_dims;
  for (int32_t i = 0; i < rank; ++i)
    if (t->dims[i] < 0) {
      qcc_diag_error(diag, loc, "tensor '%s' has negative dimension %" PRId64 " at index %d", what,
                     t->dims[i], i);
      return QCC_ERR_INPUT;
    }
  if (!qcc_type_make_static(arena, elem, rank, t->dims, &out->type))
    return QCC_ERR_NOMEM;
  int64_t numel;
  size_t nbytes;
  if (!qcc_shape_numel(t->dims, rank, &numel) || !qcc_type_nbytes(out->type, &nbytes) ||
      nbytes > QCC_ONNX_MAX_FILE_BYTES * 2) {
    qcc_diag_error(diag, loc, "tensor '%s': shape is too large (element count overflows)", what);
    return QCC_ERR_INPUT;
  }
  void *data = NULL;
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    qcc_status st = read_external(t, what, base_dir, nbytes, arena, diag, loc, &data);
    if (st != QCC_OK)
      return st;
  } else if (t->has_raw_data) {
    if (t->raw_data.len != nbytes) {
      qcc_diag_error(diag, loc, "tensor '%s': raw_data has %zu bytes, expected %zu", what,
                     t->raw_data.len, nbytes);
      return QCC_ERR_INPUT;
    }
    if (!(data = qcc_arena_alloc(arena, nbytes)))
      return QCC_ERR_NOMEM;
    if (nbytes)
      memcpy(data, t->raw_data.data, nbytes);
  } else {
    /* Check the count before allocating: the dims alone must not drive the allocation. */
    const char *field;
    size_t have = typed_count(t, elem, &field);
    if (have != (size_t)numel)
      return typed_count_error(diag, loc, what, field, have, numel);
    if (!(data = qcc_arena_alloc(arena, nbytes)))
      return QCC_ERR_NOMEM;
    qcc_status st = decode_typed(t, what, elem, numel, data, diag, loc);
    if (st != QCC_OK)
      return st;
  }
  out->data = data;
  out->nbytes = nbytes;
  return QCC_OK;
}
