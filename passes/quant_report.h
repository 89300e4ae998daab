/* The int8 coverage report (--report=quant): every float compute op left inside the quantized
 * region and every Q/DQ op left between two ops (not at a graph input or output), each with the
 * reason it did not fold and the change to the model that would make it fold. Reported as
 * located warnings, or as errors when `as_errors` (-Werror=float-fallback). */
#ifndef QCC_PASSES_QUANT_REPORT_H
#define QCC_PASSES_QUANT_REPORT_H

#include "ir/diag.h"
#include "ir/graph.h"

typedef struct qcc_quant_report {
  uint32_t float_ops; /* float compute ops inside the quantized region */
  uint32_t qdq_ops;   /* Q/DQ ops left in the middle of the graph */
} qcc_quant_report;

/* QCC_ERR_INPUT when `as_errors` and anything was reported; QCC_ERR_NOMEM on OOM. */
qcc_status qcc_report_quant(qcc_graph *g, qcc_diag *diag, bool as_errors, qcc_quant_report *out);

#endif
