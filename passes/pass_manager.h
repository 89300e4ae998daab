/* Pass manager: runs a pipeline of graph passes with the instrumentation of the driver
 * (verification, printing before/after, timing, statistics). Passes report errors through the
 * diagnostics (out-of-memory included) and say whether they changed the graph. */
#ifndef QCC_PASSES_PASS_MANAGER_H
#define QCC_PASSES_PASS_MANAGER_H

#include <stdio.h>

#include "ir/diag.h"
#include "ir/graph.h"

/* Counters are named by the passes in code (a few each), so the table is bounded by the
 * pipeline: QCC_PIPELINE_MAX passes of at most eight counters. */
enum { QCC_PIPELINE_MAX = 32, QCC_PASS_MAX_COUNTERS = 8 * QCC_PIPELINE_MAX };

/* A named count a pass reports for --stats ("Q/DQ pairs folded"). */
typedef struct qcc_pass_counter {
  const char *pass, *what; /* static strings */
  uint64_t value;
} qcc_pass_counter;

/* What a running pass may use: the diagnostics, whether it changed the graph, its counters. */
typedef struct qcc_pass_ctx {
  qcc_diag *diag;
  bool changed;
  const char *pass_name;
  qcc_pass_counter counters[QCC_PASS_MAX_COUNTERS];
  uint32_t num_counters;
  FILE *remarks; /* per-rewrite remarks go here (--stats), or nowhere when NULL */
} qcc_pass_ctx;

typedef struct qcc_pass {
  const char *name;    /* as in --passes= */
  const char *summary; /* one line for --help and docs/passes.md */
  qcc_status (*run)(qcc_graph *g, qcc_pass_ctx *ctx);
} qcc_pass;

/* Adds `n` to the counter `what` of the running pass. */
void qcc_pass_count(qcc_pass_ctx *ctx, const char *what, uint64_t n);
/* One line about a rewrite at `op` ("stats: PASS: at NAME: ..."), when remarks are on. */
void qcc_pass_remark(qcc_pass_ctx *ctx, const qcc_op *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef struct qcc_pass_options {
  bool verify_each;                       /* run the verifier after every pass */
  bool time_passes;                       /* report each pass's wall time */
  bool print_after_all;                   /* print the graph after every pass */
  const char *print_before, *print_after; /* pass name, or NULL */
  FILE *report;                           /* where printing and timing go (stderr when NULL) */
} qcc_pass_options;

typedef struct qcc_pipeline {
  const qcc_pass *passes[QCC_PIPELINE_MAX];
  uint32_t num_passes;
} qcc_pipeline;

/* Runs the pipeline; `ctx` (zeroed by the caller, diag set) collects the counters. */
qcc_status qcc_run_pipeline(qcc_graph *g, const qcc_pipeline *p, const qcc_pass_options *opts,
                            qcc_pass_ctx *ctx);

/* ---- the registry (pass_registry.c) ---- */
const qcc_pass *qcc_pass_lookup(const char *name, size_t len);
size_t qcc_pass_count_registered(void);
const qcc_pass *qcc_pass_at(size_t i);
/* Parses "a,b,c" into `out`; on failure writes a message to `err` and returns false. */
bool qcc_pipeline_parse(const char *spec, qcc_pipeline *out, char *err, size_t errcap);
/* The pass list of -O0..-O3, and "ort": what ONNX Runtime does before it runs a QDQ model. */
const char *qcc_pipeline_spec_for_level(int level);
extern const char qcc_pipeline_spec_ort[];

#endif
