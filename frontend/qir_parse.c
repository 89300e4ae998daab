/* Entry points of the .qir reader: set up the parse context, run the grammar, verify. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/qir_internal.h"
#include "frontend/qir_parser.h"
#include "ir/verifier.h"

/* The scanner indexes its buffer with int. */
#define QIR_MAX_SOURCE ((size_t)INT_MAX - 2)

static void ctx_free(qir_ctx *ctx) {
  qir_vec *vecs[] = {&ctx->results, &ctx->operands, &ctx->attrs, &ctx->rtypes,
                     &ctx->dims,    &ctx->qpairs,   &ctx->dense, &ctx->list};
  for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; ++i)
    qir_vec_free(vecs[i]);
  free(ctx->sbuf);
  free(ctx->poison);
  free(ctx->poisoned_ids);
  qcc_arena_destroy(ctx->scratch);
}

qcc_status qcc_parse_qir(const char *file, const char *text, size_t len, const char *base_dir,
                         qcc_diag *diag, qcc_graph **out) {
  *out = NULL;
  if (!file)
    file = "<input>";
  size_t errors_before = qcc_diag_error_count(diag);
  if (len > QIR_MAX_SOURCE) {
    qcc_diag_error(diag, (qcc_loc){.file = file}, "file is too large (%zu bytes)", len);
    return QCC_ERR_INPUT;
  }
  if (!qcc_diag_add_source(diag, file, text, len)) {
    qcc_diag_error(diag, (qcc_loc){.file = file}, "out of memory");
    return QCC_ERR_NOMEM;
  }
  qir_ctx ctx = {
      .file = file,
      .base_dir = base_dir,
      .text = text,
      .len = len,
      .diag = diag,
      .cur_line = 1,
      .cur_col = 1,
      .last_tok = -1,
      .results = {.elem_size = sizeof(qir_named)},
      .operands = {.elem_size = sizeof(qir_operand)},
      .attrs = {.elem_size = sizeof(qcc_attr)},
      .rtypes = {.elem_size = sizeof(qir_rtype)},
      .dims = {.elem_size = sizeof(qcc_dim)},
      .qpairs = {.elem_size = sizeof(qir_qpair)},
      .dense = {.elem_size = 1},
      .list = {.elem_size = sizeof(qir_list_item)},
  };
  ctx.g = qcc_graph_create("main");
  ctx.scratch = qcc_arena_create();
  if (!ctx.g || !ctx.scratch) {
    qcc_graph_destroy(ctx.g);
    ctx_free(&ctx);
    qcc_diag_error(diag, (qcc_loc){.file = file}, "out of memory");
    return QCC_ERR_NOMEM;
  }
  int rc = qir_run_parser(&ctx);
  bool failed = ctx.oom || qcc_diag_error_count(diag) > errors_before;
  if (rc != 0 && !failed) {
    /* Defensive: a failed parse always explains itself, but never succeed silently. */
    qcc_diag_error(diag, (qcc_loc){.file = file}, "cannot parse file");
    failed = true;
  }
  if (!failed && qcc_verify_graph(ctx.g, diag) != QCC_OK)
    failed = true;
  bool oom = ctx.oom;
  ctx_free(&ctx);
  if (failed) {
    qcc_graph_destroy(ctx.g);
    return oom ? QCC_ERR_NOMEM : QCC_ERR_INPUT;
  }
  *out = ctx.g;
  return QCC_OK;
}

qcc_status qcc_parse_qir_file(const char *path, qcc_diag *diag, qcc_graph **out) {
  *out = NULL;
  qcc_loc where = {.file = path};
  FILE *f = fopen(path, "rb");
  if (!f) {
    qcc_diag_error(diag, where, "cannot open file: %s", strerror(errno));
    return QCC_ERR_IO;
  }
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(f);
    qcc_diag_error(diag, where, "is a directory");
    return QCC_ERR_IO;
  }
  /* Read to EOF rather than trusting st_size, so pipes and /dev/stdin work too. */
  size_t cap = 1 << 16, len = 0;
  char *text = malloc(cap);
  qcc_status st_rc = QCC_OK;
  while (text) {
    if (len == cap) {
      if (cap > QIR_MAX_SOURCE) {
        qcc_diag_error(diag, where, "file is too large");
        st_rc = QCC_ERR_INPUT;
        break;
      }
      char *bigger = realloc(text, cap * 2);
      if (!bigger) {
        free(text);
        text = NULL;
        break;
      }
      text = bigger;
      cap *= 2;
    }
    size_t got = fread(text + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) {
        qcc_diag_error(diag, where, "read error: %s", strerror(errno));
        st_rc = QCC_ERR_IO;
      }
      break;
    }
  }
  fclose(f);
  if (!text) {
    qcc_diag_error(diag, where, "out of memory");
    return QCC_ERR_NOMEM;
  }
  if (st_rc != QCC_OK) {
    free(text);
    return st_rc;
  }
  /* Side files live next to the .qir file. */
  char *dir = strdup(path);
  if (!dir) {
    free(text);
    qcc_diag_error(diag, where, "out of memory");
    return QCC_ERR_NOMEM;
  }
  char *slash = strrchr(dir, '/');
  const char *base = ".";
  if (slash == dir) {
    base = "/";
  } else if (slash) {
    *slash = '\0';
    base = dir;
  }
  qcc_status rc = qcc_parse_qir(path, text, len, base, diag, out);
  free(dir);
  free(text);
  return rc;
}
