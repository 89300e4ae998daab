/* The common steps of the passes that replace a chain of ops by new ones (fuse-epilogue,
 * fuse-conv-activation, fold-conv-transpose): the new result takes over the old one. */
#ifndef QCC_PASSES_FUSE_CHAIN_H
#define QCC_PASSES_FUSE_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"

typedef enum { QCC_FUSE_DONE, QCC_FUSE_SKIPPED, QCC_FUSE_NOMEM } qcc_fuse_result;

/* `op`'s attributes copied into the graph's arena with room for `extra` more after them; NULL
 * when out of memory. */
qcc_attr *qcc_fuse_attrs(qcc_graph *g, const qcc_op *op, uint32_t extra);

/* `now` takes over `old`: its users, its quantization (when the element types agree) and, once
 * the ops of `dead` (consumers before producers; NULL entries skipped) are erased, its name.
 * False when out of memory (the graph stays valid). */
bool qcc_fuse_take_over(qcc_value *old, qcc_value *now, qcc_op *const *dead, size_t n);

/* Creates the op of `spec` before `last`; when its result type infers, every user of last's
 * result reads the new result instead (which takes last's name and quantization), and the ops
 * of `chain` (consumers before producers; NULL entries skipped) are erased. SKIPPED (the new op
 * removed again) when the type does not infer. */
qcc_fuse_result qcc_fuse_chain(qcc_graph *g, const qcc_op_spec *spec, qcc_op *last,
                               qcc_op *const *chain, size_t n);

#endif
