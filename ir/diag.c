#include "ir/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct diag_source {
  char *file;
  char *text;
  size_t len;
  struct diag_source *next;
} diag_source;

struct qcc_diag {
  FILE *sink;
  diag_source *sources;
  size_t errors;
  size_t limit;
  bool limit_noted;
};

qcc_diag *qcc_diag_create(FILE *sink) {
  qcc_diag *d = calloc(1, sizeof(*d));
  if (!d)
    return NULL;
  d->sink = sink;
  d->limit = 20;
  return d;
}

void qcc_diag_destroy(qcc_diag *diag) {
  if (!diag)
    return;
  diag_source *s = diag->sources;
  while (s) {
    diag_source *n = s->next;
    free(s->file);
    free(s->text);
    free(s);
    s = n;
  }
  free(diag);
}

bool qcc_diag_add_source(qcc_diag *diag, const char *file, const char *text, size_t len) {
  diag_source *s = calloc(1, sizeof(*s));
  if (!s)
    return false;
  s->file = strdup(file);
  s->text = malloc(len + 1);
  if (!s->file || !s->text) {
    free(s->file);
    free(s->text);
    free(s);
    return false;
  }
  memcpy(s->text, text, len);
  s->text[len] = '\0';
  s->len = len;
  s->next = diag->sources;
  diag->sources = s;
  return true;
}

static const diag_source *find_source(const qcc_diag *diag, const char *file) {
  for (const diag_source *s = diag->sources; s; s = s->next)
    if (file && strcmp(s->file, file) == 0)
      return s;
  return NULL;
}

/* Prints the line `line` of the source and a caret under column `col`. Control bytes are
 * shown as '?' so binary input cannot garble the terminal. */
static void print_caret(FILE *out, const diag_source *src, uint32_t line, uint32_t col) {
  const char *p = src->text, *end = src->text + src->len;
  for (uint32_t l = 1; l < line && p < end; ++l) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
      return;
    p = nl + 1;
  }
  const char *eol = memchr(p, '\n', (size_t)(end - p));
  if (!eol)
    eol = end;
  size_t n = (size_t)(eol - p);
  if (n > 200)
    n = 200; /* keep diagnostics readable for minified or binary input */
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)p[i];
    fputc(c == '\t' || (c >= 0x20 && c != 0x7f) ? c : '?', out);
  }
  fputc('\n', out);
  for (uint32_t i = 1; i < col && i <= n; ++i)
    fputc(p[i - 1] == '\t' ? '\t' : ' ', out);
  fputs("^\n", out);
}

static void emit(qcc_diag *diag, const char *kind, qcc_loc loc, const char *fmt, va_list ap) {
  FILE *out = diag->sink;
  if (!out)
    return;
  if (loc.file && loc.line > 0)
    fprintf(out, "%s:%u:%u: ", loc.file, loc.line, loc.col);
  else if (loc.file && loc.node)
    fprintf(out, "%s: node '%s': ", loc.file, loc.node);
  else if (loc.file)
    fprintf(out, "%s: ", loc.file);
  else
    fputs("qcc: ", out);
  fprintf(out, "%s: ", kind);
  vfprintf(out, fmt, ap);
  fputc('\n', out);
  if (loc.file && loc.line > 0) {
    const diag_source *src = find_source(diag, loc.file);
    if (src)
      print_caret(out, src, loc.line, loc.col);
  }
}

void qcc_diag_error(qcc_diag *diag, qcc_loc loc, const char *fmt, ...) {
  diag->errors++;
  if (diag->errors > diag->limit) {
    if (!diag->limit_noted && diag->sink)
      fprintf(diag->sink, "qcc: fatal error: too many errors emitted, stopping now\n");
    diag->limit_noted = true;
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  emit(diag, "error", loc, fmt, ap);
  va_end(ap);
}

void qcc_diag_warning(qcc_diag *diag, qcc_loc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(diag, "warning", loc, fmt, ap);
  va_end(ap);
}

void qcc_diag_note(qcc_diag *diag, qcc_loc loc, const char *fmt, ...) {
  if (diag->errors > diag->limit)
    return;
  va_list ap;
  va_start(ap, fmt);
  emit(diag, "note", loc, fmt, ap);
  va_end(ap);
}

size_t qcc_diag_error_count(const qcc_diag *diag) { return diag->errors; }
void qcc_diag_set_error_limit(qcc_diag *diag, size_t limit) { diag->limit = limit; }
bool qcc_diag_limit_reached(const qcc_diag *diag) { return diag->errors > diag->limit; }
