/* The code generator: one LLVM module per graph, with one kernel function per op of the final
 * graph (codegen/lower/), the run function that calls them on the memory plan's workspace, the
 * workspace-size function and the model descriptor of runtime/qcc_model.h. docs/codegen.md
 * describes the structure. */
#ifndef QCC_CODEGEN_CODEGEN_H
#define QCC_CODEGEN_CODEGEN_H

#include <stdbool.h>
#include <stdio.h>

#include "codegen/targets.h"
#include "ir/diag.h"
#include "ir/graph.h"

typedef enum {
  QCC_OUTPUT_OBJ,  /* an object file (ELF, or Mach-O for Apple triples) */
  QCC_OUTPUT_ASM,  /* the target's assembly */
  QCC_OUTPUT_LLVM, /* LLVM IR text after LLVM's passes at the target's -O level */
} qcc_codegen_output;

/* Options of the generated code beyond the target's (the driver's -f flags). */
typedef struct qcc_codegen_options {
  /* -fsanitize=address: every function the module defines gets `sanitize_address` and LLVM's
   * AddressSanitizer pass runs after the -O pipeline; constant globals get redzones (their
   * alignment is capped at ASan's 32 bytes so that it instruments them). The object then needs
   * the ASan runtime at link time (`cc -fsanitize=address`). */
  bool sanitize_address;
} qcc_codegen_options;

/* True when `s` is a C identifier (a usable --name prefix). */
bool qcc_codegen_valid_prefix(const char *s);
/* The default prefix for a model file: its base name without extension, every character
 * outside [A-Za-z0-9_] replaced by '_', and '_' in front of a leading digit. */
void qcc_codegen_default_prefix(const char *path, char *buf, size_t cap);

/* Builds the module for `g` (renumbers its values), verifies it, runs LLVM's pass pipeline of the
 * target's -O level (and the options' instrumentation; `opts` NULL: none) and writes `kind` to
 * `path` ("-" or NULL: standard output). An op without a lowering, or a value without a static
 * shape, is a located error (QCC_ERR_INPUT). With `stats` (NULL: none), one "stats: kernel: ..."
 * line per kernel whose lowering reported its choices (the packed conv/gemm kernels:
 * micro-kernel, instruction sequence, vpmaddubsw corrections). */
qcc_status qcc_codegen_emit(qcc_graph *g, const qcc_target *t, const qcc_codegen_options *opts,
                            const char *prefix, qcc_codegen_output kind, const char *path,
                            FILE *stats, qcc_diag *diag);

/* Writes the C header (C99) declaring PREFIX_model, PREFIX_workspace_size and PREFIX_run, with
 * the inputs, outputs and workspace size as constants. */
qcc_status qcc_codegen_write_header(qcc_graph *g, const char *prefix, FILE *out, qcc_diag *diag);

#endif
