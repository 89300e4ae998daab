/* The common steps of the fusion passes (fuse-epilogue, fuse-conv-activation): a chain of ops
 * (a conv and what follows it) becomes one new op. */
#ifndef QCC_PASSES_FUSE_CHAIN_H
#define QCC_PASSES_FUSE_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

typedef enum { QCC_FUSE_DONE, QCC_FUSE_SKIPPED, QCC_FUSE_NOMEM } qcc_fuse_result;

/* `op`'s attributes copied into the graph's arena with room for `extra` more after them; NULL
 * when out of memory. */
qcc_attr *qcc_fuse_attrs(qcc_graph *g, const qcc_op *op, uint32_t extra);

/* Creates the op of `spec` before `last`; when its result type infers, every user of last's
 * result reads the new result instead (which takes last's name and quantization), and the ops
 * of `chain` (consumers before producers; NULL entries skipped) are erased. SKIPPED (the new op
 * removed again) when the type does not infer. */
qcc_fuse_result qcc_fuse_chain(qcc_graph *g, const qcc_op_spec *spec, qcc_op *last,
                               qcc_op *const *chain, size_t n);

#endif
