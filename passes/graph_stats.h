/* Graph statistics for --stats: ops by kind, Q/DQ counts, and the float compute ops left inside
 * the quantized region (an op is inside when one of its operands comes, through any path, from a
 * DequantizeLinear and one of its results reaches a QuantizeLinear). */
#ifndef QCC_PASSES_GRAPH_STATS_H
#define QCC_PASSES_GRAPH_STATS_H

#include <stdio.h>

#include "ir/graph.h"
#include "ir/op_kinds.h"
#include "passes/pass_manager.h"

typedef struct qcc_graph_stats {
  uint32_t num_ops;
  uint32_t by_kind[QCC_OP_COUNT];
  uint32_t float_in_region; /* float compute ops inside the quantized region */
  uint32_t float_in_region_by_kind[QCC_OP_COUNT];
} qcc_graph_stats;

/* True for kinds that compute on values (not Q/DQ, constants or data movement). */
bool qcc_op_kind_is_compute(qcc_op_kind k);
/* Fills `s`; renumbers the graph's values. QCC_ERR_NOMEM on OOM. */
qcc_status qcc_graph_stats_collect(qcc_graph *g, qcc_graph_stats *s);
/* `in_region[op index in list order]` for each op: inside the quantized region. The caller frees
 * the array. NULL on OOM (or an empty graph). */
bool *qcc_quant_region(qcc_graph *g, uint32_t *num_ops);
/* The --stats report: ops by kind before and after the pipeline, each pass's counters. */
void qcc_graph_stats_print(FILE *out, const qcc_graph_stats *before, const qcc_graph_stats *after,
                           const qcc_pass_ctx *ctx);

#endif
