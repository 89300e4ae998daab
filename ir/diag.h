/* Diagnostics engine: clang-style located errors with the source line and a caret. */
#ifndef QCC_IR_DIAG_H
#define QCC_IR_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Library results. Values match the driver's exit statuses where they overlap. */
typedef enum {
  QCC_OK = 0,
  QCC_ERR_INPUT = 1, /* the model or a data file is bad; diagnostics were printed */
  QCC_ERR_USAGE = 2,
  QCC_ERR_NOMEM = 3,
  QCC_ERR_IO = 4,
} qcc_status;

/* Where something came from: a .qir position (line > 0) or an ONNX node name. */
typedef struct qcc_loc {
  const char *file;
  const char *node;
  uint32_t line, col;
} qcc_loc;

typedef struct qcc_diag qcc_diag;

qcc_diag *qcc_diag_create(FILE *sink);
void qcc_diag_destroy(qcc_diag *diag);

/* Registers source text for caret lines; the text is copied. */
bool qcc_diag_add_source(qcc_diag *diag, const char *file, const char *text, size_t len);

void qcc_diag_error(qcc_diag *diag, qcc_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void qcc_diag_note(qcc_diag *diag, qcc_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void qcc_diag_warning(qcc_diag *diag, qcc_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

size_t qcc_diag_error_count(const qcc_diag *diag);
/* After this many errors further ones are dropped with one notice. */
void qcc_diag_set_error_limit(qcc_diag *diag, size_t limit);
bool qcc_diag_limit_reached(const qcc_diag *diag);

#endif
