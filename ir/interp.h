/* Reference interpreter: evaluates a graph op by op with each op's registered semantics. */
#ifndef QCC_IR_INTERP_H
#define QCC_IR_INTERP_H

#include "ir/graph.h"
#include "ir/op_registry.h"
#include "ir/tensor.h"

struct qcc_eval_ctx {
  qcc_diag *diag;
  const qcc_op *op;
};

/* Reports an error at the op being evaluated; returns QCC_ERR_INPUT. */
qcc_status qcc_eval_error(qcc_eval_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Allocates an output tensor, reporting a located error on overflow/limit/OOM. */
qcc_tensor *qcc_eval_alloc(qcc_eval_ctx *ctx, qcc_elem elem, int32_t rank, const int64_t *dims);

/* Runs the graph. `inputs` are in graph-input order and only read. On success `outputs`
 * (num_outputs entries) receive owned tensors the caller frees with qcc_tensor_free. */
qcc_status qcc_interp_run(const qcc_graph *g, qcc_diag *diag, const qcc_tensor *const *inputs,
                          qcc_tensor **outputs);

/* Called with every graph input and every op result as soon as it is computed (before the
 * interpreter frees it when dead): calibration's statistics. A status other than QCC_OK stops
 * the run with that status. */
typedef qcc_status (*qcc_interp_observer)(void *user, const qcc_value *v, const qcc_tensor *t);
qcc_status qcc_interp_run_observed(const qcc_graph *g, qcc_diag *diag,
                                   const qcc_tensor *const *inputs, qcc_tensor **outputs,
                                   qcc_interp_observer observe, void *user);

/* Evaluates one op on given tensors (used by constant folding). */
qcc_status qcc_interp_eval_op(const qcc_op *op, qcc_diag *diag, const qcc_tensor *const *in,
                              qcc_tensor **out);

/* A tensor in `storage` viewing the payload of constant `k` (nothing to free); returns storage. */
const qcc_tensor *qcc_tensor_of_const(const qcc_const *k, qcc_tensor *storage);

#endif
