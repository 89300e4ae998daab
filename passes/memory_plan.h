/* Memory planning: every intermediate tensor (an op result that is neither a constant nor a graph
 * output; graph inputs and outputs live in the caller's buffers) gets an offset in one arena.
 * Liveness is over the final op order: a tensor lives from the op that defines it to its last
 * reader, both included.
 *
 * Tensors share a buffer where that is legal:
 *  - a view (Reshape, Flatten, Squeeze, Unsqueeze) is its operand's bytes: QCC_PLAN_ALIAS;
 *  - an elementwise op (a clamp, an activation, a lookup table, a same-shape add, and the fused
 *    conv's residual add) writes its result over an operand of the same size that dies at that
 *    op, every other tensor of that buffer being dead by then: QCC_PLAN_IN_PLACE. Each output
 *    element is written after the same element of that operand is read.
 * Buffers are then placed greedily by size (largest first, each at the lowest 64-byte-aligned
 * offset that no buffer overlapping it in time occupies), which on chain-like CNNs lands at or
 * near the lower bound: the largest total size of buffers live at one op. */
#ifndef QCC_PASSES_MEMORY_PLAN_H
#define QCC_PASSES_MEMORY_PLAN_H

#include "ir/graph.h"

enum { QCC_PLAN_ALIGN = 64 };

typedef enum { QCC_PLAN_OWN, QCC_PLAN_ALIAS, QCC_PLAN_IN_PLACE } qcc_plan_share;

typedef struct qcc_planned_tensor {
  const qcc_value *value;
  uint64_t offset, size; /* size rounded up to QCC_PLAN_ALIGN */
  uint32_t first, last;  /* op indices in list order */
  qcc_plan_share share;  /* how it came to share `of`'s buffer (QCC_PLAN_OWN: its own) */
  const qcc_value *of;   /* the operand whose buffer it shares, or NULL */
} qcc_planned_tensor;

typedef struct qcc_memory_plan {
  qcc_planned_tensor *tensors; /* malloc'd; qcc_memory_plan_free */
  uint32_t num_tensors;
  uint32_t num_buffers; /* distinct buffers after sharing */
  uint32_t unplanned;   /* intermediates without a static size (not placed) */
  uint64_t arena_bytes, lower_bound_bytes;
} qcc_memory_plan;

/* QCC_ERR_NOMEM on OOM; renumbers the graph's values. */
qcc_status qcc_plan_memory(qcc_graph *g, qcc_memory_plan *plan);
void qcc_memory_plan_free(qcc_memory_plan *plan);

#endif
