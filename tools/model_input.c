#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/qir_parser.h"
#include "tools/driver.h"

int qcc_driver_usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("qcc: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs("\nqcc: run 'qcc --help' for usage\n", stderr);
  va_end(ap);
  return QCC_EXIT_USAGE;
}

bool qcc_driver_add_shape(qcc_model_options *opts, const char *arg) {
  const char *eq = strrchr(arg, '=');
  if (!eq || eq == arg || (size_t)(eq - arg) >= QCC_SHAPE_NAME_MAX ||
      opts->num_shapes == QCC_MAX_SHAPE_OPTIONS)
    return false;
  char *name = opts->shape_names[opts->num_shapes];
  memcpy(name, arg, (size_t)(eq - arg));
  name[eq - arg] = '\0';
  qcc_shape_binding *out = &opts->shapes[opts->num_shapes];
  out->name = name;
  out->rank = 0;
  const char *p = eq + 1;
  if (*p == '\0')
    return false;
  for (;;) {
    if (out->rank == QCC_MAX_RANK || *p < '0' || *p > '9')
      return false;
    errno = 0;
    char *end;
    long long v = strtoll(p, &end, 10);
    if (errno || v < 0)
      return false;
    out->dims[out->rank++] = v;
    if (*end == '\0')
      break;
    if (*end != 'x')
      return false;
    p = end + 1;
  }
  opts->num_shapes++;
  return true;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* .qir text starts (after blanks and comments) with "graph"; anything else is taken as ONNX.
 * A pipe (e.g. /dev/stdin) cannot be peeked at without consuming it, so it is read as .qir. */
static bool looks_like_qir(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
    return true;
  FILE *f = fopen(path, "rb");
  if (!f)
    return false;
  char buf[256];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *p = buf;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
      ++p;
    if (p[0] == '/' && p[1] == '/') {
      const char *nl = strchr(p, '\n');
      if (!nl)
        return true;
      p = nl + 1;
      continue;
    }
    break;
  }
  return strncmp(p, "graph", 5) == 0 || *p == '\0';
}

qcc_status qcc_driver_load_model(const char *path, const qcc_model_options *opts, qcc_diag *diag,
                                 qcc_graph **out) {
  *out = NULL;
  bool qir = ends_with(path, ".qir") || (!ends_with(path, ".onnx") && looks_like_qir(path));
  if (qir) {
    if (opts->num_shapes) {
      qcc_diag_error(diag, (qcc_loc){.file = path}, "--shape applies to ONNX models only");
      return QCC_ERR_USAGE;
    }
    return qcc_parse_qir_file(path, diag, out);
  }
  qcc_onnx_options onnx = {.shapes = opts->shapes, .num_shapes = opts->num_shapes};
  return qcc_load_onnx_file(path, &onnx, diag, out);
}
