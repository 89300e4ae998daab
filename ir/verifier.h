/* Whole-graph verifier: SSA order, op signatures, types and shapes against the registry's
 * shape rules, validity of every quantized type, and layouts (NHWC only at rank 4, constants
 * row-major, a Relayout's result in its attribute's layout). Errors carry source locations. */
#ifndef QCC_IR_VERIFIER_H
#define QCC_IR_VERIFIER_H

#include "ir/diag.h"
#include "ir/graph.h"

/* Checks one quantized type; reports at `loc`. */
qcc_status qcc_verify_quant(qcc_type t, qcc_loc loc, qcc_diag *diag);
/* Runs the op's shape rule and stores the inferred result types (used by builders when
 * the source gave no types). */
qcc_status qcc_infer_op_types(qcc_op *op, qcc_diag *diag);
qcc_status qcc_verify_graph(const qcc_graph *g, qcc_diag *diag);

#endif
