/* Generic graph queries and clean-ups shared by the passes (and later the lowering). */
#ifndef QCC_IR_GRAPH_UTIL_H
#define QCC_IR_GRAPH_UTIL_H

#include "ir/graph.h"

/* Number of ops in the graph's list. */
uint32_t qcc_graph_op_count(const qcc_graph *g);
/* True when `v` is one of its graph's outputs. */
bool qcc_value_is_graph_output(const qcc_value *v);
/* True when no result of `op` is used or is a graph output. */
bool qcc_op_is_dead(const qcc_op *op);
/* Removes ops whose results are all unused (except graph outputs), repeatedly. */
void qcc_graph_erase_dead_ops(qcc_graph *g);

/* Scalar value of a constant operand as double; false when not a 1-element constant. */
bool qcc_const_scalar(const qcc_value *v, double *out);

/* The clamp range of a Relu ([0, +inf)) or a Clip whose bounds are constant scalars (operands 1
 * and 2 from opset 11, attributes min/max before; absent means unbounded): one decoding for the
 * passes and the lowering. False for other ops, non-constant bounds, or lo > hi. */
bool qcc_clamp_const_bounds(const qcc_op *op, double *lo, double *hi);

/* Re-runs the shape rule of `op` and stores its result types, reporting nothing: false when the
 * rule rejects the op (a rewrite candidate that does not fit is not an error of the model). */
bool qcc_op_reinfer_quietly(qcc_op *op);
/* Re-runs every shape rule and keeps each result type the rule refines (quantization
 * annotations stay), e.g. after operands became constants. QCC_ERR_NOMEM on OOM. */
qcc_status qcc_graph_refine_types(qcc_graph *g);
/* The same for one op; *made_static (may be NULL) gets the number of result dims that were not
 * static before and are now. QCC_ERR_NOMEM on OOM. */
qcc_status qcc_op_refine_types(qcc_op *op, uint32_t *made_static);

/* Number of dims of `t` that are not static (symbolic or unknown). */
uint32_t qcc_type_dynamic_dims(qcc_type t);
/* True when some value of the graph (an input or an op result) has the symbolic dim `sym`. */
bool qcc_graph_has_dim_symbol(const qcc_graph *g, const char *sym);
/* Binds the symbolic dim `sym` to `size` in every value's type (a symbol names one size across
 * the graph), then refines every type with the shape rules. QCC_ERR_NOMEM on OOM. */
qcc_status qcc_graph_bind_dim(qcc_graph *g, const char *sym, int64_t size);

#endif
