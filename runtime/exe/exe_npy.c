/* .npy reading and writing for the exe driver; see exe_npy.h. */
#include "exe_npy.h"

#include <inttypes.h>
#include <string.h>

#include "qcc_runtime.h"

static const struct {
  int32_t dtype;
  const char *descr, *name;
} types[] = {
    {QCC_RT_F32, "<f4", "float32"}, {QCC_RT_U8, "|u1", "uint8"},  {QCC_RT_I8, "|i1", "int8"},
    {QCC_RT_I32, "<i4", "int32"},   {QCC_RT_I64, "<i8", "int64"}, {QCC_RT_BOOL, "|b1", "bool"},
    {QCC_RT_F16, "<f2", "float16"},
};
enum { NUM_TYPES = sizeof types / sizeof types[0] };

const char *exe_npy_descr(int32_t dtype) {
  for (int i = 0; i < NUM_TYPES; ++i)
    if (types[i].dtype == dtype)
      return types[i].descr;
  return "?";
}

const char *exe_npy_type_name(int32_t dtype) {
  for (int i = 0; i < NUM_TYPES; ++i)
    if (types[i].dtype == dtype)
      return types[i].name;
  return "an unknown type";
}

/* One-byte types have no byte order: numpy writes '|', and '<' means the same. */
static int32_t dtype_of_descr(const char *d) {
  for (int i = 0; i < NUM_TYPES; ++i) {
    const char *t = types[i].descr;
    if (strcmp(d, t) == 0 || (t[0] == '|' && d[0] == '<' && strcmp(d + 1, t + 1) == 0))
      return types[i].dtype;
  }
  return 0;
}

void exe_npy_format_shape(int32_t rank, const int64_t *dims, char *buf, size_t cap) {
  size_t n = 0;
  n += (size_t)snprintf(buf + n, cap - n, "(");
  for (int32_t i = 0; i < rank && n < cap; ++i)
    n += (size_t)snprintf(buf + n, cap - n, "%s%" PRId64, i ? ", " : "", dims[i]);
  if (n < cap)
    snprintf(buf + n, cap - n, rank == 1 ? ",)" : ")");
}

/* ---- the header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } ------------ */
typedef struct scan {
  const char *p, *end;
} scan;

static void blanks(scan *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    ++s->p;
}

static int eat(scan *s, char c) {
  blanks(s);
  if (s->p < s->end && *s->p == c) {
    ++s->p;
    return 1;
  }
  return 0;
}

/* A quoted Python string without escapes, copied into out (truncated to cap - 1). */
static int quoted(scan *s, char *out, size_t cap) {
  blanks(s);
  if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
    return 0;
  char q = *s->p++;
  size_t n = 0;
  while (s->p < s->end && *s->p != q) {
    if (*s->p == '\\')
      return 0;
    if (n + 1 < cap)
      out[n++] = *s->p;
    ++s->p;
  }
  out[n] = '\0';
  return s->p < s->end && *s->p++ == q;
}

static int word(scan *s, const char *w) {
  blanks(s);
  size_t n = strlen(w);
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
    return 0;
  s->p += n;
  return 1;
}

static int number(scan *s, int64_t *out) {
  blanks(s);
  int64_t v = 0;
  const char *start = s->p;
  for (; s->p < s->end && *s->p >= '0' && *s->p <= '9'; ++s->p) {
    if (v > (INT64_MAX - 9) / 10)
      return 0;
    v = v * 10 + (*s->p - '0');
  }
  *out = v;
  return s->p != start;
}

static int shape(scan *s, exe_npy *h) {
  h->rank = 0;
  if (!eat(s, '('))
    return 0;
  if (eat(s, ')'))
    return 1;
  for (;;) {
    if (h->rank == EXE_NPY_MAX_RANK || !number(s, &h->dims[h->rank]))
      return 0;
    ++h->rank;
    if (eat(s, ')'))
      return 1;
    if (!eat(s, ','))
      return 0;
    if (eat(s, ')'))
      return 1;
  }
}

static int fail(char *err, size_t cap, const char *msg) {
  snprintf(err, cap, "%s", msg);
  return -1;
}

static int parse_dict(scan *s, exe_npy *h, char *err, size_t cap) {
  int have_descr = 0, have_order = 0, have_shape = 0;
  if (!eat(s, '{'))
    return fail(err, cap, "malformed .npy header");
  while (!eat(s, '}')) {
    char key[32];
    if (!quoted(s, key, sizeof key) || !eat(s, ':'))
      return fail(err, cap, "malformed .npy header");
    if (strcmp(key, "descr") == 0 && !have_descr) {
      if (!quoted(s, h->descr, sizeof h->descr))
        return fail(err, cap, "malformed .npy header: 'descr' is not a string");
      have_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
      if (word(s, "True"))
        return fail(err, cap, "Fortran-order .npy arrays are not supported");
      if (!word(s, "False"))
        return fail(err, cap, "malformed .npy header: bad 'fortran_order'");
      have_order = 1;
    } else if (strcmp(key, "shape") == 0 && !have_shape) {
      if (!shape(s, h))
        return fail(err, cap, "malformed .npy header: bad 'shape'");
      have_shape = 1;
    } else {
      return fail(err, cap, "malformed .npy header: unexpected or repeated key");
    }
    if (!eat(s, ',')) {
      if (!eat(s, '}'))
        return fail(err, cap, "malformed .npy header");
      break;
    }
  }
  blanks(s);
  if (s->p != s->end)
    return fail(err, cap, "malformed .npy header: trailing characters");
  if (!have_descr || !have_order || !have_shape)
    return fail(err, cap, "malformed .npy header: missing 'descr', 'fortran_order' or 'shape'");
  return 0;
}

int exe_npy_read_header(FILE *f, exe_npy *h, char *err, size_t cap) {
  memset(h, 0, sizeof *h);
  unsigned char pre[12];
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
    return fail(err, cap, "not a .npy file");
  size_t header_len, prefix;
  if (pre[6] == 1) {
    header_len = (size_t)pre[8] | (size_t)pre[9] << 8;
    prefix = 10;
  } else if (pre[6] == 2 || pre[6] == 3) {
    if (fread(pre + 10, 1, 2, f) != 2)
      return fail(err, cap, "truncated .npy header");
    header_len =
        (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    prefix = 12;
  } else {
    snprintf(err, cap, "unsupported .npy format version %u", (unsigned)pre[6]);
    return -1;
  }
  char header[4096];
  if (header_len > sizeof header)
    return fail(err, cap, ".npy header is too long");
  if (fread(header, 1, header_len, f) != header_len)
    return fail(err, cap, "truncated .npy header");
  scan s = {header, header + header_len};
  if (parse_dict(&s, h, err, cap) != 0)
    return -1;
  h->dtype = dtype_of_descr(h->descr);
  h->data_offset = prefix + header_len;
  if (fseek(f, 0, SEEK_END) != 0)
    return fail(err, cap, "cannot seek in the file");
  long end = ftell(f);
  if (end < 0 || (uint64_t)end < h->data_offset || fseek(f, (long)h->data_offset, SEEK_SET) != 0)
    return fail(err, cap, "cannot seek in the file");
  h->data_bytes = (uint64_t)end - h->data_offset;
  if (h->dtype) {
    qcc_rt_tensor_info t = {"", h->dtype, h->rank, h->dims};
    int64_t numel = qcc_rt_tensor_numel(&t);
    if (numel < 0 || (uint64_t)numel > UINT64_MAX / 8)
      return fail(err, cap, ".npy shape is too large");
    uint64_t want = (uint64_t)numel * qcc_rt_dtype_size(h->dtype);
    if (h->data_bytes != want) {
      snprintf(err, cap,
               ".npy data has %" PRIu64 " bytes, expected %" PRIu64 " for its shape and dtype",
               h->data_bytes, want);
      return -1;
    }
  }
  return 0;
}

int exe_npy_write(const char *path, int32_t dtype, int32_t rank, const int64_t *dims,
                  const void *data, uint64_t bytes, char *err, size_t cap) {
  if (rank < 0 || rank > EXE_NPY_MAX_RANK || exe_npy_descr(dtype)[0] == '?')
    return fail(err, cap, "cannot write this tensor as .npy");
  char shp[EXE_NPY_MAX_RANK * 24 + 8];
  exe_npy_format_shape(rank, dims, shp, sizeof shp);
  char header[EXE_NPY_MAX_RANK * 24 + 192];
  int len =
      snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
               exe_npy_descr(dtype), shp);
  /* Spaces, then '\n', so that the 10-byte prefix plus the header fill whole 64-byte lines. */
  size_t header_len = (10 + (size_t)len + 1 + 63) / 64 * 64 - 10;
  memset(header + len, ' ', header_len - (size_t)len - 1);
  header[header_len - 1] = '\n';
  unsigned char pre[10] = {0x93,
                           'N',
                           'U',
                           'M',
                           'P',
                           'Y',
                           1,
                           0,
                           (unsigned char)(header_len & 0xff),
                           (unsigned char)(header_len >> 8)};
  FILE *f = fopen(path, "wb");
  if (!f)
    return fail(err, cap, "cannot open for writing");
  int ok = fwrite(pre, 1, sizeof pre, f) == sizeof pre &&
           fwrite(header, 1, header_len, f) == header_len &&
           (bytes == 0 || fwrite(data, 1, (size_t)bytes, f) == (size_t)bytes);
  if (fclose(f) != 0)
    ok = 0;
  return ok ? 0 : fail(err, cap, "write failed");
}
