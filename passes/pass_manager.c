#include "passes/pass_manager.h"

#include "ir/verifier.h"

qcc_status qcc_run_passes(qcc_graph *g, const qcc_pass *const *passes, size_t n,
                          const qcc_pass_options *opts, qcc_diag *diag) {
  for (size_t i = 0; i < n; ++i) {
    qcc_status st = passes[i]->run(g, diag);
    if (st != QCC_OK)
      return st;
    if (opts && opts->verify_each && (st = qcc_verify_graph(g, diag)) != QCC_OK) {
      qcc_diag_note(diag, (qcc_loc){0}, "the graph no longer verifies after pass '%s'",
                    passes[i]->name);
      return st;
    }
  }
  return QCC_OK;
}
