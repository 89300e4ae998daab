/* Pattern helpers for Q/DQ rewrites. */
#ifndef QCC_PASSES_QDQ_MATCH_H
#define QCC_PASSES_QDQ_MATCH_H

#include "ir/graph_util.h"

/* The DequantizeLinear producing operand i of `op`, or NULL. */
qcc_op *qcc_match_dq_operand(const qcc_op *op, uint32_t i);
/* The only consumer of `op`'s single result when it is a QuantizeLinear and the result is not a
 * graph output; NULL otherwise. */
qcc_op *qcc_match_single_q_consumer(const qcc_op *op);
/* Element type of a Q/DQ's quantized side (Q result or DQ operand 0). */
qcc_elem qcc_qdq_int_elem(const qcc_op *qdq);
/* Per-tensor scale/zero point of a Q or DQ, when both are constants; zero point 0 if absent. */
bool qcc_qdq_scalar_params(const qcc_op *qdq, double *scale, int64_t *zero_point);
/* The quantization a Q or DQ with constant scale/zero point applies to its integer side `t`,
 * allocated in the graph arena; NULL when the parameters are not constants or not valid. */
const qcc_quant *qcc_quant_of_qdq(qcc_graph *g, const qcc_op *qdq, qcc_type t);

#endif
