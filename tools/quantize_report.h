/* `qcc quantize --report`: per-layer SQNR of a QDQ graph against the float graph it came from. */
#ifndef QCC_TOOLS_QUANTIZE_REPORT_H
#define QCC_TOOLS_QUANTIZE_REPORT_H

#include "frontend/tensor_io.h"
#include "ir/graph.h"

/* Runs both graphs on the first max_samples of the samples (one at a time), prints the layers
 * (each Conv/Gemm/MatMul with quantized weights) worst first on stderr with the three
 * --keep-float candidates, and writes the same as JSON to json_path when it is not NULL. */
qcc_status qcc_quantize_report(const qcc_graph *fg, const qcc_graph *qg, qcc_npy_reader **samples,
                               int64_t count, int64_t max_samples, const char *json_path,
                               qcc_diag *diag);

#endif
