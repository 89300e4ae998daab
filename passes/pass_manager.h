/* Pass manager: runs a named pipeline of graph passes, verifying between passes on request. */
#ifndef QCC_PASSES_PASS_MANAGER_H
#define QCC_PASSES_PASS_MANAGER_H

#include "ir/diag.h"
#include "ir/graph.h"

typedef struct qcc_pass {
  const char *name;
  qcc_status (*run)(qcc_graph *g, qcc_diag *diag);
} qcc_pass;

typedef struct qcc_pass_options {
  bool verify_each; /* run the verifier after every pass */
} qcc_pass_options;

qcc_status qcc_run_passes(qcc_graph *g, const qcc_pass *const *passes, size_t n,
                          const qcc_pass_options *opts, qcc_diag *diag);

#endif
