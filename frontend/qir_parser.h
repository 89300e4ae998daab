/* Reader for the textual .qir language (docs/qir.md). */
#ifndef QCC_FRONTEND_QIR_PARSER_H
#define QCC_FRONTEND_QIR_PARSER_H

#include <stddef.h>

#include "ir/diag.h"
#include "ir/graph.h"

/* Parses `text` (need not be NUL-terminated) named `file` for diagnostics. Side files of
 * `file<...>` constants are resolved relative to `base_dir` (NULL: current directory).
 * On success *out owns a graph whose result types are all inferred and verified.
 * On failure located errors were reported and *out is NULL. */
qcc_status qcc_parse_qir(const char *file, const char *text, size_t len, const char *base_dir,
                         qcc_diag *diag, qcc_graph **out);

/* Reads and parses a file; base_dir is the file's directory. */
qcc_status qcc_parse_qir_file(const char *path, qcc_diag *diag, qcc_graph **out);

#endif
