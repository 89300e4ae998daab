/* Tensor files for `qcc run`: NumPy .npy (versions 1 to 3, little-endian, C order) and
 * serialized ONNX TensorProto (.pb). */
#include "frontend/tensor_io.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx_tensor.h"

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static const struct {
  qcc_elem elem;
  const char *descr;
} npy_descrs[] = {
    {QCC_F32, "<f4"}, {QCC_F16, "<f2"}, {QCC_I8, "|i1"},   {QCC_U8, "|u1"},
    {QCC_I32, "<i4"}, {QCC_I64, "<i8"}, {QCC_BOOL, "|b1"},
};

static bool descr_to_elem(const char *d, size_t n, qcc_elem *out) {
  if (n != 3)
    return false;
  for (size_t i = 0; i < sizeof npy_descrs / sizeof npy_descrs[0]; ++i) {
    const char *want = npy_descrs[i].descr;
    /* Single-byte types carry no byte order; numpy writes '|' but '<' means the same. */
    bool order_ok = d[0] == want[0] || (want[0] == '|' && d[0] == '<');
    if (order_ok && d[1] == want[1] && d[2] == want[2]) {
      *out = npy_descrs[i].elem;
      return true;
    }
  }
  return false;
}

/* A tiny cursor over the header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 */
typedef struct cursor {
  const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    ++c->p;
}

static bool accept(cursor *c, char ch) {
  skip_ws(c);
  if (c->p < c->end && *c->p == ch) {
    ++c->p;
    return true;
  }
  return false;
}

/* Python string literal in single or double quotes, no escapes. */
static bool parse_str(cursor *c, const char **s, size_t *n) {
  skip_ws(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return false;
  char q = *c->p++;
  const char *start = c->p;
  while (c->p < c->end && *c->p != q) {
    if (*c->p == '\\')
      return false;
    ++c->p;
  }
  if (c->p >= c->end)
    return false;
  *s = start;
  *n = (size_t)(c->p - start);
  ++c->p;
  return true;
}

static bool parse_word(cursor *c, const char *w) {
  skip_ws(c);
  size_t n = strlen(w);
  if ((size_t)(c->end - c->p) >= n && memcmp(c->p, w, n) == 0) {
    c->p += n;
    return true;
  }
  return false;
}

static bool parse_int(cursor *c, int64_t *out) {
  skip_ws(c);
  int64_t v = 0;
  const char *start = c->p;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    if (v > (INT64_MAX - 9) / 10)
      return false;
    v = v * 10 + (*c->p - '0');
    ++c->p;
  }
  if (c->p == start)
    return false;
  if (c->p < c->end && *c->p == 'L')
    ++c->p; /* Python 2 long suffix */
  *out = v;
  return true;
}

static bool parse_shape(cursor *c, int32_t *rank, int64_t *dims) {
  if (!accept(c, '('))
    return false;
  *rank = 0;
  if (accept(c, ')'))
    return true;
  for (;;) {
    if (*rank >= QCC_MAX_RANK)
      return false;
    if (!parse_int(c, &dims[*rank]))
      return false;
    ++*rank;
    if (accept(c, ')'))
      return true;
    if (!accept(c, ','))
      return false;
    if (accept(c, ')'))
      return true;
  }
}

static qcc_status npy_error(qcc_diag *diag, const char *path, const char *msg) {
  qcc_diag_error(diag, (qcc_loc){.file = path}, "%s", msg);
  return QCC_ERR_INPUT;
}

typedef struct npy_header {
  qcc_elem elem;
  int32_t rank;
  int64_t dims[QCC_MAX_RANK];
  size_t data_offset, nbytes; /* where the data starts; its size for the shape and dtype */
} npy_header;

/* Parses the header at the start of buf (size bytes of the file, which may stop after the
 * header). */
static qcc_status parse_npy_header(const char *path, const uint8_t *buf, size_t size,
                                   qcc_diag *diag, npy_header *h) {
  if (size < 10)
    return npy_error(diag, path, "truncated .npy header");
  uint8_t major = buf[6];
  size_t header_len, prefix;
  if (major == 1) {
    header_len = (size_t)buf[8] | (size_t)buf[9] << 8;
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      return npy_error(diag, path, "truncated .npy header");
    header_len =
        (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    prefix = 12;
  } else {
    qcc_diag_error(diag, (qcc_loc){.file = path}, "unsupported .npy format version %u",
                   (unsigned)major);
    return QCC_ERR_INPUT;
  }
  if (header_len > size - prefix)
    return npy_error(diag, path, "truncated .npy header");
  cursor c = {(const char *)buf + prefix, (const char *)buf + prefix + header_len};
  bool have_descr = false, have_order = false, have_shape = false;
  qcc_elem elem = QCC_F32;
  int32_t rank = 0;
  int64_t dims[QCC_MAX_RANK] = {0};
  if (!accept(&c, '{'))
    return npy_error(diag, path, "malformed .npy header");
  while (!accept(&c, '}')) {
    const char *key, *val;
    size_t klen, vlen;
    if (!parse_str(&c, &key, &klen) || !accept(&c, ':'))
      return npy_error(diag, path, "malformed .npy header");
    if (klen == 5 && memcmp(key, "descr", 5) == 0 && !have_descr) {
      if (!parse_str(&c, &val, &vlen))
        return npy_error(diag, path, "malformed .npy header: 'descr' must be a string");
      if (!descr_to_elem(val, vlen, &elem)) {
        qcc_diag_error(diag, (qcc_loc){.file = path},
                       "unsupported .npy dtype '%.*s' (expected one of <f4 <f2 |i1 |u1 <i4 <i8 "
                       "|b1)",
                       (int)(vlen > 32 ? 32 : vlen), val);
        return QCC_ERR_INPUT;
      }
      have_descr = true;
    } else if (klen == 13 && memcmp(key, "fortran_order", 13) == 0 && !have_order) {
      if (parse_word(&c, "True"))
        return npy_error(diag, path, "Fortran-order .npy arrays are not supported");
      if (!parse_word(&c, "False"))
        return npy_error(diag, path, "malformed .npy header: bad 'fortran_order'");
      have_order = true;
    } else if (klen == 5 && memcmp(key, "shape", 5) == 0 && !have_shape) {
      if (!parse_shape(&c, &rank, dims)) {
        qcc_diag_error(diag, (qcc_loc){.file = path},
                       "malformed .npy header: bad 'shape' (at most %d dimensions)", QCC_MAX_RANK);
        return QCC_ERR_INPUT;
      }
      have_shape = true;
    } else {
      return npy_error(diag, path, "malformed .npy header: unexpected or repeated key");
    }
    if (!accept(&c, ',')) {
      if (!accept(&c, '}'))
        return npy_error(diag, path, "malformed .npy header");
      break;
    }
  }
  skip_ws(&c);
  if (c.p != c.end)
    return npy_error(diag, path, "malformed .npy header: trailing characters");
  if (!have_descr || !have_order || !have_shape)
    return npy_error(diag, path,
                     "malformed .npy header: missing 'descr', 'fortran_order' or 'shape'");
  int64_t numel;
  if (!qcc_shape_numel(dims, rank, &numel) ||
      (uint64_t)numel > (uint64_t)SIZE_MAX / qcc_elem_size(elem))
    return npy_error(diag, path, ".npy shape is too large");
  h->elem = elem;
  h->rank = rank;
  memcpy(h->dims, dims, sizeof dims);
  h->data_offset = prefix + header_len;
  h->nbytes = (size_t)numel * qcc_elem_size(elem);
  return QCC_OK;
}

static qcc_status check_data_size(const char *path, const npy_header *h, uint64_t file_size,
                                  qcc_diag *diag) {
  uint64_t data_bytes = file_size - h->data_offset;
  if (data_bytes != h->nbytes) {
    qcc_diag_error(diag, (qcc_loc){.file = path},
                   ".npy data has %llu bytes, expected %zu for its shape and dtype",
                   (unsigned long long)data_bytes, h->nbytes);
    return QCC_ERR_INPUT;
  }
  return QCC_OK;
}

static void normalize_bools(qcc_tensor *t) {
  if (t->elem == QCC_BOOL)
    for (int64_t i = 0; i < t->numel; ++i)
      ((uint8_t *)t->data)[i] = ((uint8_t *)t->data)[i] != 0;
}

static qcc_status read_npy(const char *path, const uint8_t *buf, size_t size, qcc_diag *diag,
                           qcc_tensor **out) {
  npy_header h;
  qcc_status st = parse_npy_header(path, buf, size, diag, &h);
  if (st == QCC_OK)
    st = check_data_size(path, &h, size, diag);
  if (st != QCC_OK)
    return st;
  qcc_tensor *t = qcc_tensor_alloc(h.elem, h.rank, h.dims);
  if (!t)
    return npy_error(diag, path, "tensor is too large");
  if (h.nbytes)
    memcpy(t->data, buf + h.data_offset, h.nbytes);
  normalize_bools(t);
  *out = t;
  return QCC_OK;
}

/* ---- .npy files read by rows ---- */

struct qcc_npy_reader {
  FILE *f;
  const char *path;
  npy_header h;
  size_t row_bytes;
};

enum { NPY_MAX_HEADER = 1 << 16 };

qcc_status qcc_npy_open(const char *path, qcc_diag *diag, qcc_npy_reader **out) {
  *out = NULL;
  qcc_loc loc = {.file = path};
  FILE *f = fopen(path, "rb");
  if (!f) {
    qcc_diag_error(diag, loc, "cannot open: %s", strerror(errno));
    return QCC_ERR_IO;
  }
  uint8_t *buf = malloc(NPY_MAX_HEADER);
  qcc_npy_reader *r = calloc(1, sizeof *r);
  qcc_status st = buf && r ? QCC_OK : QCC_ERR_NOMEM;
  size_t got = st == QCC_OK ? fread(buf, 1, NPY_MAX_HEADER, f) : 0;
  if (st == QCC_OK && (got < sizeof npy_magic || memcmp(buf, npy_magic, sizeof npy_magic) != 0))
    st = npy_error(diag, path, "not a .npy file");
  if (st == QCC_OK)
    st = parse_npy_header(path, buf, got, diag, &r->h);
  long end = st == QCC_OK && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (st == QCC_OK && end < 0)
    st = npy_error(diag, path, "cannot read the file's size");
  if (st == QCC_OK)
    st = check_data_size(path, &r->h, (uint64_t)end, diag);
  if (st == QCC_OK && r->h.rank < 1)
    st = npy_error(diag, path, "a .npy read by rows needs a leading dimension");
  if (st == QCC_ERR_NOMEM)
    qcc_diag_error(diag, loc, "out of memory");
  free(buf);
  if (st != QCC_OK) {
    free(r);
    fclose(f);
    return st;
  }
  r->f = f;
  r->path = path;
  r->row_bytes = r->h.dims[0] ? r->h.nbytes / (size_t)r->h.dims[0] : 0;
  *out = r;
  return QCC_OK;
}

void qcc_npy_shape(const qcc_npy_reader *r, qcc_elem *elem, int32_t *rank, int64_t *dims) {
  *elem = r->h.elem;
  *rank = r->h.rank;
  memcpy(dims, r->h.dims, sizeof r->h.dims);
}

qcc_status qcc_npy_read_rows(qcc_npy_reader *r, int64_t r0, int64_t n, qcc_diag *diag,
                             qcc_tensor **out) {
  *out = NULL;
  if (r0 < 0 || n < 0 || r0 + n > r->h.dims[0])
    return npy_error(diag, r->path, "rows out of range");
  int64_t dims[QCC_MAX_RANK];
  memcpy(dims, r->h.dims, sizeof dims);
  dims[0] = n;
  qcc_tensor *t = qcc_tensor_alloc(r->h.elem, r->h.rank, dims);
  if (!t)
    return npy_error(diag, r->path, "tensor is too large");
  size_t bytes = (size_t)n * r->row_bytes;
  if (bytes && (fseek(r->f, (long)(r->h.data_offset + (size_t)r0 * r->row_bytes), SEEK_SET) != 0 ||
                fread(t->data, 1, bytes, r->f) != bytes)) {
    qcc_tensor_free(t);
    return npy_error(diag, r->path, "read failed");
  }
  normalize_bools(t);
  *out = t;
  return QCC_OK;
}

void qcc_npy_close(qcc_npy_reader *r) {
  if (r) {
    fclose(r->f);
    free(r);
  }
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return strdup(".");
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, path, n);
    d[n] = '\0';
  }
  return d;
}

static qcc_status read_tensor_proto(const char *path, const uint8_t *buf, size_t size,
                                    qcc_diag *diag, qcc_tensor **out) {
  qcc_loc loc = {.file = path};
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, size, buf);
  if (!tp) {
    qcc_diag_error(diag, loc, "not a .npy file or serialized ONNX TensorProto");
    return QCC_ERR_INPUT;
  }
  qcc_arena *arena = qcc_arena_create();
  char *dir = dir_of(path);
  qcc_status st = QCC_ERR_NOMEM;
  if (arena && dir) {
    qcc_const k;
    const char *what = tp->name && *tp->name ? tp->name : path;
    st = qcc_onnx_decode_tensor(tp, what, dir, arena, diag, loc, &k);
    if (st == QCC_OK) {
      int64_t dims[QCC_MAX_RANK];
      for (int32_t i = 0; i < k.type.rank; ++i)
        dims[i] = k.type.dims[i].size;
      qcc_tensor *t = qcc_tensor_alloc(k.type.elem, k.type.rank, dims);
      if (!t) {
        qcc_diag_error(diag, loc, "tensor is too large");
        st = QCC_ERR_INPUT;
      } else {
        if (k.nbytes)
          memcpy(t->data, k.data, k.nbytes);
        *out = t;
      }
    }
  }
  if (st == QCC_ERR_NOMEM)
    qcc_diag_error(diag, loc, "out of memory");
  free(dir);
  qcc_arena_destroy(arena);
  onnx__tensor_proto__free_unpacked(tp, NULL);
  return st;
}

qcc_status qcc_read_tensor_file(const char *path, qcc_diag *diag, qcc_tensor **out) {
  *out = NULL;
  uint8_t *buf;
  size_t size;
  qcc_status st = qcc_onnx_read_file(path, diag, (qcc_loc){.file = path}, &buf, &size);
  if (st != QCC_OK)
    return st;
  if (size >= sizeof npy_magic && memcmp(buf, npy_magic, sizeof npy_magic) == 0)
    st = read_npy(path, buf, size, diag, out);
  else
    st = read_tensor_proto(path, buf, size, diag, out);
  free(buf);
  return st;
}

qcc_status qcc_write_npy(const char *path, const qcc_tensor *t, qcc_diag *diag) {
  qcc_loc loc = {.file = path};
  const char *descr = NULL;
  for (size_t i = 0; i < sizeof npy_descrs / sizeof npy_descrs[0]; ++i)
    if (npy_descrs[i].elem == t->elem)
      descr = npy_descrs[i].descr;
  if (!descr || t->rank < 0 || t->rank > QCC_MAX_RANK) {
    qcc_diag_error(diag, loc, "cannot write this tensor as .npy");
    return QCC_ERR_INPUT;
  }
  char shape[QCC_MAX_RANK * 24 + 8];
  size_t n = 0;
  shape[n++] = '(';
  for (int32_t i = 0; i < t->rank; ++i)
    n += (size_t)snprintf(shape + n, sizeof shape - n, "%s%" PRId64, i ? ", " : "", t->dims[i]);
  if (t->rank == 1)
    shape[n++] = ',';
  shape[n++] = ')';
  shape[n] = '\0';
  char header[512];
  int len = snprintf(header, sizeof header,
                     "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
  /* Pad with spaces so magic + version + length + header is a multiple of 64, ending in '\n'. */
  size_t total = 10 + (size_t)len + 1;
  size_t padded = (total + 63) / 64 * 64;
  size_t header_len = padded - 10;
  memset(header + len, ' ', header_len - (size_t)len - 1);
  header[header_len - 1] = '\n';
  uint8_t prefix[10] = {0x93,
                        'N',
                        'U',
                        'M',
                        'P',
                        'Y',
                        1,
                        0,
                        (uint8_t)(header_len & 0xff),
                        (uint8_t)(header_len >> 8)};
  FILE *f = fopen(path, "wb");
  if (!f) {
    qcc_diag_error(diag, loc, "cannot open for writing");
    return QCC_ERR_IO;
  }
  size_t nbytes = (size_t)t->numel * qcc_elem_size(t->elem);
  bool ok = fwrite(prefix, 1, sizeof prefix, f) == sizeof prefix &&
            fwrite(header, 1, header_len, f) == header_len &&
            (nbytes == 0 || fwrite(t->data, 1, nbytes, f) == nbytes);
  if (fclose(f) != 0)
    ok = false;
  if (!ok) {
    qcc_diag_error(diag, loc, "write failed");
    return QCC_ERR_IO;
  }
  return QCC_OK;
}
